import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { batonDataConverter, parsePayloadKeys } from '../../runtime/payload-codec.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../runtime/supervised-process.js';
import { eventually } from '../support/harness.js';
import { freePort, freePorts } from '../support/ports.js';

/**
 * `baton start` as a user runs it: embedded PostgreSQL and Temporal under a data dir, then a
 * clean SIGTERM, a kill -9, and restarts that find clients, keys and workflows still there.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-runtime-'));
fs.chmodSync(dataDir, 0o755);
const ports = { api: 0, temporal: 0, ui: 0, pg: 0 };
const children: ChildProcess[] = [];

// A test that fails half-way must not leave its Baton holding the data dir for the next one.
afterEach(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => {
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    return exited;
  }));
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function startBaton(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
    cwd: root,
    env: {
      ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', BATON_DATA_DIR: dataDir, LOG_LEVEL: 'warn',
      BATON_API_PORT: String(ports.api), BATON_TEMPORAL_PORT: String(ports.temporal), BATON_TEMPORAL_UI_PORT: String(ports.ui), BATON_PG_PORT: String(ports.pg),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton start did not print its URLs in 90 s:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes('Admin API key')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`baton exited with ${code}:\n${out}`)));
  });
  return { child, output: () => out };
}

const api = (p: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`http://127.0.0.1:${ports.api}${p}`, { ...init, headers: { 'content-type': 'application/json', ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.headers ?? {}) } });

/** Processes whose command line mentions this test's data dir (servers and their supervisors). */
function serverProcesses(): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
    } catch {
      return false;
    }
  }).map(Number);
}

