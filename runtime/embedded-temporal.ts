import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ActionableError } from './errors.js';
import { assertPortsFree } from './ports.js';
import { isAlive, lastLogLine, startSupervised, waitFor } from './supervised-process.js';
import { missingToolMessage, resolveTool, sdkDownloadDir, TemporalToolsError, type ResolveOptions, type ToolName } from './temporal-tools.js';
import { searchAttributeFlags } from './search-attributes.js';

/**
 * A Temporal CLI dev server run by Baton: SQLite file under the data dir (state survives restarts),
 * Web UI on, Baton's search attributes registered. Spawned by us rather than by the SDK because
 * the SDK gives up after 5 s, too short on a busy 2-core machine (STACK.md §0).
 */
export interface EmbeddedTemporalOptions {
  dataDir: string;
  port: number;
  uiPort?: number;
  namespace?: string;
  headless?: boolean;
  /** Remote codec endpoint the Web UI decodes payloads with (Baton's /codec). */
  uiCodecEndpoint?: string;
  /** The settings that chose the ports, named when a port is taken (default `port`, `ui port`). */
  portVariables?: { port: string; uiPort: string };
  startTimeoutMs?: number;
  tools?: ResolveOptions;
  log?: (msg: string) => void;
}

export interface EmbeddedTemporal {
  address: string;
  uiUrl?: string;
  pid: number;
  /** Resolves with a one-line reason if the server exits while it should be running. */
  died: Promise<string>;
  stop(): Promise<void>;
}

/** Stops the Temporal server a killed Baton left behind in this data dir, so its ports are free again. */
export async function stopStaleEmbeddedTemporal(dataDir: string, log: (m: string) => void = () => {}): Promise<void> {
  await stopStale(path.join(path.resolve(dataDir), 'temporal.pid'), log);
}

/** Makes the SDK download a binary (internet only) and returns the downloaded file. */
async function sdkDownloaded(name: ToolName, root?: string): Promise<string> {
  const downloadDir = sdkDownloadDir(root);
  const executable = { type: 'cached-download' as const, downloadDir };
  const env = name === 'cli'
    ? await TestWorkflowEnvironment.createLocal({ server: { executable } })
    : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  await env.teardown();
  const prefix = name === 'cli' ? 'temporal-sdk-typescript' : 'temporal-test-server-sdk-typescript';
  const file = fs.readdirSync(downloadDir).find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`the SDK download left no binary in ${downloadDir}`);
  return path.join(downloadDir, file);
}

/** A path to the binary through the channels of temporal-tools.ts, or one actionable error. */
export async function temporalToolPath(name: ToolName, tools: ResolveOptions = {}): Promise<string> {
  const tool = resolveTool(name, tools);
  if (tool.path) return tool.path;
  try {
    return await sdkDownloaded(name, tools.root);
  } catch (err) {
    throw new TemporalToolsError(`${missingToolMessage(name, tool.failures ?? [])}\n(SDK download: ${(err as Error).message.split('\n')[0]})`);
  }
}

export async function startEmbeddedTemporal(opts: EmbeddedTemporalOptions): Promise<EmbeddedTemporal> {
  const { port, uiPort = port + 1000, namespace = 'default', headless = false, startTimeoutMs = 60_000, log = () => {} } = opts;
  const root = path.resolve(opts.dataDir);
  fs.mkdirSync(root, { recursive: true });
  const cli = await temporalToolPath('cli', { ...opts.tools, log });
  const pidFile = path.join(root, 'temporal.pid');
  await stopStale(pidFile, log);
  const names = opts.portVariables ?? { port: 'port', uiPort: 'ui port' };
  await assertPortsFree([
    { variable: names.port, port, purpose: 'the embedded Temporal server' },
    ...(headless ? [] : [{ variable: names.uiPort, port: uiPort, purpose: 'the embedded Temporal Web UI' }]),
  ]);

  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(root, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', namespace,
    '--log-format', 'json',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
    ...(headless ? ['--headless'] : ['--ui-port', String(uiPort), ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : [])]),
    ...searchAttributeFlags(),
  ];
  const logFile = path.join(root, 'temporal.log');
  const proc = startSupervised(cli, args, { logFile });
  fs.writeFileSync(pidFile, String(proc.pid));
  const address = `127.0.0.1:${port}`;
  let stopping = false;
  const exitReason = () => `the embedded Temporal server exited${lastLogLine(logFile) ? `: ${lastLogLine(logFile)}` : ''} (log: ${logFile})`;
  const died = proc.exited.then((code) => (stopping ? new Promise<string>(() => {}) : `${exitReason()} [exit ${code}]`));
  try {
    await waitFor('Temporal dev server', async () => {
      // A server that cannot bind its ports exits at once: fail now rather than at the timeout.
      if (proc.child.exitCode !== null) throw new ActionableError(`Cannot start: ${exitReason()}.`);
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } finally {
        await connection.close();
      }
    }, startTimeoutMs, 300);
    // The frontend answers before the UI has bound its port; a UI-port clash ends the process just after.
    if (await Promise.race([proc.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 300))])) {
      throw new ActionableError(`Cannot start: ${exitReason()}.`);
    }
  } catch (err) {
    stopping = true;
    await proc.stop();
    throw err;
  }
  return {
    address,
    uiUrl: headless ? undefined : `http://127.0.0.1:${uiPort}`,
    pid: proc.pid,
    died,
    async stop() {
      stopping = true;
      await proc.stop();
      fs.rmSync(pidFile, { force: true });
    },
  };
}

/** The supervisor of a killed Baton stops its server within a second; wait for that, or force it. */
async function stopStale(pidFile: string, log: (m: string) => void) {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  if (pid && isAlive(pid)) {
    log(`waiting for the Temporal server of an earlier Baton to stop (supervisor pid ${pid})`);
    try {
      await waitFor('stale Temporal server to stop', async () => (isAlive(pid) ? undefined : true), 5_000);
    } catch {
      process.kill(pid, 'SIGTERM');
      await waitFor('stale Temporal server to stop', async () => (isAlive(pid) ? undefined : true), 20_000);
    }
  }
  fs.rmSync(pidFile, { force: true });
}
