import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import { clientCalendar, localYear } from '../db/client-calendar.js';
import { getClient } from '../db/clients.js';
import { initiativeRecord, getProposalById, getInitiativeById, loopSnapshot, quarterCloseFacts } from '../db/planning.js';
import { policyForClient } from '../db/policies.js';
import { atLocalTime, makeCalendar } from '../domain/business-time.js';
import type { ProcessEffect } from '../domain/effects.js';
import type { InitiativeAction, InitiativeSetup, InitiativeStateName, KickoffOutcome } from '../domain/initiatives.js';
import { loopDues, loopStep, nextClose, type LoopDue } from '../domain/planning-loop.js';
import { type Policy } from '../domain/policy.js';
import type { Eds, ProposalSetup } from '../domain/proposals.js';
import { quarterBasis, quarterRange } from '../domain/quarters.js';
import type { Actor } from '../db/schema.js';
import { reportToCadence, reportToProcess } from '../runtime/processes.js';
import {
  INITIATIVE_REFUSAL_TYPES, ONBOARDING_REFUSAL_TYPES, initiativeAction, initiativeWorkflowId, onboardingAction, onboardingStatus, onboardingWorkflowId,
  type InitiativeActionResult, type OnboardingActionResult,
} from '../workflows/contracts.js';
import type { OnboardingAction } from '../domain/onboarding.js';
import { getUpsellById } from '../db/upsell.js';
import type { SpendLane, SignalKind, UpsellSetup, Urgency } from '../domain/upsell.js';

/**
 * What the planning workflows read and whom they tell (issue 11): the setup of an initiative's
 * or a proposal's run, the client's planning-loop snapshot and due steps, and the reports to
 * other processes (initiative, cadence, onboarding R-51..R-54) through the one port.
 */
