/**
 * Workflow threads that enter the workflow sandbox without Node's per-call watchdog (issue 17).
 *
 * The SDK runs every entry into a workflow's V8 context (an activation, the condition and microtask
 * passes after it, the sink and query calls: several per workflow task) as `runInContext(context,
 * { timeout })`, its guard against a workflow that never yields (`isolateExecutionTimeout`, 5 s).
 * Node enforces `timeout` by creating a thread (its own event loop and timer) for that one call and
 * joining it afterwards (src/node_watchdog.cc; nodejs/node#10453, and #47739, an unmerged rework).
 * Measured on these 2-vCPU machines: 2–4 µs per entry without a timeout, 600–750 µs with one under
 * load; in a 10-client portfolio rehearsal the workflow thread spent 10 of its 24 busy seconds in those
 * calls (`node --cpu-prof`). Without them the same rehearsal took 108–117 s instead of 131–137 s
 * (alternating runs, same 3,441 ledger events), its system CPU about halved (4.4–5.7 s against 9.1–9.4 s).
 *
 * `WorkerWithoutVmWatchdog` starts the SDK's own workflow thread module behind a small preamble that
 * drops the `timeout` option of `vm.Script#runInContext` in that thread only; everything else is the
 * SDK's (its thread module, its thread client and its creator, the same init message). What is given
 * up: a workflow activation that loops forever is no longer cut off after `isolateExecutionTimeout`;
 * its thread stays busy, and its workflow tasks time out on the server (another worker, if any, takes them). Baton
 * uses it where that is covered: the rehearsal (its stall watchdog reports a clock that stops) and
 * workers started with `BATON_WORKER_VM_WATCHDOG=off`. Production workers keep the SDK's guard by
 * default.
 */
import { createRequire } from 'node:module';
import { Worker as Thread } from 'node:worker_threads';
import { Worker } from '@temporalio/worker';
import type { Logger } from '@temporalio/worker';
import type { CompiledWorkerOptions } from '@temporalio/worker/lib/worker-options.js';
import type { WorkflowCreator } from '@temporalio/worker/lib/workflow/interface.js';
import { ThreadedVMWorkflowCreator, WorkerThreadClient } from '@temporalio/worker/lib/workflow/threaded-vm.js';
import type { WorkflowBundleWithSourceMapAndFilename } from '@temporalio/worker/lib/workflow/workflow-worker-thread/input.js';

const sdkThreadModule = createRequire(import.meta.url).resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');

/** The thread's code (CommonJS, evaluated by Node as the thread starts): the preamble, then the SDK's thread module. */
export const THREAD_WITHOUT_VM_WATCHDOG = `
const vm = require('node:vm');
const runInContext = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (context, options) {
  if (options === undefined || options === null || options.timeout === undefined) return runInContext.call(this, context, options);
  const { timeout, ...rest } = options;
  return runInContext.call(this, context, rest);
};
require(${JSON.stringify(sdkThreadModule)});
`;

export class WorkerWithoutVmWatchdog extends Worker {
  protected static override async createWorkflowCreator(
    workflowBundle: WorkflowBundleWithSourceMapAndFilename, compiledOptions: CompiledWorkerOptions, logger: Logger,
  ): Promise<WorkflowCreator> {
    // Debug mode runs workflows on the main thread (no thread to start differently): the SDK's way.
    if (compiledOptions.debugMode) return super.createWorkflowCreator(workflowBundle, compiledOptions, logger);
    const { patchActivationCallback } = compiledOptions;
    const clients = Array.from({ length: compiledOptions.workflowThreadPoolSize },
      () => new WorkerThreadClient(new Thread(THREAD_WITHOUT_VM_WATCHDOG, { eval: true }), logger, patchActivationCallback));
    // The SDK's own init message, as ThreadedVMWorkflowCreator.create sends it.
    await Promise.all(clients.map((client) => client.send({
      type: 'init',
      workflowBundle,
      isolateExecutionTimeoutMs: compiledOptions.isolateExecutionTimeoutMs,
      reuseV8Context: compiledOptions.reuseV8Context ?? true,
      registeredActivityNames: new Set(compiledOptions.activities.keys()),
      hasPatchActivationCallback: patchActivationCallback !== undefined,
    })));
    return new ThreadedVMWorkflowCreator(clients);
  }
}
