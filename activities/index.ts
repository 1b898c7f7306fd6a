import type { Db } from '../db/client.js';
import { getClient } from '../db/clients.js';
import { escalateCta, getCta, type EscalationLevel } from '../db/ctas.js';
import { sql } from 'drizzle-orm';
import { appendEvent, type NewLedgerEvent } from '../db/ledger.js';
import { activePolicy, policyVersion } from '../db/policies.js';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { dispatchWorkflowStart, ensureCadence, notifyCtaClock } from '../runtime/processes.js';
import { makeCalendar, toIso } from '../domain/business-time.js';
import type { OnboardingStart } from '../domain/onboarding.js';
import type { MeetingChanges, ProcessEffect } from '../domain/effects.js';
import { cadenceActivities } from './cadence.js';
import { heartbeat, withFailureClassification } from './failures.js';
import { eq } from 'drizzle-orm';
import { planOnboarding, type OnboardingSegment } from '../domain/onboarding-plan.js';
import { applyClientOverrides } from '../domain/policy.js';
import { completeCta, ctaIdFor, openCta } from '../db/ctas.js';
import { meetings, type Actor } from '../db/schema.js';

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

    async appendLedgerEvent(event: NewLedgerEvent & { id: string }): Promise<boolean> {
      return appendEvent(db, event);
    },

    /** Whether the CTA's clock can stop: a first action was recorded, or it is closed. */
    async ctaClockState(ctaId: string): Promise<{ settled: boolean }> {
      const cta = await getCta(db, ctaId);
      return { settled: !cta || cta.firstActionAt !== null || cta.state === 'done' || cta.state === 'cancelled' };
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
    async prepareOnboarding(input: { clientId: string; signedAt: string; policyVersion: number; riskFlag: boolean; accessSystems?: string[] }): Promise<OnboardingStart> {
      const client = await getClient(db, input.clientId);
      if (!client) throw ApplicationFailure.create({ type: 'ClientNotFound', message: `No client ${input.clientId}`, nonRetryable: true });
      const stored = (await policyVersion(db, input.policyVersion)) ?? (await activePolicy(db));
      const applied = applyClientOverrides(stored.document, client.policyOverrides);
      const policy = applied.ok ? applied.policy : stored.document;
      const cal = makeCalendar({
        timeZone: client.timeZone, holidays: [...policy.calendar.holidays, ...client.holidays],
        dayStart: policy.calendar.dayStart, dayEnd: policy.calendar.dayEnd, workdays: [...policy.calendar.workdays],
      });
      const segment = client.segment as OnboardingSegment;
      const plan = planOnboarding({ signedAt: input.signedAt, segment, riskFlag: input.riskFlag }, policy, cal);
      return {
        clientId: client.id, segment, signedAt: toIso(input.signedAt, cal), timeZone: client.timeZone, policyVersion: stored.version, plan,
        riskFlag: input.riskFlag, accessSystems: input.accessSystems?.length ? [...input.accessSystems] : [...policy.onboarding.accessMatrixSystems],
        rules: {
          maxDecisions: policy.meeting.maxDecisions, accessThresholdPct: policy.onboarding.accessThresholdPct, quickWinsRequired: policy.onboarding.quickWinsRequired,
          handoffPacketItems: [...policy.onboarding.handoffPacketItems], firstActionHours: policy.meeting.firstActionHours, recapHours: policy.meeting.recapHours,
          escalationCtaHours: policy.onboarding.escalationCtaHours, daysToProposalMax: policy.onboarding.daysToProposalMax, slaClock: policy.calendar.slaClock,
          ctaEscalationChain: [...policy.ctas.escalationChain], ctaEscalationWindowHours: policy.ctas.escalationWindowHours,
          calendar: { timeZone: cal.timeZone, holidays: [...cal.holidays], workdays: [...cal.workdays], dayStart: cal.dayStart, dayEnd: cal.dayEnd },
        },
      };
    },

    /**
     * Records one batch of a process's effects in order. Every write is keyed by the workflow id
     * and the batch (`action-3`, `deadline/access.checkpoint`, …), so a retried activity lands each
     * effect once. Returns the CTAs it opened, each with its first-action clock started.
     */
    async recordProcessEffects(batch: {
      clientId: string; process: string; workflowId: string; batchKey: string; actor: Actor; at: string; firstActionHours: number; effects: ProcessEffect[];
    }): Promise<{ ctas: string[] }> {
      const { clientId, process, workflowId, actor, at } = batch;
      const ctas: string[] = [];
      for (const [i, e] of batch.effects.entries()) {
        heartbeat(i);
        const id = `${workflowId}/${batch.batchKey}/${i}`;
        if (e.kind === 'event') {
          await appendEvent(db, { id, occurredAt: e.occurredAt ?? at, clientId, process, workflowId, type: e.type, ruleId: e.ruleId, why: e.why, actor, data: e.data });
        } else if (e.kind === 'cta') {
          const row = await openCta(db, {
            key: `${workflowId}/${e.key}`, clientId, process, workflowId, kind: e.ctaKind, title: e.title, ruleId: e.ruleId, ownerRole: e.ownerRole,
            dueAt: e.dueAt, firstActionHours: batch.firstActionHours, openedAt: at, actor, why: e.why, ...(e.data ? { data: e.data } : {}),
          });
          // The clock is its own workflow, started through the worker's client (not a child: it outlives the process run).
          if (!row.firstActionAt && (row.state === 'open' || row.state === 'escalated')) {
            const ctx = Context.current();
            await dispatchWorkflowStart({ client: ctx.client, taskQueue: ctx.info.taskQueue }, db, 'cta-clock', row.id);
          }
          ctas.push(row.id);
        } else if (e.kind === 'ctaResolved') {
          const ctaId = ctaIdFor(`${workflowId}/${e.key}`);
          const done = await completeCta(db, ctaId, e.note, { actor: { kind: 'system' }, at });
          if (done.outcome === 'applied') await notifyCtaClock({ client: Context.current().client, taskQueue: Context.current().info.taskQueue }, ctaId);
        } else if (e.kind === 'meetingUpdate') {
          await db.update(meetings).set(meetingColumns(e.changes, at)).where(eq(meetings.id, e.meetingId));
        } else if (e.kind === 'startCadence') {
          const policy = await activePolicy(db);
          const client = await getClient(db, clientId);
          const ctx = Context.current();
          await ensureCadence({ client: ctx.client, taskQueue: ctx.info.taskQueue }, { clientId, lockedAt: e.lockedAt, policyVersion: policy.version }, client?.segment ?? '');
        } else {
          const meetingId = ctaIdFor(`${workflowId}/meeting/${e.key}`);
          await db.insert(meetings).values({
            id: meetingId, clientId, process, workflowId, kind: e.meetingKind, mode: 'live', state: e.state, startsAt: e.startsAt, endsAt: e.endsAt, data: e.data, createdAt: at, updatedAt: at,
          }).onConflictDoUpdate({ target: meetings.id, set: { state: e.state, startsAt: e.startsAt, endsAt: e.endsAt, data: sql`${meetings.data} || ${JSON.stringify(e.data)}::jsonb`, updatedAt: at } });
          if (e.state === 'scheduled') {
            await appendEvent(db, { id, occurredAt: at, clientId, process, workflowId, type: 'meeting.scheduled', ruleId: e.ruleId, actor, why: {}, data: { meetingId, kind: e.meetingKind, startsAt: toIso(e.startsAt), endsAt: toIso(e.endsAt), mode: 'live' } });
          } else {
            const decisions = Array.isArray(e.data.decisions) ? e.data.decisions.length : 0;
            const attendees = Array.isArray(e.data.attendees) ? (e.data.attendees as string[]) : [];
            await appendEvent(db, { id, occurredAt: at, clientId, process, workflowId, type: 'meeting.held', ruleId: 'R-27', actor, why: { heldAt: e.startsAt, endedAt: e.endsAt, maxDecisionsRule: 'R-27' }, data: { meetingId, decisions, attendees } });
          }
        }
      }
      return { ctas };
    },

    async activePolicyVersion(): Promise<number> {
      return (await activePolicy(db)).version;
    },

    /** What the placement review of one client needs, under the given policy version and the client's overrides. */
    async loadPlacementReviewPlan(clientId: string, version: number) {
      const client = await getClient(db, clientId);
      if (!client) return undefined;
      const stored = (await policyVersion(db, version)) ?? (await activePolicy(db));
      const applied = applyClientOverrides(stored.document, client.policyOverrides);
      const policy = applied.ok ? applied.policy : stored.document;
      return {
        timeZone: client.timeZone,
        holidays: [...policy.calendar.holidays, ...client.holidays],
        dayStart: policy.calendar.dayStart,
        dayEnd: policy.calendar.dayEnd,
        workdays: [...policy.calendar.workdays],
        intervalMonths: policy.segmentation.placementReviewIntervalMonths,
        segment: client.segment,
        goalLevel: client.goalLevel,
        segmentSource: client.segmentSource,
      };
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;

/** A meeting's changed columns; `data` is merged into the row's JSON, never replacing it. */
function meetingColumns(c: MeetingChanges, at: string) {
  const { data, ...cols } = c;
  return { ...cols, ...(data ? { data: sql`${meetings.data} || ${JSON.stringify(data)}::jsonb` } : {}), updatedAt: at };
}
