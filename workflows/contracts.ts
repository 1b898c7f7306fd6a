/**
 * What the outside world (API, activities, rehearsal, bench) may know of Baton's workflows: each
 * process's workflow type name, its deterministic id, its inputs and the messages it accepts.
 * Nothing here imports workflow code, so activities can start and notify processes through the
 * narrow port in runtime/processes.ts, naming them by type, without an import circle
 * (activities → runtime → workflows → activities).
 *
 * The definitions below are names only (`defineUpdate` etc. build plain descriptors); the
 * workflows register handlers for them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../db/schema.js';
import type { RiskAction, RiskStatus } from '../domain/at-risk.js';
import type { CadenceAction, CadenceSetup, CadenceState, CadenceStatus } from '../domain/cadence.js';
import type { HealthState, HealthStatus } from '../domain/health-process.js';
import type { OnboardingAction, OnboardingStatus } from '../domain/onboarding.js';
import type { Routine, SessionSlot } from '../domain/governance.js';
import type { GovernanceAction, GovernanceActionResult, GovernanceState, GovernanceStatus } from '../domain/governance-process.js';
import type { InitiativeAction, InitiativeStatus } from '../domain/initiatives.js';
import type { ProposalAction, ProposalStatusView } from '../domain/proposals.js';
import type { LoopDue } from '../domain/planning-loop.js';
import type { HandoffPacket, SaleAction, SaleStatus, SaleTrigger } from '../domain/sale.js';
import type { UpsellAction, UpsellStatus } from '../domain/upsell.js';
import type { PlanningCycleAction, PlanningCycleStatus } from '../domain/planning-cycle.js';
import type { CtaClock, CtaClockStart, FinishedClock } from '../domain/cta-clocks.js';

/** Workflow type names, as the worker registers them (workflows/index.ts exports). */
export const WORKFLOW_TYPES = {
  /** Runs recorded before the per-client clocks (one workflow per CTA); kept so they finish. */
  ctaClock: 'ctaSla',
  ctaClocks: 'ctaClocks',
  placementReview: 'placementReview',
  onboarding: 'onboarding',
  cadence: 'cadence',
  delivery: 'delivery',
  governance: 'governanceRoutine',
  initiative: 'initiative',
  proposal: 'proposal',
  planningLoop: 'planningLoop',
  health: 'health',
  risk: 'atRisk',
  sale: 'sale',
  upsell: 'upsell',
  planningCycle: 'planningCycle',
  notificationSweep: 'notificationSweep',
  connectorPoller: 'connectorPoller',
  msgraphSubscriptions: 'msgraphSubscriptions',
} as const;
export type ProcessKind = keyof typeof WORKFLOW_TYPES;

/** What stands for the client of a process or CTA that belongs to the whole portfolio (ClientId search attribute, CTA clock input). */
export const PORTFOLIO_SCOPE = 'portfolio';

// ---------------------------------------------------------------------------------------------
// Reports to a running process (every kernel-run workflow: workflows/kernel.ts)

/** One report: the action, the caller's idempotency key and body hash (C-6), who sent it and when. */
export interface ProcessReport<A> {
  action: A;
  /** C-6: a repeat of the key has no second effect and gets the first result. */
  idempotencyKey: string;
  /** Hash of the request body, so a key reused for another body is refused (422). */
  bodyHash: string;
  actor: Actor;
  /** When the report was made, on the API's clock. */
  at: string;
}

