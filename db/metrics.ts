import { and, count, inArray, isNull, lt, min, or } from 'drizzle-orm';
import type { Db } from './client.js';
import { activePolicy } from './policies.js';
import { pastDueStrategicMeetings } from './radar.js';
import { ctas, deliveries, meetings, workflowStarts } from './schema.js';

/** CTA states that still ask for work (DOMAIN §2.10); `done` and `cancelled` are closed. */
export const OPEN_CTA_STATES = ['open', 'first_action', 'escalated'] as const;
/** Webhook delivery states worth watching: waiting, backing off, given up (db/deliveries.ts). */
export const DELIVERY_STATES = ['pending', 'retrying', 'dead'] as const;

export interface OperationalCounts {
  openCtasByState: Record<(typeof OPEN_CTA_STATES)[number], number>;
  /** Open CTAs past their due date, or past their first-action SLA without a first action (as `GET /v1/ctas?overdue=true`). */
  overdueCtas: number;
  /** R-38 with the active policy's `missedCadence.graceHours` (as the Cadence Radar). */
  pastDueStrategicMeetings: number;
  /** The workflow-start outbox (db/outbox.ts): committed starts and notices not yet dispatched to Temporal. */
  workflowStartsPending: number;
  /** Age of the oldest undispatched start; 0 when none waits. */
  workflowStartsOldestPendingSeconds: number;
  deliveriesByState: Record<(typeof DELIVERY_STATES)[number], number>;
}

/** The counts behind /metrics' business and queue gauges, read at scrape time (a few indexed counts). */
export async function operationalCounts(db: Db, now: Date): Promise<OperationalCounts> {
  const at = now.toISOString();
  const policy = await activePolicy(db);
  const endedBefore = new Date(now.getTime() - policy.document.missedCadence.graceHours * 3_600_000).toISOString();
  const [ctaRows, [overdue], [pastDue], [outbox], deliveryRows] = await Promise.all([
    db.select({ state: ctas.state, n: count() }).from(ctas).where(inArray(ctas.state, [...OPEN_CTA_STATES])).groupBy(ctas.state),
    db.select({ n: count() }).from(ctas).where(and(
      inArray(ctas.state, [...OPEN_CTA_STATES]),
      or(lt(ctas.dueAt, at), and(isNull(ctas.firstActionAt), lt(ctas.firstActionDueAt, at))),
    )),
    db.select({ n: count() }).from(meetings).where(pastDueStrategicMeetings(endedBefore)),
    db.select({ n: count(), oldest: min(workflowStarts.createdAt) }).from(workflowStarts).where(isNull(workflowStarts.dispatchedAt)),
    db.select({ state: deliveries.state, n: count() }).from(deliveries).where(inArray(deliveries.state, [...DELIVERY_STATES])).groupBy(deliveries.state),
  ]);
  const byState = <K extends string>(keys: readonly K[], rows: { state: string; n: number }[]) =>
    Object.fromEntries(keys.map((k) => [k, rows.find((r) => r.state === k)?.n ?? 0])) as Record<K, number>;
  const oldest = outbox?.oldest ? Date.parse(String(outbox.oldest)) : undefined;
  return {
    openCtasByState: byState(OPEN_CTA_STATES, ctaRows),
    overdueCtas: overdue?.n ?? 0,
    pastDueStrategicMeetings: pastDue?.n ?? 0,
    workflowStartsPending: outbox?.n ?? 0,
    workflowStartsOldestPendingSeconds: oldest === undefined ? 0 : Math.max(0, (now.getTime() - oldest) / 1000),
    deliveriesByState: byState(DELIVERY_STATES, deliveryRows),
  };
}
