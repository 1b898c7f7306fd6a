import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { findPrincipal, listenForApiKeyChanges } from '../../db/api-keys.js';
import { runMigrations } from '../../db/client.js';
import { databaseProblem } from '../../runtime/errors.js';
import { freshDatabase } from '../support/harness.js';
import { freePort } from '../support/ports.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let db: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db.close());

const baton = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });

describe('baton keys', () => {
  it('creates, lists and revokes API keys; only the hash is stored', async () => {
    const created = await baton('keys', 'create', '--name', 'PSA sync', '--role', 'automation');
    const key = /^(baton_\S+)$/m.exec(created.stdout)![1]!;
    expect(await findPrincipal(db.db, key)).toMatchObject({ name: 'PSA sync', role: 'automation' });
    const stored = await db.sql`select hash, prefix from api_keys where name = 'PSA sync'`;
    expect(stored[0]!.hash).not.toContain(key);
    expect(key.startsWith(stored[0]!.prefix)).toBe(true);

    const listed = await baton('keys', 'list');
    expect(listed.stdout).toContain('PSA sync');
    expect(listed.stdout).not.toContain(key);

    const id = /id ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    // This test process caches principals like an API process does; the revocation in the CLI's process
    // reaches it through PostgreSQL's NOTIFY (db/api-keys.ts), as it reaches a running API.
    const unlisten = await listenForApiKeyChanges(db);
    try {
      expect((await baton('keys', 'revoke', id)).stdout).toContain(`Revoked key ${id}`);
      await vi.waitFor(async () => expect(await findPrincipal(db.db, key)).toBeUndefined(), { timeout: 5_000, interval: 50 });
    } finally {
      await unlisten();
    }
  });

  it('rejects a bad role in one line naming it, exit code 2', async () => {
    await expect(baton('keys', 'create', '--name', 'x', '--role', 'root')).rejects.toMatchObject({
      code: 2, stderr: "error: option '--role <role>' argument 'root' is invalid. Allowed choices are admin, ops, automation, manager.\n",
    });
  });

  it('stops on invalid configuration with every problem listed', async () => {
    const bad = run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'keys', 'list'], { cwd: root, env: { ...process.env, DATABASE_URL: 'mysql://nope', BATON_API_PORT: '0' } });
    const failure = await bad.then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('DATABASE_URL: must be a postgres');
    expect(failure?.stderr).toContain('BATON_API_PORT: Too small');
  });
});

describe('baton: problems the user can fix are one line with the fix, no stack trace', () => {
  it('a wrong DATABASE_URL says what is wrong and what to check, exit 1', async () => {
    const refused = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'migrate'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://baton:x@127.0.0.1:1/baton' } })
      .then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 1, stderr: 'Cannot use PostgreSQL at postgres://baton:***@127.0.0.1:1/baton: connection refused (nothing listens there); check DATABASE_URL (or unset it to use the embedded PostgreSQL).\n' });
  });

  it('names a wrong password or a missing database, never showing the password (the same check, in process)', async () => {
    const problem = (url: string) => runMigrations(url).then(() => undefined, (err: unknown) => databaseProblem(err, url, 'DATABASE_URL')?.message);
    const wrongPassword = db.url.replace(/\/\/([^:]+):[^@]+@/, '//$1:wrong@');
    expect(await problem(wrongPassword)).toMatch(/^Cannot use PostgreSQL at postgres:\/\/\w+:\*\*\*@.*: wrong user name or password; check DATABASE_URL \(or unset it to use the embedded PostgreSQL\)\.$/);
    expect(await problem(db.url.replace(/\/[^/]+$/, '/no_such_db'))).toMatch(/^Cannot use PostgreSQL at .*\/no_such_db: the database does not exist; check DATABASE_URL/);
    // Anything else (a bug, a failed migration) is not dressed up as a configuration problem.
    expect(databaseProblem(new Error('relation "x" does not exist'), db.url, 'DATABASE_URL')).toBeUndefined();
  });
});

describe('baton worker', () => {
  it('shuts down once, cleanly, on SIGTERM followed by SIGINT (no second shutdown of a draining worker)', async () => {
    const worker = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'worker'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      // Its health port (BATON_WORKER_PORT) on a free port: other runs on this machine may hold 8081.
      env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: `cli-${process.pid}`, LOG_LEVEL: 'info', BATON_WORKER_PORT: String(await freePort()) },
    });
    let out = '';
    worker.stdout!.on('data', (d) => (out += d));
    worker.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => worker.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not ready in 60 s:\n${out}`)), 60_000);
      worker.stdout!.on('data', () => out.includes('Baton is running (worker)') && (clearTimeout(timer), resolve()));
      void exited.then((code) => reject(new Error(`worker exited with ${code}:\n${out}`)));
    });
    // systemd or Docker send SIGTERM; a terminal's Ctrl-C then reaches every process of the group.
    worker.kill('SIGTERM');
    worker.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).not.toContain('IllegalStateError');
    expect(out.match(/"msg":"shutting down"/g)).toHaveLength(1);
    expect(out).toContain('"msg":"stopped"');
  });
});