/** A verdict the validator or handler throws as an ApplicationFailure's first detail; the API maps it to 404/409/422. */
export interface ProcessRefusal { status: 404 | 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

/**
 * A process that could not record what it did (a permanent activity failure, or retries exhausted):
 * the report is refused with this failure type and nothing changed; the process is on the timeline
 * as `process.failed`.
 */
export const PROCESS_FAILURE_TYPE = 'ProcessEffectFailed';

// ---------------------------------------------------------------------------------------------
// CTA clock (C-5, R-122)

export interface CtaSlaInput {
  ctaId: string;
  clientId: string;
  firstActionDueAt: string;
  escalationChain: ('backup' | 'csLead')[];
  escalationWindowHours: number;
  policyVersion: number;
}

export interface CtaSlaStatus {
  ctaId: string;
  step: 'waiting' | 'escalating' | 'settled' | 'exhausted';
  level: 'none' | 'backup' | 'csLead';
  nextDeadline?: string;
  policyVersion: number;
}

/** Sent after any change to the CTA, so the clock re-reads it at once. */
export const ctaChanged = defineSignal('ctaChanged');
export const ctaSlaStatus = defineQuery<CtaSlaStatus>('status');
/** The clock of one CTA as runs before the per-client clocks kept it (a workflow per CTA). */
export const ctaClockWorkflowId = (ctaId: string) => `cta/${ctaId}`;

/**
 * The first-action clocks of one client's CTAs, in one workflow (issue 17): a CTA is the most
 * numerous thing a portfolio opens (nine per onboarding), and a workflow per CTA cost a workflow
 * start, its own history and a cache slot each. The first CTA starts the keeper (signal-with-start);
 * it then lives as long as the client, continuing as new.
 */
export interface CtaClocksInput {
  /** The client, or PORTFOLIO_SCOPE for CTAs of the whole portfolio. */
  scope: string;
  /** Clocks carried over continue-as-new. */
  clocks?: CtaClock[];
  /** History events a run keeps before it continues as new (default 2,000; tests set it low). */
  eventsPerRun?: number;
}

/** Everything a change to a client's clocks carries: clocks to open (idempotent by CTA id) and CTAs that changed (re-read at once). */
export interface CtaClocksChange {
  opened?: CtaClockStart[];
  changed?: string[];
}

export interface CtaClocksStatus {
  scope: string;
  running: CtaClock[];
  /** How the clocks this run ended, the latest last (at most the last 100). */
  finished: FinishedClock[];
}

export const ctaClocksChanged = defineSignal<[CtaClocksChange]>('ctaClocksChanged');
export const ctaClocksStatus = defineQuery<CtaClocksStatus>('status');
export const ctaClocksWorkflowId = (scope: string) => (scope === PORTFOLIO_SCOPE ? `${PORTFOLIO_SCOPE}/cta-clocks` : `client/${scope}/cta-clocks`);

// ---------------------------------------------------------------------------------------------
// Outbox delivery (issue 15)

export interface DeliveryInput {
  deliveryId: string;
}

export interface DeliveryResult {
  deliveryId: string;
  /** `delivered`, `dead`, or `settled` when the row was already final (a restarted workflow). */
  outcome: 'delivered' | 'dead' | 'settled';
}

export const deliveryWorkflowId = (deliveryId: string) => `delivery/${deliveryId}`;

/** The notification sweep (issue 15 email): started by the Temporal Schedule `NOTIFICATION_SCHEDULE_ID`, no input. */
export interface NotificationSweepResult {
  dueSoon: number;
  digests: number;
  /** The date whose digests this sweep considered, or null before the day's digest time. */
  digestDate: string | null;
}
export const NOTIFICATION_SCHEDULE_ID = 'baton-notifications';

/** A connector's poller (issue 15: entities without webhooks, e.g. Autotask company to-dos). `cursor`: the vendor's last-modified instant read so far. */
export interface ConnectorPollerInput {
  connectorId: string;
  cursor?: string;
}
export interface ConnectorPollerResult {
  connectorId: string;
  outcome: 'stopped';
}
/** What one poll answers the workflow: whether to stop, the next cursor, how long to wait (the policy's interval, read at each poll). */
export interface ConnectorPollStep {
  stop: boolean;
  cursor?: string;
  waitMs: number;
  completed: number;
}
export const connectorPollerWorkflowId = (connectorId: string) => `connector-poller/${connectorId}`;
/** A Microsoft Graph connector's change-notification subscriptions, kept alive (issue 15). */
export interface MsgraphSubscriptionsInput {
  connectorId: string;
}
export interface MsgraphSubscriptionsResult {
  connectorId: string;
  /** Renewal rounds run in this run of the workflow. */
  rounds: number;
  outcome: 'stopped' | 'continued';
}
/** The connector changed (mappings, credentials, active): sync its subscriptions now. */
export const msgraphConnectorChanged = defineSignal('msgraphConnectorChanged');
export const msgraphSubscriptionsWorkflowId = (connectorId: string) => `msgraph-subscriptions/${connectorId}`;

// ---------------------------------------------------------------------------------------------
// Placement review

export interface PlacementReviewInput {
  clientId: string;
  /** Policy version this cycle runs under (recorded on the timeline). */
  policyVersion: number;
  /** Instant the interval counts from: the client's registration, then each review date. */
  anchor: string;
  cycle?: number;
  /**
   * What the first cycle needs, from the client row and policy registration has just written
   * (issue 17: the start then needs no activity, a workflow task and an activity fewer per
   * registration). Absent (later cycles, a start by the outbox or after downtime): read by the
   * `loadPlacementReviewPlan` activity.
   */
  plan?: PlacementReviewPlan;
}

/** The client's calendar and review interval for one placement review cycle (R-7, C-1). */
export interface PlacementReviewPlan {
  timeZone: string;
  holidays: string[];
  dayStart: string;
  dayEnd: string;
  workdays: number[];
  intervalMonths: number;
  segment: string;
  goalLevel: number;
  segmentSource: string;
}

export interface PlacementReviewStatus {
  clientId: string;
  cycle: number;
  policyVersion: number;
  step: 'planning' | 'waiting' | 'recording' | 'client-gone';
  nextReviewAt?: string;
  ruleId: 'R-7';
}

export const placementReviewStatus = defineQuery<PlacementReviewStatus>('status');
export const placementReviewWorkflowId = (clientId: string) => `client/${clientId}/placement-review`;

// ---------------------------------------------------------------------------------------------
// Onboarding Day 0–90 (R-46..R-57)

export interface OnboardingInput {
  clientId: string;
  /** Day 0: the signature instant (may lie in the past: passed deadlines fire at once, marked late). */
  signedAt: string;
  policyVersion: number;
  /** a D client with a risk flag gets discovery/assessment. */
  riskFlag?: boolean;
  /** Access-matrix rows; default `onboarding.accessMatrixSystems`. */
  accessSystems?: string[];
  /** the handoff packet assembled from the sale; step 0 reads it (onboarding process version 3). */
  handoffPacket?: HandoffPacket;
  /** Issue 15: a client imported mid-onboarding starts at this step (0–8), nothing back-dated (domain/onboarding.ts `resumeImported`). */
  imported?: { step: number };
}

export type OnboardingActionRequest = ProcessReport<OnboardingAction>;

export interface OnboardingActionResult {
  accepted: true;
  action: OnboardingAction['type'];
  /** The sequence number of this action in the run (1, 2, …). */
  sequence: number;
  duplicate: boolean;
  currentStep: { number: number; name: string } | null;
  gateOpen: boolean;
  ctasOpened: string[];
}

/** Status as the API shows it; `phase: 'starting'` until the plan is recorded. */
export type OnboardingQueryResult = OnboardingStatus | { clientId: string; phase: 'starting' };

export const onboardingStatus = defineQuery<OnboardingQueryResult>('status');
export const onboardingAction = defineUpdate<OnboardingActionResult, [OnboardingActionRequest]>('action');
export const onboardingWorkflowId = (clientId: string) => `client/${clientId}/onboarding`;
/** Refusal failure types; the API maps them to 409 and 422 problems. */
export const ONBOARDING_REFUSAL_TYPES = { 409: 'OnboardingConflict', 422: 'OnboardingUnprocessable' } as const;

// ---------------------------------------------------------------------------------------------
// Engagement cadence (R-9..R-35)

export interface CadenceActionResult {
  accepted: true;
  action: CadenceAction['type'];
  sequence: number;
  duplicate: boolean;
  ctasOpened: string[];
  meetingsBooked: { meetingId: string; template: string; startsAt: string; state: string }[];
}

export interface CadenceInput {
  clientId: string;
  /** Cadence lock. */
  lockedAt: string;
  policyVersion: number;
  /** Set by continue-as-new. */
  continued?: { setup: CadenceSetup; carried: Partial<CadenceState>; seen: [string, { bodyHash: string; result: CadenceActionResult }][] };
}

export type CadenceActionRequest = ProcessReport<CadenceAction>;
export type CadenceQueryResult = CadenceStatus | { clientId: string; phase: 'starting' };

export const cadenceStatus = defineQuery<CadenceQueryResult>('status');
export const cadenceAction = defineUpdate<CadenceActionResult, [CadenceActionRequest]>('action');
export const cadenceWorkflowId = (clientId: string) => `client/${clientId}/cadence`;
export const CADENCE_REFUSAL_TYPES = { 404: 'CadenceNotFound', 409: 'CadenceConflict', 422: 'CadenceUnprocessable' } as const;

// ---------------------------------------------------------------------------------------------
// Health (R-104..R-121): one per client, forever (monthly snapshot + real-time evaluation)

export type HealthAction =
  /** A health input was stored (API): evaluate now (real-time signal, §2.18). */
  | { type: 'inputRecorded'; inputId: string; kind: string }
  /** Take the month's snapshot now (e.g. after a policy change); a later one in the same month replaces it. */
  | { type: 'snapshotRequested'; note: string };
export interface HealthActionResult {
  accepted: true;
  action: HealthAction['type'];
  sequence: number;
  duplicate: boolean;
  ctasOpened: string[];
  composite: { score: number | null; colour: string | null } | null;
}
export interface HealthInput {
  clientId: string;
  /** Set by continue-as-new. */
  continued?: { state: HealthState; seen: [string, { bodyHash: string; result: HealthActionResult }][] };
}
export type HealthActionRequest = ProcessReport<HealthAction>;
export type HealthQueryResult = HealthStatus | { clientId: string; phase: 'starting' };
export const healthStatus = defineQuery<HealthQueryResult>('status');
export const healthAction = defineUpdate<HealthActionResult, [HealthActionRequest]>('action');
export const healthWorkflowId = (clientId: string) => `client/${clientId}/health`;
export const HEALTH_REFUSAL_TYPES = { 409: 'HealthConflict', 422: 'HealthUnprocessable' } as const;

// ---------------------------------------------------------------------------------------------
// At Risk (R-93..R-103): one per risk, open → exit to green → After-Action

export interface RiskInput { riskId: string; clientId: string }
export interface RiskActionResult {
  accepted: true;
  action: RiskAction['type'];
  sequence: number;
  duplicate: boolean;
  ctasOpened: string[];
  status: 'open' | 'closed';
  severity: string;
}
export type RiskActionRequest = ProcessReport<RiskAction>;
export type RiskQueryResult = RiskStatus | { clientId: string; phase: 'starting' };
export const riskStatus = defineQuery<RiskQueryResult>('status');
export const riskAction = defineUpdate<RiskActionResult, [RiskActionRequest]>('action');
export const riskWorkflowId = (riskId: string) => `risk/${riskId}`;
export const RISK_REFUSAL_TYPES = { 404: 'RiskNotFound', 409: 'RiskConflict', 422: 'RiskUnprocessable' } as const;
// Governance routines

export interface GovernanceInput {
  routine: Routine;
  /** Plan sessions strictly after this instant (default: when the routine starts). */
  after?: string;
  /** Set by continue-as-new. */
  continued?: { carried: Pick<GovernanceState, 'next' | 'sessions' | 'recheckAt'>; seen: [string, { bodyHash: string; result: GovernanceActionResult }][] };
}

export type GovernanceActionRequest = ProcessReport<GovernanceAction>;
export type GovernanceQueryResult = GovernanceStatus | { clientId: string; phase: 'starting' };
export type { GovernanceActionResult, SessionSlot };

export const governanceStatus = defineQuery<GovernanceQueryResult>('status');
export const governanceAction = defineUpdate<GovernanceActionResult, [GovernanceActionRequest]>('action');
export const governanceWorkflowId = (routine: Routine) => `governance/${routine}`;
export const GOVERNANCE_REFUSAL_TYPES = { 404: 'GovernanceNotFound', 409: 'GovernanceConflict', 422: 'GovernanceUnprocessable' } as const;

/** Shown on a process's status while a due step keeps failing to record (a `process.failed` event marks each episode). */
export interface ProcessStall {
  since: string;
  /** The due instant's key the process is stuck on. */
  due: string;
  failureType: string;
  message: string;
  attempts: number;
  /** When the process tries again (sooner if a report arrives). */
  retryAt: string;
}

// ---------------------------------------------------------------------------------------------
// The planning loop (issue 11): an initiative's clock and states, a proposal's clock, the client's loop

export interface InitiativeInput { initiativeId: string; clientId: string }
export interface InitiativeActionResult {
  accepted: true;
  action: InitiativeAction['type'];
  sequence: number;
  duplicate: boolean;
  /** The initiative's state after the report. */
  state: string;
  ctasOpened: string[];
  /** what became of the delivery kickoff, when the report approved the initiative. */
  kickoff?: { outcome: string; meetingId?: string; detail?: string };
}
export type InitiativeActionRequest = ProcessReport<InitiativeAction>;
export type InitiativeQueryResult = InitiativeStatus | { clientId: string; phase: 'starting' };
export const initiativeStatus = defineQuery<InitiativeQueryResult>('status');
export const initiativeAction = defineUpdate<InitiativeActionResult, [InitiativeActionRequest]>('action');
export const initiativeWorkflowId = (initiativeId: string) => `initiative/${initiativeId}`;
export const INITIATIVE_REFUSAL_TYPES = { 404: 'InitiativeNotFound', 409: 'InitiativeConflict', 422: 'InitiativeUnprocessable' } as const;

export interface ProposalInput { proposalId: string; clientId: string }
export interface ProposalActionResult {
  accepted: true;
  action: ProposalAction['type'];
  sequence: number;
  duplicate: boolean;
  status: string;
  ctasOpened: string[];
  /** What the initiative did with the news (its state after), when it was told. */
  initiative?: { outcome: string; state?: string; detail?: string };
}
export type ProposalActionRequest = ProcessReport<ProposalAction>;
export type ProposalQueryResult = ProposalStatusView | { clientId: string; phase: 'starting' };
export const proposalStatus = defineQuery<ProposalQueryResult>('status');
export const proposalAction = defineUpdate<ProposalActionResult, [ProposalActionRequest]>('action');
export const proposalWorkflowId = (proposalId: string) => `proposal/${proposalId}`;
export const PROPOSAL_REFUSAL_TYPES = { 404: 'ProposalNotFound', 409: 'ProposalConflict', 422: 'ProposalUnprocessable' } as const;

export interface PlanningLoopInput {
  clientId: string;
  /** When the loop first ran (quarter closes before it are not judged); carried across continue-as-new. */
  startedAt?: string;
  continued?: { actions: number; seen: [string, { bodyHash: string; result: PlanningLoopResult }][] };
}
export type PlanningLoopAction = { type: 'refresh' };
export interface PlanningLoopResult { accepted: true; action: 'refresh'; sequence: number; duplicate: boolean; next: LoopDue | null }
export interface PlanningLoopStatus { clientId: string; phase: 'running'; startedAt: string; dues: LoopDue[]; handled: number }
export type PlanningLoopQueryResult = PlanningLoopStatus | { clientId: string; phase: 'starting' };
export const planningLoopStatus = defineQuery<PlanningLoopQueryResult>('status');
export const planningLoopAction = defineUpdate<PlanningLoopResult, [ProcessReport<PlanningLoopAction>]>('action');
export const planningLoopWorkflowId = (clientId: string) => `client/${clientId}/planning-loop`;
export const PLANNING_LOOP_REFUSAL_TYPES = { 409: 'PlanningLoopConflict', 422: 'PlanningLoopUnprocessable' } as const;

// ---------------------------------------------------------------------------------------------
// Consultative sale (R-40..R-44): one per prospect, lead → signature (onboarding) or park

export interface SaleInput {
  clientId: string;
  trigger: { kind: SaleTrigger; ref?: string; date: string };
  /** The sale's start instant (the API's clock); default the workflow's start. */
  startedAt?: string;
}
export interface SaleActionResult {
  accepted: true;
  action: SaleAction['type'];
  sequence: number;
  duplicate: boolean;
  phase: SaleStatus['phase'];
  ctasOpened: string[];
  /** On `signed`: the handoff packet's items and what became of the onboarding start. */
  handoff?: { present: string[]; missing: string[]; onboarding: 'started' | 'already-running' };
}
export type SaleActionRequest = ProcessReport<SaleAction>;
export type SaleQueryResult = SaleStatus | { clientId: string; phase: 'starting' };
export const saleStatus = defineQuery<SaleQueryResult>('status');
export const saleAction = defineUpdate<SaleActionResult, [SaleActionRequest]>('action');
export const saleWorkflowId = (clientId: string) => `prospect/${clientId}/sale`;
export const SALE_REFUSAL_TYPES = { 409: 'SaleConflict', 422: 'SaleUnprocessable' } as const;
// The upsell play (DOMAIN §2.16, R-89..R-92)

export interface UpsellInput { signalId: string; clientId: string }
export interface UpsellActionResult {
  accepted: true;
  action: UpsellAction['type'];
  sequence: number;
  duplicate: boolean;
  /** The play's state after the report. */
  state: string;
  ctasOpened: string[];
}
export type UpsellActionRequest = ProcessReport<UpsellAction>;
export type UpsellQueryResult = UpsellStatus | { clientId: string; phase: 'starting' };
export const upsellStatus = defineQuery<UpsellQueryResult>('status');
export const upsellAction = defineUpdate<UpsellActionResult, [UpsellActionRequest]>('action');
export const upsellWorkflowId = (signalId: string) => `upsell/${signalId}`;
export const UPSELL_REFUSAL_TYPES = { 404: 'UpsellNotFound', 409: 'UpsellConflict', 422: 'UpsellUnprocessable' } as const;

// ---------------------------------------------------------------------------------------------
// Annual planning cycle (R-62..R-66): one per client and cycle year

export interface PlanningCycleInput {
  clientId: string;
  /** The cycle year: the FY-end it budgets for (D: the renewal year), as in the cadence's `ap/<year>/…` keys. */
  fiscalYear: number;
  /** The cadence booking the cycle, or the API for a client whose cadence ran before. */
  startedBy: 'cadence' | 'api';
}
export interface PlanningCycleActionResult {
  accepted: true;
  action: PlanningCycleAction['type'];
  sequence: number;
  duplicate: boolean;
  stage: string;
  ctasOpened: string[];
}
export type PlanningCycleActionRequest = ProcessReport<PlanningCycleAction>;
export type PlanningCycleQueryResult = PlanningCycleStatus | { clientId: string; phase: 'starting' };
export const planningCycleStatus = defineQuery<PlanningCycleQueryResult>('status');
export const planningCycleAction = defineUpdate<PlanningCycleActionResult, [PlanningCycleActionRequest]>('action');
export const planningCycleWorkflowId = (clientId: string, fiscalYear: number) => `client/${clientId}/planning/${fiscalYear}`;
export const PLANNING_CYCLE_REFUSAL_TYPES = { 404: 'PlanningCycleNotFound', 409: 'PlanningCycleConflict', 422: 'PlanningCycleUnprocessable' } as const;