export function planningActivities({ db }: { db: Db }) {
  async function clientPolicy(clientId: string) {
    const client = await getClient(db, clientId);
    if (!client) return undefined;
    const { policy, version } = await policyForClient(db, client.policyOverrides);
    return { client, policy, version };
  }
  /** C-1: the client's calendar from this year through `years` ahead (a planning record lives a few years at most). */
  const calendarFor = (client: NonNullable<Awaited<ReturnType<typeof clientPolicy>>>['client'], policy: Policy, years: number) => {
    const y = localYear(Date.now(), client.timeZone);
    const cal = clientCalendar(client, policy, y - 1, y + years);
    return { timeZone: cal.timeZone, holidays: [...cal.holidays], workdays: [...cal.workdays], dayStart: cal.dayStart, dayEnd: cal.dayEnd };
  };
  const target = () => {
    const ctx = Context.current();
    return { client: ctx.client, taskQueue: ctx.info.taskQueue };
  };

  return {
    /** An initiative's run starts from its row (and its price tests, pre-approval and open proposal), under the client's policy. */
    async prepareInitiative(initiativeId: string): Promise<InitiativeSetup | null> {
      const rec = await initiativeRecord(db, initiativeId);
      if (!rec) return null;
      const cp = await clientPolicy(rec.row.clientId);
      if (!cp) return null;
      const { row } = rec;
      return {
        initiativeId, clientId: row.clientId, segment: cp.client.segment as 'A', timeZone: cp.client.timeZone, fiscalYearEnd: cp.client.fiscalYearEnd, policyVersion: cp.version, policy: cp.policy,
        calendar: calendarFor(cp.client, cp.policy, 4),
        card: { title: row.title, lane: row.lane, quarter: row.quarter, tier: row.tier, remediation: row.remediation, sourceKind: row.sourceKind },
        state: row.state as InitiativeStateName, stateChangedAt: row.stateChangedAt, flags: [...row.flags], parked: row.parked, approvedAt: row.approvedAt,
        priceTests: rec.priceTests.map((t) => ({ id: t.id, at: t.loggedAt, outcome: t.outcome as 'viable', quarter: t.quarter })),
        ...(rec.preApproval ? {
          preApproval: {
            id: rec.preApproval.id, loggedAt: rec.preApproval.loggedAt, quarter: rec.preApproval.quarter, minUsd: rec.preApproval.minUsd, maxUsd: rec.preApproval.maxUsd,
            owner: rec.preApproval.owner, reengaged: rec.preApproval.reengagedAt !== null, status: rec.preApproval.status as 'active',
          },
        } : {}),
        ...(rec.openProposalId ? { openProposalId: rec.openProposalId } : {}),
      };
    },

    /** An upsell play's run starts from its row (the logged signal, R-89), under the client's policy. */
    async prepareUpsell(signalId: string): Promise<UpsellSetup | null> {
      const row = await getUpsellById(db, signalId);
      if (!row) return null;
      const cp = await clientPolicy(row.clientId);
      if (!cp) return null;
      return {
        signalId, clientId: row.clientId, initiativeId: row.initiativeId, segment: cp.client.segment as 'A', policyVersion: cp.version, policy: cp.policy, calendar: calendarFor(cp.client, cp.policy, 2),
        signal: {
          kind: row.kind as SignalKind, source: row.source, signalDate: row.signalDate, lane: row.lane as SpendLane, urgency: row.urgency as Urgency, ...(row.dependency ? { dependency: row.dependency } : {}),
          title: row.title, riskReduction: row.riskReduction,
        },
        loggedAt: row.createdAt,
      };
    },

    /** A proposal's run starts from its row and its initiative's title, under the client's policy. */
    async prepareProposal(proposalId: string): Promise<ProposalSetup | null> {
      const row = await getProposalById(db, proposalId);
      if (!row) return null;
      const cp = await clientPolicy(row.clientId);
      const init = await getInitiativeById(db, row.initiativeId);
      if (!cp || !init) return null;
      return {
        proposalId, clientId: row.clientId, initiativeId: row.initiativeId, initiativeTitle: init.title, version: row.version, segment: cp.client.segment as 'A', timeZone: cp.client.timeZone,
        policyVersion: cp.version, policy: cp.policy, calendar: calendarFor(cp.client, cp.policy, 2), eds: row.eds as unknown as Eds,
        status: row.status as 'draft', sentAt: row.sentAt, bucket: row.bucket as '0-14' | null, reengagedAt: row.reengagedAt,
      };
    },

    /**
     * an approved initiative's delivery kickoff, through the client's cadence — unless the
     * onboarding's delivery gate is still shut, which is read here at decision time.
     */
    async requestDeliveryKickoff(input: { clientId: string; initiativeId: string; title: string; approvedAt: string; key: string; actor: Actor; at: string }): Promise<KickoffOutcome> {
      const t = target();
      const onboarding = await t.client.workflow.getHandle(onboardingWorkflowId(input.clientId)).query(onboardingStatus).catch(() => undefined);
      if (onboarding && 'gates' in onboarding && onboarding.phase === 'running') {
        const gate = onboarding.gates.find((g) => g.gate === 'delivery');
        if (gate && !gate.open) return { outcome: 'blocked', conditions: gate.conditions };
      }
      const r = await reportToCadence(t, input.clientId, {
        action: { type: 'initiativeApproved', initiativeId: input.initiativeId, title: input.title.slice(0, 300), approvedAt: input.approvedAt },
        idempotencyKey: input.key, bodyHash: `initiativeApproved/${input.initiativeId}`, actor: input.actor, at: input.at,
      });
      if (r.outcome === 'not-running') return { outcome: 'no-cadence' };
      if (r.outcome === 'refused') return { outcome: 'refused', message: r.refusal.message };
      return { outcome: 'requested', ...(r.result.meetingsBooked[0] ? { meetingId: r.result.meetingsBooked[0].meetingId } : {}), ctas: r.result.ctasOpened };
    },

    /** Tells an initiative what became of its proposal: accepted, refused by its rules, or it no longer runs. */
    async reportToInitiative(input: { initiativeId: string; action: InitiativeAction; key: string; actor: Actor; at: string }): Promise<{ outcome: 'accepted' | 'refused' | 'not-running'; state?: string; detail?: string; kickoff?: InitiativeActionResult['kickoff'] }> {
      const r = await reportToProcess(target(), initiativeWorkflowId(input.initiativeId), initiativeAction, INITIATIVE_REFUSAL_TYPES, {
        action: input.action, idempotencyKey: input.key, bodyHash: `${input.action.type}/${input.key}`, actor: input.actor, at: input.at,
      });
      if (r.outcome === 'accepted') return { outcome: 'accepted', state: r.result.state, ...(r.result.kickoff ? { kickoff: r.result.kickoff } : {}) };
      if (r.outcome === 'refused') return { outcome: 'refused', detail: r.refusal.message };
      return { outcome: 'not-running' };
    },

    /** Onboarding steps 3–6 record from the planning records (issue 11), only in a running version-2 onboarding. */
    async reportToOnboarding(input: { clientId: string; action: OnboardingAction; key: string; actor: Actor; at: string }): Promise<{ outcome: 'accepted' | 'refused' | 'not-running' | 'skipped'; detail?: string }> {
      return tellOnboarding(target(), input);
    },

    /** the 20-minute live reset of an undecided proposal, booked through the cadence within 7 days. */
    async requestProposalReset(input: { clientId: string; proposalId: string; title: string; withinDays: number; minutes: number; ownerRole: string; presenterRole: string; key: string; actor: Actor; at: string }) {
      const r = await reportToCadence(target(), input.clientId, {
        action: { type: 'proposalReset', proposalId: input.proposalId, title: input.title.slice(0, 300), withinDays: input.withinDays, minutes: input.minutes, ownerRole: input.ownerRole as 'AM', presenterRole: input.presenterRole as 'vCIO' },
        idempotencyKey: input.key, bodyHash: `proposalReset/${input.proposalId}`, actor: input.actor, at: input.at,
      });
      if (r.outcome === 'not-running') return { outcome: 'not-running' as const, detail: 'the client has no running cadence' };
      if (r.outcome === 'refused') return { outcome: 'refused' as const, detail: r.refusal.message };
      return { outcome: 'accepted' as const, ...(r.result.meetingsBooked[0] ? { meetingId: r.result.meetingsBooked[0].meetingId } : {}) };
    },

    /** The planning loop's due steps not yet handled, from a fresh snapshot of the client's records. */
    async planningLoopDues(input: { clientId: string; startedAt: string }): Promise<{ dues: LoopDue[] } | null> {
      const cp = await clientPolicy(input.clientId);
      if (!cp) return null;
      const cal = makeCalendar(calendarFor(cp.client, cp.policy, 2));
      const snap = await loopSnapshot(db, cp.client, input.startedAt);
      return { dues: loopDues(snap, cp.policy, cal).slice(0, 50) };
    },

    /** What one due step records (domain/planning-loop.ts), read now; the caller records it with the step's mark. */
    async planningLoopStep(input: { clientId: string; startedAt: string; key: string; now: string }): Promise<{ effects: ProcessEffect[] }> {
      const cp = await clientPolicy(input.clientId);
      if (!cp) return { effects: [] };
      const cal = makeCalendar(calendarFor(cp.client, cp.policy, 2));
      const snap = await loopSnapshot(db, cp.client, input.startedAt);
      let close;
      if (input.key.startsWith('quarter-close/')) {
        const quarter = input.key.slice('quarter-close/'.length);
        const basis = quarterBasis(cp.policy.calendar.quarters, cp.client.fiscalYearEnd);
        const from = atLocalTime(quarterRange(quarter, basis).start, '00:00', cal);
        close = await quarterCloseFacts(db, input.clientId, quarter, basis, { from: new Date(from).toISOString(), to: new Date(Math.max(Date.parse(input.now), Date.parse(nextClose(snap, cp.policy, cal).at))).toISOString() });
      }
      return { effects: loopStep(input.key, snap, cp.policy, cal, input.now, close) };
    },
  };
}

