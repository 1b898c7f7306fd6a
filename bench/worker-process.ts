/**
 * Baton's worker for the bench, as production runs it (`baton worker`, README "Production"): a
 * process of its own beside the API. With the worker inside the API's process, every registration
 * paid for the placement review it starts (that workflow's first task and activity ran on the
 * API's event loop before the next request was read): 43 ms against 16 ms with the worker stopped
 * (issue 17). `--worker inline` keeps the old shape for comparison.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../runtime/ports.js';
import type { Worker } from '@temporalio/worker';
import type { WorkerTuning } from '../worker.js';

/** What the bench needs of a worker wherever it runs: is anything in flight, and stop it. */
export interface BenchWorker {
  where: 'process' | 'inline';
  inFlight(): Promise<{ workflowTasks: number; activities: number }>;
  stop(): Promise<void>;
}

/** A payload key both the bench's client and the worker process use (BATON_PAYLOAD_KEYS format). */
export function benchPayloadKeys(): string {
  return `bench=${randomBytes(32).toString('base64')}`;
}

interface Options {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  payloadKeys: string;
  tuning: WorkerTuning;
  log: (m: string) => void;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startWorkerProcess(o: Options): Promise<BenchWorker> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: o.databaseUrl, TEMPORAL_ADDRESS: o.temporalAddress, TEMPORAL_NAMESPACE: o.namespace, TEMPORAL_TASK_QUEUE: o.taskQueue,
    BATON_PAYLOAD_KEYS: o.payloadKeys, BATON_API_HOST: '127.0.0.1', BATON_WORKER_PORT: String(healthPort),
    BATON_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`, LOG_LEVEL: 'warn',
    ...(o.tuning.maxCachedWorkflows !== undefined ? { BATON_WORKER_MAX_CACHED_WORKFLOWS: String(o.tuning.maxCachedWorkflows) } : {}),
    ...(o.tuning.maxConcurrentWorkflowTaskExecutions !== undefined ? { BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: String(o.tuning.maxConcurrentWorkflowTaskExecutions) } : {}),
    ...(o.tuning.maxConcurrentActivityTaskExecutions !== undefined ? { BATON_WORKER_MAX_CONCURRENT_ACTIVITIES: String(o.tuning.maxConcurrentActivityTaskExecutions) } : {}),
    ...(o.tuning.vmWatchdog !== undefined ? { BATON_WORKER_VM_WATCHDOG: o.tuning.vmWatchdog ? 'on' : 'off' } : {}),
    ...(o.tuning.workflowPollers !== undefined ? { BATON_WORKER_WORKFLOW_POLLERS: o.tuning.workflowPollers } : {}),
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Ready when its health endpoint says the Temporal worker polls (it reconciles long-running processes first).
  const until = Date.now() + 180_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${healthPort}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`the bench's worker process exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > until) throw new Error(`the bench's worker process was not ready within 180 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  o.log(`… Baton's worker runs in its own process (pid ${child.pid}), as in production`);
  const slots = (text: string, workerType: string) => {
    let used = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('temporal_worker_task_slots_used{') && line.includes(`worker_type="${workerType}"`) && line.includes(`task_queue="${o.taskQueue}"`)) used += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return used;
  };
  return {
    where: 'process',
    async inFlight() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return { workflowTasks: slots(text, 'WorkflowWorker'), activities: slots(text, 'ActivityWorker') + slots(text, 'LocalActivityWorker') };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
    },
  };
}

/** The worker inside the bench's own process (`--worker inline`). */
export function inlineWorker(worker: Worker): BenchWorker {
  const running = worker.run();
  return {
    where: 'inline',
    async inFlight() {
      const st = worker.getStatus();
      return { workflowTasks: st.numInFlightWorkflowActivations, activities: st.numInFlightActivities };
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
