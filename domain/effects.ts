/**
 * What a process workflow asks its effects activity to record (activities `recordProcessEffects`):
 * ledger events, CTAs, meetings and follow-on processes. Shared by every process model so one
 * activity writes them all, each keyed by workflow id and batch so a retry lands once.
 */
import type { LedgerEventData, LedgerEventType } from './events.js';
import type { PlanningWrite } from './planning-writes.js';
import type { HealthScores } from './health.js';
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
  | {
      kind: 'event'; type: LedgerEventType; ruleId: string | null; why: Record<string, unknown>; data: Record<string, unknown>; occurredAt?: string;
      /** A portfolio process writing on a client's timeline; default the batch's client (null for a portfolio process). */
      clientId?: string | null;
    }
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
      /** A portfolio process opening a client's CTA; default the batch's client (null: a portfolio CTA). */
      clientId?: string | null;
      /** A named owner instead of the role's holder (e.g. the person whose week is over the line, R-37). */
      ownerPersonId?: string;
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
  /**
   * R-124: evidence for the client's open risk in a bucket, if there is one (e.g. access completed
   * after the Day 14 miss on R-50's Delivery risk); never opens a risk.
   */
  | { kind: 'riskEvidence'; key: string; bucket: 'Service' | 'Delivery' | 'Strategic' | 'Financial'; evidence: string; conditionCleared: boolean; ruleId: string }
  /** Reports to a risk process once the batch is committed (e.g. the cadence's held re-engage session, R-97); ignored when the risk has finished. */
  | { kind: 'riskReport'; riskId: string; action: Record<string, unknown> & { type: string } }
  /** The At Risk process's row (GET /v1/risks, R-103 KPIs). */
  | { kind: 'riskUpdate'; riskId: string; changes: RiskRowChanges }
  /** The client's current health (GET /v1/clients/{id}/health). */
  | { kind: 'healthCurrent'; occasion: string; evaluatedAt: string; policyVersion: number; scores: HealthScores; credit: GateView; pause: GateView }
  /** A monthly snapshot (§2.18), one per client and month. */
  | { kind: 'healthSnapshot'; month: string; at: string; scores: HealthScores; credit: GateView; pause: GateView; redStreaks: Record<string, number> }
  /** the snapshot lifted the credit gate: every deferred approval of the client is released. */
  | { kind: 'creditRelease'; month: string; reason: string }
  /**
   * an approval stored with its credit verdict (counted, deferred with the reasons, not
   * credited for missing fields, or stability work); `key` names it uniquely in the workflow.
   */
  | { kind: 'creditDecision'; key: string; title: string; verdict: CreditVerdict; reasons: string[]; decidedAt: string; meetingId?: string; initiativeId?: string; data?: Record<string, unknown> }
  /** R-110 with `autoResegment`: the client's maturity and appetite become the derived ones (placement re-runs, R-1). */
  | { kind: 'resegment'; maturity: number; appetite: number; reason: string }
  /** A governance session's outcome: held with its attendees and notes, or missed after its grace. */
  | { kind: 'governanceSessionUpdate'; sessionId: string; changes: { state: 'held' | 'missed'; heldAt?: string; attendees?: { personId: string; name: string }[]; notes?: string; late?: boolean } }
  /** Starts the client's engagement cadence at cadence lock, unless it already runs. */
  | { kind: 'startCadence'; lockedAt: string }
  /** The planning cycle's read-model row (GET /v1/planning-cycles, R-62..R-66), upserted by client and fiscal year. */
  | { kind: 'planningCycle'; fiscalYear: number; row: PlanningCycleRowChanges }
  /** A planning-loop row write (issue 11: initiative, price test, pre-approval, proposal, park versions, clock marks), in the batch's transaction. */
  | { kind: 'planning'; write: PlanningWrite }
  /** The upsell play's row (GET /v1/clients/{id}/upsells, R-89..R-92): its state, records and clock, merged into the row. */
  | { kind: 'upsellUpdate'; signalId: string; changes: Record<string, unknown> };

export interface PlanningCycleRowChanges {
  segment: string; stage: string; currentStep: string | null; plannedHours: number; actualHours: number; gaps: number; outputs: string[];
  m1StartsAt: string; finalStartsAt: string; closedAt: string | null;
}
export type CreditVerdict = 'counted' | 'deferred' | 'notCredited' | 'stabilityWork';
export interface GateView { closed: boolean; reasons: string[]; since: string | null }
export interface RiskRowChanges {
  bucket?: string; severity?: string; impact?: number; likelihood?: number; status?: 'open' | 'closed';
  ackDueAt?: string | null; acknowledgedAt?: string | null; savePlanDueAt?: string | null; savePlanAt?: string | null; reengageDueAt?: string | null; reengageHeldAt?: string | null;
  lastMovementAt?: string | null; closedAt?: string | null; afterActionDueAt?: string | null; afterActionAt?: string | null; evidenceCount?: number;
  actionsTotal?: number; actionsDone?: number; actionsOnTime?: number; escalatedAt?: string | null;
}

export const event = <T extends LedgerEventType>(type: T, ruleId: string | null, data: LedgerEventData<T>, why: Record<string, unknown> = {}, occurredAt?: string): ProcessEffect => ({
  kind: 'event',
  type,
  ruleId,
  why,
  data: data as Record<string, unknown>,
  ...(occurredAt ? { occurredAt } : {}),
});

/**
 * Whether recording `effects` waits on another process's answer: activities/index.ts
 * `recordProcessEffects` sends risks, the cadence, the planning loop and planning cycles their
 * facts as Workflow Updates once the batch commits (a risk's evidence, a resegment, a planning
 * record's notice, and — for the cadence — meetings held, missed or moved and date triggers merged
 * into one, R-21). A batch that waits on nobody is recorded in a local activity (issue 17: no task
 * round trip through the server, three history events fewer); one that does keeps a regular
 * activity, so it never holds its own workflow task open while another workflow's task must run.
 */
export function waitsOnAnotherProcess(process: string, effects: ProcessEffect[]): boolean {
  return effects.some((e) =>
    e.kind === 'riskSignal' || e.kind === 'riskEvidence' || e.kind === 'riskReport' || e.kind === 'resegment' || e.kind === 'planning'
    || (process === 'cadence' && (e.kind === 'meetingUpdate' || (e.kind === 'event' && e.type === 'trigger.fired'))));
}
