import type { Db } from '../db/client.js';
import { getClient } from '../db/clients.js';
import { escalateCta, getCta, settledCtaIds, type EscalationLevel } from '../db/ctas.js';
import { sql } from 'drizzle-orm';
import { appendEvent, appendEvents, type NewLedgerEvent } from '../db/ledger.js';
import { activePolicy, policyForClient, policyVersion } from '../db/policies.js';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { dispatchCtaClocks, dispatchWorkflowStart, ensureCadence, notifyCtaClocks, reportToCadence, reportToRisk } from '../runtime/processes.js';
import { recordCreditDecision, releaseDeferredCredit, upsertCurrentHealth, upsertSnapshot } from '../db/health.js';
import { openOrAppendRisk, openRiskOf, updateRiskRow } from '../db/risks.js';
import { updateClient } from '../db/clients.js';
import type { RiskAction } from '../domain/at-risk.js';
import { healthActivities } from './health.js';
import { makeCalendar, toIso } from '../domain/business-time.js';
import type { OnboardingStart } from '../domain/onboarding.js';
import type { MeetingChanges, ProcessEffect } from '../domain/effects.js';
import { cadenceActivities } from './cadence.js';
import { recordAccess } from '../db/access.js';
import { clientCalendar, localYear, placementReviewPlan } from '../db/client-calendar.js';
import { heartbeat, withFailureClassification } from './failures.js';
import { eq } from 'drizzle-orm';
import { planOnboarding, type OnboardingSegment } from '../domain/onboarding-plan.js';
import { completeCta, ctaIdFor, openCta, type CtaRow } from '../db/ctas.js';
import { meetings, type Actor } from '../db/schema.js';
import { stakeholderActivities } from './stakeholders.js';
import { deliveryActivities } from './deliveries.js';
import { connectorActivities } from './psa.js';
import { msgraphActivities } from './msgraph.js';
import { governanceActivities } from './governance.js';
import { notificationActivities } from './notifications.js';
import { updateGovernanceSession } from '../db/governance.js';
import { applyPlanningWrite } from '../db/planning.js';
import { updateUpsellRow } from '../db/upsell.js';
import { planningActivities } from './planning.js';
import { saleActivities } from './sales.js';
import { planningCycleActivities, tellPlanningCycles } from './planning-cycle.js';
import { upsertPlanningCycle } from '../db/planning-cycles.js';
import type { PlanningCycleAction } from '../domain/planning-cycle.js';

export interface ActivityDeps {
  db: Db;
}

/**
 * Every activity, created from one place with its dependencies. Each is safe to retry: reads are
 * pure, and ledger writes carry a deterministic id so a retried write lands once.
 */
