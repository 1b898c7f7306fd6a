/**
 * The delivery outbox (issue 15) and webhook subscriptions. `fanOutEvent` runs inside the
 * transaction that appends a ledger event (db/ledger.ts), so every delivery the event causes is
 * committed with it, or not at all; its workflow start sits in the workflow-start outbox
 * (db/outbox.ts) of the same transaction and the dispatcher starts it after commit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { enqueueWorkflowStart } from './outbox.js';
import { unionAll } from 'drizzle-orm/pg-core';
import { clients, connectorBreakers, connectors, ctas, deliveries, people, webhookSubscriptions } from './schema.js';
import { mailEnabled } from '../runtime/mailer.js';
import { categoryOf, type CtaEmail } from '../domain/email.js';
import { seal } from '../runtime/secret-box.js';
import type { BreakerState } from '../domain/delivery.js';
import { connectorActsOn, queuePsaDeliveries, type ClientConnector } from './connectors.js';
import { queueCalendarDeliveries } from './msgraph.js';
import type { Actor } from './schema.js';

export type DeliveryRow = typeof deliveries.$inferSelect;
export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
type Executor = Pick<Db, 'insert' | 'select'>;

/** The event type of a test delivery (POST /v1/webhook-subscriptions/{id}/test); not a ledger event. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** A stable UUID for a key, so the same (subscription, event) is one delivery however often it is fanned out. */
export function deliveryIdFor(key: string): string {
  const h = createHash('sha256').update(`baton/delivery/${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface FannedEvent {
  id: string;
  type: string;
  occurredAt: string;
  clientId: string | null;
  process: string;
  workflowId: string | null;
  ruleId: string | null;
  why: Record<string, unknown>;
  data: Record<string, unknown>;
  actor?: Actor;
}

/** The Standard Webhooks body: `type`, `timestamp` and the ledger event as `data`. */
export function webhookPayload(e: FannedEvent): Record<string, unknown> {
  return {
    type: e.type, timestamp: new Date(e.occurredAt).toISOString(),
    data: { eventId: e.id, clientId: e.clientId, process: e.process, workflowId: e.workflowId, ruleId: e.ruleId, occurredAt: e.occurredAt, why: e.why, data: e.data },
  };
}

/**
 * Queues one delivery per active subscription to each event's type, and the email, PSA and calendar
 * deliveries the events cause, in the events' order. `delivery.*` events are never fanned out (a dead
 * letter announcing itself to the receiver that failed would loop). Returns the webhook deliveries queued.
 */
export async function fanOutEvents(tx: Executor, all: FannedEvent[]): Promise<number> {
  const fanned = all.filter((e) => !e.type.startsWith('delivery.'));
  if (fanned.length === 0) return 0;
  const targets = await fanOutTargets(tx, fanned);
  let queued = 0;
  for (const e of fanned) {
    if (e.type === 'cta.opened' || e.type === 'cta.escalated') await queueCtaEmail(tx, e);
    await queuePsaDeliveries(tx, e, e.clientId === null ? [] : targets.connectorsOf(e.clientId), deliveryIdFor);
    await queueCalendarDeliveries(tx, e, deliveryIdFor);
    for (const subscriptionId of targets.webhooksFor(e.type)) {
      const id = deliveryIdFor(`${subscriptionId}/${e.id}`);
      await tx.insert(deliveries).values({
        id, channel: 'webhook', connector: `webhook:${subscriptionId}`, subscriptionId, eventId: e.id, eventType: e.type, clientId: e.clientId, payload: webhookPayload(e),
      }).onConflictDoNothing();
      await enqueueWorkflowStart(tx, 'delivery', id);
      queued++;
    }
  }
  return queued;
}

/**
 * Who may receive a batch of events, in one statement (issue 17: every ledger event asked, so a CTA
 * opened paid two round trips for two empty answers, and a process's batch of ten events twenty): the
 * active webhook subscriptions to any of their types and, for clients with an event a PSA connector
 * acts on (PSA_OPS, APPOINTMENT_OPS), the active connectors those clients are mapped on.
 */
async function fanOutTargets(tx: Executor, batch: FannedEvent[]) {
  const types = [...new Set(batch.map((e) => e.type))];
  const clientIds = [...new Set(batch.filter((e) => e.clientId !== null && connectorActsOn(e.type)).map((e) => e.clientId!))];
  const mappedOnAny = clientIds.length
    ? and(eq(connectors.active, true), or(...clientIds.map((clientId) => sql`${connectors.mappings}->'clients' @> ${JSON.stringify([{ clientId }])}::jsonb`)))
    : sql`false`;
  const mappedConnectors = tx.select({ target: sql<'connector' | 'webhook'>`'connector'`.as('target'), id: connectors.id, type: connectors.type, mappings: connectors.mappings, eventTypes: sql<string[] | null>`null::jsonb`.as('event_types') })
    .from(connectors).where(mappedOnAny);
  const subscriptions = tx.select({ target: sql<'connector' | 'webhook'>`'webhook'`.as('target'), id: webhookSubscriptions.id, type: sql<string>`null`.as('type'), mappings: sql<ClientConnector['mappings']>`null::jsonb`.as('mappings'), eventTypes: sql<string[]>`${webhookSubscriptions.eventTypes}`.as('event_types') })
    .from(webhookSubscriptions).where(and(eq(webhookSubscriptions.active, true), sql`${webhookSubscriptions.eventTypes} ?| array[${sql.join(types.map((t) => sql`${t}`), sql`, `)}]::text[]`));
  const rows = await unionAll(mappedConnectors, subscriptions);
  const clientConnectors = rows.filter((r) => r.target === 'connector').map(({ id, type, mappings }) => ({ id, type, mappings }));
  const webhooks = rows.filter((r) => r.target === 'webhook');
  return {
    connectorsOf: (clientId: string): ClientConnector[] => clientConnectors.filter((c) => c.mappings.clients.some((m) => m.clientId === clientId)),
    webhooksFor: (type: string): string[] => webhooks.filter((w) => w.eventTypes?.includes(type)).map((w) => w.id),
  };
}

/** The SMTP connector's one breaker (one relay for every recipient). */
export const SMTP_CONNECTOR = 'smtp';

/**
 * Email to the person a CTA now belongs to (C-5 opened, R-122 escalated), when SMTP is configured
 * and the person is active with an address. One delivery per (person, event).
 */
async function queueCtaEmail(tx: Executor, e: FannedEvent) {
  if (!mailEnabled()) return;
  const personId = (e.type === 'cta.opened' ? e.data.ownerId : e.data.toId) as string | null | undefined;
  if (!personId) return;
  const [row] = await tx.select({ name: people.name, email: people.email, active: people.active, optOuts: people.emailOptOuts, title: ctas.title, dueAt: ctas.dueAt, firstActionDueAt: ctas.firstActionDueAt, clientName: clients.name })
    .from(ctas).innerJoin(people, eq(people.id, personId)).leftJoin(clients, eq(clients.id, ctas.clientId)).where(eq(ctas.id, String(e.data.ctaId)));
  // Unsubscribed from this category (the one-click link or the preferences API): nothing is queued.
  if (!row?.active || row.optOuts.includes(categoryOf(e.type as CtaEmail['kind']))) return;
  const payload: CtaEmail = {
    kind: e.type as CtaEmail['kind'], personId, to: row.email, toName: row.name, ctaId: String(e.data.ctaId), title: row.title, clientName: row.clientName ?? 'your client',
    dueAt: row.dueAt, firstActionDueAt: row.firstActionDueAt,
    ...(e.type === 'cta.escalated' ? { level: String(e.data.level), reason: String(e.data.reason) } : {}),
  };
  const id = deliveryIdFor(`email/${personId}/${e.id}`);
  await tx.insert(deliveries).values({ id, channel: 'email', connector: SMTP_CONNECTOR, subscriptionId: null, eventId: e.id, eventType: e.type, clientId: e.clientId, payload: payload as unknown as Record<string, unknown> }).onConflictDoNothing();
  await enqueueWorkflowStart(tx, 'delivery', id);
}

/** A test delivery to one subscription (its own id, so each test is a new message). */
export async function enqueueTestDelivery(db: Db, subscriptionId: string, at: string): Promise<DeliveryRow> {
  return db.transaction(async (tx) => {
    const id = deliveryIdFor(`${subscriptionId}/test/${randomBytes(8).toString('hex')}`);
    const [row] = await tx.insert(deliveries).values({
      id, channel: 'webhook', connector: `webhook:${subscriptionId}`, subscriptionId, eventId: null, eventType: TEST_EVENT_TYPE, clientId: null,
      payload: { type: TEST_EVENT_TYPE, timestamp: at, data: { subscriptionId, message: 'Test delivery from Baton' } },
    }).returning();
    await enqueueWorkflowStart(tx as unknown as Db, 'delivery', id);
    return row!;
  });
}

export async function getDelivery(db: Pick<Db, 'select'>, id: string): Promise<DeliveryRow | undefined> {
  return (await db.select().from(deliveries).where(eq(deliveries.id, id)))[0];
}

export interface DeliveryFilter { subscriptionId?: string; connector?: string; state?: string; clientId?: string; before?: string; limit: number }

/** The delivery log, newest first; the cursor is the last row's `createdAt|id`. */
export async function listDeliveries(db: Db, f: DeliveryFilter) {
  const where: SQL[] = [];
  if (f.subscriptionId) where.push(eq(deliveries.subscriptionId, f.subscriptionId));
  if (f.state) where.push(eq(deliveries.state, f.state));
  if (f.connector) where.push(eq(deliveries.connector, f.connector));
  if (f.clientId) where.push(eq(deliveries.clientId, f.clientId));
  if (f.before) {
    const [at, id] = f.before.split('|');
    where.push(sql`(${deliveries.createdAt}, ${deliveries.id}) < (${at}::timestamptz, ${id ?? ''})`);
  }
  const rows = await db.select().from(deliveries).where(where.length ? and(...where) : undefined).orderBy(desc(deliveries.createdAt), desc(deliveries.id)).limit(f.limit + 1);
  const items = rows.slice(0, f.limit);
  return { items, next: rows.length > f.limit ? `${items.at(-1)!.createdAt}|${items.at(-1)!.id}` : undefined };
}

/** Records an attempt's outcome on the row; conditional on the row not being final, so a late retry cannot reopen it. */
export async function recordAttempt(db: Db, id: string, r: { state: 'retrying' | 'delivered' | 'dead'; status?: number; error?: string; nextAttemptAt?: string | null; countAttempt: boolean; at: string }) {
  const [row] = await db.update(deliveries).set({
    state: r.state,
    ...(r.countAttempt ? { attempts: sql`${deliveries.attempts} + 1` } : {}),
    ...(r.status !== undefined ? { lastStatus: r.status } : {}),
    ...(r.error !== undefined ? { lastError: r.error.slice(0, 2000) } : {}),
    nextAttemptAt: r.nextAttemptAt ?? null,
    ...(r.state === 'delivered' ? { deliveredAt: r.at } : {}),
    updatedAt: r.at,
  }).where(and(eq(deliveries.id, id), sql`${deliveries.state} in ('pending','retrying')`)).returning();
  return row;
}

export async function readBreaker(db: Pick<Db, 'select'>, connector: string): Promise<BreakerState | undefined> {
  const [b] = await db.select().from(connectorBreakers).where(eq(connectorBreakers.connector, connector));
  return b ? { consecutiveFailures: b.consecutiveFailures, openUntil: b.openUntil } : undefined;
}

export async function writeBreaker(db: Db, connector: string, b: BreakerState, lastError: string | null) {
  await db.insert(connectorBreakers).values({ connector, consecutiveFailures: b.consecutiveFailures, openUntil: b.openUntil, lastError })
    .onConflictDoUpdate({ target: connectorBreakers.connector, set: { consecutiveFailures: b.consecutiveFailures, openUntil: b.openUntil, lastError, updatedAt: sql`now()` } });
}

/**
 * A failure outside a delivery (a connector's poll) shown on the connector's status without touching
 * its breaker counts; `null` clears it unless deliveries are failing (theirs is then the error shown).
 * Single statements, so a delivery updating the breaker meanwhile loses nothing.
 */
export async function noteConnectorError(db: Db, connector: string, error: string | null) {
  if (error === null) {
    await db.update(connectorBreakers).set({ lastError: null, updatedAt: sql`now()` }).where(and(eq(connectorBreakers.connector, connector), eq(connectorBreakers.consecutiveFailures, 0), sql`${connectorBreakers.lastError} is not null`));
    return;
  }
  await db.insert(connectorBreakers).values({ connector, consecutiveFailures: 0, openUntil: null, lastError: error })
    .onConflictDoUpdate({ target: connectorBreakers.connector, set: { lastError: error, updatedAt: sql`now()` } });
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

/** A new `whsec_` secret (Standard Webhooks: base64 of 24–64 random bytes). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export async function createSubscription(db: Db, s: { id: string; url: string; description: string; eventTypes: string[]; createdBy: string }) {
  const secret = newWebhookSecret();
  const [row] = await db.insert(webhookSubscriptions).values({ ...s, secretSealed: seal(secret, s.id) }).onConflictDoNothing().returning();
  // A retried request (same Idempotency-Key → same id) finds the row; its secret was shown only to the first answer.
  return row ? { row, secret } : { row: (await getSubscription(db, s.id))!, secret: undefined };
}

export async function getSubscription(db: Pick<Db, 'select'>, id: string): Promise<SubscriptionRow | undefined> {
  return (await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)))[0];
}

export async function listSubscriptions(db: Db, f: { after?: string; limit: number }) {
  const rows = await db.select().from(webhookSubscriptions).where(f.after ? sql`${webhookSubscriptions.id} > ${f.after}` : undefined).orderBy(webhookSubscriptions.id).limit(f.limit + 1);
  const items = rows.slice(0, f.limit);
  return { items, next: rows.length > f.limit ? items.at(-1)!.id : undefined };
}

/** Stops new deliveries to a subscription; queued ones still run (and their log stays). */
export async function disableSubscription(db: Db, id: string, at: string) {
  const [row] = await db.update(webhookSubscriptions).set({ active: false, disabledAt: at }).where(and(eq(webhookSubscriptions.id, id), eq(webhookSubscriptions.active, true))).returning();
  return row ?? (await getSubscription(db, id));
}


