import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Context as ActivityContext } from '@temporalio/activity';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { tracingWorkflowInterceptorsPath, type Tracing } from './runtime/tracing.js';
import { failureConverterPath } from './runtime/payload-codec.js';
import { WorkerWithoutVmWatchdog } from './runtime/workflow-threads.js';

const here = fileURLToPath(import.meta.url);
/** `.ts` when run from the sources (tsx, vitest), `.js` when run from the compiled dist/. */
const moduleExtension = path.extname(here);
/** The module that exports every workflow; the worker registers them all from here. */
export const workflowsPath = path.join(path.dirname(here), 'workflows', `index${moduleExtension}`);
/**
 * Modules loaded once per worker and shared by every workflow on it (workflows/shared-modules.ts,
 * the SDK's `preloadModules`: zod, luxon, the pure domain modules); without it each cached workflow
 * keeps its own copy of them. Every bundle of Baton's workflows (tests, build, rehearsals) preloads it.
 */
export const workflowPreloadModules = [path.join(path.dirname(here), 'workflows', `shared-modules${moduleExtension}`)];
/**
 * The workflow bundle `npm run build` writes next to the compiled worker (scripts/build.ts). Only
 * compiled code looks for it: from the sources the worker bundles at start, so an old dist/ never
 * runs in place of the code being edited.
 */
export const prebuiltWorkflowBundlePath = path.join(path.dirname(here), 'workflow-bundle.js');
/** The same with the OpenTelemetry workflow interceptors, loaded when tracing is on (runtime/tracing.ts). */
export const prebuiltTracedWorkflowBundlePath = path.join(path.dirname(here), 'workflow-bundle-traced.js');

/** The bundle the worker loads: BATON_WORKFLOW_BUNDLE, else the one built with dist/, else none (bundle at start). */
export function defaultWorkflowBundle(configured?: string, traced = false): { codePath: string } | undefined {
  if (configured) return { codePath: configured };
  const built = traced ? prebuiltTracedWorkflowBundlePath : prebuiltWorkflowBundlePath;
  return moduleExtension === '.js' && fs.existsSync(built) ? { codePath: built } : undefined;
}

/**
 * Worker capacity (README "Configuration"); unset fields keep the SDK's defaults. Cached workflows
 * stay in memory between tasks (a cache miss replays the history); the concurrency limits bound
 * the workflow tasks and activities one worker process runs at once.
 */
export interface WorkerTuning {
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * Longest a workflow activation (a new workflow's module setup included) may run, ms; the SDK's
   * default is 5 s. A starved host (the shared bench machine at load 40+) can exceed it while
   * creating workflows, which fails their tasks; the bench can raise it (`--isolate-timeout-seconds`).
   */
  isolateExecutionTimeout?: number;
  /**
   * false: enter workflow sandboxes without Node's per-call watchdog thread, which enforces
   * `isolateExecutionTimeout` at the cost of a thread created per entry (runtime/workflow-threads.ts).
   * Default true (the SDK's guard); rehearsals turn it off, `BATON_WORKER_VM_WATCHDOG=off` for a worker.
   */
  vmWatchdog?: boolean;
  /** How many workflow-task polls are open: `fixed` (the SDK's default) or `autoscaling`; see `BATON_WORKER_WORKFLOW_POLLERS`. */
  workflowPollers?: 'fixed' | 'autoscaling';
  /** Rehearsals bound these too (docs/rehearsal.md). */
  reuseV8Context?: boolean;
  stickyQueueScheduleToStartTimeout?: WorkerOptions['stickyQueueScheduleToStartTimeout'];
}

export interface BatonWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Pre-built bundle (tests bundle once per file, BATON_WORKFLOW_BUNDLE names a file); otherwise bundled from `workflowsPath`. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  identity?: string;
  /** Baton's data converter (runtime/payload-codec.ts): payload encryption and encoded failures. */
  dataConverter: DataConverter;
  /** Cache and concurrency settings for this worker (rehearsals bound the workflow cache: docs/rehearsal.md). */
  tuning?: WorkerTuning;
  /** OpenTelemetry tracing (runtime/tracing.ts); a prebuilt `workflowBundle` must then be the traced one. */
  tracing?: Tracing;
}

/**
 * Memory one cached Baton workflow holds, for sizing the cache: each workflow evaluates its own copy
 * of the workflow modules not shared by preloading (0.1 MiB kept since zod, luxon and the pure domain
 * modules are shared, workflows/shared-modules.ts; 0.7 MiB before, 6.4 MiB before the policy schema
 * was built on first use: `npm run bench -- --only workflow-setup`) plus its state (a cadence carries
 * its policy document), and the heap runs ahead of its garbage. The SDK's default assumes about 1.7
 * MB a workflow (600 per GB); at 6.4 MiB that ran a 100-client rehearsal's workflow thread out of
 * heap (docs/rehearsal.md). Measured with the modules shared (`--only scale`, a cadence and its CTA
 * clocks): about 0.25 MB of workflow-thread heap and 0.5 MB of RSS per cached workflow, so 3 MiB is
 * now conservative; it stays until a long rehearsal (cadences with a year of state) confirms less.
 */
export const CACHED_WORKFLOW_MIB = 3;

/** The cache a worker gets when BATON_WORKER_MAX_CACHED_WORKFLOWS (or `tuning`) does not say: what fits this process's heap. */
export function defaultMaxCachedWorkflows(heapLimitBytes = v8.getHeapStatistics().heap_size_limit): number {
  return Math.max(20, Math.floor((heapLimitBytes / 2 ** 20 - 512) / CACHED_WORKFLOW_MIB));
}

export function createWorker(opts: BatonWorkerOptions): Promise<Worker> {
  const { vmWatchdog = true, workflowPollers = 'fixed', ...sdkTuning } = opts.tuning ?? {};
  return (vmWatchdog ? Worker : WorkerWithoutVmWatchdog).create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath, bundlerOptions: { preloadModules: workflowPreloadModules } }),
    activities: createActivities({ db: opts.db }),
    ...(opts.tracing ? {
      interceptors: {
        ...(opts.workflowBundle ? {} : { workflowModules: [tracingWorkflowInterceptorsPath] }),
        activity: [(ctx: ActivityContext) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks: { exporter: makeWorkflowExporter(opts.tracing.spanProcessor, opts.tracing.resource) },
    } : {}),
    dataConverter: opts.dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10 seconds',
    ...(workflowPollers === 'autoscaling' ? { workflowTaskPollerBehavior: { type: 'autoscaling' as const } } : {}),
    maxCachedWorkflows: defaultMaxCachedWorkflows(),
    ...Object.fromEntries(Object.entries(sdkTuning).filter(([, v]) => v !== undefined)),
  });
}

/** The bundler's logger: errors only. */
export const quietBundler = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * The workflow bundle built ahead of time (tests, rehearsals, chaos): the failure converter goes
 * into the sandbox with it, as Worker.create does when it bundles `workflowsPath` itself.
 */
export function bundleBatonWorkflows(opts: { traced?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath, failureConverterPath, preloadModules: workflowPreloadModules, logger: quietBundler as never,
    ...(opts.traced ? { workflowInterceptorModules: [tracingWorkflowInterceptorsPath] } : {}),
  });
}
