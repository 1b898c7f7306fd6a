/**
 * Onboarding Day 0–90 as a pure process model (DOMAIN.md §2.8 R-46..R-57, meeting rules R-27,
 * gate R-48, escalation R-50, late/duplicate signals C-6/R-124).
 *
 * The workflow (workflows/onboarding.ts) holds one `OnboardingState` and calls three functions:
 * `startEffects` once, `decide` + `applyAction` for every action ops or an automation sends, and
 * `deadlineDue` when a planned deadline's instant arrives. Each returns the effects to record
 * (ledger events, CTAs, meetings); the workflow hands them to one activity. Every number comes
 * from the policy through `OnboardingRules` or the plan (domain/onboarding-plan.ts).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock; `at` is always
 * passed in. State is mutated in place by `applyAction`/`deadlineDue`, never by `decide`.
 */
import { DateTime } from 'luxon';
import { accessPercent, type OnboardingSegment, type OnboardingStepId, type PlannedDeadline } from './onboarding-plan.js';
import type { Role } from './policy.js';
import { addBusinessHours, addCalendarDays, addElapsedHours, atLocalTime, localDateOf, makeCalendar, roll } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { ctaTitle } from './cta-titles.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

export const HEALTH_DIMENSIONS = ['cx', 'adoption', 'engagement', 'serviceQuality', 'alignment'] as const;
export type HealthDimension = (typeof HEALTH_DIMENSIONS)[number];
export const VERIFIED_CONTROLS = ['mfa', 'backupMonitoring'] as const;
export type VerifiedControl = (typeof VERIFIED_CONTROLS)[number];

/** Steps 0–8 of R-46..R-56, each with the rule that defines it. */
export const ONBOARDING_STEPS = [
  { number: 0, name: 'handoff', ruleId: 'R-46' },
  { number: 1, name: 'kickoff', ruleId: 'R-47' },
  { number: 2, name: 'accessAndDocumentation', ruleId: 'R-49' },
  { number: 3, name: 'discoveryAndAssessment', ruleId: 'R-51' },
  { number: 4, name: 'quickWins', ruleId: 'R-52' },
  { number: 5, name: 'roadmapAndBudget', ruleId: 'R-53' },
  { number: 6, name: 'proposals', ruleId: 'R-54' },
  { number: 7, name: 'healthBaselineAndCadenceLock', ruleId: 'R-55' },
  { number: 8, name: 'reviewAndCloseout', ruleId: 'R-56' },
] as const;
export type OnboardingStepName = (typeof ONBOARDING_STEPS)[number]['name'];

/** What ops and automations send. The API validates shapes; `decide` validates against the state. */
export type OnboardingAction =
  | { type: 'handoffItemsReceived'; items: string[] }
  | { type: 'kickoffScheduled'; startsAt: string; endsAt: string }
  | { type: 'kickoffHeld'; heldAt: string; endedAt: string; attendees: string[]; decisions: { title: string; ownerRole: Role }[] }
  | { type: 'recapSent'; sentAt: string }
  | { type: 'accessGranted'; systems: string[] }
  | { type: 'documentationBaselined'; sections: string[] }
  | { type: 'controlVerified'; control: VerifiedControl }
  | { type: 'assessmentCompleted'; findings: { title: string; score: number }[] }
  | { type: 'quickWinCompleted'; title: string; systems: string[] }
  | { type: 'earlyWinsReportPublished'; url?: string }
  | { type: 'projectKickoff'; project: string; quickWin?: boolean }
  | { type: 'roadmapConfirmed'; initiatives: string[]; budgetV1Usd: number }
  /** R-57 (v2): D has no formal roadmap; its 1–2 operational initiatives are recorded without a budget. */
  | { type: 'operationalInitiativesRecorded'; initiatives: string[] }
  | { type: 'proposalSent'; title: string; initiative?: string }
  | { type: 'healthBaselineRecorded'; scores: Record<HealthDimension, number> }
  | { type: 'cadenceLocked' }
  | { type: 'day60ReviewHeld'; nps?: number; csat?: number }
  | { type: 'closeout'; note: string };
export type OnboardingActionType = OnboardingAction['type'];

/** The policy values the process reads, resolved once at start under the recorded policy version. */
export interface OnboardingRules {
  maxDecisions: number;
  accessThresholdPct: number;
  quickWinsRequired: number;
  handoffPacketItems: string[];
  firstActionHours: number; // R-30, C-5
  recapHours: number;
  escalationCtaHours: number;
  /** days from roadmap confirmation to a proposal before its per-item warning (absent in runs started before it existed). */
  daysToProposalMax?: number;
  /** who an unattended CTA escalates to, and the window at each level (`ctas.*`). */
  ctaEscalationChain: ('backup' | 'csLead')[];
  ctaEscalationWindowHours: number;
  /** Whether hour SLAs count elapsed hours (A-14 default) or business hours of `calendar`. */
  slaClock: 'elapsed' | 'business';
  /** The client's business calendar (zone, workdays, hours, policy + client holidays), for business-hour SLAs. */
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
  /** R-58 (v2): Working Agreement due this many days after close (ROLL), published by this role. */
  workingAgreement?: { daysAfterClose: number; ownerRole: Role };
  /** R-57 (v2): D's operational initiatives instead of a roadmap: at most `max` (R-72 Goal 1 volume guide), owned by `ownerRole` (§2.19). */
  operationalInitiatives?: { max: number; ownerRole: Role };
}

/**
 * Versions of the onboarding process definition (recorded on `process.started`; decided once at the
 * run's start with `patched()` in workflows/onboarding.ts, so runs started before keep version 1):
 * 1 — as first released;
 * 2 — D has no formal roadmap (R-57: no roadmap/Budget v1 deadline, operational initiatives without
 *     a budget), the Working Agreement CTA at closeout, kickoff CTAs counted from the
 *     meeting's end, the kickoff row's heldAt and decision count, the client's access record
 *     kept as access is granted;
 * 3 — step 0 reads the handoff packet the consultative sale assembled at the signature:
 *     the items it holds are in at the start, only missing ones are reported by hand;
 * 4 — the kickoff invite waits for the packet (R-46: "handoff packet complete before kickoff invite"):
 *     the first `kickoffScheduled` is refused while an item is missing (a reschedule of a booked kickoff
 *     is not: the packet was complete when it was first booked).
 */
export type OnboardingVersion = 1 | 2 | 3 | 4;

export type DeadlineStatus = 'pending' | 'met' | 'missed' | 'skipped' | 'reached';

export interface DeadlineState extends PlannedDeadline {
  status: DeadlineStatus;
  /** When it was met (the evidence's instant) or judged missed. */
  resolvedAt?: string;
  /** A miss noticed after the instant (e.g. a Day 0 in the past): how late, in ms. */
  lateByMs?: number;
  /** For a missed deadline: when the work it guarded was done after all. */
  lateWorkDone?: string;
}

