/**
 * Meetings as PSA appointments (issue 15), the fan-out half: in the ledger event's transaction, a
 * booked, moved or cancelled meeting of a client mapped on an active connector whose type books
 * appointments (HaloPSA and Autotask appointments, ConnectWise schedule entries) queues one delivery
 * per (connector, event) on the outbox. The call is the connector's (activities/halopsa.ts,
 * activities/autotask.ts, activities/connectwise.ts); the meeting's time and Accountable are read again at the call,
 * so moves delivered out of order still end at the meeting's current time.
 */
import { eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { enqueueWorkflowStart } from './outbox.js';
import { clients, deliveries, meetings, type Actor } from './schema.js';

type Executor = Pick<Db, 'insert' | 'select'>;

/** Connector types that take meetings as appointments (a ConnectWise schedule entry is its appointment). */
export const APPOINTMENT_TYPES = ['halopsa', 'connectwise', 'autotask'];

export interface AppointmentDelivery {
  connectorId: string;
  op: 'appointment.book' | 'appointment.move' | 'appointment.cancel';
  meetingId: string;
  clientId: string;
  clientName: string;
  kind: string;
  startsAt: string;
  endsAt: string;
}

export const APPOINTMENT_OPS: Record<string, AppointmentDelivery['op'] | undefined> = {
  'meeting.scheduled': 'appointment.book', 'meeting.moved': 'appointment.move', 'meeting.cancelled': 'appointment.cancel',
};

export const isAppointmentDelivery = (p: { op?: unknown }): p is AppointmentDelivery => typeof p.op === 'string' && p.op.startsWith('appointment.');

/** A move or cancel the connector itself reported (its webhook, callback or poller: actor `psa:<id>`) is not sent back to it. */
/** `clientConnectors`: the active connectors the event's client is mapped on; those that keep appointments get one. */
export async function queueAppointmentDeliveries(tx: Executor, e: { id: string; type: string; clientId: string | null; actor?: Actor; data: Record<string, unknown> }, clientConnectors: { id: string; type: string }[], deliveryIdFor: (key: string) => string): Promise<number> {
  const op = APPOINTMENT_OPS[e.type];
  if (!e.clientId || !op || typeof e.data.meetingId !== 'string') return 0;
  const targets = clientConnectors.filter((c) => APPOINTMENT_TYPES.includes(c.type));
  if (targets.length === 0) return 0;
  const [m] = await tx.select({ kind: meetings.kind, startsAt: meetings.startsAt, endsAt: meetings.endsAt, clientName: clients.name })
    .from(meetings).leftJoin(clients, eq(clients.id, meetings.clientId)).where(eq(meetings.id, e.data.meetingId));
  if (!m) return 0;
  let queued = 0;
  for (const t of targets) {
    if (op !== 'appointment.book' && e.actor?.kind === 'system' && e.actor.id === `psa:${t.id}`) continue;
    const payload: AppointmentDelivery = {
      connectorId: t.id, op, meetingId: e.data.meetingId, clientId: e.clientId, clientName: m.clientName ?? 'client', kind: String(e.data.kind ?? m.kind),
      startsAt: String(e.data.startsAt ?? m.startsAt), endsAt: String(e.data.endsAt ?? m.endsAt),
    };
    const id = deliveryIdFor(`psa:${t.id}/${e.id}`);
    await tx.insert(deliveries).values({ id, channel: 'psa', connector: `psa:${t.id}`, subscriptionId: null, eventId: e.id, eventType: e.type, clientId: e.clientId, payload: payload as unknown as Record<string, unknown> }).onConflictDoNothing();
    await enqueueWorkflowStart(tx, 'delivery', id);
    queued++;
  }
  return queued;
}
