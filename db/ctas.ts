import { createHash } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { enqueueWorkflowStart } from './outbox.js';
import { ctas, events, people, roleAssignments, type Actor } from './schema.js';
import type { EscalationLevel } from '../domain/cta-clocks.js';

export type CtaRow = typeof ctas.$inferSelect;
export type { EscalationLevel };

/** A stable UUID for an idempotency key, so a retried open lands on the same CTA. */
export function ctaIdFor(key: string): string {
  const h = createHash('sha256').update(`baton/cta/${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface OwnerResolution {
  ownerId: string | null;
  backupId: string | null;
  /** `assignment`: the role's assignee; `backup`: the assignee is inactive, so the named backup (R-122). */
  via: 'assignment' | 'backup' | 'csLead' | 'unassigned';
}

/** The two people of a role assignment, joined in one read. */
const assignee = alias(people, 'assignee');
const backup = alias(people, 'backup');

/** R-122: every CTA resolves to one named person — the role's assignee, else the named backup. */
export async function resolveOwner(db: Pick<Db, 'select'>, clientId: string | null, role: string): Promise<OwnerResolution> {
  // A portfolio CTA has no client, hence no role assignment: the CS Lead takes it (R-122).
  if (clientId === null) return { ownerId: null, backupId: null, via: 'unassigned' };
  // The assignment and whether its two people are active, in one statement (issue 17: every CTA opened asks).
  const [a] = await db.select({ personId: roleAssignments.personId, backupPersonId: roleAssignments.backupPersonId, personActive: assignee.active, backupActive: backup.active })
    .from(roleAssignments).leftJoin(assignee, eq(assignee.id, roleAssignments.personId)).leftJoin(backup, eq(backup.id, roleAssignments.backupPersonId))
    .where(and(eq(roleAssignments.clientId, clientId), eq(roleAssignments.role, role)));
  if (!a) return { ownerId: null, backupId: null, via: 'unassigned' };
  const backupActive = !!a.backupPersonId && a.backupActive === true;
  if (a.personActive === true) return { ownerId: a.personId, backupId: backupActive ? a.backupPersonId : null, via: 'assignment' };
  if (backupActive) return { ownerId: a.backupPersonId, backupId: null, via: 'backup' };
  return { ownerId: null, backupId: null, via: 'unassigned' };
}

/** The CS Lead for a client (none for a portfolio CTA): its assignment, else the first active person holding the role. */
export async function resolveCsLead(db: Pick<Db, 'select'>, clientId: string | null): Promise<string | null> {
  const assigned = await resolveOwner(db, clientId, 'CS Lead');
  if (assigned.ownerId) return assigned.ownerId;
  const [lead] = await db.select({ id: people.id }).from(people)
    .where(and(eq(people.active, true), sql`${people.roles} ? 'CS Lead'`)).orderBy(asc(people.name), asc(people.id)).limit(1);
  return lead?.id ?? null;
}

export interface OpenCtaInput {
  /** Idempotency key of the effect (e.g. `${workflowId}/kickoff-escalation`); the id derives from it. */
  key: string;
  /** Null for a portfolio CTA (no client): owned by `ownerPersonId`, else the CS Lead. */
  clientId: string | null;
  /** A named owner instead of the role's holder (e.g. the person whose next week is over the line, R-37). */
  ownerPersonId?: string;
  process: string;
  workflowId?: string | null;
  kind: string;
  title: string;
  ruleId: string;
  ownerRole: string;
  dueAt: string;
  firstActionHours: number;
  openedAt: string;
  why?: Record<string, unknown>;
  data?: Record<string, unknown>;
  actor: Actor;
  /**
   * A-28: what the SLA clock escalates on. `firstAction` (C-5, action CTAs): no first action within
   * `firstActionHours`. `due` (deliverables: prep pack, pre-read, recap): not done by `dueAt`.
   * `none`: an optional item, never escalated.
   */
  clock?: 'firstAction' | 'due' | 'none';
}

const clockOf = (cta: Pick<CtaRow, 'data'>) => (cta.data as Record<string, unknown> | null)?.clock;

/** A-28: a deliverable CTA is settled only when done; an action CTA once its owner records a first step. */
export const isDeliverable = (cta: Pick<CtaRow, 'data'>) => clockOf(cta) === 'due';

/**
 * Whether a CTA's first-action clock has nothing left to wait for (C-5, A-28): closed, an action CTA
 * with its first step recorded, or an optional item, which never has a clock. The one rule for the
 * outbox, the start-up reconcile (in SQL: ctasAwaitingFirstAction) and the clocks' own checks.
 */
export const clockSettled = (cta: Pick<CtaRow, 'data' | 'state' | 'firstActionAt'>) =>
  clockOf(cta) === 'none' || cta.state === 'done' || cta.state === 'cancelled' || (!isDeliverable(cta) && cta.firstActionAt !== null);

/** Opens a CTA once per key and records `cta.opened`; a retry returns the CTA first opened. */
export async function openCta(db: Db, input: OpenCtaInput): Promise<CtaRow> {
  const id = ctaIdFor(input.key);
  return db.transaction(async (tx) => {
    // R-122: one named person. With nobody in the role (or its backup), the CS Lead holds it until reassigned.
    let owner: OwnerResolution = input.ownerPersonId
      ? { ownerId: input.ownerPersonId, backupId: null, via: 'assignment' }
      : await resolveOwner(tx, input.clientId, input.ownerRole);
    if (!owner.ownerId) {
      const lead = await resolveCsLead(tx, input.clientId);
      if (lead) owner = { ownerId: lead, backupId: null, via: 'csLead' };
    }
    // The SLA instant the clock escalates at: first action (C-5) or, for a deliverable, its due (A-28).
    const firstActionDueAt = input.clock === 'due' ? new Date(input.dueAt).toISOString() : new Date(Date.parse(input.openedAt) + input.firstActionHours * 3_600_000).toISOString();
    const inserted = await tx.insert(ctas).values({
      id, clientId: input.clientId, process: input.process, workflowId: input.workflowId ?? null, kind: input.kind, title: input.title,
      ruleId: input.ruleId, ownerRole: input.ownerRole, ownerPersonId: owner.ownerId, backupPersonId: owner.backupId,
      dueAt: input.dueAt, firstActionDueAt, data: { ...(input.data ?? {}), ...(input.clock === 'due' || input.clock === 'none' ? { clock: input.clock } : {}) }, createdAt: input.openedAt, updatedAt: input.openedAt,
    }).onConflictDoNothing().returning();
    const row = inserted[0] ?? (await tx.select().from(ctas).where(eq(ctas.id, id)))[0]!;
    // The SLA clock's start commits with the CTA (outbox), so a crash before it starts loses nothing (C-5).
    if (inserted[0] && input.clock !== 'none') await enqueueWorkflowStart(tx, 'cta-clock', id);
    await appendEvent(tx, {
      id: `cta/${id}/opened`, occurredAt: input.openedAt, clientId: input.clientId, process: input.process, workflowId: input.workflowId ?? null,
      type: 'cta.opened', ruleId: input.ruleId, actor: input.actor,
      why: { ...input.why, ownerResolvedVia: owner.via, ...(input.clock === 'due' ? { escalatesAt: 'due', rule: 'A-28' } : { firstActionHours: input.firstActionHours }) },
      data: { ctaId: id, kind: input.kind, ownerRole: input.ownerRole, ownerId: row.ownerPersonId, backupId: row.backupPersonId, dueAt: row.dueAt, firstActionDueAt: row.firstActionDueAt },
    });
    return row;
  });
}

/** Of these CTAs, the ones whose first-action clock can stop (`clockSettled`, or gone): one query for all the clocks a keeper checks at once. */
export async function settledCtaIds(db: Pick<Db, 'select'>, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.select({ id: ctas.id, state: ctas.state, firstActionAt: ctas.firstActionAt, data: ctas.data }).from(ctas).where(inArray(ctas.id, [...ids]));
  const found = new Map(rows.map((r) => [r.id, r]));
  return ids.filter((id) => {
    const cta = found.get(id);
    return !cta || clockSettled(cta);
  });
}

export async function getCta(db: Pick<Db, 'select'>, id: string): Promise<CtaRow | undefined> {
  return (await db.select().from(ctas).where(eq(ctas.id, id)))[0];
}

export type Transition<T> = { outcome: 'applied'; row: T } | { outcome: 'not-found' } | { outcome: 'conflict'; row: CtaRow; reason: string };

const OPEN_STATES = ['open', 'escalated'] as const;

/** C-5: the owner records a concrete step. Only the first one counts. */
/** `a.actedAt`: when the step was taken, if before it was recorded (a vendor note read back later); the record's time otherwise. */
export async function recordFirstAction(db: Db, id: string, a: { note: string; personId?: string; actedAt?: string }, { actor, at }: WriteContext, eventId?: string): Promise<Transition<CtaRow>> {
  const actedAt = a.actedAt ?? at;
  return db.transaction(async (tx) => {
    const [row] = await tx.update(ctas).set({ state: 'first_action', firstActionAt: actedAt, updatedAt: at })
      .where(and(eq(ctas.id, id), inArray(ctas.state, [...OPEN_STATES]), isNull(ctas.firstActionAt))).returning();
    if (!row) return refusal(tx, id, (c) => (c.state === 'done' || c.state === 'cancelled' ? `the CTA is already ${c.state}` : `a first action was already recorded at ${c.firstActionAt}`), eventId);
    await appendEvent(tx, {
      id: eventId, occurredAt: at, clientId: row.clientId, process: row.process, workflowId: row.workflowId, type: 'cta.first_action', ruleId: 'C-5', actor,
      why: { firstActionDueAt: row.firstActionDueAt, withinSla: Date.parse(actedAt) <= Date.parse(row.firstActionDueAt), ...(a.actedAt ? { actedAt: a.actedAt } : {}) },
      data: { ctaId: id, note: a.note, ...(a.personId ? { byPersonId: a.personId } : {}) },
    });
    return { outcome: 'applied', row };
  });
}

export async function completeCta(db: Db, id: string, note: string | undefined, { actor, at }: WriteContext, eventId?: string): Promise<Transition<CtaRow>> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(ctas)
      .set({ state: 'done', completedAt: at, firstActionAt: sql`coalesce(${ctas.firstActionAt}, ${at}::timestamptz)`, updatedAt: at })
      .where(and(eq(ctas.id, id), inArray(ctas.state, ['open', 'escalated', 'first_action']))).returning();
    if (!row) return refusal(tx, id, (c) => `the CTA is already ${c.state}`, eventId);
    await appendEvent(tx, {
      id: eventId, occurredAt: at, clientId: row.clientId, process: row.process, workflowId: row.workflowId, type: 'cta.completed', ruleId: row.ruleId, actor,
      why: { dueAt: row.dueAt, onTime: Date.parse(at) <= Date.parse(row.dueAt) }, data: { ctaId: id, ...(note ? { note } : {}) },
    });
    return { outcome: 'applied', row };
  });
}

export async function reassignCta(db: Db, id: string, r: { personId: string; reason: string }, { actor, at }: WriteContext, eventId?: string): Promise<Transition<CtaRow>> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(ctas).where(eq(ctas.id, id)).for('update');
    if (!before) return { outcome: 'not-found' };
    if (eventId && (await eventExists(tx, eventId))) return { outcome: 'applied', row: before };
    if (before.state === 'done' || before.state === 'cancelled') return { outcome: 'conflict', row: before, reason: `the CTA is already ${before.state}` };
    if (before.ownerPersonId === r.personId) return { outcome: 'conflict', row: before, reason: 'that person already owns the CTA' };
    const [row] = await tx.update(ctas).set({ ownerPersonId: r.personId, updatedAt: at }).where(eq(ctas.id, id)).returning();
    await appendEvent(tx, {
      id: eventId, occurredAt: at, clientId: row!.clientId, process: row!.process, workflowId: row!.workflowId, type: 'cta.reassigned', ruleId: 'R-122', actor,
      why: { reason: r.reason }, data: { ctaId: id, fromId: before.ownerPersonId, toId: r.personId, reason: r.reason },
    });
    return { outcome: 'applied', row: row! };
  });
}

/** How far up the escalation chain a level is (R-122). */
const LEVEL_RANK = { none: 0, backup: 1, csLead: 2 } as const satisfies Record<'none' | EscalationLevel, number>;

/**
 * An SLA breach moves the CTA one level up (R-122): to the named backup, then to the CS Lead.
 * Conditional on still having no first action, so a first action that raced the timer wins.
 */
export async function escalateCta(db: Db, id: string, level: EscalationLevel, at: string, windowEndedAt: string): Promise<Transition<CtaRow>> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(ctas).where(eq(ctas.id, id)).for('update');
    if (!before) return { outcome: 'not-found' };
    const deliverable = isDeliverable(before);
    if (deliverable ? before.state === 'done' || before.state === 'cancelled' : before.firstActionAt || !OPEN_STATES.includes(before.state as never)) {
      return { outcome: 'conflict', row: before, reason: deliverable ? 'delivered or closed' : 'first action recorded or closed' };
    }
    // Up the chain only (R-122): a clock that asks for a level already reached or passed (a repeat, or a
    // clock opened again by the start-up reconcile for a CTA already with the CS Lead) changes nothing.
    if (LEVEL_RANK[before.escalationLevel as keyof typeof LEVEL_RANK] >= LEVEL_RANK[level]) return { outcome: 'applied', row: before };
    const toId = level === 'backup' ? before.backupPersonId ?? (await resolveOwner(tx, before.clientId, before.ownerRole)).backupId : await resolveCsLead(tx, before.clientId);
    const [row] = await tx.update(ctas).set({ state: 'escalated', escalationLevel: level, ownerPersonId: toId ?? before.ownerPersonId, updatedAt: at }).where(eq(ctas.id, id)).returning();
    await appendEvent(tx, {
      id: `cta/${id}/escalated/${level}`, occurredAt: at, clientId: row!.clientId, process: row!.process, workflowId: row!.workflowId,
      type: 'cta.escalated', ruleId: 'R-122', actor: { kind: 'system' },
      why: deliverable ? { notDoneBy: windowEndedAt, ownerRole: before.ownerRole, rule: 'A-28' } : { noFirstActionBy: windowEndedAt, ownerRole: before.ownerRole },
      data: { ctaId: id, level, fromId: before.ownerPersonId, toId, reason: `${deliverable ? 'not done' : 'no first action'} by ${windowEndedAt}${toId ? '' : `; no ${level === 'backup' ? 'backup' : 'CS Lead'} to escalate to`}` },
    });
    return { outcome: 'applied', row: row! };
  });
}

/**
 * Why a transition did not apply. When the request's own event (`eventId`, from its
 * Idempotency-Key) is already there, an earlier attempt of this very request applied it and died
 * before answering: that is the answer.
 */
async function refusal(tx: Pick<Db, 'select'>, id: string, reason: (c: CtaRow) => string, eventId?: string): Promise<Transition<CtaRow>> {
  const current = await getCta(tx, id);
  if (current && eventId && (await eventExists(tx, eventId))) return { outcome: 'applied', row: current };
  return current ? { outcome: 'conflict', row: current, reason: reason(current) } : { outcome: 'not-found' };
}

async function eventExists(tx: Pick<Db, 'select'>, eventId: string): Promise<boolean> {
  return (await tx.select({ id: events.id }).from(events).where(eq(events.id, eventId))).length > 0;
}

export interface CtaFilter {
  ownerId?: string; clientId?: string; state?: string[]; kind?: string[]; portfolio?: boolean; overdue?: boolean; now: string; after?: string; limit: number;
  /** `id` (default), or `dueAt`: soonest due first (then id); the cursor is then `<dueAt>|<id>`. */
  sort?: 'id' | 'dueAt';
}

/** The cursor of a CTA in a list sorted by due date. */
export const dueCursor = (row: Pick<CtaRow, 'dueAt' | 'id'>) => `${row.dueAt}|${row.id}`;

export async function listCtas(db: Db, f: CtaFilter) {
  const where: SQL[] = [];
  if (f.ownerId) where.push(eq(ctas.ownerPersonId, f.ownerId));
  if (f.clientId) where.push(eq(ctas.clientId, f.clientId));
  if (f.state?.length) where.push(inArray(ctas.state, f.state));
  if (f.kind?.length) where.push(inArray(ctas.kind, f.kind));
  if (f.portfolio !== undefined) where.push(f.portfolio ? isNull(ctas.clientId) : sql`${ctas.clientId} is not null`);
  if (f.overdue) {
    // Overdue: past its due date and not done, or past its first-action SLA with no first action.
    where.push(inArray(ctas.state, ['open', 'escalated', 'first_action']));
    where.push(or(lt(ctas.dueAt, f.now), and(isNull(ctas.firstActionAt), lt(ctas.firstActionDueAt, f.now)))!);
  }
  const byDue = f.sort === 'dueAt';
  if (f.after && byDue) {
    const [dueAt, id] = f.after.split('|');
    const at = Date.parse(dueAt ?? '');
    if (Number.isFinite(at) && id) where.push(or(gt(ctas.dueAt, new Date(at).toISOString()), and(eq(ctas.dueAt, new Date(at).toISOString()), gt(ctas.id, id)))!);
  } else if (f.after) where.push(gt(ctas.id, f.after));
  const rows = await db.select().from(ctas).where(where.length ? and(...where) : undefined).orderBy(...(byDue ? [asc(ctas.dueAt), asc(ctas.id)] : [asc(ctas.id)])).limit(f.limit + 1);
  const last = rows[f.limit - 1];
  return { items: rows.slice(0, f.limit), next: rows.length > f.limit && last ? (byDue ? dueCursor(last) : last.id) : undefined };
}

/** CTAs whose SLA clock may still have work: no first action (or a deliverable not yet done, A-28). */
export async function ctasAwaitingFirstAction(db: Db) {
  return db.select().from(ctas).where(or(
    and(inArray(ctas.state, [...OPEN_STATES]), isNull(ctas.firstActionAt), sql`coalesce(${ctas.data}->>'clock', '') <> 'none'`),
    and(inArray(ctas.state, [...OPEN_STATES, 'first_action']), sql`${ctas.data}->>'clock' = 'due'`),
  )).orderBy(asc(ctas.createdAt));
}