export interface OnboardingState {
  /** The process definition this run follows (absent: 1). */
  version?: OnboardingVersion;
  clientId: string;
  segment: OnboardingSegment;
  signedAt: string;
  timeZone: string;
  policyVersion: number;
  rules: OnboardingRules;
  deadlines: DeadlineState[];
  handoffItems: string[];
  /** When the last required handoff item arrived. */
  handoffCompleteAt?: string;
  kickoff: { scheduled?: { startsAt: string; endsAt: string }; heldAt?: string; endedAt?: string; decisions: number; attendees: string[] };
  recapSentAt?: string;
  access: { system: string; grantedAt: string | null }[];
  documentationBaselinedAt?: string;
  controls: Partial<Record<VerifiedControl, string>>;
  assessment?: { completedAt: string; findings: number; topScore: number };
  quickWins: { title: string; at: string }[];
  earlyWinsReportAt?: string;
  projects: { project: string; at: string }[];
  /** Step 5: the roadmap with Budget v1, or D's operational initiatives without a budget (R-57, v2: `formal: false`). */
  roadmap?: { confirmedAt: string; budgetV1Usd: number | null; initiatives: string[]; formal?: false };
  proposals: { title: string; at: string }[];
  healthBaselineAt?: string;
  cadenceLockedAt?: string;
  day60?: { heldAt: string; nps?: number; csat?: number };
  closedAt?: string;
  gateOpen: boolean;
  stepsCompleted: { number: number; at: string; late: boolean; skipped?: boolean; imported?: true }[];
  /** Accepted actions so far; names the effect batch of each (deterministic ledger ids). */
  actions: number;
}

// ---------------------------------------------------------------------------------------------
// Effects: what the workflow records through its activity

export type OnboardingEffect = ProcessEffect;

