/**
 * Initiatives as a pure process model (DOMAIN §2.12 R-71..R-75, price tests and pre-approvals
 * R-42/R-83, the credit gate R-32, R-16 on approval, R-121 fix-first, R-28 asks, C-3, A-17).
 *
 * The workflow `initiative/{id}` (workflows/initiative.ts) holds one `InitiativeState` and calls
 * `decide` + `accept` for each report (a price test, a pre-approval, a transition, a proposal's
 * news, a decision logged at a meeting), and `due` when the instant of `nextDue` arrives (Stalled,
 * pre-approval 31/61, a parked initiative's quarter). Each returns the effects to record (ledger
 * events, CTAs, row writes) and follow-ups the workflow runs afterwards (R-16's delivery kickoff
 * through the cadence). Every number comes from the policy in the setup.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { addElapsedHours, localDateOf, makeCalendar, type BusinessCalendar } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import type { Policy, Role } from './policy.js';
import type { OwnerRef } from './planning-writes.js';
import { addQuarters, nextQuarter, quarterBasis, quarterOf, quarterRange, QUARTER_RE, type Quarter } from './quarters.js';
import { atLocalTime } from './business-time.js';

export const INITIATIVE_STATES = ['Identified', 'Qualified', 'PreApproved', 'Proposed', 'Approved', 'InDelivery', 'Delivered', 'Verified', 'Parked', 'Declined', 'Cancelled'] as const;
export type InitiativeStateName = (typeof INITIATIVE_STATES)[number];
export const LANES = ['Stability', 'Efficiency', 'Growth', 'Innovation'] as const;
export type Lane = (typeof LANES)[number];
export const SOURCE_KINDS = ['discovery', 'assessment', 'health', 'signal', 'decision', 'onboarding', 'manual'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
/** The run ends in these (R-74 side states Declined and Cancelled; Verified ends the path). */
export const TERMINAL_STATES: readonly InitiativeStateName[] = ['Verified', 'Declined', 'Cancelled'];
/** a state change is expected in these; Parked waits for its quarter and Delivered for its review. */
const STALL_STATES: readonly InitiativeStateName[] = ['Identified', 'Qualified', 'PreApproved', 'Proposed', 'Approved', 'InDelivery'];
/** Transitions ops and managers make by hand (the others come from price tests, pre-approvals, proposals and decisions). */
export const MANUAL_TARGETS = ['Identified', 'InDelivery', 'Delivered', 'Verified', 'Parked', 'Declined', 'Cancelled'] as const;
export type ManualTarget = (typeof MANUAL_TARGETS)[number];

const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

// ---------------------------------------------------------------------------------------------
// The card and the gates read at decision time

export interface InitiativeCardInput {
  title: string;
  lane?: string;
  quarter?: string;
  source?: { kind: string; ref?: string; date?: string };
  tier?: number;
}

export interface Refusal { status: 404 | 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

/** an initiative needs source + date, lane, quarter (and gets its id); orphans are refused, naming each gap. A-4: Innovation only for Goal 5 when the policy allows it. */
export function cardProblems(card: InitiativeCardInput, policy: Policy, goalLevel: number): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (!card.source?.kind) out.push({ path: 'source.kind', message: 'an initiative needs its source (R-71)' });
  if (!card.source?.date) out.push({ path: 'source.date', message: 'an initiative needs its source date (R-71)' });
  if (!card.quarter) out.push({ path: 'quarter', message: 'an initiative needs its quarter (R-71)' });
  else if (!QUARTER_RE.test(card.quarter)) out.push({ path: 'quarter', message: 'a quarter is YYYY-Qn (C-7)' });
  if (!card.lane) out.push({ path: 'lane', message: 'an initiative needs its lane (R-71, A-4)' });
  else if (!allowedLanes(policy, goalLevel).includes(card.lane as Lane)) {
    out.push({ path: 'lane', message: `lane ${card.lane} is not one of this client's lanes: ${allowedLanes(policy, goalLevel).join(', ')} (A-4, R-85)` });
  }
  return out;
}

/** the policy's lanes, plus Innovation for a Goal-5 client when allowed. */
export function allowedLanes(policy: Policy, goalLevel: number): Lane[] {
  const lanes = [...policy.initiatives.lanes] as Lane[];
  if (goalLevel === 5 && policy.initiatives.innovationLaneForGoal5 && !lanes.includes('Innovation')) lanes.push('Innovation');
  return lanes;
}

/** The client's latest adoption figures, each with when it was measured. */
export interface Adoption { mfaPct?: { value: number; at: string }; endpointPct?: { value: number; at: string } }

/**
 * R-121 fix-first gate: while MFA < 60 % or endpoint < 80 % (triggers.thresholds), no new
 * non-remediation proposal and no tier-2 initiative. Returns the refusal naming the failing
 * figures, or undefined when the gate is open (or switched off, playsAndGates.fixFirstGate).
 */
