import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { checkEventData } from '../domain/events.js';
import type { Db } from './client.js';
import { fanOutEvents } from './deliveries.js';
import { events, type Actor } from './schema.js';

export type LedgerEvent = typeof events.$inferSelect;
export interface NewLedgerEvent {
  /** Deterministic for workflow effects (so retries land once); random for API actions. */
  id?: string;
  occurredAt: string;
  clientId: string | null;
  process: string;
  workflowId?: string | null;
  type: string;
  ruleId?: string | null;
  why?: Record<string, unknown>;
  actor: Actor;
  data?: Record<string, unknown>;
}

type Executor = Pick<Db, 'insert' | 'select'>;

export class LedgerEventError extends Error {
  override name = 'LedgerEventError';
}

/**
 * Appends one event; a second append with the same id is a no-op. Returns whether it was new.
 * Every event must match its entry in the catalogue (domain/events.ts, docs/events.md).
 */
export async function appendEvent(db: Executor, event: NewLedgerEvent): Promise<boolean> {
  return (await appendEvents(db, [event]))[0]!;
}

/**
 * Appends events in order, in one statement, and fans out those that are new in one more (issue 17:
 * a process's batch of ten events was twenty round trips). Returns, for each, whether it was new.
 */
export async function appendEvents(db: Executor, batch: NewLedgerEvent[]): Promise<boolean[]> {
  if (batch.length === 0) return [];
  for (const event of batch) {
    const checked = checkEventData(event.type, event.data);
    if (!checked.ok) throw new LedgerEventError(checked.message);
  }
  // The events and the deliveries they cause (issue 15 outbox) commit together: inside the caller's
  // transaction when there is one, else in one of their own.
  if (!(db instanceof PgTransaction) && 'transaction' in db) return (db as Db).transaction((tx) => insertAndFanOut(tx as unknown as Executor, batch));
  return insertAndFanOut(db, batch);
}

async function insertAndFanOut(db: Executor, batch: NewLedgerEvent[]): Promise<boolean[]> {
  const rows = batch.map((event) => ({
    id: event.id ?? randomUUID(),
    occurredAt: event.occurredAt,
    clientId: event.clientId,
    process: event.process,
    workflowId: event.workflowId ?? null,
    type: event.type,
    ruleId: event.ruleId ?? null,
    why: event.why ?? {},
    actor: event.actor,
    data: event.data ?? {},
  }));
  // A multi-row insert takes its sequence numbers in the order of its rows, so the timeline keeps the batch's order.
  const inserted = new Set((await db.insert(events).values(rows).onConflictDoNothing({ target: events.id }).returning({ id: events.id })).map((r) => r.id));
  const added = rows.filter((r) => inserted.has(r.id));
  await fanOutEvents(db, added);
  return rows.map((r) => inserted.has(r.id));
}

export interface TimelineFilter {
  types?: string[];
  process?: string;
  from?: string;
  to?: string;
  /** Only events with this rule id (R-n, C-n, A-n). */
  ruleId?: string;
  /** Only events by this actor: `system`, `api-key` or `user` (its kind), or an actor's name or id. */
  actor?: string;
  /** Only events after this sequence number (the cursor of the previous page, oldest first). */
  afterSeq?: number;
  /** Only events before this sequence number (the cursor of the previous page, newest first). */
  beforeSeq?: number;
  /** `asc` (default): oldest first; `desc`: newest first. */
  order?: 'asc' | 'desc';
  limit?: number;
}

export async function clientTimeline(db: Executor, clientId: string, f: TimelineFilter = {}): Promise<LedgerEvent[]> {
  const where: SQL[] = [eq(events.clientId, clientId)];
  if (f.types?.length) where.push(inArray(events.type, f.types));
  if (f.process) where.push(eq(events.process, f.process));
  if (f.from) where.push(gte(events.occurredAt, f.from));
  if (f.to) where.push(lte(events.occurredAt, f.to));
  if (f.ruleId) where.push(eq(events.ruleId, f.ruleId));
  if (f.actor) where.push(or(sql`${events.actor}->>'kind' = ${f.actor}`, sql`${events.actor}->>'name' = ${f.actor}`, sql`${events.actor}->>'id' = ${f.actor}`)!);
  if (f.afterSeq !== undefined) where.push(gt(events.seq, f.afterSeq));
  if (f.beforeSeq !== undefined) where.push(lt(events.seq, f.beforeSeq));
  return db.select().from(events).where(and(...where)).orderBy(f.order === 'desc' ? desc(events.seq) : asc(events.seq)).limit(f.limit ?? 1000);
}

export const systemActor: Actor = { kind: 'system' };

/** Who changes something and when: every registry write takes both, so the ledger and rows agree. */
export interface WriteContext {
  actor: Actor & { name?: string };
  /** ISO instant of the change: wall time in production, the simulated clock in tests and rehearsals. */
  at: string;
}