async function waitForNoServers(ms: number) {
  const deadline = Date.now() + ms;
  while (serverProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  return serverProcesses();
}

describe('embedded runtime', () => {
  let adminKey = '';
  let clientId = '';

  it('starts with embedded Temporal and PostgreSQL, prints the URLs and a first admin key, keeps its ports from a second Baton, stops once on SIGTERM', async () => {
    const [apiPort, temporalPort, uiPort, pgPort] = await freePorts(4);
    Object.assign(ports, { api: apiPort, temporal: temporalPort, ui: uiPort, pg: pgPort });
    const { child, output } = await startBaton();
    expect(output()).toContain(`http://127.0.0.1:${ports.api}/v1`);
    expect(output()).toContain(`http://127.0.0.1:${ports.api}/docs`);
    expect(output()).toContain(`UI: http://127.0.0.1:${ports.ui}`);
    adminKey = /Admin API key\s+(baton_\S+)/.exec(output())![1]!;

    expect((await api('/readyz')).status).toBe(200);
    const created = await api('/v1/clients', { method: 'POST', key: adminKey, body: JSON.stringify({ name: 'Durable Co', mrr: 12000, maturity: 4, appetite: 2, timeZone: 'Europe/Berlin' }) });
    expect(created.status).toBe(201);
    clientId = ((await created.json()) as { id: string }).id;

    // A second Baton (another data dir) on any of these ports refuses at once, naming the variable, and leaves this one alone.
    const otherDirs: string[] = [];
    const spare = await freePorts(16);
    const second = async (clash: Partial<typeof ports>, i: number) => {
      const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-runtime-other-'));
      fs.chmodSync(otherDir, 0o755);
      otherDirs.push(otherDir);
      const [apiPort, temporalPort, uiPort, pgPort] = spare.slice(i * 4, i * 4 + 4) as [number, number, number, number];
      const p = { api: apiPort, temporal: temporalPort, ui: uiPort, pg: pgPort, ...clash };
      const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
        cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', BATON_DATA_DIR: otherDir, LOG_LEVEL: 'warn',
          BATON_API_PORT: String(p.api), BATON_TEMPORAL_PORT: String(p.temporal), BATON_TEMPORAL_UI_PORT: String(p.ui), BATON_PG_PORT: String(p.pg),
        },
      });
      children.push(proc);
      let out = '';
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      return new Promise<{ code: number | null; out: string }>((resolve) => proc.once('exit', (code) => resolve({ code, out })));
    };
    const clashes = [
      ['BATON_PG_PORT', { pg: ports.pg }], ['BATON_TEMPORAL_PORT', { temporal: ports.temporal }],
      ['BATON_TEMPORAL_UI_PORT', { ui: ports.ui }], ['BATON_API_PORT', { api: ports.api }],
    ] as const;
    const results = await Promise.all(clashes.map(([, clash], i) => second(clash, i)));
    for (const [i, [variable, clash]] of clashes.entries()) {
      const r = results[i]!;
      expect(r.code).toBe(1);
      expect(r.out).toBe(`${variable}=${Object.values(clash)[0]} is already in use on 127.0.0.1 (wanted for ${
        { BATON_PG_PORT: 'the embedded PostgreSQL', BATON_TEMPORAL_PORT: 'the embedded Temporal server', BATON_TEMPORAL_UI_PORT: 'the embedded Temporal Web UI', BATON_API_PORT: 'the HTTP API' }[variable]
      }); stop whatever listens there or set ${variable} to a free port.\n`);
    }
    // Nothing of the second was started, and the first still serves.
    for (const dir of otherDirs) {
      expect(fs.existsSync(path.join(dir, 'postgres'))).toBe(false);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect((await api('/readyz')).status).toBe(200);

    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(await waitForNoServers(5_000)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'baton.pid'))).toBe(false);
    // One shutdown: the worker is not shut down twice (SDK signal handlers + Baton's own).
    expect(output()).not.toContain('IllegalStateError');
    // The embedded PostgreSQL login is this data dir's own, not a shared default.
    const password = fs.readFileSync(path.join(dataDir, 'postgres', 'password'), 'utf8').trim();
    expect(password).toMatch(/^[\w-]{32}$/);
    expect((fs.statSync(path.join(dataDir, 'postgres', 'password')).mode & 0o777).toString(8)).toBe('600');
    // A new install encrypts payloads with a key generated into the data dir, and says to back it up (issue 18).
    const keyFile = path.join(dataDir, 'payload-keys');
    expect((fs.statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
    expect(output()).toContain('generated a payload encryption key');
  });

  it('refuses a second instance on the same data dir', async () => {
    const { child } = await startBaton();
    const second = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
      cwd: root, env: { ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', BATON_DATA_DIR: dataDir, BATON_API_PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    second.stderr!.on('data', (d) => (err += d));
    expect(await new Promise((r) => second.once('exit', r))).toBe(1);
    expect(err).toContain('Baton is already running');
    // kill -9: Node cannot clean up; the supervisors must stop the servers by themselves.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await waitForNoServers(10_000)).toEqual([]);
  });

  it('after kill -9 and a restart, clients, keys and workflows are still there', async () => {
    const { child, output } = await startBaton();
    expect(output()).toContain('Admin API key  already set up');
    const res = await api(`/v1/clients/${clientId}`, { key: adminKey });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).placement.segment).toBe('C');

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      // The history is sealed with the key the first start generated: a client needs it to read anything.
      const keyring = parsePayloadKeys(fs.readFileSync(path.join(dataDir, 'payload-keys'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(','));
      const raw = await new Client({ connection }).workflow.getHandle(`client/${clientId}/placement-review`).fetchHistory();
      const input = raw.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(new TextDecoder().decode(input.metadata!.encoding!)).toBe('binary/encrypted');
      const handle = new Client({ connection, dataConverter: batonDataConverter(keyring) }).workflow.getHandle(`client/${clientId}/placement-review`);
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      // It may have been cut off mid-activity by the kills above: it must carry on to its timer.
      const status = await eventually(() => handle.query<{ step: string; nextReviewAt: string; policyVersion: number }>('status'), (s) => s.step === 'waiting', 60_000);
      expect(status).toMatchObject({ step: 'waiting', policyVersion: 1 });
      expect(status.nextReviewAt).toMatch(/\+01:00$/);
    } finally {
      await connection.close();
    }
    child.kill('SIGINT');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(await waitForNoServers(5_000)).toEqual([]);
    for (const pid of children.map((c) => c.pid!)) expect(isAlive(pid)).toBe(false);
  });

  it('an embedded server that exits during start-up fails the start at once with its own last words, exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-runtime-dead-'));
    fs.chmodSync(dir, 0o755);
    // A stand-in for a Temporal CLI that cannot bind its UI port (before, Baton waited 60 s for it).
    const fake = path.join(dir, 'temporal');
    const free = await freePorts(4);
    fs.writeFileSync(fake, '#!/bin/sh\necho "Error: can\'t set UI port 8233: listen tcp 127.0.0.1:8233: bind: address already in use" >&2\nexit 1\n', { mode: 0o755 });
    const startedAt = Date.now();
    const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', BATON_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn', TEMPORAL_CLI_PATH: fake,
        ...Object.fromEntries(['BATON_API_PORT', 'BATON_TEMPORAL_PORT', 'BATON_TEMPORAL_UI_PORT', 'BATON_PG_PORT'].map((v, i) => [v, String(free[i])])),
      },
    });
    children.push(proc);
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    expect(await new Promise((r) => proc.once('exit', r))).toBe(1);
    expect(err).toMatch(/^Cannot start: the embedded Temporal server exited: Error: can't set UI port 8233: .*address already in use \(log: .*temporal\.log\)\.\n$/);
    // Well inside the 60 s the readiness wait allows (the embedded PostgreSQL was initialised and stopped meanwhile).
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an embedded server that dies stops Baton at once with the reason, exit 1', async () => {
    const { child, output } = await startBaton();
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(postmaster, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(output()).toMatch(/Baton stopped: the embedded PostgreSQL exited.*\(log: .*postgres\.log\)/);
    expect(await waitForNoServers(10_000)).toEqual([]);
  });
});