export function createActivities({ db }: ActivityDeps) {
  // Every activity's failures are classified in one place (activities/failures.ts): permanent ones
  // are non-retryable with a named type; none carries SQL parameters into history or logs.
  return withFailureClassification({
    ...cadenceActivities({ db }),
    ...stakeholderActivities({ db }),
    ...deliveryActivities({ db }),
    ...connectorActivities({ db }),
    ...msgraphActivities({ db }),
    ...governanceActivities({ db }),
    ...notificationActivities({ db }),
    ...planningActivities({ db }),
    ...healthActivities({ db }),
    ...saleActivities({ db }),
    ...planningCycleActivities({ db }),

    async appendLedgerEvent(event: NewLedgerEvent & { id: string }): Promise<boolean> {
      return appendEvent(db, event);
    },

    /** Of a client's running clocks, the CTAs whose clock can stop (db/ctas.ts `settledCtaIds`), in one read. */
    async settledCtas(ctaIds: string[]): Promise<string[]> {
      return settledCtaIds(db, ctaIds);
    },

    /** Whether the CTA's clock can stop (runs recorded with a workflow per CTA, workflows/cta-sla.ts). */
    async ctaClockState(ctaId: string): Promise<{ settled: boolean }> {
      return { settled: (await settledCtaIds(db, [ctaId])).length > 0 };
    },

    /** Moves an unattended CTA one escalation level up; conditional in the database, so retries and races are safe. */
    async escalateCtaLevel(ctaId: string, level: EscalationLevel, windowEndedAt: string): Promise<'applied' | 'not-found' | 'conflict'> {
      return (await escalateCta(db, ctaId, level, windowEndedAt, windowEndedAt)).outcome;
    },

    /**
     * Everything an onboarding run reads, once, under one policy version and the client's
     * overrides: the Day 0–90 plan (R-46..R-57) and the rule values. Computed here, not in the
     * workflow, so the plan is recorded in history and a later tz-data or calendar change cannot
     * alter a running onboarding on replay.
     */
    async prepareOnboarding(input: { clientId: string; signedAt: string; policyVersion: number; riskFlag: boolean; accessSystems?: string[]; version?: 1 | 2 }): Promise<OnboardingStart> {
      const client = await getClient(db, input.clientId);
      if (!client) throw ApplicationFailure.create({ type: 'ClientNotFound', message: `No client ${input.clientId}`, nonRetryable: true });
      const { policy, version: policyVersionUsed } = await policyForClient(db, client.policyOverrides, input.policyVersion);
      // C-1: holidays from Day 0's year through the year after the last planned day (closeout, R-56, and the
      // Working Agreement after it, R-58), so a date rolled past New Year still meets the next year's holidays.
      const day0 = Date.parse(input.signedAt.length === 10 ? `${input.signedAt}T12:00:00Z` : input.signedAt);
      const lastDay = day0 + (policy.onboarding.closeoutDay + policy.onboarding.workingAgreementDaysAfterClose) * 86_400_000;
      const cal = makeCalendar(clientCalendar(client, policy, localYear(day0, client.timeZone), localYear(lastDay, client.timeZone) + 1));
      const segment = client.segment as OnboardingSegment;
      const version = input.version ?? 1;
      const plan = planOnboarding({ signedAt: input.signedAt, segment, riskFlag: input.riskFlag, version }, policy, cal);
      return {
        ...(version >= 2 ? { version } : {}),
        clientId: client.id, segment, signedAt: toIso(input.signedAt, cal), timeZone: client.timeZone, policyVersion: policyVersionUsed, plan,
        riskFlag: input.riskFlag, accessSystems: input.accessSystems?.length ? [...input.accessSystems] : [...policy.onboarding.accessMatrixSystems],
        rules: {
          maxDecisions: policy.meeting.maxDecisions, accessThresholdPct: policy.onboarding.accessThresholdPct, quickWinsRequired: policy.onboarding.quickWinsRequired,
          handoffPacketItems: [...policy.onboarding.handoffPacketItems], firstActionHours: policy.meeting.firstActionHours, recapHours: policy.meeting.recapHours,
          escalationCtaHours: policy.onboarding.escalationCtaHours, daysToProposalMax: policy.onboarding.daysToProposalMax, slaClock: policy.calendar.slaClock,
          ctaEscalationChain: [...policy.ctas.escalationChain], ctaEscalationWindowHours: policy.ctas.escalationWindowHours,
          calendar: { timeZone: cal.timeZone, holidays: [...cal.holidays], workdays: [...cal.workdays], dayStart: cal.dayStart, dayEnd: cal.dayEnd },
          ...(version >= 2 ? {
            // R-58 Working Agreement; R-57 D's operational initiatives (R-72 Goal 1 volume guide; §2.19 D roadmap line).
            workingAgreement: { daysAfterClose: policy.onboarding.workingAgreementDaysAfterClose, ownerRole: policy.onboarding.workingAgreementOwner },
            operationalInitiatives: { max: policy.initiatives.goal1PerYear.max, ownerRole: policy.raci[segment].roadmapBudget.accountable },
          } : {}),
        },
      };
    },

    /**
     * Records one batch of a process's effects in order. Every write is keyed by the workflow id
     * and the batch (`action-3`, `deadline/access.checkpoint`, …), so a retried activity lands each
     * effect once. Returns the CTAs it opened, each with its first-action clock started.
     */
    async recordProcessEffects(batch: {
      /** Null for a portfolio process (governance routines). */
      clientId: string | null; process: string; workflowId: string; batchKey: string; actor: Actor; at: string;
      /** C-5; null: the client's (or, without a client, the active) policy's meeting.firstActionHours. */
      firstActionHours: number | null; effects: ProcessEffect[];
    }): Promise<{ ctas: string[] }> {
      const { clientId, process, workflowId, actor, at } = batch;
      // A portfolio process (governance, issue 14) writes without a client; client effects need one.
      const clientOf = (what: string): string => {
        if (clientId === null) throw new Error(`${what} needs a client`);
        return clientId;
      };
      const ctas: string[] = [];
      const clocks: CtaRow[] = [];
      const notify: string[] = [];
      const cadences: string[] = [];
      let planningLoop = false;
      // Cross-process messages, sent once the batch is committed (DESIGN "How processes talk to each other").
      const risksToStart: string[] = [];
      const riskReports: { riskId: string; key: string; action: RiskAction }[] = [];
      const resegments: { maturity: number; appetite: number; reason: string }[] = [];
      // The cadence's facts about planning meetings go to their cycle (R-62..R-66, R-21).
      const cycleFacts: { meetingId: string; key: string; action: (fy: number, m: { key: string }) => PlanningCycleAction }[] = [];
      // One transaction for the batch (DESIGN "in one transaction"): a failure records none of it, so
      // the kernel can undo the step and nothing on the timeline contradicts the process state.
      await db.transaction(async (t) => {
        const tx = t as unknown as Db; // repositories take the database type; a transaction has the same query API
        // Consecutive events go to the ledger together (issue 17: two statements for the lot, not two each);
        // any other effect first writes those before it, so the timeline keeps the batch's order.
        const events: NewLedgerEvent[] = [];
        const writeEvents = async () => {
          if (events.length) await appendEvents(tx, events.splice(0));
        };
        for (const [i, e] of batch.effects.entries()) {
          heartbeat(i);
          const id = `${workflowId}/${batch.batchKey}/${i}`;
          if (e.kind === 'event') {
            events.push({ id, occurredAt: e.occurredAt ?? at, clientId: e.clientId === undefined ? clientId : e.clientId, process, workflowId, type: e.type, ruleId: e.ruleId, why: e.why, actor, data: e.data });
            // a date trigger merged into a meeting; when that is a planning meeting its cycle notes it (D: the renewal review sends the async pack).
            const d = e.data as { merged?: unknown; meetingId?: unknown; trigger?: unknown };
            if (process === 'cadence' && e.type === 'trigger.fired' && d.merged === true && typeof d.meetingId === 'string') {
              const meetingId = d.meetingId;
              cycleFacts.push({ meetingId, key: id, action: () => ({ type: 'triggerAttached', meetingId, trigger: String(d.trigger), ruleId: e.ruleId ?? 'R-21', firedAt: at }) });
            }
            continue;
          }
          await writeEvents();
          if (e.kind === 'cta') {
            if (e.onlyWhileOpen) {
              const watched = await getCta(tx, ctaIdFor(`${workflowId}/${e.onlyWhileOpen}`));
              if (!watched || watched.state === 'done' || watched.state === 'cancelled') continue; // nothing left to chase
            }
            const row = await openCta(tx, {
              key: `${workflowId}/${e.key}`, clientId: e.clientId === undefined ? clientId : e.clientId, ...(e.ownerPersonId ? { ownerPersonId: e.ownerPersonId } : {}), process, workflowId, kind: e.ctaKind, title: e.title, ruleId: e.ruleId, ownerRole: e.ownerRole,
              dueAt: e.dueAt, firstActionHours: batch.firstActionHours ?? (clientId ? await policyForClientId(tx, clientId) : (await activePolicy(tx)).document).meeting.firstActionHours, openedAt: at, actor, why: e.why, ...(e.data ? { data: e.data } : {}), ...(e.clock ? { clock: e.clock } : {}),
            });
            // An optional item has no SLA clock; the others escalate on first action (C-5) or at their due: dispatchCtaClocks decides.
            clocks.push(row);
            ctas.push(row.id);
          } else if (e.kind === 'ctaResolved') {
            const ctaId = ctaIdFor(`${workflowId}/${e.key}`);
            const done = await completeCta(tx, ctaId, e.note, { actor: { kind: 'system' }, at });
            if (done.outcome === 'applied') notify.push(ctaId);
          } else if (e.kind === 'meetingUpdate') {
            await tx.update(meetings).set(meetingColumns(e.changes, at)).where(eq(meetings.id, e.meetingId));
            if (process === 'cadence') {
              const c = e.changes;
              if (c.state === 'held') cycleFacts.push({ meetingId: e.meetingId, key: id, action: () => ({ type: 'meetingHeld', meetingId: e.meetingId, heldAt: c.heldAt ?? at }) });
              else if (c.state === 'missed') cycleFacts.push({ meetingId: e.meetingId, key: id, action: () => ({ type: 'meetingMissed', meetingId: e.meetingId }) });
              else if (c.startsAt) cycleFacts.push({ meetingId: e.meetingId, key: id, action: () => ({ type: 'meetingMoved', meetingId: e.meetingId, startsAt: c.startsAt! }) });
            }
          } else if (e.kind === 'planningCycle') {
            if (clientId === null) throw new Error('a planning cycle needs a client');
            await upsertPlanningCycle(tx, clientId, e.fiscalYear, workflowId, e.row, at);
          } else if (e.kind === 'governanceSessionUpdate') {
            await updateGovernanceSession(tx, e.sessionId, e.changes, at);
          } else if (e.kind === 'startCadence') {
            cadences.push(e.lockedAt);
          } else if (e.kind === 'riskSignal') {
            if (clientId === null) throw new Error('a riskSignal needs a client');
            const firstActionCtaId = e.firstActionCta ? ctaIdFor(`${workflowId}/${e.firstActionCta}`) : undefined;
            await appendEvent(tx, {
              id, occurredAt: at, clientId, process, workflowId, type: 'risk.signal_raised', ruleId: e.ruleId, actor, why: { rule: 'R-93' },
              data: { trigger: e.trigger, bucket: e.bucket, ...(e.impact ? { impact: e.impact } : {}), ...(e.likelihood ? { likelihood: e.likelihood } : {}), evidence: e.evidence, ...(firstActionCtaId ? { firstActionCta: firstActionCtaId } : {}) },
            });
            // open a risk (one process per risk) or append evidence to the client's open risk in the bucket.
            const policy = await policyForClientId(tx, clientId);
            const opened = await openOrAppendRisk(tx, {
              clientId, bucket: e.bucket, ...(e.impact ? { impact: e.impact } : {}), ...(e.likelihood ? { likelihood: e.likelihood } : {}), trigger: e.trigger, ruleId: e.ruleId,
              source: { process, workflowId, eventId: id, evidence: e.evidence }, firstActionCtaId: firstActionCtaId ?? null, openedAt: at, seed: id,
            }, policy);
            if (opened.outcome === 'opened') risksToStart.push(opened.riskId);
            else riskReports.push({ riskId: opened.riskId, key: id, action: { type: 'evidenceAdded', evidence: `${e.trigger} (${e.ruleId})`, source: process, signal: { trigger: e.trigger, ruleId: e.ruleId, eventId: id } } });
          } else if (e.kind === 'riskEvidence') {
            const open = await openRiskOf(tx, clientOf('riskEvidence'), e.bucket);
            if (open) riskReports.push({ riskId: open.id, key: id, action: { type: 'evidenceAdded', evidence: e.evidence, source: process, conditionCleared: e.conditionCleared, signal: { trigger: e.key, ruleId: e.ruleId, eventId: id } } });
          } else if (e.kind === 'riskReport') {
            riskReports.push({ riskId: e.riskId, key: id, action: e.action as unknown as RiskAction });
          } else if (e.kind === 'riskUpdate') {
            await updateRiskRow(tx, e.riskId, e.changes, at);
          } else if (e.kind === 'healthCurrent') {
            await upsertCurrentHealth(tx, clientOf('healthCurrent'), { evaluatedAt: e.evaluatedAt, occasion: e.occasion, policyVersion: e.policyVersion, scores: e.scores as never, credit: e.credit, pause: e.pause });
          } else if (e.kind === 'healthSnapshot') {
            await upsertSnapshot(tx, clientOf('healthSnapshot'), { month: e.month, at: e.at, scores: e.scores as never, credit: e.credit, pause: e.pause, redStreaks: e.redStreaks });
          } else if (e.kind === 'creditRelease') {
            await releaseDeferredCredit(tx, clientOf('creditRelease'), e.month, { process, workflowId, actor, at, reason: e.reason });
          } else if (e.kind === 'creditDecision') {
            await recordCreditDecision(tx, {
              id: ctaIdFor(`${workflowId}/credit/${e.key}`), clientId: clientOf('creditDecision'), source: process, title: e.title, verdict: e.verdict, reasons: e.reasons, decidedAt: e.decidedAt,
              ...(e.meetingId ? { meetingId: e.meetingId } : {}), ...(e.initiativeId ? { initiativeId: e.initiativeId } : {}), ...(e.data ? { data: e.data } : {}),
            }, { process, workflowId, actor, at });
          } else if (e.kind === 'resegment') {
            resegments.push({ maturity: e.maturity, appetite: e.appetite, reason: e.reason });
          } else if (e.kind === 'accessRecord') {
            if (clientId === null) throw new Error('an access record needs a client');
            await recordAccess(tx, clientId, e.systems, 'onboarding', at);
          } else if (e.kind === 'upsellUpdate') {
            await updateUpsellRow(tx, e.signalId, e.changes, at);
          } else if (e.kind === 'planning') {
            if (clientId === null) throw new Error('a planning write needs a client');
            // Issue 11: the planning workflows' rows (initiatives, proposals, price tests, pre-approvals, park versions, clock marks).
            if ((await applyPlanningWrite(tx, e.write, { id, clientId, process, workflowId, actor, at })).noticeLoop) planningLoop = true;
          } else {
            if (clientId === null) throw new Error('a kickoff needs a client');
            await recordKickoff(tx, e, { id, clientId, process, workflowId, actor, at });
          }
        }
        await writeEvents();
      });
      // Temporal is not part of the transaction: start clocks and processes once the facts are committed
      // (each start is idempotent by workflow id, so a retry of this activity starts nothing twice).
      const ctx = Context.current();
      const target = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      // Each CTA's clock start sits in the outbox (written with the CTA, issue 10): dispatch it now; the
      // worker's dispatcher starts whatever a crash between commit and here left behind.
      // A client's clocks run in one workflow (issue 17), so however many CTAs the batch opens, their
      // clocks are one signal-with-start, and the CTAs it closed one more signal.
      heartbeat(batch.effects.length);
      await dispatchCtaClocks(target, db, clocks);
      await notifyCtaClocks(target, db, notify);
      // The client's planning loop re-reads its records (the notice is in the outbox too, should this fail).
      if (clientId !== null && planningLoop) await dispatchWorkflowStart(target, db, 'planning-loop', clientId);
      if (clientId !== null) for (const lockedAt of cadences) {
        const policy = await activePolicy(db);
        const client = await getClient(db, clientId);
        await ensureCadence(target, { clientId, lockedAt, policyVersion: policy.version }, { name: client?.name ?? clientId, segment: client?.segment ?? '' });
      }
      for (const riskId of risksToStart) await dispatchWorkflowStart(target, db, 'risk', riskId);
      for (const r of riskReports) {
        // C-6: keyed by the effect's ledger id, so a retried batch is a duplicate to the risk, never a second report.
        const outcome = await reportToRisk(target, r.riskId, clientOf('riskReport'), { action: r.action, idempotencyKey: r.key, bodyHash: r.key, actor, at });
        if (outcome.outcome === 'refused' && outcome.refusal.status !== 409) throw new Error(`risk ${r.riskId} refused ${r.action.type}: ${outcome.refusal.message}`);
      }
      if (clientId !== null) await tellPlanningCycles(target, db, clientId, cycleFacts, actor, at);
      for (const r of resegments) {
        // R-110 with autoResegment: the derived scores become the client's; placement re-runs and the cadence follows.
        const updated = await updateClient(db, clientOf('resegment'), { maturity: r.maturity, appetite: r.appetite }, { actor, at }, undefined, { rationale: r.reason });
        if (updated?.changed && (updated.row.segment !== undefined)) {
          await reportToCadence(target, clientOf('resegment'), {
            action: { type: 'segmentChanged', segment: updated.row.segment as 'A', touchTier: updated.row.touchTier as 'VIP', changedAt: at },
            idempotencyKey: `${workflowId}/${batch.batchKey}/resegment`, bodyHash: `resegment/${updated.row.segment}`, actor, at,
          });
        }
      }
      return { ctas };
    },

    /** `process.failed` (issue 10): what a process could not record, so the timeline says so instead of diverging silently. */
    async recordProcessFailure(input: { clientId: string | null; process: string; workflowId: string; actor: Actor; at: string; data: Record<string, unknown> }): Promise<void> {
      const data = { ...input.data, message: String(input.data.message ?? '').replace(CONTROL_CHARS, ' ') };
      await appendEvent(db, {
        occurredAt: input.at, clientId: input.clientId, process: input.process, workflowId: input.workflowId, type: 'process.failed', ruleId: null, actor: input.actor,
        why: { rule: 'the process state was put back; nothing it could not record stands' }, data,
      });
    },

    async activePolicyVersion(): Promise<number> {
      return (await activePolicy(db)).version;
    },

    /** What the placement review of one client needs, under the given policy version and the client's overrides. */
    async loadPlacementReviewPlan(clientId: string, version: number) {
      const client = await getClient(db, clientId);
      if (!client) return undefined;
      const { policy } = await policyForClient(db, client.policyOverrides, version);
      return placementReviewPlan(client, policy, Date.now());
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;

/** The MSP policy with the client's overrides, inside a transaction. */
async function policyForClientId(tx: Db, clientId: string) {
  const client = await getClient(tx, clientId);
  return (await policyForClient(tx, client?.policyOverrides ?? {})).policy;
}

/** Control characters PostgreSQL text or a log line should not carry (tab, LF and CR are kept). */
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The onboarding kickoff meeting row and its ledger event, booked or held. */
async function recordKickoff(
  db: Db, e: Extract<ProcessEffect, { kind: 'meeting' }>,
  c: { id: string; clientId: string; process: string; workflowId: string; actor: Actor; at: string },
) {
  const { id, clientId, process, workflowId, actor, at } = c;
  const meetingId = ctaIdFor(`${workflowId}/meeting/${e.key}`);
  // A held kickoff records when it was held and its decisions; effects of v1 runs carry neither, so the row falls back.
  const held = e.state === 'held'
    ? { heldAt: e.heldAt ?? e.startsAt, decisionCount: e.decisionCount ?? (Array.isArray(e.data.decisions) ? e.data.decisions.length : 0) }
    : {};
  await db.insert(meetings).values({
    id: meetingId, clientId, process, workflowId, kind: e.meetingKind, mode: 'live', state: e.state, startsAt: e.startsAt, endsAt: e.endsAt, ...held, data: e.data, createdAt: at, updatedAt: at,
  }).onConflictDoUpdate({ target: meetings.id, set: { state: e.state, startsAt: e.startsAt, endsAt: e.endsAt, ...held, data: sql`${meetings.data} || ${JSON.stringify(e.data)}::jsonb`, updatedAt: at } });
  if (e.state === 'scheduled') {
    await appendEvent(db, { id, occurredAt: at, clientId, process, workflowId, type: 'meeting.scheduled', ruleId: e.ruleId, actor, why: {}, data: { meetingId, kind: e.meetingKind, startsAt: toIso(e.startsAt), endsAt: toIso(e.endsAt), mode: 'live' } });
  } else {
    const decisions = Array.isArray(e.data.decisions) ? e.data.decisions.length : 0;
    const attendees = Array.isArray(e.data.attendees) ? (e.data.attendees as string[]) : [];
    await appendEvent(db, { id, occurredAt: at, clientId, process, workflowId, type: 'meeting.held', ruleId: 'R-27', actor, why: { heldAt: e.startsAt, endedAt: e.endsAt, maxDecisionsRule: 'R-27' }, data: { meetingId, decisions, attendees } });
  }
}

/** A meeting's changed columns; `data` is merged into the row's JSON, never replacing it. */
function meetingColumns(c: MeetingChanges, at: string) {
  const { data, ...cols } = c;
  return { ...cols, ...(data ? { data: sql`${meetings.data} || ${JSON.stringify(data)}::jsonb` } : {}), updatedAt: at };
}
