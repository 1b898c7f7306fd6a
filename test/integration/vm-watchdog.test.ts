import { Connection, Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { WorkerWithoutVmWatchdog } from '../../runtime/workflow-threads.js';
import { quietBundler } from '../../worker.js';
import { computeWithoutYielding } from '../support/workflows/busy.js';

/**
 * runtime/workflow-threads.ts: a worker without Node's per-entry VM watchdog runs the SDK's own
 * workflow threads, and only the isolate timeout's enforcement is gone. Shown with an activation that
 * computes far longer than a 300 ms isolate timeout: the SDK's worker fails that workflow task ("Script
 * execution timed out"); the worker without the watchdog completes the workflow with the same result.
 */
// About 1.5–4 s of computing on these machines: far past the 300 ms isolate timeout, while a worker's own
// setup (this small bundle's evaluation) stays well inside it.
const ITERATIONS = 600_000_000;
const ISOLATE_TIMEOUT_MS = 300;
let expected: number;

describe('workflow threads without the VM watchdog (issue 17)', () => {
  let connection: Connection;
  let native: NativeConnection;
  let client: Client;
  let workflowBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
  beforeAll(async () => {
    // The workflow's own function, run outside the sandbox, gives the result to expect.
    expected = await computeWithoutYielding(ITERATIONS);
    connection = await Connection.connect({ address: inject('temporalAddress') });
    native = await NativeConnection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    workflowBundle = await bundleWorkflowCode({ workflowsPath: new URL('../support/workflows/busy.ts', import.meta.url).pathname, logger: quietBundler as never });
  }, 120_000);
  afterAll(async () => {
    await native?.close();
    await connection?.close();
  });

  const run = async (WorkerClass: typeof Worker, wait: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>) => {
    const taskQueue = `vm-watchdog-${randomUUID()}`;
    // isolateExecutionTimeout is read by the SDK but left out of its option types (as worker.ts WorkerTuning passes it).
    const worker = await WorkerClass.create({ connection: native, taskQueue, workflowBundle, maxCachedWorkflows: 10, ...({ isolateExecutionTimeout: ISOLATE_TIMEOUT_MS } as object) });
    return worker.runUntil(async () => {
      const handle = await client.workflow.start('computeWithoutYielding', { taskQueue, workflowId: `busy-${randomUUID()}`, args: [ITERATIONS], workflowTaskTimeout: '60s' });
      try {
        return await wait(handle);
      } finally {
        await handle.terminate().catch(() => {});
      }
    });
  };

  it('completes an activation that outlasts the isolate timeout, with the result the code computes', async () => {
    expect(await run(WorkerWithoutVmWatchdog, (h) => h.result())).toBe(expected);
  }, 120_000);

  it('whereas the SDK\'s own worker fails that workflow task on the timeout (the control)', async () => {
    // On a starved host the guard can already cut off the worker's own setup (the bundle's evaluation, same
    // limit): that is the same watchdog at work, so it counts too.
    const failure = await run(Worker, async (h) => {
      for (const until = Date.now() + 60_000; Date.now() < until;) {
        const failed = (await h.fetchHistory()).events?.find((e) => e.workflowTaskFailedEventAttributes);
        if (failed) return failed.workflowTaskFailedEventAttributes!.failure?.message;
        await new Promise((r) => setTimeout(r, 200));
      }
      return undefined;
    }).catch((err: Error) => err.message);
    expect(failure).toMatch(/Script execution timed out after \d+ms/);
  }, 120_000);
});