export function fixFirstGate(adoption: Adoption, policy: Policy, what: string): Refusal | undefined {
  if (!policy.playsAndGates.fixFirstGate) return undefined;
  const th = policy.triggers.thresholds;
  const failing: Record<string, { value: number; minPct: number; measuredAt: string }> = {};
  if (adoption.mfaPct && adoption.mfaPct.value < th.mfaMinPct) failing.mfaPct = { value: adoption.mfaPct.value, minPct: th.mfaMinPct, measuredAt: adoption.mfaPct.at };
  if (adoption.endpointPct && adoption.endpointPct.value < th.endpointMinPct) failing.endpointPct = { value: adoption.endpointPct.value, minPct: th.endpointMinPct, measuredAt: adoption.endpointPct.at };
  const names = Object.entries(failing).map(([k, v]) => `${k === 'mfaPct' ? 'MFA' : 'endpoint'} ${v.value} % < ${v.minPct} %`);
  if (!names.length) return undefined;
  return {
    status: 409, ruleId: 'R-121',
    message: `Fix first (R-121): ${names.join(' and ')}; no ${what} until adoption is back over the line (remediation work is allowed).`,
    details: { failing, policyKeys: ['triggers.thresholds.mfaMinPct', 'triggers.thresholds.endpointMinPct', 'playsAndGates.fixFirstGate'] },
  };
}

/** R-32 credit gate: an approval counts only with owner + date + budget in writing; returns what is missing. */
export function creditGate(d: { ownerRole?: string; targetDate?: string; budgetUsd?: number }): { credited: boolean; missing: string[] } {
  const missing = [d.ownerRole ? '' : 'owner', d.targetDate ? '' : 'target date', d.budgetUsd !== undefined ? '' : 'budget'].filter(Boolean);
  return { credited: missing.length === 0, missing };
}

/** an ask needs a Discovery "why" and an Assessment "what/when"; what is missing. */
export function askGaps(facts: { sourceKind?: string; completedDiscovery: boolean; completedAssessment: boolean }): ('discoveryWhy' | 'assessmentWhatWhen')[] {
  const out: ('discoveryWhy' | 'assessmentWhatWhen')[] = [];
  if (!facts.completedDiscovery && facts.sourceKind !== 'discovery') out.push('discoveryWhy');
  if (!facts.completedAssessment && facts.sourceKind !== 'assessment') out.push('assessmentWhatWhen');
  return out;
}

// ---------------------------------------------------------------------------------------------
// The process state

export interface InitiativeSetup {
  initiativeId: string;
  clientId: string;
  segment: 'A' | 'B' | 'C' | 'D';
  timeZone: string;
  fiscalYearEnd: string;
  policyVersion: number;
  policy: Policy;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
  card: { title: string; lane: string; quarter: string; tier: number; remediation: boolean; sourceKind: string };
  /** The row as the workflow found it (a restart after a crash picks up where the row is). */
  state: InitiativeStateName;
  stateChangedAt: string;
  flags: string[];
  parked: { reason: string; quarter: string; at: string } | null;
  approvedAt: string | null;
  /** What the rows already hold (a run started again after a failure carries on from them). */
  priceTests?: InitiativeState['priceTests'];
  preApproval?: InitiativeState['preApproval'];
  openProposalId?: string;
}

export interface InitiativeState {
  setup: InitiativeSetup;
  state: InitiativeStateName;
  stateChangedAt: string;
  quarter: string;
  flags: string[];
  /** the state change the Stalled flag was raised for (once per state). */
  stalledFor?: string;
  priceTests: { id: string; at: string; outcome: 'viable' | 'notNow'; quarter: string }[];
  /** the pre-approval that ages while the initiative is PreApproved. */
  preApproval?: { id: string; loggedAt: string; quarter: string; minUsd: number; maxUsd: number; owner: OwnerRef; reengaged: boolean; status: 'active' | 'used' | 'expired' | 'superseded' | 'withdrawn' };
  openProposalId?: string;
  parked: { reason: string; quarter: string; at: string; reengaged?: boolean } | null;
  approvedAt?: string;
  approval?: Record<string, unknown>;
  /** what became of the delivery kickoff. */
  kickoff?: { status: 'requested' | 'blocked' | 'no-cadence' | 'refused'; at: string; detail?: string };
  actions: number;
  ticks: number;
}

export function initialState(setup: InitiativeSetup): InitiativeState {
  return {
    setup, state: setup.state, stateChangedAt: setup.stateChangedAt, quarter: setup.card.quarter, flags: [...setup.flags],
    ...(setup.flags.includes('Stalled') ? { stalledFor: setup.stateChangedAt } : {}),
    priceTests: [...(setup.priceTests ?? [])], ...(setup.preApproval ? { preApproval: { ...setup.preApproval } } : {}), ...(setup.openProposalId ? { openProposalId: setup.openProposalId } : {}),
    parked: setup.parked ? { ...setup.parked } : null, ...(setup.approvedAt ? { approvedAt: setup.approvedAt } : {}), actions: 0, ticks: 0,
  };
}

export const calendarOf = (s: InitiativeState): BusinessCalendar => makeCalendar(s.setup.calendar);
const basisOf = (s: InitiativeState) => quarterBasis(s.setup.policy.calendar.quarters, s.setup.fiscalYearEnd);
export const isTerminal = (s: InitiativeState) => TERMINAL_STATES.includes(s.state);

// ---------------------------------------------------------------------------------------------
// Reports

