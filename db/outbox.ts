import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { workflowStarts } from './schema.js';

/** `capacity-gap` is not a workflow: it asks for the R-6 evaluation after a change of clients, people or policy (db/portfolio.ts). */
export type WorkflowStartKind = 'placement-review' | 'cta-clock' | 'initiative' | 'proposal' | 'planning-loop' | 'health' | 'risk' | 'capacity-gap' | 'delivery' | 'upsell' | 'connector-poller' | 'msgraph-subscriptions';
type Executor = Pick<Db, 'insert'>;

/** Records that `subjectId` needs its workflow; call inside the transaction that creates the subject. */
export async function enqueueWorkflowStart(tx: Executor, kind: WorkflowStartKind, subjectId: string): Promise<void> {
  await tx.insert(workflowStarts).values({ kind, subjectId }).onConflictDoNothing();
}

/**
 * Records that `subjectId`'s running workflow must hear of a change (issue 11: the client's
 * planning loop re-reads its records), even when an earlier notice was already dispatched: the
 * row goes back to pending, so a crash between the commit and the notice loses nothing.
 */
export async function enqueueWorkflowNotice(tx: Executor, kind: WorkflowStartKind, subjectId: string): Promise<void> {
  await tx.insert(workflowStarts).values({ kind, subjectId }).onConflictDoUpdate({ target: [workflowStarts.kind, workflowStarts.subjectId], set: { dispatchedAt: null, createdAt: sql`now()` } });
}

export async function markWorkflowStarted(db: Db, kind: WorkflowStartKind, subjectId: string): Promise<void> {
  await db.update(workflowStarts).set({ dispatchedAt: sql`now()` }).where(and(eq(workflowStarts.kind, kind), eq(workflowStarts.subjectId, subjectId), isNull(workflowStarts.dispatchedAt)));
}

/** markWorkflowStarted for several subjects of one kind, in one statement. */
export async function markWorkflowsStarted(db: Db, kind: WorkflowStartKind, subjectIds: readonly string[]): Promise<void> {
  if (subjectIds.length === 0) return;
  await db.update(workflowStarts).set({ dispatchedAt: sql`now()` }).where(and(eq(workflowStarts.kind, kind), inArray(workflowStarts.subjectId, [...subjectIds]), isNull(workflowStarts.dispatchedAt)));
}

export async function markWorkflowStartFailed(db: Db, kind: WorkflowStartKind, subjectId: string, error: string): Promise<void> {
  await db.update(workflowStarts).set({ attempts: sql`${workflowStarts.attempts} + 1`, lastError: error.slice(0, 2000) })
    .where(and(eq(workflowStarts.kind, kind), eq(workflowStarts.subjectId, subjectId)));
}

/** The oldest starts not yet dispatched. */
export async function pendingWorkflowStarts(db: Db, limit = 100) {
  return db.select({ kind: workflowStarts.kind, subjectId: workflowStarts.subjectId, attempts: workflowStarts.attempts })
    .from(workflowStarts).where(isNull(workflowStarts.dispatchedAt)).orderBy(asc(workflowStarts.createdAt)).limit(limit) as Promise<{ kind: WorkflowStartKind; subjectId: string; attempts: number }[]>;
}
