import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import { clientCalendar, localYear } from '../db/client-calendar.js';
import { getClient } from '../db/clients.js';
import { creditGateOf, currentHealth, healthFactsOf, openPlayCtas } from '../db/health.js';
import { policyForClient } from '../db/policies.js';
import { getRisk } from '../db/risks.js';
import type { Actor } from '../db/schema.js';
import { addCalendarDays, addBusinessDays, localDateOf, makeCalendar, toIso } from '../domain/business-time.js';
import type { RiskSetup } from '../domain/at-risk.js';
import type { Bucket } from '../domain/health-process.js';
import { conditionsOf, playDue, type HealthEvaluation } from '../domain/health-process.js';
import { deriveSignals, nextSnapshot, scoreHealth, type Segment } from '../domain/health.js';
import type { Role } from '../domain/policy.js';
import { reportToCadence } from '../runtime/processes.js';
import { cadenceStatus, cadenceWorkflowId } from '../workflows/contracts.js';

const SYSTEM: Actor = { kind: 'system' };

/**
 * The health and At Risk processes' reads: each evaluation loads the client's facts under the
 * policy in force (new values apply at the next evaluation, DOMAIN §4) and runs the pure scoring
 * and conditions (domain/health.ts, domain/health-process.ts) here, so the whole evaluation —
 * inputs, weights, bands — is recorded in the workflow's history and on the timeline.
 */
