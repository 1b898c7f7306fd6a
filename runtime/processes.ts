import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { activePolicy } from '../db/policies.js';
import { clients } from '../db/schema.js';
import { ctasAwaitingFirstAction, getCta, type CtaRow } from '../db/ctas.js';
import { markWorkflowStarted, markWorkflowStartFailed, pendingWorkflowStarts, type WorkflowStartKind } from '../db/outbox.js';
import { safeErrorMessage } from '../db/errors.js';
import type { Logger } from './logger.js';
import { ctaChanged, ctaClockWorkflowId, ctaSla } from '../workflows/cta-sla.js';
import { placementReview, placementReviewWorkflowId } from '../workflows/placement-review.js';
import { onboarding, onboardingWorkflowId, type OnboardingInput } from '../workflows/onboarding.js';
import { cadence, cadenceWorkflowId, type CadenceInput } from '../workflows/cadence.js';
import { ClientIdKey, ProcessKey, SegmentKey } from './search-attributes.js';

export interface TemporalTarget {
  client: Client;
  taskQueue: string;
}

/** Starts a client's placement review unless it already runs: the id is deterministic. */
export async function ensurePlacementReview(t: TemporalTarget, c: { id: string; segment: string; createdAt: string }, policyVersion: number) {
  await t.client.workflow.start(placementReview, {
    workflowId: placementReviewWorkflowId(c.id),
    taskQueue: t.taskQueue,
    args: [{ clientId: c.id, policyVersion, anchor: new Date(c.createdAt).toISOString() }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ClientIdKey, value: c.id },
      { key: SegmentKey, value: c.segment },
      { key: ProcessKey, value: 'placement-review' },
    ]),
  });
}

/**
 * Reconciles after downtime: every client has its placement review running. Registration starts
 * it too, but a client saved while Temporal was unreachable is picked up here.
 */
export async function ensureAllPlacementReviews(t: TemporalTarget, db: Db): Promise<number> {
  const version = (await activePolicy(db)).version;
  const rows = await db.select({ id: clients.id, segment: clients.segment, createdAt: clients.createdAt }).from(clients).orderBy(asc(clients.id));
  for (const row of rows) await ensurePlacementReview(t, row, version);
  return rows.length;
}

/** Starts the SLA clock of a CTA (C-5, R-122) unless it already runs. */
export async function ensureCtaClock(t: TemporalTarget, cta: Pick<CtaRow, 'id' | 'clientId' | 'firstActionDueAt'>, db: Db) {
  const policy = await activePolicy(db);
  await t.client.workflow.start(ctaSla, {
    workflowId: ctaClockWorkflowId(cta.id),
    taskQueue: t.taskQueue,
    args: [{
      ctaId: cta.id, clientId: cta.clientId, firstActionDueAt: new Date(cta.firstActionDueAt).toISOString(),
      escalationChain: [...policy.document.ctas.escalationChain], escalationWindowHours: policy.document.ctas.escalationWindowHours, policyVersion: policy.version,
    }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: new TypedSearchAttributes([{ key: ClientIdKey, value: cta.clientId }, { key: ProcessKey, value: 'cta' }]),
  });
}

/** Tells a CTA's clock that the CTA changed; the clock re-reads it. Best effort: the clock re-checks at its deadline anyway. */
export async function notifyCtaClock(t: TemporalTarget, ctaId: string): Promise<void> {
  try {
    await t.client.workflow.getHandle(ctaClockWorkflowId(ctaId)).signal(ctaChanged);
  } catch {
    /* the clock already ended or was never started; nothing to tell */
  }
}

/** After downtime: every CTA still waiting for a first action has its clock. */
export async function ensureAllCtaClocks(t: TemporalTarget, db: Db): Promise<number> {
  const waiting = await ctasAwaitingFirstAction(db);
  for (const cta of waiting) await ensureCtaClock(t, cta, db);
  return waiting.length;
}

/**
 * Starts a client's onboarding (R-46..R-57). One per client, ever: a second start fails with
 * WorkflowExecutionAlreadyStartedError even after the first finished.
 */
export async function startOnboarding(t: TemporalTarget, input: OnboardingInput, segment: string, startedBy?: string) {
  return t.client.workflow.start(onboarding, {
    ...(startedBy ? { memo: { startedBy } } : {}),
    workflowId: onboardingWorkflowId(input.clientId),
    taskQueue: t.taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ClientIdKey, value: input.clientId },
      { key: SegmentKey, value: segment },
      { key: ProcessKey, value: 'onboarding' },
    ]),
  });
}