/** Sends an onboarding report on behalf of a planning record, when the client's onboarding is a running version-2 run. */
export async function tellOnboarding(
  t: Parameters<typeof reportToProcess>[0],
  input: { clientId: string; action: OnboardingAction; key: string; actor: Actor; at: string },
): Promise<{ outcome: 'accepted' | 'refused' | 'not-running' | 'skipped'; detail?: string; result?: OnboardingActionResult }> {
  const status = await t.client.workflow.getHandle(onboardingWorkflowId(input.clientId)).query(onboardingStatus).catch(() => undefined);
  if (!status || !('processVersion' in status) || status.phase !== 'running') return { outcome: 'not-running' };
  if (status.processVersion < 2) return { outcome: 'skipped', detail: 'onboarding version 1 keeps its own reports' };
  const r = await reportToProcess(t, onboardingWorkflowId(input.clientId), onboardingAction, ONBOARDING_REFUSAL_TYPES, {
    action: input.action, idempotencyKey: input.key, bodyHash: `${input.action.type}/${input.key}`, actor: input.actor, at: input.at,
  });
  if (r.outcome === 'accepted') return { outcome: 'accepted', result: r.result };
  if (r.outcome === 'refused') return { outcome: 'refused', detail: r.refusal.message };
  return { outcome: 'not-running' };
}