export function healthActivities({ db }: { db: Db }) {
  return {
    /** One health evaluation of the client at `at` (null when the client is gone). */
    async evaluateHealth(input: { clientId: string; workflowId: string; at: string; occasion: HealthEvaluation['occasion']; month?: string; playCtaKeys: string[] }): Promise<(HealthEvaluation & { firstActionHours: number }) | null> {
      const client = await getClient(db, input.clientId);
      if (!client) return null;
      const { version, policy } = await policyForClient(db, client.policyOverrides);
      const year = localYear(input.at, client.timeZone);
      const cal = makeCalendar(clientCalendar(client, policy, year - 1, year + 1));
      const loaded = await healthFactsOf(db, client, input.at, policy);
      const signals = deriveSignals(loaded.facts, policy);
      const scores = scoreHealth(signals, policy);
      const { conditions, wakeAt } = conditionsOf(scores, signals, loaded.conditions, policy, cal, input.at);
      const pg = policy.playsAndGates;
      const seg = client.segment as Segment;
      return {
        occasion: input.occasion, at: input.at, ...(input.month ? { month: input.month } : {}), policyVersion: version, scores, conditions,
        openPlayCtas: await openPlayCtas(db, input.workflowId, input.playCtaKeys),
        gate: {
          consecutiveRedMonths: pg.consecutiveRedMonths, pauseThresholdUsd: pg.pauseThresholdUsd,
          aQuarter: loaded.aQuarter ? { ...loaded.aQuarter, attendanceMinPct: pg.aGateAttendancePct, latencyMaxDays: pg.aGateLatencyDays } : null,
          roadmapResetAt: loaded.roadmapResetAt, qualityReview: { ownerRole: pg.qualityRedReview.owner[seg], dueAt: playDue(pg.qualityRedReview, input.at, cal) },
        },
        segment: { current: seg, source: client.segmentSource === 'override' ? 'override' : 'computed', autoResegment: policy.segmentation.autoResegment },
        nextSnapshot: nextSnapshot(input.at, cal, policy.health.snapshotTimeOnLastBusinessDay), wakeAt, firstActionHours: policy.meeting.firstActionHours,
      };
    },

    /**
     * R-32: the client's credit gate as the last health evaluation left it — what an approval
     * consults at decision time (the cadence's Decision Log, issue 11's initiative approval).
     */
    async readCreditGate(input: { clientId: string }) {
      return creditGateOf(db, input.clientId);
    },

    /** What a risk runs under (R-93..R-103): its row, the client's calendar and roles, the policy's clocks. */
    async prepareRisk(input: { riskId: string }): Promise<RiskSetup | null> {
      const row = await getRisk(db, input.riskId);
      if (!row) return null;
      const client = await getClient(db, row.clientId);
      if (!client) return null;
      const { version, policy } = await policyForClient(db, client.policyOverrides);
      const year = localYear(row.openedAt, client.timeZone);
      const calendar = clientCalendar(client, policy, year, year + 1); // Day 60, the After-Action and a roll may cross New Year
      const cal = makeCalendar(calendar);
      const seg = client.segment as RiskSetup['segment'];
      const ar = policy.atRisk;
      const bucket = row.bucket as Bucket;
      const baseline = await currentHealth(db, client.id);
      return {
        riskId: row.id, clientId: client.id, segment: seg, bucket, impact: row.impact, likelihood: row.likelihood, trigger: row.trigger, ruleId: row.ruleId,
        source: { process: row.source.process, ...(row.source.eventId ? { eventId: row.source.eventId } : {}), evidence: row.source.evidence },
        openedAt: toIso(row.openedAt, cal),
        // R-94, §2.19: owner CSM (TAM for Service; the segment's At Risk owner otherwise), presenter by segment, CS Manager escalation.
        ownerRole: bucket === 'Service' ? ar.ownerByBucket.Service : policy.raci[seg].atRisk.owner,
        presenterRole: policy.raci[seg].atRisk.presenter, sponsorRole: ar.sponsor,
        firstActionCta: row.firstActionCtaId, repeatOf: row.repeatOf ? { riskId: row.repeatOf, closedAt: (await getRisk(db, row.repeatOf))?.closedAt ?? row.openedAt } : null,
        healthBaseline: baseline?.compositeScore ?? null, policyVersion: version,
        rules: {
          severity: { ...ar.severity }, ackBusinessHours: { ...ar.ackBusinessHours }, stabiliseDays: ar.stabiliseDays, reengageWindowDays: { ...ar.reengageWindowDays },
          reengageBusinessDays: ar.reengageBusinessDays, reengageMinutes: { ...ar.reengageMinutes }, savePlanHours: ar.savePlanHours, savePlanBusinessDays: ar.savePlanBusinessDays,
          h1Days: { ...ar.h1Days }, h2Days: { ...ar.h2Days }, progressEmailDays: ar.progressEmailDays, noMovementDays: ar.noMovementDays, resetWithinDays: ar.resetWithinDays,
          resolveDays: ar.resolveDays, escalateDays: ar.escalateDays, exitHealthyDays: ar.exitHealthyDays, exitSlaCycles: ar.exitSlaCycles, afterActionBusinessDays: ar.afterActionBusinessDays,
          exitCriteria: { Service: [...ar.exitCriteriaByBucket.Service], Delivery: [...ar.exitCriteriaByBucket.Delivery], Strategic: [...ar.exitCriteriaByBucket.Strategic], Financial: [...ar.exitCriteriaByBucket.Financial] },
          ownerByBucket: { ...ar.ownerByBucket }, firstActionHours: policy.meeting.firstActionHours, minNoticeBusinessDays: policy.meeting.minNoticeBusinessDays,
          calendar: { timeZone: calendar.timeZone, holidays: [...calendar.holidays], workdays: [...calendar.workdays], dayStart: calendar.dayStart, dayEnd: calendar.dayEnd },
        },
      };
    },

    /**
     * R-97 through the cadence (R-22: At Risk may book): asks the client's cadence for the executive
     * re-engage session in [Day 2 / minimum notice, deadline] — merged into a strategic meeting in
     * range or booked as its own strategic meeting. Without a cadence that can (none running,
     * or one started before this), the presenter books it by hand.
     */
    async requestRiskReengage(input: { riskId: string; clientId: string; openedAt: string; dueDate: string; windowFromDay: number; minNoticeBusinessDays: number; presenterRole: Role; minutes: number; calendar: RiskSetup['rules']['calendar']; at: string }) {
      const cal = makeCalendar(input.calendar);
      const day0 = localDateOf(input.openedAt, cal);
      const fromDay = addCalendarDays(day0, input.windowFromDay);
      const notice = addBusinessDays(localDateOf(input.at, cal), input.minNoticeBusinessDays, cal);
      let earliest = fromDay > notice ? fromDay : notice;
      if (earliest > input.dueDate) earliest = input.dueDate;
      const ctx = Context.current();
      const target = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      const outcome = await reportToCadence(target, input.clientId, {
        action: { type: 'riskReengageRequested', riskId: input.riskId, earliest, latest: input.dueDate, ownerRole: input.presenterRole, minutes: input.minutes },
        idempotencyKey: `risk/${input.riskId}/reengage`, bodyHash: `riskReengageRequested/${input.riskId}/${earliest}/${input.dueDate}`, actor: SYSTEM, at: input.at,
      });
      if (outcome.outcome !== 'accepted') {
        return { bookByHand: true, meetingId: null, startsAt: null, merged: false, why: outcome.outcome === 'refused' ? outcome.refusal.message : 'the client has no cadence running' };
      }
      const status = await ctx.client.workflow.getHandle(cadenceWorkflowId(input.clientId)).query(cadenceStatus);
      if (!('triggers' in status)) return { bookByHand: true, meetingId: null, startsAt: null, merged: false, why: 'the cadence is starting' };
      const trigger = status.triggers.find((t) => t.key === `riskReengage:${input.riskId}`);
      const meeting = trigger?.meetingKey ? status.meetings.find((m) => m.key === trigger.meetingKey) : undefined;
      if (!meeting || meeting.status === 'unbooked') return { bookByHand: true, meetingId: null, startsAt: null, merged: false, why: 'no allowed slot before the deadline (R-37)' };
      return { bookByHand: false, meetingId: meeting.meetingId, startsAt: meeting.startsAt, merged: meeting.key !== `trigger/${trigger!.key}`, why: meeting.key !== `trigger/${trigger!.key}` ? `merged into ${meeting.template} (R-21)` : 'booked as its own strategic meeting' };
    },
  };
}
