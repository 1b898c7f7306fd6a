/**
 * Microsoft Graph calendar connector (issue 15), its database side: the calendar fan-out of meeting
 * events into the delivery outbox (in the ledger event's transaction), the meeting and invitees a
 * delivery needs, and the change-notification subscriptions the connector's workflow keeps alive.
 */
import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';
import { connectorKey } from './connectors.js';
import { enqueueWorkflowStart } from './outbox.js';
import { clientStakeholders, clients, connectorLinks, connectors, deliveries, meetings, msgraphSubscriptions } from './schema.js';
import type { Actor } from './schema.js';

type Executor = Pick<Db, 'insert' | 'select'>;

/** What a calendar delivery asks Graph to do. The meeting itself is read at call time (its latest time wins). */
export interface CalendarDelivery {
  connectorId: string;
  op: 'event.create' | 'event.move' | 'event.cancel';
  meetingId: string;
  clientId: string;
  /** The Accountable's mailbox when the event was fanned out (the organiser). */
  mailbox: string;
  reason?: string;
}

const CALENDAR_OPS: Record<string, CalendarDelivery['op'] | undefined> = { 'meeting.scheduled': 'event.create', 'meeting.moved': 'event.move', 'meeting.cancelled': 'event.cancel' };

/**
 * The calendar fan-out, inside the ledger event's transaction (db/deliveries.ts `fanOutEvent`): a
 * meeting booked, moved or cancelled whose Accountable is mapped to a mailbox on an active msgraph
 * connector becomes one delivery per (connector, event). A move or cancel the connector itself
 * reported (from Outlook) is not sent back to it.
 */
export async function queueCalendarDeliveries(tx: Executor, e: { id: string; type: string; clientId: string | null; actor?: Actor; data: Record<string, unknown> }, deliveryIdFor: (key: string) => string): Promise<number> {
  const op = CALENDAR_OPS[e.type];
  if (!e.clientId || !op || typeof e.data.meetingId !== 'string') return 0;
  const [meeting] = await tx.select({ accountablePersonId: meetings.accountablePersonId }).from(meetings).where(eq(meetings.id, e.data.meetingId));
  if (!meeting?.accountablePersonId) return 0;
  const targets = await tx.select({ id: connectors.id, mappings: connectors.mappings }).from(connectors)
    .where(and(eq(connectors.active, true), eq(connectors.type, 'msgraph'), sql`${connectors.mappings}->'people' @> ${JSON.stringify([{ personId: meeting.accountablePersonId }])}::jsonb`));
  let queued = 0;
  for (const t of targets) {
    if (op !== 'event.create' && e.actor?.kind === 'system' && e.actor.id === connectorKey(t.id)) continue;
    const mailbox = t.mappings.people.find((p) => p.personId === meeting.accountablePersonId)?.member;
    if (!mailbox) continue;
    const payload: CalendarDelivery = { connectorId: t.id, op, meetingId: e.data.meetingId, clientId: e.clientId, mailbox, ...(typeof e.data.reason === 'string' ? { reason: e.data.reason } : {}) };
    const id = deliveryIdFor(`${connectorKey(t.id)}/${e.id}`);
    await tx.insert(deliveries).values({ id, channel: 'calendar', connector: connectorKey(t.id), subscriptionId: null, eventId: e.id, eventType: e.type, clientId: e.clientId, payload: payload as unknown as Record<string, unknown> }).onConflictDoNothing();
    await enqueueWorkflowStart(tx, 'delivery', id);
    queued++;
  }
  return queued;
}

