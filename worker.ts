import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';

/** The module that exports every workflow; the worker registers them all from here. */
export const workflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows', 'index.ts');

export interface BatonWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Pre-built bundle (tests bundle once per file, BATON_WORKFLOW_BUNDLE names a file); otherwise bundled from `workflowsPath`. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  identity?: string;
}

export function createWorker(opts: BatonWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({ db: opts.db }),
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10 seconds',
  });
}
