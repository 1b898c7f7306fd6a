import type { Db } from '../db/client.js';
import { getClient } from '../db/clients.js';
import { escalateCta, getCta, type EscalationLevel } from '../db/ctas.js';
import { appendEvent, type NewLedgerEvent } from '../db/ledger.js';
import { activePolicy, policyVersion } from '../db/policies.js';
import { applyClientOverrides } from '../domain/policy.js';

export interface ActivityDeps {
  db: Db;
}

/**
 * Every activity, created from one place with its dependencies. Each is safe to retry: reads are
 * pure, and ledger writes carry a deterministic id so a retried write lands once.
 */
export function createActivities({ db }: ActivityDeps) {
  return {
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
