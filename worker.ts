import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { failureConverterPath } from './runtime/payload-codec.js';

/** The module that exports every workflow; the worker registers them all from here. */
export const workflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows', 'index.ts');

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
}

export function createWorker(opts: BatonWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({ db: opts.db }),
    dataConverter: opts.dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10 seconds',
    ...Object.fromEntries(Object.entries(opts.tuning ?? {}).filter(([, v]) => v !== undefined)),
  });
}

const quietBundler = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * The workflow bundle built ahead of time (tests, rehearsals, chaos): the failure converter goes
 * into the sandbox with it, as Worker.create does when it bundles `workflowsPath` itself.
 */
export function bundleBatonWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: quietBundler as never });
}