export type InitiativeAction =
  | { type: 'priceTestLogged'; priceTest: { id: string; owner: OwnerRef; quarter: string; minUsd: number; maxUsd: number; outcome: 'viable' | 'notNow'; reason?: string; note?: string } }
  | { type: 'preApprovalLogged'; preApproval: { id: string; owner: OwnerRef; quarter: string; minUsd: number; maxUsd: number } }
  | { type: 'transition'; to: ManualTarget; reason?: string; quarter?: string; evidence?: string; milestonesDone?: boolean }
  | { type: 'proposalSent'; proposalId: string; sentAt: string }
  | {
      type: 'proposalDecided'; proposalId: string; outcome: 'accepted' | 'declined' | 'expired' | 'withdrawn'; reason?: string; decidedAt: string;
      /** the acceptance's owner, date and budget. */
      decision?: { ownerRole: Role; ownerStakeholder?: { id: string; name: string }; targetDate: string; budgetUsd: number };
    }
  | {
      type: 'decisionLogged'; meetingId: string; title: string; ownerRole: Role; ownerStakeholder?: { id: string; name: string };
      targetDate?: string; budgetUsd?: number; endedAt: string;
    }
  | { type: 'kickoffRequested' };

/** A follow-up the workflow runs once the effects are recorded (another process is told). */
export type InitiativeFollowUp = { kind: 'deliveryKickoff'; title: string; approvedAt: string };

export interface Step { effects: ProcessEffect[]; followUps: InitiativeFollowUp[] }
const none = (): Step => ({ effects: [], followUps: [] });

const conflict = (message: string, ruleId = 'R-74', details?: Record<string, unknown>): Refusal => ({ status: 409, message, ruleId, ...(details ? { details } : {}) });
const unprocessable = (message: string, ruleId?: string, details?: Record<string, unknown>): Refusal => ({ status: 422, message, ...(ruleId ? { ruleId } : {}), ...(details ? { details } : {}) });

/** decline, park and expiry need a reason from the policy's list. */
export function reasonProblem(reason: string | undefined, policy: Policy): string | undefined {
  if (!reason) return `a reason is required: one of ${policy.proposals.declineReasons.join(', ')} (R-80)`;
  if (!policy.proposals.declineReasons.includes(reason)) return `reason ${reason} is not one of ${policy.proposals.declineReasons.join(', ')} (R-80)`;
  return undefined;
}

/** Whether a report may apply now: 409 not in this state (with the rule whose precondition fails), 422 never as sent. Pure. */
export function decide(s: InitiativeState, a: InitiativeAction, at: string): Refusal | undefined {
  const p = s.setup.policy;
  if (isTerminal(s) && a.type !== 'proposalDecided') return conflict(`Initiative ${s.setup.card.title} is ${s.state}; nothing more can change it.`, 'R-74', { state: s.state });
  switch (a.type) {
    case 'priceTestLogged': {
      const t = a.priceTest;
      if (t.maxUsd < t.minUsd) return unprocessable('maxUsd is below minUsd.', 'R-42');
      if (!['Identified', 'Qualified', 'Parked'].includes(s.state)) return conflict(`A price test comes before the pre-approval (R-42, R-74); the initiative is ${s.state}.`, 'R-74', { state: s.state });
      if (t.outcome === 'notNow') {
        const r = reasonProblem(t.reason, p);
        if (r) return unprocessable(`A "not now" price test re-sequences the initiative and needs its decline reason: ${r}.`, 'R-42');
      }
      return undefined;
    }
    case 'preApprovalLogged': {
      const pa = a.preApproval;
      if (pa.maxUsd < pa.minUsd) return unprocessable('maxUsd is below minUsd.', 'R-42');
      if (s.state !== 'Qualified' && s.state !== 'PreApproved') {
        return conflict(`PreApproved needs a logged price test first (R-74: Qualified); the initiative is ${s.state}.`, 'R-74', { state: s.state, needs: 'Qualified' });
      }
      return undefined;
    }
    case 'transition':
      return decideTransition(s, a);
    case 'proposalSent':
      if (s.state !== 'PreApproved') return conflict(`A proposal is sent only for a PreApproved initiative (R-76); it is ${s.state}.`, 'R-76', { state: s.state });
      if (s.openProposalId && s.openProposalId !== a.proposalId) return conflict(`Proposal ${s.openProposalId} is already out for this initiative; decide or withdraw it first.`, 'R-76', { openProposalId: s.openProposalId });
      return undefined;
    case 'proposalDecided':
      if (s.openProposalId !== a.proposalId) return conflict(`Proposal ${a.proposalId} is not the one out for this initiative.`, 'R-74', { openProposalId: s.openProposalId ?? null });
      if (isTerminal(s)) return conflict(`Initiative ${s.setup.card.title} is ${s.state}.`, 'R-74', { state: s.state });
      return undefined;
    case 'decisionLogged':
      if (s.openProposalId) return conflict(`Proposal ${s.openProposalId} is out for this initiative: the decision is its acceptance (POST …/proposals/${s.openProposalId}/accept).`, 'R-74', { openProposalId: s.openProposalId });
      if (['Approved', 'InDelivery', 'Delivered'].includes(s.state)) return conflict(`Initiative ${s.setup.card.title} is already ${s.state}.`, 'R-74', { state: s.state });
      return undefined;
    case 'kickoffRequested':
      if (s.state !== 'Approved') return conflict(`A delivery kickoff follows the approval (R-16); the initiative is ${s.state}.`, 'R-16', { state: s.state });
      if (s.kickoff?.status === 'requested') return conflict(`The delivery kickoff was already requested at ${s.kickoff.at}.`, 'R-16');
      return undefined;
  }
}

