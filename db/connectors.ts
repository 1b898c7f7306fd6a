/**
 * PSA connectors (issue 15): configuration with sealed credentials and mappings, the PSA fan-out
 * of CTA events into the delivery outbox, the links between CTAs and vendor tickets, and the
 * record of inbound events already acted on.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { enqueueWorkflowNotice, enqueueWorkflowStart } from './outbox.js';
import { clients, connectorBreakers, connectorLinks, connectors, ctas, deliveries, inboundEvents } from './schema.js';
import type { Actor } from './schema.js';
import { seal, unseal } from '../runtime/secret-box.js';
import { APPOINTMENT_OPS, queueAppointmentDeliveries } from './appointments.js';

export type ConnectorRow = typeof connectors.$inferSelect;
export type ConnectorMappings = ConnectorRow['mappings'];
type Executor = Pick<Db, 'insert' | 'select'>;

/** The circuit-breaker unit of a connector: one per vendor account. */
export const connectorKey = (id: string) => `psa:${id}`;

/** What a PSA delivery asks the connector to do; the snapshot is taken in the event's transaction. */
export interface PsaDelivery {
  connectorId: string;
  op: 'ticket.create' | 'ticket.close' | 'ticket.assign';
  ctaId: string;
  title: string;
  clientId: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  ownerPersonId: string | null;
}

export type ConnectorType = 'connectwise' | 'autotask' | 'halopsa' | 'msgraph';

/** Connector types that have entities without webhooks, so a durable poller per connector (workflows/connector-poller.ts) diffs them. */
export const POLLED_TYPES: readonly ConnectorType[] = ['autotask'];

export async function createConnector(db: Db, c: { id: string; type: ConnectorType; name: string; baseUrl: string; credentials: Record<string, unknown>; settings: Record<string, unknown>; mappings: ConnectorMappings; createdBy: string }) {
  const { credentials, ...rest } = c;
  const sealed = seal(JSON.stringify(credentials), c.id);
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const [row] = await tx.insert(connectors).values({ ...rest, credentialsSealed: sealed }).onConflictDoNothing().returning();
    // Its poller starts with it (after commit, through the workflow-start outbox).
    if (row && POLLED_TYPES.includes(c.type)) await enqueueWorkflowStart(tx, 'connector-poller', c.id);
    return row ?? (await getConnector(tx, c.id))!;
  });
}

export async function getConnector(db: Pick<Db, 'select'>, id: string): Promise<ConnectorRow | undefined> {
  return (await db.select().from(connectors).where(eq(connectors.id, id)))[0];
}

export async function listConnectors(db: Db, f: { after?: string; limit: number }) {
  const rows = await db.select().from(connectors).where(f.after ? sql`${connectors.id} > ${f.after}` : undefined).orderBy(connectors.id).limit(f.limit + 1);
  const items = rows.slice(0, f.limit);
  return { items, next: rows.length > f.limit ? items.at(-1)!.id : undefined };
}

export async function updateConnector(db: Db, id: string, u: { name?: string; baseUrl?: string; credentials?: Record<string, unknown>; settings?: Record<string, unknown>; mappings?: ConnectorMappings; active?: boolean }, at: string) {
  const { credentials, ...rest } = u;
  const sealed = credentials ? seal(JSON.stringify(credentials), id) : undefined;
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const [row] = await tx.update(connectors).set({ ...rest, ...(sealed ? { credentialsSealed: sealed } : {}), updatedAt: at }).where(eq(connectors.id, id)).returning();
    // A poller ends when its connector is deactivated; re-activating (or any change) makes sure one runs.
    if (row?.active && POLLED_TYPES.includes(row.type as ConnectorType)) await enqueueWorkflowNotice(tx, 'connector-poller', id);
    return row;
  });
}

/** The credentials, opened for a call; throws when the integration key is missing or wrong. */
export const openCredentials = (c: ConnectorRow): Record<string, unknown> => JSON.parse(unseal(c.credentialsSealed, c.id));

/** A connector's health for its status: breaker, last error, deliveries by state. */
export async function connectorStatus(db: Db, id: string) {
  const [breaker] = await db.select().from(connectorBreakers).where(eq(connectorBreakers.connector, connectorKey(id)));
  const counts = await db.select({ state: deliveries.state, n: sql<number>`count(*)::int` }).from(deliveries).where(eq(deliveries.connector, connectorKey(id))).groupBy(deliveries.state);
  const [lastFailure] = await db.select({ lastError: deliveries.lastError, updatedAt: deliveries.updatedAt }).from(deliveries)
    .where(and(eq(deliveries.connector, connectorKey(id)), sql`${deliveries.lastError} is not null`)).orderBy(sql`${deliveries.updatedAt} desc`).limit(1);
  const open = !!breaker?.openUntil && Date.parse(breaker.openUntil) > Date.now();
  return {
    breaker: { state: open ? 'open' as const : 'closed' as const, consecutiveFailures: breaker?.consecutiveFailures ?? 0, openUntil: open ? breaker!.openUntil : null },
    lastError: breaker?.lastError ?? lastFailure?.lastError ?? null,
    deliveries: Object.fromEntries(['pending', 'retrying', 'delivered', 'dead'].map((s) => [s, counts.find((c) => c.state === s)?.n ?? 0])) as Record<'pending' | 'retrying' | 'delivered' | 'dead', number>,
  };
}

