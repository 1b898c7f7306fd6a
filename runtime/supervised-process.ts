import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { ActionableError } from './errors.js';

/**
 * Starts a server process that cannot outlive Baton: a small sh supervisor runs it and stops it
 * with `stopSignal` as soon as the Baton process is gone — also after `kill -9`, which gives Node
 * no chance to clean up. The supervisor forwards TERM/INT for a normal shutdown.
 */
export interface SupervisedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code once the server (and its supervisor) exited. */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

const SUPERVISOR = `
parent=$1; sig=$2; shift 2
"$@" &
child=$!
trap 'kill -s "$sig" "$child" 2>/dev/null; wait "$child"; exit $?' TERM INT
while kill -0 "$child" 2>/dev/null; do
  if ! ps -p "$parent" >/dev/null 2>&1; then kill -s "$sig" "$child" 2>/dev/null; wait "$child"; exit $?; fi
  sleep 1 &
  wait $!
done
wait "$child"
`;

export function startSupervised(
  command: string,
  args: string[],
  opts: SpawnOptions & { stopSignal?: 'TERM' | 'INT'; logFile?: string } = {},
): SupervisedProcess {
  const { stopSignal = 'TERM', logFile, ...spawnOpts } = opts;
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn('sh', ['-c', SUPERVISOR, 'baton-supervisor', String(process.pid), stopSignal, command, ...args], {
    stdio: ['ignore', out, out],
    ...spawnOpts,
  });
  if (typeof out === 'number') fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Polls `probe` until it returns a value. Errors count as "not yet", except a ActionableError,
 * which ends the wait at once (e.g. the server being waited for has exited).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof ActionableError) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** The last non-empty line of a log file that looks like an error, else the last line; for one-line messages. */
export function lastLogLine(file: string, pattern = /error|fatal|fail|in use|panic/i): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 16_384);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, size - length);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = [...lines].reverse().find((l) => pattern.test(l)) ?? lines[lines.length - 1];
  if (!line) return undefined;
  // Temporal logs JSON: its "msg" and "error" say it best.
  try {
    const j = JSON.parse(line) as { msg?: string; error?: string };
    if (j.msg) return j.error ? `${j.msg}: ${j.error}` : j.msg;
  } catch {
    /* plain text */
  }
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