function decideTransition(s: InitiativeState, a: Extract<InitiativeAction, { type: 'transition' }>): Refusal | undefined {
  const p = s.setup.policy;
  const from = s.state;
  if (a.quarter !== undefined && !QUARTER_RE.test(a.quarter)) return unprocessable('quarter is YYYY-Qn (C-7).');
  switch (a.to) {
    case 'Identified':
      return from === 'Parked' ? undefined : conflict(`Only a Parked initiative resumes (it then re-passes price test and pre-approval, R-124); it is ${from}.`, 'R-74', { state: from });
    case 'InDelivery':
      return from === 'Approved' ? undefined : conflict(`Delivery starts after approval (R-74, R-16); the initiative is ${from}.`, 'R-74', { state: from, needs: 'Approved' });
    case 'Delivered':
      if (from !== 'InDelivery') return conflict(`Delivered follows InDelivery (R-74); the initiative is ${from}.`, 'R-74', { state: from, needs: 'InDelivery' });
      return a.milestonesDone ? undefined : unprocessable('Delivered needs its milestones done (R-74): send milestonesDone: true.', 'R-74');
    case 'Verified':
      if (from !== 'Delivered') return conflict(`Verified follows Delivered (R-74); the initiative is ${from}.`, 'R-74', { state: from, needs: 'Delivered' });
      return a.evidence ? undefined : unprocessable('Verified needs the expected adoption/KPI move seen at the review (R-74): send evidence.', 'R-74');
    case 'Parked': case 'Declined': {
      if (from === 'Parked' && a.to === 'Parked') return conflict(`The initiative is already Parked (to ${s.parked?.quarter}).`, 'R-74');
      if (s.openProposalId) return conflict(`Proposal ${s.openProposalId} is out: decline or withdraw it (R-80) rather than the initiative.`, 'R-80', { openProposalId: s.openProposalId });
      if (['Approved', 'InDelivery', 'Delivered'].includes(from)) return conflict(`An ${from} initiative is cancelled, not ${a.to.toLowerCase()}.`, 'R-74', { state: from });
      const r = reasonProblem(a.reason, p);
      if (r) return unprocessable(`${a.to} ${r}.`, 'R-80');
      if (a.to === 'Parked' && a.quarter && a.quarter <= quarterOf(localDateOfState(s), basisOf(s))) return unprocessable(`Park to a later quarter than the current one (${quarterOf(localDateOfState(s), basisOf(s))}).`, 'R-80');
      return undefined;
    }
    case 'Cancelled':
      if (s.openProposalId) return conflict(`Proposal ${s.openProposalId} is out: decline or withdraw it first.`, 'R-80', { openProposalId: s.openProposalId });
      return a.reason ? undefined : unprocessable('Cancelling needs a reason.', 'R-74');
  }
}

/** Today's local date as the state knows it (the last change): only for the park-quarter check in `decide`, which has no clock. */
function localDateOfState(s: InitiativeState) {
  return localDateOf(s.stateChangedAt, calendarOf(s));
}

/** Applies an accepted report (call `decide` first). */
export function accept(s: InitiativeState, a: InitiativeAction, at: string): Step {
  s.actions += 1;
  const p = s.setup.policy;
  const out = none();
  const id = s.setup.initiativeId;
  switch (a.type) {
    case 'priceTestLogged':
      merge(out, logPriceTest(s, a.priceTest, at));
      break;
    case 'preApprovalLogged':
      merge(out, logPreApproval(s, a.preApproval, at));
      break;
    case 'transition':
      merge(out, manualTransition(s, a, at));
      break;
    case 'proposalSent':
      s.openProposalId = a.proposalId;
      if (s.preApproval?.status === 'active') {
        s.preApproval.status = 'used';
        out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: s.preApproval.id, status: 'used', at } });
      }
      merge(out, changeState(s, 'Proposed', at, 'R-74', { precondition: 'a proposal with EDS sent (R-74, R-77)', proposalId: a.proposalId }));
      break;
    case 'proposalDecided': {
      delete s.openProposalId;
      if (a.outcome === 'accepted') {
        merge(out, approve(s, at, { source: 'proposal', proposalId: a.proposalId, decidedAt: a.decidedAt, ...a.decision }));
      } else if (a.outcome === 'declined') {
        merge(out, changeState(s, 'Declined', at, 'R-80', { proposalId: a.proposalId }, { reason: a.reason! }));
      } else if (a.outcome === 'expired') {
        // expired with no client decision → Parked to the next quarter (or closed, by policy), roadmap/budget versioned.
        if (p.proposals.expiryAction === 'close') merge(out, changeState(s, 'Cancelled', at, 'R-79', { proposalId: a.proposalId, expiryAction: 'close' }, { reason: 'proposal expired (R-79)' }));
        else merge(out, park(s, at, a.reason ?? 'timing', nextAfter(s, at), 'R-79', { proposalId: a.proposalId, expiryAction: 'parkNextQuarter', reasonPending: a.reason === undefined }));
      } else {
        // Withdrawn: back to PreApproved, the pre-approval aging again from when it was logged.
        if (s.preApproval && s.preApproval.status === 'used') {
          s.preApproval.status = 'active';
          out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: s.preApproval.id, status: 'active', at } });
        }
        merge(out, changeState(s, 'PreApproved', at, 'R-76', { proposalId: a.proposalId, withdrawn: true }, a.reason ? { reason: a.reason } : {}));
      }
      break;
    }
    case 'decisionLogged':
      merge(out, decisionLogged(s, a, at));
      break;
    case 'kickoffRequested':
      out.followUps.push({ kind: 'deliveryKickoff', title: s.setup.card.title, approvedAt: s.approvedAt ?? at });
      break;
  }
  return out;
}