/** A refused action: 409 when the state forbids it now, 422 when it can never apply as sent. */
export interface Refusal {
  status: 409 | 422;
  message: string;
  ruleId?: string;
  details?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Start

export interface OnboardingStart {
  /** The process definition the run follows (absent in runs recorded before versions: 1). */
  version?: OnboardingVersion;
  clientId: string;
  segment: OnboardingSegment;
  signedAt: string;
  timeZone: string;
  policyVersion: number;
  rules: OnboardingRules;
  plan: PlannedDeadline[];
  accessSystems: string[];
  riskFlag: boolean;
}

export function initialState(s: OnboardingStart): OnboardingState {
  return {
    version: s.version ?? 1,
    clientId: s.clientId,
    segment: s.segment,
    signedAt: s.signedAt,
    timeZone: s.timeZone,
    policyVersion: s.policyVersion,
    rules: s.rules,
    deadlines: s.plan.map((d) => ({ ...d, status: d.skipped ? 'skipped' : 'pending' })),
    handoffItems: [],
    kickoff: { decisions: 0, attendees: [] },
    access: s.accessSystems.map((system) => ({ system, grantedAt: null })),
    controls: {},
    quickWins: [],
    projects: [],
    proposals: [],
    gateOpen: false,
    stepsCompleted: [],
    actions: 0,
  };
}

/** process.started, one deadline.set per planned deadline, the R-48 gate shut, and a skipped step 3 for D. */
export function startEffects(state: OnboardingState, start: Pick<OnboardingStart, 'riskFlag' | 'accessSystems'> & { processVersion: number }): OnboardingEffect[] {
  const out: OnboardingEffect[] = [
    event('process.started', 'R-46', {
      processVersion: start.processVersion,
      policyVersion: state.policyVersion,
      inputs: { signedAt: state.signedAt, segment: state.segment, timeZone: state.timeZone, riskFlag: start.riskFlag, accessSystems: start.accessSystems },
    }, { day0: state.deadlines[0]?.why.day0 ?? null, rules: { ...state.rules } }),
  ];
  for (const d of state.deadlines) {
    out.push(event('deadline.set', d.ruleId, { deadline: d.key, dueAt: d.dueAt, clock: d.clock }, { ...d.why, step: d.step, ownerRole: d.owner.role, ownerRule: d.owner.ruleId, ...(d.skipped ? { skipped: true } : {}) }));
  }
  out.push(event('gate.closed', 'R-48', { gate: 'delivery', conditions: gateConditions(state) }, { reason: 'onboarding started: no project kickoff or non-quick-win delivery until every condition holds (R-48)', thresholdPct: state.rules.accessThresholdPct }));
  // v2: the client's access record starts as the access matrix, nothing granted.
  if (isV2(state)) out.push({ kind: 'accessRecord', systems: state.access.map((a) => ({ system: a.system, grantedAt: a.grantedAt })) });
  return out;
}

/**
 * v3: the handoff packet from the sale, read at the start — its items count as
 * received at once (step 0 completes when none is missing), recorded as one fact naming the sale.
 * Not a report: it names no report batch.
 */
export function handoffPacketEffects(state: OnboardingState, packet: { saleWorkflowId: string; present: string[]; missing: string[] }, at: string): OnboardingEffect[] {
  const fresh = packet.present.filter((i) => state.rules.handoffPacketItems.includes(i) && !state.handoffItems.includes(i));
  state.handoffItems.push(...fresh);
  const missing = state.rules.handoffPacketItems.filter((i) => !state.handoffItems.includes(i));
  if (!missing.length && !state.handoffCompleteAt) state.handoffCompleteAt = at;
  return [
    event('process.fact_recorded', 'R-46', { fact: 'handoffPacket', details: { saleWorkflowId: packet.saleWorkflowId, received: fresh, missing } }, { source: 'the consultative sale (R-44)' }),
    ...afterChange(state, at),
  ];
}

/** Whether the run follows version 2 of the process definition. */
export const isV2 = (state: Pick<OnboardingState, 'version'>) => (state.version ?? 1) >= 2;

/** The handoff packet items still missing; none once step 0 is done (an imported run did it before Baton). */
export function missingHandoffItems(state: OnboardingState): string[] {
  if (state.handoffCompleteAt || state.stepsCompleted.some((c) => c.number === 0)) return [];
  return state.rules.handoffPacketItems.filter((i) => !state.handoffItems.includes(i));
}
/** R-57 (v2): D runs no formal roadmap. */
const informalRoadmap = (state: OnboardingState) => isV2(state) && state.segment === 'D';

// ---------------------------------------------------------------------------------------------
// Derived facts

/** granted rows / rows, 0–100 truncated to 2 decimals (so 94.999 never reads as 95). */
export function accessPercentOf(state: Pick<OnboardingState, 'access'>): number {
  return accessPercent(state.access.map((a) => ({ system: a.system, granted: a.grantedAt !== null })));
}

/** the delivery gate's four conditions. */
export function gateConditions(state: OnboardingState): Record<string, boolean> {
  return {
    accessAtThreshold: accessPercentOf(state) >= state.rules.accessThresholdPct,
    documentationBaselined: state.documentationBaselinedAt !== undefined,
    mfaVerified: state.controls.mfa !== undefined,
    backupMonitoringVerified: state.controls.backupMonitoring !== undefined,
  };
}

const allTrue = (c: Record<string, boolean>) => Object.values(c).every(Boolean);

/** The evidence instant that satisfies a deadline, or undefined while it does not hold. */
function evidenceFor(state: OnboardingState, key: string): string | undefined {
  switch (key) {
    case 'handoff.complete':
      return state.handoffCompleteAt;
    case 'kickoff.held':
      return state.kickoff.heldAt;
    case 'recap.sent':
      return state.recapSentAt;
    case 'access.checkpoint':
      return accessPercentOf(state) >= state.rules.accessThresholdPct ? thresholdReachedAt(state) : undefined;
    case 'documentation.checkpoint':
      return state.documentationBaselinedAt;
    case 'discovery.checkpoint':
      return state.assessment?.completedAt;
    case 'quickWins.checkpoint':
      return state.quickWins.length >= state.rules.quickWinsRequired ? state.earlyWinsReportAt : undefined;
    case 'roadmap.window.closes':
      return state.roadmap?.confirmedAt;
    case 'proposals.window.closes':
      return state.proposals[0]?.at;
    case 'healthBaseline.window.closes':
      return state.healthBaselineAt;
    case 'cadenceLock.window.closes':
      return state.cadenceLockedAt;
    case 'day60Review.held':
      return state.day60?.heldAt;
    case 'closeout.held':
      return state.closedAt;
    default:
      return undefined;
  }
}

/** When access first reached the threshold: the grant that crossed it. */
function thresholdReachedAt(state: OnboardingState): string | undefined {
  const grants = state.access.map((a) => a.grantedAt).filter((g): g is string => g !== null).sort((a, b) => Date.parse(a) - Date.parse(b));
  const needed = Math.ceil((state.rules.accessThresholdPct / 100) * state.access.length - 1e-9);
  return grants[Math.max(0, needed - 1)];
}

/** Whether a step's work is done (R-46..R-56). Step 3 is skipped for D without a risk flag. */
function stepDone(state: OnboardingState, n: number): boolean {
  switch (n) {
    case 0: return state.handoffCompleteAt !== undefined;
    case 1: return state.kickoff.heldAt !== undefined;
    case 2: return accessPercentOf(state) >= state.rules.accessThresholdPct && state.documentationBaselinedAt !== undefined;
    case 3: return state.assessment !== undefined;
    case 4: return state.quickWins.length >= state.rules.quickWinsRequired && state.earlyWinsReportAt !== undefined;
    case 5: return state.roadmap !== undefined;
    case 6: return state.proposals.length > 0;
    case 7: return state.healthBaselineAt !== undefined && state.cadenceLockedAt !== undefined;
    case 8: return state.day60 !== undefined && state.closedAt !== undefined;
    default: return false;
  }
}

/** The first step not yet completed (or skipped); 9 once all are. */
export function currentStep(state: OnboardingState): number {
  for (const s of ONBOARDING_STEPS) if (!state.stepsCompleted.some((c) => c.number === s.number)) return s.number;
  return ONBOARDING_STEPS.length;
}

const stepOfDeadline: Record<OnboardingStepId | 'recap', number> = {
  handoff: 0, kickoff: 1, recap: 1, access: 2, documentation: 2, discovery: 3, quickWins: 4, roadmap: 5, proposals: 6, healthBaseline: 7, cadenceLock: 7, day60Review: 8, closeout: 8,
};

export type KpiValue = boolean | null;
/** R-57 KPIs for this client: null while undecided. */
export function kpis(state: OnboardingState): { kickoffWithinBusinessDays: KpiValue; accessByCheckpoint: KpiValue; earlyWinsByCheckpoint: KpiValue } {
  const judged = (key: string): KpiValue => {
    const d = state.deadlines.find((x) => x.key === key);
    if (!d || d.status === 'pending') return null;
    return d.status === 'met';
  };
  return { kickoffWithinBusinessDays: judged('kickoff.held'), accessByCheckpoint: judged('access.checkpoint'), earlyWinsByCheckpoint: judged('quickWins.checkpoint') };
}

// ---------------------------------------------------------------------------------------------
// Actions

const ms = (iso: string) => Date.parse(iso);

/** An hour SLA from `from` (R-29 recap, R-30/C-5 CTAs, R-50): elapsed by default, business hours when the policy says so. */
function slaDue(rules: OnboardingRules, from: string, hours: number): { dueAt: string; clock: 'elapsed' | 'businessHours' } {
  const cal = makeCalendar(rules.calendar);
  if (rules.slaClock === 'business') return { dueAt: addBusinessHours(from, hours, cal), clock: 'businessHours' };
  return { dueAt: addElapsedHours(from, hours, cal), clock: 'elapsed' };
}
const conflict = (message: string, ruleId?: string, details?: Record<string, unknown>): Refusal => ({ status: 409, message, ...(ruleId ? { ruleId } : {}), ...(details ? { details } : {}) });
const unprocessable = (message: string, ruleId?: string, details?: Record<string, unknown>): Refusal => ({ status: 422, message, ...(ruleId ? { ruleId } : {}), ...(details ? { details } : {}) });
const already = (what: string, at: string) => conflict(`${what} was already recorded at ${at}.`);

/**
 * Whether `action` may apply now. Pure: the Workflow Update validator calls it so a refused action
 * leaves no trace in history, and the handler calls it again before applying.
 */
export function decide(state: OnboardingState, action: OnboardingAction, at: string): Refusal | undefined {
  if (state.closedAt) return conflict(`The onboarding is already finished (closed at ${state.closedAt}).`, 'R-124');
  const knownSystems = state.access.map((a) => a.system);
  switch (action.type) {
    case 'handoffItemsReceived': {
      const unknown = action.items.filter((i) => !state.rules.handoffPacketItems.includes(i));
      if (unknown.length) return unprocessable(`Unknown handoff packet item(s): ${unknown.join(', ')}.`, 'R-44', { unknown, known: state.rules.handoffPacketItems });
      return undefined;
    }
    case 'kickoffScheduled':
      if (state.kickoff.heldAt) return already('The kickoff', state.kickoff.heldAt);
      if (ms(action.endsAt) <= ms(action.startsAt)) return unprocessable('endsAt must be after startsAt.');
      if (ms(action.startsAt) < ms(state.signedAt)) return unprocessable(`startsAt ${action.startsAt} is before the signature (${state.signedAt}).`);
      if ((state.version ?? 1) >= 4 && !state.kickoff.scheduled) {
        const missing = missingHandoffItems(state);
        if (missing.length) {
          return conflict(
            `The kickoff invite waits for the handoff packet (R-46); missing: ${missing.join(', ')}. Report them (POST …/onboarding/handoff-items), then book the kickoff.`,
            'R-46',
            { missingItems: missing },
          );
        }
      }
      return undefined;
    case 'kickoffHeld':
      if (action.decisions.length > state.rules.maxDecisions) {
        return unprocessable(
          `At most ${state.rules.maxDecisions} decisions per kickoff; decision ${state.rules.maxDecisions + 1} ("${action.decisions[state.rules.maxDecisions]!.title}") goes to the backlog (R-27).`,
          'R-27',
          { maxDecisions: state.rules.maxDecisions, received: action.decisions.length, backlog: action.decisions.slice(state.rules.maxDecisions).map((d) => d.title) },
        );
      }
      if (state.kickoff.heldAt) return already('The kickoff', state.kickoff.heldAt);
      if (ms(action.heldAt) < ms(state.signedAt)) return unprocessable(`heldAt ${action.heldAt} is before the signature (${state.signedAt}).`);
      if (ms(action.heldAt) > ms(at)) return unprocessable(`heldAt ${action.heldAt} is in the future.`);
      if (ms(action.endedAt) < ms(action.heldAt)) return unprocessable('endedAt must not be before heldAt.');
      return undefined;
    case 'recapSent':
      if (!state.kickoff.heldAt) return conflict('No kickoff has been held yet, so there is no recap to send (R-29).', 'R-29');
      if (state.recapSentAt) return already('The kickoff recap', state.recapSentAt);
      if (ms(action.sentAt) > ms(at)) return unprocessable(`sentAt ${action.sentAt} is in the future.`);
      return undefined;
    case 'accessGranted': {
      const unknown = action.systems.filter((s) => !knownSystems.includes(s));
      if (unknown.length) return unprocessable(`Unknown access-matrix system(s): ${unknown.join(', ')}.`, 'R-49', { unknown, known: knownSystems });
      return undefined;
    }
    case 'documentationBaselined':
      return state.documentationBaselinedAt ? already('The documentation baseline', state.documentationBaselinedAt) : undefined;
    case 'controlVerified':
      return state.controls[action.control] ? already(`${action.control} verification`, state.controls[action.control]!) : undefined;
    case 'assessmentCompleted':
      return state.assessment ? already('The assessment', state.assessment.completedAt) : undefined;
    case 'quickWinCompleted': {
      const unknown = action.systems.filter((s) => !knownSystems.includes(s));
      if (unknown.length) return unprocessable(`Unknown access-matrix system(s): ${unknown.join(', ')}.`, 'R-49', { unknown, known: knownSystems });
      const missing = action.systems.filter((s) => !state.access.find((a) => a.system === s)?.grantedAt);
      if (missing.length) return conflict(`A quick win may only use access already granted; not granted: ${missing.join(', ')} (R-48).`, 'R-48', { notGranted: missing });
      return undefined;
    }
    case 'earlyWinsReportPublished':
      if (state.earlyWinsReportAt) return already('The Early Wins report', state.earlyWinsReportAt);
      if (state.quickWins.length < state.rules.quickWinsRequired) {
        return conflict(`The Early Wins report needs ${state.rules.quickWinsRequired} quick wins; ${state.quickWins.length} done (R-52).`, 'R-52', { required: state.rules.quickWinsRequired, done: state.quickWins.length });
      }
      return undefined;
    case 'projectKickoff': {
      if (action.quickWin) return undefined; // quick wins needing only granted access may run
      const conditions = gateConditions(state);
      if (!allTrue(conditions)) {
        const failing = Object.entries(conditions).filter(([, v]) => !v).map(([k]) => k);
        return conflict(`The delivery gate is shut (R-48): ${failing.join(', ')} not met; access ${accessPercentOf(state)} % of ${state.rules.accessThresholdPct} % required.`, 'R-48', { gate: 'delivery', conditions, accessPercent: accessPercentOf(state) });
      }
      return undefined;
    }
    case 'roadmapConfirmed':
      if (informalRoadmap(state)) {
        return conflict('D has no formal roadmap or Budget v1 (R-57): record its 1–2 operational initiatives without a budget (POST …/onboarding/operational-initiatives).', 'R-57');
      }
      return state.roadmap ? already('Roadmap and Budget v1', state.roadmap.confirmedAt) : undefined;
    case 'operationalInitiativesRecorded': {
      if (!isV2(state)) return conflict('This onboarding started before operational initiatives were recorded apart (process version 1): confirm the roadmap and Budget v1 as before (R-53).', 'R-57');
      if (state.segment !== 'D') return conflict(`Segment ${state.segment} confirms a roadmap with Budget v1 (R-53); operational initiatives without a budget are D's variation (R-57).`, 'R-57');
      if (state.roadmap) return already('The operational initiatives', state.roadmap.confirmedAt);
      const max = state.rules.operationalInitiatives?.max ?? action.initiatives.length;
      if (action.initiatives.length > max) {
        return unprocessable(`D records at most ${max} operational initiatives (R-57, R-72); ${action.initiatives.length} were sent.`, 'R-57', { max, received: action.initiatives.length, policyKeys: ['initiatives.goal1PerYear.max'] });
      }
      return undefined;
    }
    case 'proposalSent':
      if (!state.roadmap) {
        return informalRoadmap(state)
          ? conflict('Proposals follow the operational initiatives: record them first (R-57, R-54).', 'R-54')
          : conflict('Proposals follow the pre-approved roadmap: confirm roadmap and Budget v1 first (R-53, R-54).', 'R-54');
      }
      if (state.proposals.some((p) => p.title === action.title)) return conflict(`A proposal titled "${action.title}" was already sent.`);
      return undefined;
    case 'healthBaselineRecorded':
      return state.healthBaselineAt ? already('The health baseline', state.healthBaselineAt) : undefined;
    case 'cadenceLocked':
      return state.cadenceLockedAt ? already('The cadence lock', state.cadenceLockedAt) : undefined;
    case 'day60ReviewHeld':
      return state.day60 ? already('The Day 60 review', state.day60.heldAt) : undefined;
    case 'closeout':
      if (!state.kickoff.heldAt) return conflict('Closeout needs at least a held kickoff (R-47, R-56).', 'R-56');
      return undefined;
  }
}

/** Applies an accepted action (call `decide` first) and returns the effects to record, in order. */
export function applyAction(state: OnboardingState, action: OnboardingAction, at: string): OnboardingEffect[] {
  state.actions += 1;
  const out: OnboardingEffect[] = [];
  const fact = (ruleId: string | null, details: Record<string, unknown>, why: Record<string, unknown> = {}) =>
    out.push(event('process.fact_recorded', ruleId, { fact: action.type, details: details as Record<string, never> }, why));

  switch (action.type) {
    case 'handoffItemsReceived': {
      const fresh = action.items.filter((i) => !state.handoffItems.includes(i));
      state.handoffItems.push(...fresh);
      const missing = state.rules.handoffPacketItems.filter((i) => !state.handoffItems.includes(i));
      if (!missing.length && !state.handoffCompleteAt) state.handoffCompleteAt = at;
      fact('R-44', { received: fresh, missing });
      break;
    }
    case 'kickoffScheduled':
      state.kickoff.scheduled = { startsAt: action.startsAt, endsAt: action.endsAt };
      out.push({ kind: 'meeting', key: 'kickoff', meetingKind: 'kickoff', state: 'scheduled', startsAt: action.startsAt, endsAt: action.endsAt, ruleId: 'R-47', data: {} });
      break;
    case 'kickoffHeld': {
      state.kickoff = { ...state.kickoff, heldAt: action.heldAt, endedAt: action.endedAt, decisions: action.decisions.length, attendees: action.attendees };
      out.push({
        kind: 'meeting', key: 'kickoff', meetingKind: 'kickoff', state: 'held', startsAt: state.kickoff.scheduled?.startsAt ?? action.heldAt, endsAt: action.endedAt, ruleId: 'R-47',
        data: { decisions: action.decisions, attendees: action.attendees }, ...(isV2(state) ? { heldAt: action.heldAt, decisionCount: action.decisions.length } : {}),
      });
      // recap due recapHours after the meeting ends (A-14 elapsed; the activity recomputes business-hour clocks).
      const { dueAt: recapDue, clock: recapClock } = slaDue(state.rules, action.endedAt, state.rules.recapHours);
      const recap: DeadlineState = {
        key: 'recap.sent', step: 'kickoff', dueAt: recapDue, ruleId: 'R-29', clock: recapClock === 'elapsed' ? 'elapsed' : 'businessHours', status: 'pending',
        why: { from: action.endedAt, hours: state.rules.recapHours, clock: state.rules.slaClock, policyKeys: ['meeting.recapHours', 'calendar.slaClock'] },
        owner: { role: 'CSM', ruleId: 'R-29' },
      };
      state.deadlines.push(recap);
      out.push(event('deadline.set', 'R-29', { deadline: recap.key, dueAt: recapDue, clock: recapClock }, { ...recap.why, step: 'kickoff', ownerRole: 'CSM' }));
      // one CTA per decision, plus the access-request CTA, each due firstActionHours after the kickoff —
      // v2: after the meeting's end, never after the report's arrival; v1 counted from the report.
      const ctaFrom = isV2(state) ? action.endedAt : at;
      const ctaDue = slaDue(state.rules, ctaFrom, state.rules.firstActionHours).dueAt;
      const countedFrom = isV2(state) ? { from: ctaFrom, fromRule: 'A-26: the meeting\'s end' } : {};
      action.decisions.forEach((d, i) => out.push({
        kind: 'cta', key: `kickoff/decision-${i + 1}`, ctaKind: 'decision', title: d.title, ruleId: 'R-30', ownerRole: d.ownerRole, dueAt: ctaDue,
        why: { meeting: 'kickoff', decision: i + 1, hours: state.rules.firstActionHours, policyKeys: ['meeting.firstActionHours'], ...countedFrom },
      }));
      const ungranted = state.access.filter((a) => !a.grantedAt).map((a) => a.system);
      if (ungranted.length) {
        out.push({
          kind: 'cta', key: 'kickoff/access-requests', ctaKind: 'access-request', title: `Request access: ${ungranted.join(', ')}`, ruleId: 'R-47', ownerRole: 'TAM', dueAt: ctaDue,
          why: { meeting: 'kickoff', systems: ungranted, hours: state.rules.firstActionHours, policyKeys: ['meeting.firstActionHours'], ...countedFrom },
        });
      }
      break;
    }
    case 'recapSent':
      state.recapSentAt = action.sentAt;
      fact('R-29', { sentAt: action.sentAt });
      break;
    case 'accessGranted': {
      const wasBelow = accessPercentOf(state) < state.rules.accessThresholdPct;
      const fresh = action.systems.filter((s) => state.access.find((a) => a.system === s)?.grantedAt === null);
      for (const a of state.access) if (fresh.includes(a.system)) a.grantedAt = at;
      fact('R-49', { granted: fresh, alreadyGranted: action.systems.filter((s) => !fresh.includes(s)), accessPercent: accessPercentOf(state), thresholdPct: state.rules.accessThresholdPct });
      if (isV2(state) && fresh.length) out.push({ kind: 'accessRecord', systems: fresh.map((system) => ({ system, grantedAt: at })) });
      // R-124 (v2): access complete after the missed Day 14 checkpoint is evidence on R-50's open Delivery risk.
      if (isV2(state) && wasBelow && accessPercentOf(state) >= state.rules.accessThresholdPct && missedCheckpoint(state, 'access.checkpoint')) {
        out.push({ kind: 'riskEvidence', key: 'access.checkpoint', bucket: 'Delivery', ruleId: 'R-124', conditionCleared: true, evidence: `access complete after the Day 14 checkpoint: ${accessPercentOf(state)} % of the access matrix (threshold ${state.rules.accessThresholdPct} %)` });
      }
      break;
    }
    case 'documentationBaselined':
      state.documentationBaselinedAt = at;
      fact('R-49', { sections: action.sections });
      if (isV2(state) && missedCheckpoint(state, 'documentation.checkpoint')) {
        out.push({ kind: 'riskEvidence', key: 'documentation.checkpoint', bucket: 'Delivery', ruleId: 'R-124', conditionCleared: true, evidence: 'documentation baselined after the Day 21 checkpoint' });
      }
      break;
    case 'controlVerified':
      state.controls[action.control] = at;
      fact('R-48', { control: action.control });
      break;
    case 'assessmentCompleted': {
      const topScore = Math.max(...action.findings.map((f) => f.score));
      state.assessment = { completedAt: at, findings: action.findings.length, topScore };
      fact('R-51', { findings: action.findings, topScore });
      break;
    }
    case 'quickWinCompleted':
      state.quickWins.push({ title: action.title, at });
      fact('R-52', { title: action.title, systems: action.systems, done: state.quickWins.length, required: state.rules.quickWinsRequired });
      break;
    case 'earlyWinsReportPublished':
      state.earlyWinsReportAt = at;
      fact('R-52', { quickWins: state.quickWins.map((q) => q.title), ...(action.url ? { url: action.url } : {}) });
      break;
    case 'projectKickoff':
      state.projects.push({ project: action.project, at });
      fact('R-48', { project: action.project, quickWin: action.quickWin ?? false, gate: gateConditions(state) });
      break;
    case 'roadmapConfirmed':
      state.roadmap = { confirmedAt: at, budgetV1Usd: action.budgetV1Usd, initiatives: action.initiatives };
      fact('R-53', { initiatives: action.initiatives, budgetV1Usd: action.budgetV1Usd });
      break;
    case 'operationalInitiativesRecorded':
      // D has no formal roadmap; 1–2 operational initiatives, no budget (no Budget v1 either).
      state.roadmap = { confirmedAt: at, budgetV1Usd: null, initiatives: action.initiatives, formal: false };
      fact('R-57', { initiatives: action.initiatives, budgetUsd: null, formalRoadmap: false });
      break;
    case 'proposalSent': {
      state.proposals.push({ title: action.title, at });
      const days = (ms(at) - ms(state.roadmap!.confirmedAt)) / 86_400_000;
      const max = state.rules.daysToProposalMax;
      fact('R-54', {
        title: action.title, ...(action.initiative ? { initiative: action.initiative } : {}), daysSinceRoadmap: Math.round(days * 10) / 10,
        // days-to-proposal is a median KPI with a per-item warning past the policy's maximum.
        ...(max !== undefined ? { daysToProposalMax: max, warning: days > max ? `sent ${Math.round(days * 10) / 10} days after the roadmap, over ${max} (R-54)` : null } : {}),
      });
      break;
    }
    case 'healthBaselineRecorded':
      state.healthBaselineAt = at;
      fact('R-55', { scores: action.scores });
      break;
    case 'cadenceLocked':
      state.cadenceLockedAt = at;
      fact('R-10', {});
      // at cadence lock the scheduler books the next 12 months and keeps them rolling.
      out.push({ kind: 'startCadence', lockedAt: at });
      break;
    case 'day60ReviewHeld':
      state.day60 = { heldAt: at, ...(action.nps !== undefined ? { nps: action.nps } : {}), ...(action.csat !== undefined ? { csat: action.csat } : {}) };
      fact('R-56', { ...(action.nps !== undefined ? { nps: action.nps } : {}), ...(action.csat !== undefined ? { csat: action.csat } : {}) });
      break;
    case 'closeout':
      state.closedAt = at;
      fact('R-56', { note: action.note });
      break;
  }
  out.push(...afterChange(state, at));
  if (action.type === 'closeout') out.push(...closeoutEffects(state, at));
  return out;
}

/** Consequences of any state change: deadlines now met, steps now complete, the gate now open. */
function afterChange(state: OnboardingState, at: string): OnboardingEffect[] {
  const out: OnboardingEffect[] = [];
  for (const d of state.deadlines) {
    if (d.status !== 'pending' && d.status !== 'missed') continue;
    const evidence = evidenceFor(state, d.key);
    if (evidence === undefined) continue;
    if (d.status === 'pending') {
      // Work done after the instant is late even when the miss was not judged yet; deadlineDue records it.
      if (ms(evidence) > ms(d.dueAt)) continue;
      d.status = 'met';
      d.resolvedAt = evidence;
    } else if (!d.lateWorkDone && d.key !== 'access.checkpoint' && d.key !== 'documentation.checkpoint') {
      // The late work arrived: its overdue CTA is done. R-50 escalations stay with their owner.
      d.lateWorkDone = evidence;
      out.push({ kind: 'ctaResolved', key: `overdue/${d.key}`, note: `${d.key} done late at ${evidence}` });
    }
  }
  for (const s of ONBOARDING_STEPS) {
    if (state.stepsCompleted.some((c) => c.number === s.number) || !stepDone(state, s.number)) continue;
    const late = state.deadlines.some((d) => stepOfDeadline[d.step] === s.number && !d.key.endsWith('.opens') && (d.status === 'missed' || (d.status === 'pending' && ms(d.dueAt) < ms(at))));
    state.stepsCompleted.push({ number: s.number, at, late });
    out.push(event('step.completed', s.ruleId, { step: s.number, name: s.name }, { late, deadlines: state.deadlines.filter((d) => stepOfDeadline[d.step] === s.number && d.status !== 'reached').map((d) => ({ key: d.key, dueAt: d.dueAt, status: d.status })) }));
  }
  if (!state.gateOpen) {
    const conditions = gateConditions(state);
    if (allTrue(conditions)) {
      state.gateOpen = true;
      out.push(event('gate.opened', 'R-48', { gate: 'delivery', conditions }, { accessPercent: accessPercentOf(state), thresholdPct: state.rules.accessThresholdPct }));
    }
  }
  return out;
}

/** open exceptions at closeout move to CTAs (one per unmet step or shut gate), then the process completes. */
function closeoutEffects(state: OnboardingState, at: string): OnboardingEffect[] {
  const out: OnboardingEffect[] = [];
  const due = slaDue(state.rules, at, state.rules.firstActionHours).dueAt;
  const open = ONBOARDING_STEPS.filter((s) => !state.stepsCompleted.some((c) => c.number === s.number) && s.number !== 8);
  if (!state.day60) {
    out.push({
      kind: 'cta', key: 'closeout/day60-review', ctaKind: 'onboarding-exception', title: 'Onboarding exception at closeout: the Day 60 review was not held', ruleId: 'R-56', ownerRole: 'CSM', dueAt: due,
      why: { step: 8, name: 'reviewAndCloseout', stepRule: 'R-56', policyKeys: ['meeting.firstActionHours'] },
    });
  }
  for (const s of open) {
    const d = state.deadlines.find((x) => stepOfDeadline[x.step] === s.number && x.status !== 'reached');
    // R-57 (v2): D's step 5 is its operational initiatives, with no deadline to name the owner.
    const informal = s.number === 5 && informalRoadmap(state);
    out.push({
      kind: 'cta', key: `closeout/step-${s.number}`, ctaKind: 'onboarding-exception',
      title: informal ? 'Onboarding exception at closeout: operational initiatives not recorded (R-57)' : ctaTitle.closeoutStep(s.number, s.name),
      ruleId: 'R-56', ownerRole: d?.owner.role ?? (informal ? state.rules.operationalInitiatives?.ownerRole : undefined) ?? 'CSM', dueAt: due,
      why: { step: s.number, name: s.name, stepRule: informal ? 'R-57' : s.ruleId, policyKeys: ['meeting.firstActionHours'] },
    });
  }
  if (!state.gateOpen && !open.some((s) => s.number === 2)) {
    out.push({
      kind: 'cta', key: 'closeout/gate', ctaKind: 'onboarding-exception', title: 'Onboarding exception at closeout: delivery gate still shut (MFA / backup monitoring)',
      ruleId: 'R-56', ownerRole: 'TAM', dueAt: due, why: { gate: 'delivery', conditions: gateConditions(state), gateRule: 'R-48' },
    });
  }
  const exceptions = out.length;
  out.push(event('process.completed', 'R-56', { outcome: 'closed', openExceptions: exceptions }, { kpis: kpis(state), stepsLate: state.stepsCompleted.filter((s) => s.late).map((s) => s.number) }));
  if (isV2(state) && state.rules.workingAgreement) out.push(workingAgreementCta(state, at, state.rules.workingAgreement));
  return out;
}

/**
 * the Working Agreement (response times, channels, escalation) is published ≤ N days after
 * the onboarding closes: close date + N calendar days, ROLLed (C-2: a non-business day moves to the
 * previous business day, never before the close), due at close of business that day.
 */
function workingAgreementCta(state: OnboardingState, closedAt: string, wa: { daysAfterClose: number; ownerRole: Role }): OnboardingEffect {
  const cal = makeCalendar(state.rules.calendar);
  const closedOn = localDateOf(closedAt, cal);
  const target = addCalendarDays(closedOn, wa.daysAfterClose);
  const date = roll(target, cal, closedOn);
  const dueAt = atLocalTime(date, cal.dayEnd, cal);
  const readable = DateTime.fromISO(date).setLocale('en-US').toFormat('ccc d LLL yyyy');
  return {
    kind: 'cta', key: 'closeout/working-agreement', ctaKind: 'working-agreement', title: `Publish the Working Agreement (response times, channels, escalation) by ${readable}`,
    ruleId: 'R-58', ownerRole: wa.ownerRole, dueAt,
    why: {
      closedOn, days: wa.daysAfterClose, targetDate: target, localDate: date, rolled: date !== target, ...(date !== target ? { rolledFrom: target } : {}),
      dueTime: cal.dayEnd, zone: cal.timeZone, policyKeys: ['onboarding.workingAgreementDaysAfterClose', 'onboarding.workingAgreementOwner', 'calendar.dayEnd'],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Deadlines

/** The next deadline still to judge, by instant; window openings are markers and count too. */
export function nextDeadline(state: OnboardingState): DeadlineState | undefined {
  let best: DeadlineState | undefined;
  for (const d of state.deadlines) {
    if (d.status !== 'pending') continue;
    if (!best || ms(d.dueAt) < ms(best.dueAt)) best = d;
  }
  return best;
}

/** Within this of its instant a deadline counts as judged on time (timer latency), beyond it as late. */
const ON_TIME_TOLERANCE_MS = 60_000;

/**
 * A deadline's instant arrived (`now` ≥ dueAt). Met → nothing to record (it was recorded when met).
 * Window openings are reached. A miss records `deadline.missed` (late when noticed after the fact,
 * e.g. a Day 0 in the past) and escalates: R-50 for the Day 14/21 checkpoints (escalation CTA to
 * the exec sponsor's owner, the AM; At Risk Delivery/Medium; the gate stays shut), otherwise a CTA
 * to the deadline's owner.
 */
export function deadlineDue(state: OnboardingState, key: string, now: string): OnboardingEffect[] {
  const d = state.deadlines.find((x) => x.key === key);
  if (!d || d.status !== 'pending') return [];
  if (key.endsWith('.window.opens')) {
    d.status = 'reached';
    d.resolvedAt = d.dueAt;
    return [];
  }
  const lateBy = ms(now) - ms(d.dueAt);
  const late = lateBy > ON_TIME_TOLERANCE_MS;
  const judgedAt = late ? now : d.dueAt;
  const evidence = evidenceFor(state, key);
  if (evidence !== undefined && ms(evidence) <= ms(d.dueAt)) {
    d.status = 'met';
    d.resolvedAt = evidence;
    return [];
  }
  d.status = 'missed';
  d.resolvedAt = judgedAt;
  if (late) d.lateByMs = lateBy;
  if (evidence !== undefined) {
    // The work arrived after the instant but before the miss was judged: missed, and already done (no CTA to open).
    d.lateWorkDone = evidence;
    return [event('deadline.missed', d.ruleId, { deadline: d.key, dueAt: d.dueAt, ...(late ? { lateByMs: lateBy } : {}) }, { step: d.step, ownerRole: d.owner.role, workDoneLateAt: evidence }, judgedAt)];
  }
  const out: OnboardingEffect[] = [
    event('deadline.missed', d.ruleId, { deadline: d.key, dueAt: d.dueAt, ...(late ? { lateByMs: lateBy } : {}) }, { step: d.step, ownerRole: d.owner.role, ...(late ? { noticedLate: true, reason: 'the instant had passed when the process reached it (e.g. a signature date in the past)' } : {}), ...missWhy(state, d.key) }, judgedAt),
  ];
  const r = state.rules;
  if (key === 'access.checkpoint' || key === 'documentation.checkpoint') {
    const what = key === 'access.checkpoint' ? `access ${accessPercentOf(state)} % below ${r.accessThresholdPct} % at Day ${d.why.day}` : `documentation not baselined at Day ${d.why.day}`;
    out.push({
      kind: 'cta', key: `escalation/${key}`, ctaKind: 'onboarding-escalation', title: `Escalate to the client's executive sponsor: ${what}`, ruleId: 'R-50', ownerRole: 'AM',
      dueAt: slaDue(r, judgedAt, r.escalationCtaHours).dueAt,
      why: { deadline: key, hours: r.escalationCtaHours, policyKeys: ['onboarding.escalationCtaHours'], ownerRule: 'R-50: AM owns the exec sponsor escalation' },
    });
    if (isV2(state)) {
      // R-93 (v2): the At Risk process opens the Delivery risk (severity from impact × likelihood, default Medium) or appends to the open one.
      out.push({ kind: 'riskSignal', key: `onboarding/${key}`, trigger: what, bucket: 'Delivery', ruleId: 'R-50', evidence: { deadline: key, dueAt: d.dueAt, ...missWhy(state, key) } });
    } else {
      out.push(event('risk.opened', 'R-50', { riskId: `${state.clientId}/onboarding/${key}`, bucket: 'Delivery', severity: 'Medium', trigger: what }, { ownerRole: 'CSM', triggerRule: 'R-93', severityRule: 'R-94' }, judgedAt));
    }
    out.push(event('gate.closed', 'R-50', { gate: 'delivery', conditions: gateConditions(state) }, { reason: `${key} missed: the gate stays shut (R-50)` }, judgedAt));
  } else {
    out.push({
      kind: 'cta', key: `overdue/${key}`, ctaKind: 'onboarding-overdue', title: ctaTitle.overdue(d.key, d.dueAt, state.timeZone, judgedAt), ruleId: d.ruleId, ownerRole: d.owner.role,
      dueAt: slaDue(r, judgedAt, r.firstActionHours).dueAt,
      why: { deadline: key, ownerRule: d.owner.ruleId, hours: r.firstActionHours, policyKeys: ['meeting.firstActionHours'] },
    });
  }
  return out;
}

/** Whether a checkpoint was judged missed (R-50 opened its risk then). */
const missedCheckpoint = (state: OnboardingState, key: string) => state.deadlines.some((d) => d.key === key && d.status === 'missed');

function missWhy(state: OnboardingState, key: string): Record<string, unknown> {
  switch (key) {
    case 'access.checkpoint': return { accessPercent: accessPercentOf(state), thresholdPct: state.rules.accessThresholdPct, notGranted: state.access.filter((a) => !a.grantedAt).map((a) => a.system) };
    case 'handoff.complete': return { missingItems: state.rules.handoffPacketItems.filter((i) => !state.handoffItems.includes(i)) };
    case 'quickWins.checkpoint': return { quickWins: state.quickWins.length, required: state.rules.quickWinsRequired, reportPublished: state.earlyWinsReportAt !== undefined };
    default: return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Status

export function statusView(state: OnboardingState, phase: 'running' | 'completed') {
  const cur = currentStep(state);
  return {
    clientId: state.clientId,
    phase,
    segment: state.segment,
    signedAt: state.signedAt,
    timeZone: state.timeZone,
    policyVersion: state.policyVersion,
    currentStep: cur < ONBOARDING_STEPS.length ? { number: cur, name: ONBOARDING_STEPS[cur]!.name, ruleId: ONBOARDING_STEPS[cur]!.ruleId } : null,
    steps: ONBOARDING_STEPS.map((s) => {
      const done = state.stepsCompleted.find((c) => c.number === s.number);
      return { number: s.number, name: s.name, ruleId: s.ruleId, state: done ? (done.skipped ? 'skipped' : 'done') : 'open', completedAt: done?.at ?? null, late: done?.late ?? false };
    }),
    gates: [{ gate: 'delivery', ruleId: 'R-48', open: state.gateOpen, conditions: gateConditions(state) }],
    deadlines: state.deadlines.map((d) => ({
      key: d.key, step: d.step, dueAt: d.dueAt, ruleId: d.ruleId, clock: d.clock, ownerRole: d.owner.role, status: d.status,
      resolvedAt: d.resolvedAt ?? null, ...(d.lateByMs !== undefined ? { lateByMs: d.lateByMs } : {}), why: d.why,
    })).sort((a, b) => ms(a.dueAt) - ms(b.dueAt) || (a.key < b.key ? -1 : 1)),
    kpis: kpis(state),
    access: { percent: accessPercentOf(state), thresholdPct: state.rules.accessThresholdPct, items: state.access.map((a) => ({ ...a })) },
    kickoff: { ...state.kickoff },
    quickWins: state.quickWins.map((q) => ({ ...q })),
    // R-53 roadmap with Budget v1, or (v2) D's operational initiatives without a budget.
    roadmap: state.roadmap ? { confirmedAt: state.roadmap.confirmedAt, initiatives: [...state.roadmap.initiatives], budgetV1Usd: state.roadmap.budgetV1Usd, formal: state.roadmap.formal ?? true } : null,
    processVersion: state.version ?? 1,
    closedAt: state.closedAt ?? null,
  };
}
export type OnboardingStatus = ReturnType<typeof statusView>;

/** Step 3 for a D client without a risk flag is skipped at start. */
export function skipSteps(state: OnboardingState, at: string): OnboardingEffect[] {
  if (!state.deadlines.some((d) => d.key === 'discovery.checkpoint' && d.status === 'skipped')) return [];
  state.stepsCompleted.push({ number: 3, at, late: false, skipped: true });
  return [event('step.completed', 'R-51', { step: 3, name: 'discoveryAndAssessment' }, { skipped: true, reason: 'D: discovery/assessment skipped unless risk (R-51)' })];
}

/**
 * A client imported mid-onboarding (issue 15, "Getting clients in"; workflow patch
 * `onboarding-import`): it starts at `step` instead of replaying months of its past. The steps
 * before it count as done before the import (R-46..R-56, `step.completed` with `imported`); every
 * deadline of those steps, and every deadline whose instant is already past, is not judged
 * (`skipped`: no late miss, no overdue CTA); past step 2 the R-48 gate conditions held before the
 * import (access granted, documentation baselined, MFA and backup monitoring verified), so the
 * gate opens; past step 7 the cadence was locked. The deadlines still ahead run as usual.
 */
export function resumeImported(state: OnboardingState, step: number, at: string): OnboardingEffect[] {
  const out: OnboardingEffect[] = [];
  const notJudged: string[] = [];
  for (const d of state.deadlines) {
    if (d.status !== 'pending') continue;
    if (stepOfDeadline[d.step] < step || ms(d.dueAt) <= ms(at)) {
      d.status = 'skipped';
      d.resolvedAt = at;
      notJudged.push(d.key);
    }
  }
  if (step > 1) state.kickoff.heldAt ??= at;
  if (step > 2) {
    for (const a of state.access) a.grantedAt ??= at;
    state.documentationBaselinedAt ??= at;
    state.controls.mfa ??= at;
    state.controls.backupMonitoring ??= at;
  }
  if (step > 7) {
    state.healthBaselineAt ??= at;
    state.cadenceLockedAt ??= at;
  }
  out.push(event('process.fact_recorded', 'R-46', { fact: 'imported', details: { step, stepName: ONBOARDING_STEPS[step]?.name ?? null, notJudged } }, { reason: 'client imported mid-onboarding: earlier steps done before the import; deadlines already past are not judged (no back-dated CTAs)' }));
  for (const s of ONBOARDING_STEPS) {
    if (s.number >= step || state.stepsCompleted.some((c) => c.number === s.number)) continue;
    state.stepsCompleted.push({ number: s.number, at, late: false, imported: true });
    out.push(event('step.completed', s.ruleId, { step: s.number, name: s.name }, { imported: true, reason: 'done before the client was imported' }));
  }
  if (isV2(state) && step > 2) out.push({ kind: 'accessRecord', systems: state.access.map((a) => ({ system: a.system, grantedAt: a.grantedAt })) });
  if (!state.gateOpen && allTrue(gateConditions(state))) {
    state.gateOpen = true;
    out.push(event('gate.opened', 'R-48', { gate: 'delivery', conditions: gateConditions(state) }, { imported: true, reason: 'the conditions held before the client was imported' }));
  }
  return out;
}
