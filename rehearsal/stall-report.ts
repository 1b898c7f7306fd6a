/**
 * What a stalled rehearsal is waiting on (issue 19): every workflow it started is described, with a
 * deadline each, and those with activities in flight are named with them; the worker says what it has
 * in flight (the test server's describe never reports workflow tasks, so only the worker knows). A
 * describe that does not answer is itself a finding: the test server holds that workflow's lock.
 */
import type { Client, Connection } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import proto from '@temporalio/proto';
import { describeError, NOTHING_RUNS, type WorkerLoad } from './simulated-clock.js';

const { temporal } = proto;

export interface WatchedWorkflow {
  workflowId: string;
  /** Who it belongs to, for the reader: `client acme`, `CTA 1f2e… of client acme`. */
  label: string;
}

const SHOWN = 10;
const CONCURRENCY = 8;

/**
 * Describes `workflows` (all of them: the report decides whether the clock may send a failed sleep again,
 * which is only safe when nothing runs) within `budgetMs` overall; any left over make the report inconclusive.
 */
export async function describeStall(client: Client, connection: Connection, workflows: WatchedWorkflow[], deadlineMs: number, workerLoad?: WorkerLoad, budgetMs = 60_000): Promise<string> {
  const busy: string[] = [];
  const silent: string[] = [];
  let described = 0;
  const queue = [...workflows];
  const until = Date.now() + budgetMs;
  const describeOne = async (w: WatchedWorkflow) => {
    let raw: proto.temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
    try {
      raw = (await connection.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(w.workflowId).describe())).raw;
    } catch (err) {
      const e = err as { code?: number; name?: string };
      if (e?.name === 'WorkflowNotFoundError' || e?.code === 5) return; // never started
      silent.push(`${w.workflowId} (${w.label}): ${describeError(err)}`);
      return;
    }
    described += 1;
    if (raw.workflowExecutionInfo?.status !== temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) return;
    const parts: string[] = [];
    const task = raw.pendingWorkflowTask;
    if (task?.state) parts.push(`workflow task ${enumName(temporal.api.enums.v1.PendingWorkflowTaskState, task.state, 'PENDING_WORKFLOW_TASK_STATE_')}, attempt ${task.attempt ?? 1}`);
    for (const a of raw.pendingActivities ?? []) {
      const state = enumName(temporal.api.enums.v1.PendingActivityState, a.state, 'PENDING_ACTIVITY_STATE_');
      const message = await lastFailureMessage(client, a.lastFailure);
      const failure = message ? `, last failure "${message.slice(0, 200)}"` : '';
      parts.push(`activity ${a.activityType?.name ?? '?'} ${state}, attempt ${a.attempt ?? 1}${failure}`);
    }
    if (parts.length) busy.push(`${w.workflowId} (${w.label}): ${parts.join('; ')}`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (queue.length && Date.now() < until) await describeOne(queue.shift()!);
  }));
  if (queue.length) silent.push(`${queue.length} more workflows were not described within ${Math.round(budgetMs / 1000)} s`);

  const lines: string[] = [];
  const idle = workerLoad && workerLoad.workflowActivations === 0 && workerLoad.activities === 0;
  if (!busy.length && !silent.length) {
    lines.push(`${NOTHING_RUNS} (${described} described)${idle ? ' and the worker has nothing in flight: time skipping is held by something outside the workflows, such as a test-server call that never finished or a time lock nobody gave back' : ''}.`);
  }
  if (workerLoad && !idle) lines.push(`The worker has ${workerLoad.workflowActivations} workflow activation(s) and ${workerLoad.activities} activity(ies) in flight.`);
  if (busy.length) {
    lines.push(`Workflows with work in flight (${busy.length} of ${described} described):`);
    lines.push(...busy.slice(0, SHOWN).map((l) => `  - ${l}`));
    if (busy.length > SHOWN) lines.push(`  … and ${busy.length - SHOWN} more`);
  }
  if (silent.length) {
    lines.push(`Workflows the test server did not describe within ${Math.round(deadlineMs / 1000)} s (it may hold their lock):`);
    lines.push(...silent.slice(0, SHOWN).map((l) => `  - ${l}`));
    if (silent.length > SHOWN) lines.push(`  … and ${silent.length - SHOWN} more`);
  }
  return lines.join('\n');
}

/** A failure's message, decoded: Baton's failure converter encodes messages into the payload codec (issue 18). */
async function lastFailureMessage(client: Client, failure: proto.temporal.api.failure.v1.IFailure | null | undefined): Promise<string | undefined> {
  if (!failure) return undefined;
  try {
    return (await decodeOptionalFailureToOptionalError(client.options.loadedDataConverter, failure))?.message ?? failure.message ?? undefined;
  } catch {
    return failure.message ?? undefined;
  }
}

function enumName(e: Record<string, string | number>, value: unknown, prefix: string): string {
  const name = typeof value === 'number' ? e[value] : String(value);
  return typeof name === 'string' ? name.replace(prefix, '') : String(value);
}