type PriceTestInput = Extract<InitiativeAction, { type: 'priceTestLogged' }>['priceTest'];
type PreApprovalInput = Extract<InitiativeAction, { type: 'preApprovalLogged' }>['preApproval'];

/** a price test as a budget note; viable → Qualified, not now → parked with its reason. */
function logPriceTest(s: InitiativeState, t: PriceTestInput, at: string): Step {
  const out = none();
  const id = s.setup.initiativeId;
  s.priceTests.push({ id: t.id, at, outcome: t.outcome, quarter: t.quarter });
  out.effects.push({ kind: 'planning', write: { op: 'priceTest', row: { ...t, initiativeId: id, loggedAt: at } } });
  out.effects.push(event('price_test.logged', 'R-42', { priceTestId: t.id, initiativeId: id, ownerRole: t.owner.role as Role, quarter: t.quarter, minUsd: t.minUsd, maxUsd: t.maxUsd, outcome: t.outcome }, {
    budgetNote: 'R-83: logged as a budget note (owner + quarter + range)', ...(t.note ? { note: t.note } : {}), ...(t.reason ? { reason: t.reason } : {}),
  }));
  if (t.outcome === 'viable') {
    if (s.state !== 'Qualified') merge(out, changeState(s, 'Qualified', at, 'R-74', { precondition: 'a logged price test (R-74)', priceTestId: t.id }));
  } else {
    // no/later → re-sequence with the decline reason: parked to the next quarter.
    merge(out, park(s, at, t.reason!, nextAfter(s, at, t.quarter), 'R-42', { priceTestId: t.id }));
  }
  return out;
}

/** a pre-approval (owner + quarter + band) → PreApproved; it ages from now. */
function logPreApproval(s: InitiativeState, pa: PreApprovalInput, at: string): Step {
  const p = s.setup.policy;
  const out = none();
  const id = s.setup.initiativeId;
  if (s.preApproval && s.preApproval.status === 'active') {
    out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: s.preApproval.id, status: 'superseded', at } });
  }
  s.preApproval = { ...pa, loggedAt: at, reengaged: false, status: 'active' };
  out.effects.push({ kind: 'planning', write: { op: 'preApproval', row: { ...pa, initiativeId: id, loggedAt: at } } });
  out.effects.push(event('pre_approval.logged', 'R-83', {
    preApprovalId: pa.id, initiativeId: id, ownerRole: pa.owner.role as Role, ...(pa.owner.stakeholderId ? { ownerStakeholderId: pa.owner.stakeholderId } : {}), quarter: pa.quarter, minUsd: pa.minUsd, maxUsd: pa.maxUsd,
  }, { reengageAtAgeDays: p.budget.preApprovalReengageDays, expireAtAgeDays: p.budget.preApprovalResequenceDays, clock: 'C-3 age_days from now' }));
  if (s.quarter !== pa.quarter) {
    s.quarter = pa.quarter;
    out.effects.push(initiativeRow(s, { quarter: pa.quarter }));
  }
  if (s.state !== 'PreApproved') merge(out, changeState(s, 'PreApproved', at, 'R-74', { precondition: 'owner + quarter + band logged (R-74)', preApprovalId: pa.id }));
  return out;
}

function manualTransition(s: InitiativeState, a: Extract<InitiativeAction, { type: 'transition' }>, at: string): Step {
  switch (a.to) {
    case 'Parked':
      return park(s, at, a.reason!, a.quarter ?? nextAfter(s, at), 'R-80', {});
    case 'Declined':
      return changeState(s, 'Declined', at, 'R-80', {}, { reason: a.reason! });
    case 'Cancelled':
      return changeState(s, 'Cancelled', at, 'R-74', {}, { reason: a.reason! });
    case 'Identified': {
      // a resumed initiative re-passes price test and pre-approval.
      s.parked = null;
      const out = changeState(s, 'Identified', at, 'R-124', { resumedFrom: 'Parked', needs: 'price test, pre-approval and credit gate again (R-124)' }, a.reason ? { reason: a.reason } : {});
      out.effects.push(initiativeRow(s, { parked: null }));
      return out;
    }
    case 'InDelivery':
      return changeState(s, 'InDelivery', at, 'R-74', { precondition: 'approved (R-74)' });
    case 'Delivered':
      return changeState(s, 'Delivered', at, 'R-74', { precondition: 'milestones done (R-74)' });
    case 'Verified':
      return changeState(s, 'Verified', at, 'R-74', { precondition: 'expected adoption/KPI move seen at the review (R-74)', evidence: a.evidence! });
  }
}

/**
 * A decision logged at a strategic meeting that names this initiative. Credited (R-32:
 * owner + date + budget) → Approved and R-16; a Qualified or Identified initiative takes the
 * decision as its price test and pre-approval first (owner + quarter of the date + the budget as
 * band). Not credited → it stays as it is, with a "capture budget" CTA to the AM due 72h after the
 * meeting's end.
 */