/**
 * Starts a client's engagement cadence unless it already runs: at onboarding's cadence lock
 * or through the API for an existing client. The id is deterministic, so a retry is harmless.
 */
export async function ensureCadence(t: TemporalTarget, input: CadenceInput, segment: string, conflict: 'use-existing' | 'fail' = 'use-existing', startedBy?: string) {
  return t.client.workflow.start(cadence, {
    ...(startedBy ? { memo: { startedBy } } : {}),
    workflowId: cadenceWorkflowId(input.clientId),
    taskQueue: t.taskQueue,
    args: [input],
    workflowIdConflictPolicy: conflict === 'fail' ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ClientIdKey, value: input.clientId },
      { key: SegmentKey, value: segment },
      { key: ProcessKey, value: 'cadence' },
    ]),
  });
}

/**
 * Starts the workflow an outbox row asks for (db/outbox.ts) unless it runs already, then marks the
 * row dispatched. A subject that no longer needs it (a CTA settled meanwhile, a client gone) is
 * marked dispatched without a start.
 */
export async function dispatchWorkflowStart(t: TemporalTarget, db: Db, kind: WorkflowStartKind, subjectId: string): Promise<void> {
  if (kind === 'placement-review') {
    const [client] = await db.select({ id: clients.id, segment: clients.segment, createdAt: clients.createdAt }).from(clients).where(eq(clients.id, subjectId));
    if (client) await ensurePlacementReview(t, client, (await activePolicy(db)).version);
  } else {
    const cta = await getCta(db, subjectId);
    if (cta && !cta.firstActionAt && (cta.state === 'open' || cta.state === 'escalated')) await ensureCtaClock(t, cta, db);
  }
  await markWorkflowStarted(db, kind, subjectId);
}

/** One pass over the pending outbox; returns how many it started. A failure is noted on its row and retried next pass. */
export async function dispatchPendingWorkflowStarts(t: TemporalTarget, db: Db, logger?: Logger): Promise<number> {
  let started = 0;
  for (;;) {
    const batch = await pendingWorkflowStarts(db, 100);
    let progressed = 0;
    for (const row of batch) {
      try {
        await dispatchWorkflowStart(t, db, row.kind, row.subjectId);
        started++;
        progressed++;
      } catch (err) {
        await markWorkflowStartFailed(db, row.kind, row.subjectId, safeErrorMessage(err));
        logger?.warn({ err, kind: row.kind, subjectId: row.subjectId }, 'workflow start failed; retried on the next pass');
      }
    }
    if (batch.length < 100 || progressed === 0) return started;
  }
}

/**
 * The continuously running reconciler of the worker: every `intervalMs` it starts whatever the
 * outbox still holds (an API that died between its commit and the start, Temporal unreachable for
 * a while). Returns its stop function.
 */
export function startWorkflowStartDispatcher(t: TemporalTarget, db: Db, logger: Logger, intervalMs = 5_000): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = dispatchPendingWorkflowStarts(t, db, logger)
      .then((n) => n > 0 && logger.info({ started: n }, 'outbox: started pending workflows'))
      .catch((err) => logger.warn({ err }, 'outbox pass failed'));
  };
  tick();
  const timer = setInterval(() => {
    if (!stopped) tick();
  }, intervalMs).unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/**
 * After a start failed as "already started": whether this very request (its `startedBy`, from the
 * Idempotency-Key, kept in the workflow's memo) started it in an earlier attempt that died before
 * answering. Then that run is the answer, not a conflict.
 */
export async function startedByRequest(t: TemporalTarget, workflowId: string, startedBy: string | undefined) {
  if (!startedBy) return undefined;
  const described = await t.client.workflow.getHandle(workflowId).describe();
  return described.memo?.startedBy === startedBy ? described : undefined;
}
