import { and, asc, eq, inArray, like, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { clientCalendar, localYear } from '../db/client-calendar.js';
import { getClient } from '../db/clients.js';
import { policyForClient } from '../db/policies.js';
import { events, meetings } from '../db/schema.js';
import { makeCalendar } from '../domain/business-time.js';
import { planCycle } from '../domain/cadence-plan.js';
import type { CadenceSegment, TouchTier } from '../domain/cadence.js';
import { POLICY_SHAPE_REVISION } from '../domain/policy/revision.js';
import type { PlanningCycleAction, PlanningCycleSetup } from '../domain/planning-cycle.js';
import { reportToPlanningCycle, type TemporalTarget } from '../runtime/processes.js';
import { cadenceWorkflowId, type PlanningCycleInput } from '../workflows/contracts.js';
import type { Actor } from '../db/schema.js';

/** The cycle year of a cadence planning key (`ap/<year>/…`, domain/cadence-plan.ts). */
export function cycleYearOfKey(key: unknown): number | undefined {
  const m = typeof key === 'string' ? /^ap\/(\d{4})\//.exec(key) : null;
  return m ? Number(m[1]) : undefined;
}

/** The cadence lock of a client (its `process.started` inputs), or undefined when no cadence ever ran. */
export async function cadenceLockOf(db: Db, clientId: string): Promise<string | undefined> {
  const [row] = await db.select({ data: events.data }).from(events)
    .where(and(eq(events.workflowId, cadenceWorkflowId(clientId)), eq(events.type, 'process.started'))).orderBy(asc(events.occurredAt)).limit(1);
  const lockedAt = (row?.data as { inputs?: { lockedAt?: unknown } } | undefined)?.inputs?.lockedAt;
  return typeof lockedAt === 'string' ? lockedAt : undefined;
}

/**
 * The planning cycle's I/O (R-62..R-66): its setup — the client, its policy and the cycle's
 * meetings on the cadence's own anchor computation (`planCycle`, R-62) with what the cadence has
 * booked — and the port through which the cadence's recorded facts reach the cycle.
 */
export function planningCycleActivities({ db }: { db: Db }) {
  return {
    async preparePlanningCycle(input: PlanningCycleInput): Promise<PlanningCycleSetup | null> {
      const client = await getClient(db, input.clientId);
      if (!client) return null;
      const lockedAt = await cadenceLockOf(db, input.clientId);
      if (!lockedAt) return null;
      const { policy, version: policyVersionUsed } = await policyForClient(db, client.policyOverrides);
      const fromYear = Math.min(localYear(lockedAt, client.timeZone), input.fiscalYear - 1);
      const calendar = clientCalendar(client, policy, fromYear, input.fiscalYear + 1);
      const cal = makeCalendar({ ...calendar, holidays: [...calendar.holidays], workdays: [...calendar.workdays] });
      const segment = client.segment as CadenceSegment;
      const planned = planCycle({ segment, touchTier: client.touchTier as TouchTier, fiscalYearEnd: client.fiscalYearEnd, renewalDate: client.renewalDate, lockedAt }, input.fiscalYear, policy, cal);
      const booked = await db.select({ id: meetings.id, startsAt: meetings.startsAt, state: meetings.state, kind: meetings.kind, accountableRole: meetings.accountableRole, data: meetings.data }).from(meetings)
        .where(and(eq(meetings.clientId, input.clientId), eq(meetings.process, 'cadence'), like(sql`${meetings.data}->>'key'`, `ap/${input.fiscalYear}/%`)));
      if (!planned.length) return null;
      return {
        clientId: client.id, fiscalYear: input.fiscalYear, segment, policyVersion: policyVersionUsed, policy, policyShapeRevision: POLICY_SHAPE_REVISION, calendar, startedBy: input.startedBy,
        planned: planned.map((m) => ({ key: m.key, template: m.template, startsAt: m.startsAt, endsAt: m.endsAt })),
        booked: booked.map((b) => ({ key: String(b.data.key), meetingId: b.id, template: b.kind, startsAt: b.startsAt, state: b.state, accountableRole: b.accountableRole })),
      };
    },
  };
}

/**
 * What the cadence recorded that a planning cycle must hear (DESIGN "a process reacts to another's
 * fact by an update sent from the activity that recorded the fact"): planning meetings booked,
 * moved, held or missed, and date triggers merged into one of them. Sent after the commit,
 * keyed by the fact (C-6), so a retried activity is a duplicate to the cycle. The cycle is started
 * if it does not run yet (its id is deterministic: client/{id}/planning/{year}).
 */
export async function tellPlanningCycles(t: TemporalTarget, db: Db, clientId: string, facts: { meetingId: string; key: string; action: (fy: number, meeting: { key: string }) => PlanningCycleAction }[], actor: Actor, at: string) {
  if (!facts.length) return;
  const rows = await db.select({ id: meetings.id, data: meetings.data }).from(meetings).where(and(eq(meetings.clientId, clientId), inArray(meetings.id, [...new Set(facts.map((f) => f.meetingId))])));
  const keyOf = new Map(rows.filter((r) => r.data.kind === 'annualPlanning').map((r) => [r.id, String(r.data.key)]));
  for (const f of facts) {
    const key = keyOf.get(f.meetingId);
    const fy = cycleYearOfKey(key);
    if (!key || fy === undefined) continue;
    await reportToPlanningCycle(t, clientId, fy, { action: f.action(fy, { key }), idempotencyKey: f.key, bodyHash: f.key, actor, at });
  }
}