function decisionLogged(s: InitiativeState, a: Extract<InitiativeAction, { type: 'decisionLogged' }>, at: string): Step {
  const p = s.setup.policy;
  const out = none();
  const gate = creditGate(a);
  const owner: OwnerRef = { role: a.ownerRole, ...(a.ownerStakeholder ? { stakeholderId: a.ownerStakeholder.id, name: a.ownerStakeholder.name } : {}) };
  if (!gate.credited) {
    out.effects.push({
      kind: 'cta', key: `capture-budget/${a.meetingId}`, ctaKind: 'capture-budget', title: `Capture ${gate.missing.join(', ')} for "${a.title}" so the decision counts (R-32)`, ruleId: 'R-32',
      ownerRole: p.budget.preApprovalOwner, dueAt: addElapsedHours(a.endedAt, p.meeting.firstActionHours, calendarOf(s)),
      why: { meetingId: a.meetingId, initiativeId: s.setup.initiativeId, missing: gate.missing, from: 'meeting end (A-26)', endedAt: a.endedAt, state: s.state, policyKeys: ['meeting.firstActionHours', 'budget.preApprovalOwner'] },
    });
    out.effects.push(event('process.fact_recorded', 'R-32', { fact: 'decisionLogged', details: { meetingId: a.meetingId, title: a.title, credited: false, missing: gate.missing, state: s.state } }, { creditRule: 'R-32' }));
    return out;
  }
  const quarter = quarterOf(a.targetDate!, basisOf(s));
  if (s.state === 'Identified' || s.state === 'Parked') {
    // The decision stands as the price test: its budget is the range.
    merge(out, logPriceTest(s, { id: derivedId(s.setup.initiativeId, a.meetingId, 'price-test'), owner, quarter, minUsd: a.budgetUsd!, maxUsd: a.budgetUsd!, outcome: 'viable', note: `decision "${a.title}" at meeting ${a.meetingId}` }, at));
  }
  if (s.state === 'Qualified') {
    merge(out, logPreApproval(s, { id: derivedId(s.setup.initiativeId, a.meetingId, 'pre-approval'), owner, quarter, minUsd: a.budgetUsd!, maxUsd: a.budgetUsd! }, at));
  }
  merge(out, approve(s, at, { source: 'decision', meetingId: a.meetingId, title: a.title, ownerRole: a.ownerRole, ...(a.ownerStakeholder ? { ownerStakeholder: a.ownerStakeholder } : {}), targetDate: a.targetDate, budgetUsd: a.budgetUsd, endedAt: a.endedAt }));
  return out;
}

/** R-74 Approved (a Decision Log entry through the credit gate) → R-16 delivery kickoff. */
function approve(s: InitiativeState, at: string, approval: Record<string, unknown>): Step {
  if (s.preApproval?.status === 'active') s.preApproval.status = 'used';
  s.approvedAt = at;
  s.approval = approval;
  const out = changeState(s, 'Approved', at, 'R-74', { precondition: 'a Decision Log entry passing the credit gate (R-74, R-32)', creditRule: 'R-32', ...approval });
  out.effects.push(initiativeRow(s, { approvedAt: at, approval }));
  out.followUps.push({ kind: 'deliveryKickoff', title: s.setup.card.title, approvedAt: at });
  return out;
}

/** Parks the initiative to `quarter` with a reason and versions roadmap and budget. */
function park(s: InitiativeState, at: string, reason: string, quarter: Quarter, ruleId: string, why: Record<string, unknown>): Step {
  const out = none();
  if (s.preApproval?.status === 'active') {
    // A pre-approval does not survive its initiative being parked: it must be given again.
    s.preApproval.status = 'withdrawn';
    out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: s.preApproval.id, status: 'withdrawn', at } });
  }
  s.parked = { reason, quarter, at };
  s.quarter = quarter;
  merge(out, changeState(s, 'Parked', at, ruleId, { ...why, parkedTo: quarter }, { reason, quarter }));
  out.effects.push(initiativeRow(s, { parked: { reason, quarter, at }, quarter }));
  out.effects.push({ kind: 'planning', write: { op: 'parkPlans', initiativeId: s.setup.initiativeId, quarter, ruleId, note: `${s.setup.card.title} parked to ${quarter} (${ruleId}: ${reason})` } });
  return out;
}