/**
 * The PSA fan-out, inside the ledger event's transaction (db/deliveries.ts `fanOutEvent`): a CTA
 * of a client mapped to a company on an active connector opens a ticket when it opens and closes
 * it when it is done; a CTA that changes hands (R-122: reassigned or escalated) gives the ticket to
 * the new owner's member when that person is mapped. A completion the connector itself reported
 * (its inbound callback) is not sent back to it. One delivery per (connector, event), its id the
 * idempotency key.
 */
const PSA_OPS: Record<string, PsaDelivery['op'] | undefined> = { 'cta.opened': 'ticket.create', 'cta.completed': 'ticket.close', 'cta.reassigned': 'ticket.assign', 'cta.escalated': 'ticket.assign' };

/** A connector the event's client is mapped on (db/deliveries.ts `fanOutTargets` reads them with the webhook subscriptions). */
export type ClientConnector = Pick<ConnectorRow, 'id' | 'type' | 'mappings'>;

/** Whether a connector acts on this event type: a ticket for a CTA, an appointment for a meeting. */
export const connectorActsOn = (type: string) => PSA_OPS[type] !== undefined || APPOINTMENT_OPS[type] !== undefined;

/** `targets`: the active connectors the event's client is mapped on. */
export async function queuePsaDeliveries(tx: Executor, e: { id: string; type: string; clientId: string | null; actor?: Actor; data: Record<string, unknown> }, targets: ClientConnector[], deliveryIdFor: (key: string) => string): Promise<number> {
  if (APPOINTMENT_OPS[e.type]) return queueAppointmentDeliveries(tx, e, targets, deliveryIdFor); // meetings → appointments (HaloPSA)
  const op = PSA_OPS[e.type];
  if (!e.clientId || !op) return 0;
  if (targets.length === 0) return 0;
  const [cta] = await tx.select({ title: ctas.title, dueAt: ctas.dueAt, firstActionDueAt: ctas.firstActionDueAt, ownerPersonId: ctas.ownerPersonId, clientName: clients.name })
    .from(ctas).leftJoin(clients, eq(clients.id, ctas.clientId)).where(eq(ctas.id, String(e.data.ctaId)));
  if (!cta) return 0;
  let queued = 0;
  for (const t of targets) {
    if (e.type === 'cta.completed' && e.actor?.kind === 'system' && e.actor.id === connectorKey(t.id)) continue;
    const newOwner = op === 'ticket.assign' ? (e.data.toId as string | null | undefined) : undefined;
    if (op === 'ticket.assign' && !t.mappings.people.some((m) => m.personId === newOwner)) continue;
    const payload: PsaDelivery = {
      connectorId: t.id, op, ctaId: String(e.data.ctaId), title: cta.title, clientId: e.clientId,
      clientName: cta.clientName ?? 'client', dueAt: cta.dueAt, firstActionDueAt: cta.firstActionDueAt, ownerPersonId: newOwner ?? cta.ownerPersonId,
    };
    const id = deliveryIdFor(`${connectorKey(t.id)}/${e.id}`);
    await tx.insert(deliveries).values({ id, channel: 'psa', connector: connectorKey(t.id), subscriptionId: null, eventId: e.id, eventType: e.type, clientId: e.clientId, payload: payload as unknown as Record<string, unknown> }).onConflictDoNothing();
    await enqueueWorkflowStart(tx, 'delivery', id);
    queued++;
  }
  return queued;
}

export async function findLink(db: Pick<Db, 'select'>, connectorId: string, kind: string, batonId: string): Promise<string | undefined> {
  return (await db.select({ vendorId: connectorLinks.vendorId }).from(connectorLinks).where(and(eq(connectorLinks.connectorId, connectorId), eq(connectorLinks.kind, kind), eq(connectorLinks.batonId, batonId))))[0]?.vendorId;
}

export async function findLinkByVendorId(db: Pick<Db, 'select'>, connectorId: string, kind: string, vendorId: string): Promise<string | undefined> {
  return (await db.select({ batonId: connectorLinks.batonId }).from(connectorLinks).where(and(eq(connectorLinks.connectorId, connectorId), eq(connectorLinks.kind, kind), eq(connectorLinks.vendorId, vendorId))))[0]?.batonId;
}

export async function saveLink(db: Pick<Db, 'insert'>, connectorId: string, kind: string, batonId: string, vendorId: string): Promise<void> {
  await db.insert(connectorLinks).values({ connectorId, kind, batonId, vendorId }).onConflictDoNothing();
}

/** Whether an inbound event was recorded before (a replay): checked before the vendor is read or a process is asked. */
export async function inboundEventSeen(db: Pick<Db, 'select'>, connectorId: string, eventKey: string): Promise<boolean> {
  return (await db.select({ k: inboundEvents.eventKey }).from(inboundEvents).where(and(eq(inboundEvents.connectorId, connectorId), eq(inboundEvents.eventKey, eventKey)))).length > 0;
}

/** Records an inbound event once; false when it was seen before (a replay). */
export async function claimInboundEvent(tx: Pick<Db, 'insert'>, connectorId: string, eventKey: string, entity: string, outcome: string): Promise<boolean> {
  const rows = await tx.insert(inboundEvents).values({ connectorId, eventKey, entity, outcome }).onConflictDoNothing().returning({ k: inboundEvents.eventKey });
  return rows.length === 1;
}
