/**
 * What a process workflow asks its effects activity to record (activities `recordProcessEffects`):
 * ledger events, CTAs, meetings and follow-on processes. Shared by every process model so one
 * activity writes them all, each keyed by workflow id and batch so a retry lands once.
 */
import type { LedgerEventData, LedgerEventType } from './events.js';
import type { PlanningWrite } from './planning-writes.js';
import type { Role } from './policy.js';

/** Columns of a meeting row a process may change after booking (R-9 restyle, outcomes §2.5, recap R-29). */
export interface MeetingChanges {
  state?: 'scheduled' | 'held' | 'missed' | 'cancelled' | 'moved' | 'unbooked';
  startsAt?: string;
  endsAt?: string;
  mode?: 'live' | 'hybrid' | 'async';
  kind?: string;
  accountableRole?: string;
  segment?: string;
  heldAt?: string;
  decisionCount?: number;
  sponsorPresent?: boolean;
  recapDueAt?: string;
  recapSentAt?: string;
  supersededBy?: string;
  /** Merged into the row's JSON data (e.g. template, RACI, agenda blocks of merged triggers, R-21). */
  data?: Record<string, unknown>;
}

export type ProcessEffect =
  | { kind: 'event'; type: LedgerEventType; ruleId: string | null; why: Record<string, unknown>; data: Record<string, unknown>; occurredAt?: string }
  | {
      kind: 'cta';
      /** Unique within the workflow; the CTA id derives from it, so a retried open lands once. */
      key: string;
      ctaKind: string;
      title: string;
      ruleId: string;
      ownerRole: Role;
      dueAt: string;
      why: Record<string, unknown>;
      /** Extra data kept on the CTA, e.g. the meeting it prepares. */
      data?: Record<string, unknown>;
      /** a deliverable (prep pack, pre-read, recap) escalates when its due passes undone, not on the first-action clock; `none`: an optional item, never escalated. */
      clock?: 'due' | 'none';
      /** open this CTA only while the CTA with this key (same workflow) is still open, e.g. a chase of an approval. */
      onlyWhileOpen?: string;
    }
  /** Closes a CTA this run opened (e.g. the overdue CTA of a step that is now done), as the system. */
  | { kind: 'ctaResolved'; key: string; note: string }
  /**
   * The onboarding kickoff, booked or held. A held one carries its actual start and decision
   * count for the meeting row (onboarding v2; rows of v1 runs fall back to the data).
   */
  | { kind: 'meeting'; key: string; meetingKind: 'kickoff'; state: 'scheduled' | 'held'; startsAt: string; endsAt: string; ruleId: string; data: Record<string, unknown>; heldAt?: string; decisionCount?: number }
  /** Rows of the client's access record: each system with when it was granted (null: not yet). Upserted. */
  | { kind: 'accessRecord'; systems: { system: string; grantedAt: string | null }[] }
  /** Changes a meeting row the cadence booked (by its id); the ledger event that explains it is a separate effect. */
  | { kind: 'meetingUpdate'; meetingId: string; changes: MeetingChanges }
  /**
   * An R-93 At-Risk trigger detected by a process (cadence R-34, onboarding R-50, proposal >30 d,
   * budget variance >20 %, health). Recorded as `risk.signal_raised`; the at-risk process opens a risk
   * for it or appends evidence to the client's open risk in that bucket.
   */
  | {
      kind: 'riskSignal';
      /** Unique within the workflow (the ledger id derives from it). */
      key: string;
      trigger: string;
      bucket: 'Service' | 'Delivery' | 'Strategic' | 'Financial';
      ruleId: string;
      /** R-94 severity inputs, 1–3 each; the at-risk process defaults what is missing. */
      impact?: number;
      likelihood?: number;
      evidence: Record<string, unknown>;
      /** A CTA of this workflow (by key) that is the risk's first action. */
      firstActionCta?: string;
    }
  /** Starts the client's engagement cadence at cadence lock, unless it already runs. */
  | { kind: 'startCadence'; lockedAt: string }
  /** A planning-loop row write (issue 11: initiative, price test, pre-approval, proposal, park versions, clock marks), in the batch's transaction. */
  | { kind: 'planning'; write: PlanningWrite };

export const event = <T extends LedgerEventType>(type: T, ruleId: string | null, data: LedgerEventData<T>, why: Record<string, unknown> = {}, occurredAt?: string): ProcessEffect => ({
  kind: 'event',
  type,
  ruleId,
  why,
  data: data as Record<string, unknown>,
  ...(occurredAt ? { occurredAt } : {}),
});