/** Ids of records a decision creates (UUID-shaped, so the API can look them up like any other). */
export function derivedId(base: string, meetingId: string, what: string): string {
  // FNV-1a over the inputs, spread to 128 bits: deterministic in workflow code (no crypto there).
  const input = `${base}/${meetingId}/${what}`;
  const hex: string[] = [];
  for (let seed = 0; seed < 4; seed++) {
    let h = 0x811c9dc5 ^ seed;
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 0x01000193) >>> 0;
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const x = hex.join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-5${x.slice(13, 16)}-${((parseInt(x[16]!, 16) & 0x3) | 0x8).toString(16)}${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

/** The quarter after the current one (and after `atLeast`, when given). */
function nextAfter(s: InitiativeState, at: string, atLeast?: Quarter): Quarter {
  const next = nextQuarter(quarterOf(localDateOf(at, calendarOf(s)), basisOf(s)));
  return atLeast && atLeast > next ? atLeast : next;
}

/** A state change: the row, `initiative.state_changed` with its rule and precondition, and the Stalled flag cleared. */
function changeState(s: InitiativeState, to: InitiativeStateName, at: string, ruleId: string, why: Record<string, unknown>, extra: { reason?: string; quarter?: string } = {}): Step {
  const out = none();
  const from = s.state;
  s.state = to;
  s.stateChangedAt = at;
  const wasStalled = s.flags.includes('Stalled');
  if (wasStalled) s.flags = s.flags.filter((f) => f !== 'Stalled');
  out.effects.push(initiativeRow(s, { state: to, stateChangedAt: at, ...(wasStalled ? { flags: [...s.flags] } : {}) }));
  out.effects.push(event('initiative.state_changed', ruleId, { initiativeId: s.setup.initiativeId, from, to, ...(extra.quarter ? { quarter: extra.quarter } : {}), ...(extra.reason ? { reason: extra.reason } : {}) }, why));
  if (wasStalled) {
    out.effects.push(event('initiative.flagged', 'R-75', { initiativeId: s.setup.initiativeId, flag: 'Stalled', set: false }, { clearedBy: `state change to ${to}` }));
    out.effects.push({ kind: 'ctaResolved', key: `stalled/${s.stalledFor}`, note: `moved to ${to}` });
  }
  return out;
}

function initiativeRow(s: InitiativeState, set: Record<string, unknown>): ProcessEffect {
  return { kind: 'planning', write: { op: 'initiative', initiativeId: s.setup.initiativeId, set } };
}

function merge(into: Step, from: Step) {
  into.effects.push(...from.effects);
  into.followUps.push(...from.followUps);
}

// ---------------------------------------------------------------------------------------------
// Follow-ups: R-16 through the cadence

/** What became of the delivery kickoff request (activities `requestDeliveryKickoff`). */
export type KickoffOutcome =
  | { outcome: 'requested'; meetingId?: string; ctas: string[] }
  | { outcome: 'blocked'; conditions: Record<string, boolean> }
  | { outcome: 'no-cadence' }
  | { outcome: 'refused'; message: string };

/** Records the kickoff's outcome; without a booked kickoff the PM gets a CTA to book it by hand. */
export function kickoffRecorded(s: InitiativeState, o: KickoffOutcome, at: string): ProcessEffect[] {
  const p = s.setup.policy;
  const status = o.outcome;
  const detail = o.outcome === 'blocked' ? 'the onboarding delivery gate is shut (R-48)' : o.outcome === 'no-cadence' ? 'the client has no running cadence' : o.outcome === 'refused' ? o.message : undefined;
  s.kickoff = { status, at, ...(detail ? { detail } : {}) };
  const approval = { ...(s.approval ?? {}), kickoff: { status, at, ...(detail ? { detail } : {}), ...(o.outcome === 'requested' && o.meetingId ? { meetingId: o.meetingId } : {}) } };
  s.approval = approval;
  const out: ProcessEffect[] = [
    initiativeRow(s, { approval }),
    event('process.fact_recorded', 'R-16', { fact: 'deliveryKickoff', details: { initiativeId: s.setup.initiativeId, outcome: status, ...(detail ? { detail } : {}), ...(o.outcome === 'requested' ? { meetingId: o.meetingId ?? null, ctas: o.ctas } : {}) } }, { kickoffBusinessDays: p.triggers.deliveryKickoffBusinessDays }),
  ];
  if (o.outcome !== 'requested') {
    out.push({
      kind: 'cta', key: `kickoff/${at}`, ctaKind: 'delivery-kickoff', title: `Book the delivery kickoff for "${s.setup.card.title}" (${detail}; R-16)`, ruleId: 'R-16',
      ownerRole: p.triggers.owners.deliveryKickoff, dueAt: addElapsedHours(at, p.meeting.firstActionHours, calendarOf(s)),
      why: { initiativeId: s.setup.initiativeId, outcome: status, within: `${p.triggers.deliveryKickoffBusinessDays} business days (R-16)`, retry: `POST /v1/clients/${s.setup.clientId}/initiatives/${s.setup.initiativeId}/kickoff once it can` },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Clocks

export interface Due { key: string; at: string }

/** The next instant the initiative must act at: Stalled, pre-approval 31/61, a parked initiative's quarter. */
export function nextDue(s: InitiativeState): Due | undefined {
  if (isTerminal(s)) return undefined;
  const p = s.setup.policy;
  const dues: Due[] = [];
  // R-75 ">45 d" with C-3 age_days (A-17's reading of ">N d"): flagged at age_days stalledDays + 1.
  if (STALL_STATES.includes(s.state) && s.stalledFor !== s.stateChangedAt) dues.push({ key: 'stalled', at: iso(ms(s.stateChangedAt) + (p.initiatives.stalledDays + 1) * DAY_MS) });
  const pa = s.preApproval;
  if (s.state === 'PreApproved' && pa?.status === 'active') {
    if (!pa.reengaged) dues.push({ key: 'preApproval.reengage', at: iso(ms(pa.loggedAt) + p.budget.preApprovalReengageDays * DAY_MS) });
    dues.push({ key: 'preApproval.expire', at: iso(ms(pa.loggedAt) + p.budget.preApprovalResequenceDays * DAY_MS) });
  }
  if (s.state === 'Parked' && s.parked && !s.parked.reengaged) {
    dues.push({ key: 'parked.quarter', at: atLocalTime(quarterRange(s.parked.quarter, basisOf(s)).start, s.setup.calendar.dayStart, calendarOf(s)) });
  }
  dues.sort((a, b) => ms(a.at) - ms(b.at) || a.key.localeCompare(b.key));
  return dues[0];
}

/** What happens when a due instant arrives. */
export function due(s: InitiativeState, key: string, now: string): Step {
  const p = s.setup.policy;
  const cal = calendarOf(s);
  const out = none();
  const id = s.setup.initiativeId;
  s.ticks += 1;
  switch (key) {
    case 'stalled': {
      s.stalledFor = s.stateChangedAt;
      if (!s.flags.includes('Stalled')) s.flags = [...s.flags, 'Stalled'];
      const ageDays = Math.floor((ms(now) - ms(s.stateChangedAt)) / DAY_MS);
      out.effects.push(initiativeRow(s, { flags: [...s.flags] }));
      out.effects.push(event('initiative.flagged', 'R-75', { initiativeId: id, flag: 'Stalled', set: true }, { state: s.state, lastChange: s.stateChangedAt, ageDays, stalledAfterDays: p.initiatives.stalledDays, clock: 'C-3 age_days > stalledDays (A-17)' }));
      out.effects.push({
        kind: 'cta', key: `stalled/${s.stateChangedAt}`, ctaKind: 'initiative-stalled', title: `Initiative "${s.setup.card.title}" stalled: no movement since ${localDateOf(s.stateChangedAt, cal)} (${s.state})`, ruleId: 'R-75',
        ownerRole: p.initiatives.stalledOwner, dueAt: addElapsedHours(now, p.initiatives.stalledCtaHours, cal), why: { initiativeId: id, state: s.state, since: s.stateChangedAt, policyKeys: ['initiatives.stalledDays', 'initiatives.stalledOwner', 'initiatives.stalledCtaHours'] },
      });
      break;
    }
    case 'preApproval.reengage': {
      const pa = s.preApproval!;
      pa.reengaged = true;
      const age = Math.floor((ms(now) - ms(pa.loggedAt)) / DAY_MS);
      out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: pa.id, status: 'active', at: now, reengagedAt: now } });
      out.effects.push(event('pre_approval.aged', 'R-83', { preApprovalId: pa.id, initiativeId: id, ageDays: age }, { loggedAt: pa.loggedAt, clock: 'C-3 checkpoint', expiresAtAgeDays: p.budget.preApprovalResequenceDays }));
      out.effects.push({
        kind: 'cta', key: `pre-approval/${pa.id}/reengage`, ctaKind: 'pre-approval-reengage', title: `Re-engage on "${s.setup.card.title}": pre-approved ${age} days ago, no proposal yet (R-83)`, ruleId: 'R-83',
        ownerRole: p.budget.preApprovalOwner, dueAt: addElapsedHours(now, p.meeting.firstActionHours, cal),
        why: { initiativeId: id, preApprovalId: pa.id, loggedAt: pa.loggedAt, ageDays: age, expiresAt: iso(ms(pa.loggedAt) + p.budget.preApprovalResequenceDays * DAY_MS), policyKeys: ['budget.preApprovalReengageDays', 'budget.preApprovalOwner'] },
      });
      break;
    }
    case 'preApproval.expire': {
      const pa = s.preApproval!;
      pa.status = 'expired';
      const age = Math.floor((ms(now) - ms(pa.loggedAt)) / DAY_MS);
      out.effects.push({ kind: 'planning', write: { op: 'preApprovalStatus', preApprovalId: pa.id, status: 'expired', at: now } });
      out.effects.push(event('pre_approval.expired', 'R-83', { preApprovalId: pa.id, initiativeId: id, ageDays: age }, { loggedAt: pa.loggedAt, clock: 'C-3 checkpoint' }));
      out.effects.push({ kind: 'ctaResolved', key: `pre-approval/${pa.id}/reengage`, note: 'pre-approval expired (R-83)' });
      merge(out, park(s, now, 'timing', nextAfter(s, now), 'R-83', { preApprovalId: pa.id, expired: 'pre-approval unused at age 61 (R-83)' }));
      break;
    }
    case 'parked.quarter': {
      const pk = s.parked!;
      pk.reengaged = true;
      out.effects.push({
        kind: 'cta', key: `parked/${pk.at}`, ctaKind: 'parked-reengage', title: `Parked initiative "${s.setup.card.title}" is due this quarter (${pk.quarter}): re-engage with a price test (R-44, R-124)`, ruleId: 'R-44',
        ownerRole: p.budget.preApprovalOwner, dueAt: addElapsedHours(now, p.meeting.firstActionHours, cal), why: { initiativeId: id, parkedAt: pk.at, reason: pk.reason, quarter: pk.quarter },
      });
      break;
    }
  }
  return out;
}

/** the quarter of a date for this client, and the next one (for callers outside the model). */
export { addQuarters, nextQuarter, quarterOf };

export function statusView(s: InitiativeState) {
  const next = nextDue(s);
  return {
    initiativeId: s.setup.initiativeId, clientId: s.setup.clientId, phase: isTerminal(s) ? 'finished' as const : 'running' as const, state: s.state, stateChangedAt: s.stateChangedAt,
    quarter: s.quarter, flags: [...s.flags], preApproval: s.preApproval ?? null, openProposalId: s.openProposalId ?? null, parked: s.parked, approvedAt: s.approvedAt ?? null,
    kickoff: s.kickoff ?? null, next: next ?? null, policyVersion: s.setup.policyVersion,
  };
}
export type InitiativeStatus = ReturnType<typeof statusView>;