/** The meeting as a delivery needs it: its time, kind and mode, the client's name and the invitees with an email. */
export async function meetingForCalendar(db: Pick<Db, 'select'>, meetingId: string) {
  const [m] = await db.select({ id: meetings.id, clientId: meetings.clientId, process: meetings.process, kind: meetings.kind, mode: meetings.mode, state: meetings.state, startsAt: meetings.startsAt, endsAt: meetings.endsAt, data: meetings.data, clientName: clients.name })
    .from(meetings).leftJoin(clients, eq(clients.id, meetings.clientId)).where(eq(meetings.id, meetingId));
  if (!m) return undefined;
  // The meeting's invitees (R-10 cadence bookings name them); else every active stakeholder of the client.
  const named = ((m.data.invitees ?? []) as { stakeholderId?: string; required?: boolean }[]).filter((i) => typeof i.stakeholderId === 'string');
  const rows = named.length
    ? await db.select({ id: clientStakeholders.id, name: clientStakeholders.name, email: clientStakeholders.email }).from(clientStakeholders)
      .where(and(eq(clientStakeholders.clientId, m.clientId), eq(clientStakeholders.active, true), inArray(clientStakeholders.id, named.map((i) => i.stakeholderId!))))
    : await db.select({ id: clientStakeholders.id, name: clientStakeholders.name, email: clientStakeholders.email }).from(clientStakeholders)
      .where(and(eq(clientStakeholders.clientId, m.clientId), eq(clientStakeholders.active, true)));
  const invitees = rows.filter((r) => !!r.email).map((r) => ({ name: r.name, email: r.email!, required: named.find((i) => i.stakeholderId === r.id)?.required ?? true }));
  return { ...m, clientName: m.clientName ?? 'client', invitees };
}

export type MsgraphSubscriptionRow = typeof msgraphSubscriptions.$inferSelect;

export const listMsgraphSubscriptions = (db: Pick<Db, 'select'>, connectorId: string) =>
  db.select().from(msgraphSubscriptions).where(eq(msgraphSubscriptions.connectorId, connectorId));

export async function findMsgraphSubscription(db: Pick<Db, 'select'>, subscriptionId: string) {
  return (await db.select().from(msgraphSubscriptions).where(eq(msgraphSubscriptions.subscriptionId, subscriptionId)))[0];
}

export async function saveMsgraphSubscription(db: Db, s: { connectorId: string; mailbox: string; subscriptionId: string; expiresAt: string }, at: string) {
  await db.insert(msgraphSubscriptions).values({ ...s, createdAt: at, updatedAt: at })
    .onConflictDoUpdate({ target: [msgraphSubscriptions.connectorId, msgraphSubscriptions.mailbox], set: { subscriptionId: s.subscriptionId, expiresAt: s.expiresAt, updatedAt: at } });
}

export async function dropMsgraphSubscription(db: Db, connectorId: string, mailbox: string) {
  await db.delete(msgraphSubscriptions).where(and(eq(msgraphSubscriptions.connectorId, connectorId), eq(msgraphSubscriptions.mailbox, mailbox)));
}

/** The link kind that marks a meeting's attendance as decided (the attendance report's id, or `not-online:<meeting>`). */
export const ATTENDANCE_LINK = 'attendance';

/**
 * Meetings whose Teams attendance is due a look (issue 15): booked on this connector's calendar
 * (an `event` link), still scheduled in Baton (not held, missed or cancelled yet), ended between
 * `from` and `to`, and not decided yet; with the organiser's mailbox the event was created in.
 */
export async function attendanceCandidates(db: Pick<Db, 'select'>, connectorId: string, endedBetween: { from: string; to: string }) {
  const ev = alias(connectorLinks, 'ev');
  const done = alias(connectorLinks, 'done');
  const rows = await db.select({ meetingId: meetings.id, startsAt: meetings.startsAt, endsAt: meetings.endsAt, eventId: ev.vendorId }).from(meetings)
    .innerJoin(ev, and(eq(ev.connectorId, connectorId), eq(ev.kind, 'event'), eq(ev.batonId, meetings.id)))
    .leftJoin(done, and(eq(done.connectorId, connectorId), eq(done.kind, ATTENDANCE_LINK), eq(done.batonId, meetings.id)))
    .where(and(eq(meetings.state, 'scheduled'), isNull(done.batonId), gt(meetings.endsAt, endedBetween.from), lte(meetings.endsAt, endedBetween.to)))
    .orderBy(meetings.endsAt)
    .limit(100);
  const out: { meetingId: string; startsAt: string; endsAt: string; eventId: string; mailbox: string }[] = [];
  for (const r of rows) {
    const [d] = await db.select({ mailbox: sql<string>`${deliveries.payload}->>'mailbox'` }).from(deliveries)
      .where(and(eq(deliveries.connector, connectorKey(connectorId)), eq(deliveries.eventType, 'meeting.scheduled'), sql`${deliveries.payload}->>'meetingId' = ${r.meetingId}`))
      .limit(1);
    if (d?.mailbox) out.push({ ...r, mailbox: d.mailbox });
  }
  return out;
}
