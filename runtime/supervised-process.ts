import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

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

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
