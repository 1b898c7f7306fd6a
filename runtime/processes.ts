import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { asc } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { activePolicy } from '../db/policies.js';
import { clients } from '../db/schema.js';
import { ctasAwaitingFirstAction, type CtaRow } from '../db/ctas.js';
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
export async function startOnboarding(t: TemporalTarget, input: OnboardingInput, segment: string) {
  return t.client.workflow.start(onboarding, {
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
export async function ensureCadence(t: TemporalTarget, input: CadenceInput, segment: string, conflict: 'use-existing' | 'fail' = 'use-existing') {
  return t.client.workflow.start(cadence, {
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
