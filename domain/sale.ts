/**
 * The consultative sale, lead to Day 0 (DOMAIN §2.7, R-40..R-44), as a pure process model: the
 * workflow `prospect/{id}/sale` (workflows/sale.ts) interprets it on the process kernel.
 *
 * A prospect is a client record in the `prospect` stage (README "Consultative sale"): the planning
 * records the sale needs — Initiative Cards, price tests, pre-approvals, roadmap and Budget v0,
 * proposals with their EDS and the R-76 gate — are the planning loop's own, keyed by the client id,
 * so the sale keeps no copy of them. It keeps what only the sale knows: the trigger and the
 * segment/goal hypothesis, the decision-first discovery with its Discovery Summary and
 * coarse mini-Health, the decision review with Snapshot and two asks, its recap 48h and CTAs
 * 72h, and the end: converted (a proposal with EDS, R-44), then signed (Day 0, handoff
 * packet, onboarding), or parked with a reason and a re-engagement date or event.
 *
 * Pure and deterministic: no I/O, no clock.
 */
import { addElapsedHours, atLocalTime, localDateOf, makeCalendar, type BusinessCalendar } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { HEALTH_DIMENSIONS, type HealthDimension } from './onboarding.js';
import type { Policy, Role } from './policy.js';
import { frequencyMonths } from './discovery.js';

export const SALE_TRIGGERS = ['inboundLead', 'crossSell', 'renewalWindow', 'reportSignal'] as const;
export type SaleTrigger = (typeof SALE_TRIGGERS)[number];
export const COARSE_HEALTH = ['green', 'yellow', 'red'] as const;
export type CoarseHealth = (typeof COARSE_HEALTH)[number];
type Segment = 'A' | 'B' | 'C' | 'D';

/** what the sale expects the client to become — segment/goal, and the cadence and mode that come with it. */
export interface SaleHypothesis {
  segment: Segment;
  goalLevel: number;
  touchTier: 'VIP' | 'High' | 'Mid' | 'Tech';
  /** §2.2 for the segment and touch tier, e.g. "QBR 4/yr; tactical monthly". */
  expectedCadence: string;
  /** Preferred strategic mode (§2.2) and the R-41 discovery format. */
  mode: string;
  discoveryFormat: string;
}

/** The policy values a sale reads, resolved once at its start. */
export interface SaleRules {
  ownerRole: Role;
  presenterRole: Role;
  discoveryMinutes: number;
  discoveryFormat: string;
  maxAsks: number;
  recapHours: number;
  firstActionHours: number;
  declineReasons: string[];
  dayStart: string;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
}

export interface SaleSetup {
  clientId: string;
  name: string;
  trigger: { kind: SaleTrigger; ref?: string; date: string };
  hypothesis: SaleHypothesis;
  policyVersion: number;
  rules: SaleRules;
}

export type SaleAction =
  | { type: 'discoveryHeld'; heldAt: string; minutes: number; summary: string; miniHealth: Record<HealthDimension, CoarseHealth>; decisionsFirst: string[] }
  | { type: 'decisionReviewHeld'; heldAt: string; endedAt: string; snapshot: boolean; asks: { title: string; initiativeId?: string }[] }
  | { type: 'recapSent'; sentAt: string }
  | { type: 'converted'; proposalId: string; initiativeId: string; proposalCreatedAt: string }
  | { type: 'parked'; reason: string; note?: string; reengageOn?: string; reengageEvent?: string }
  | { type: 'signed'; signedAt: string };
export type SaleActionType = SaleAction['type'];

export type SalePhase = 'lead' | 'discovered' | 'reviewed' | 'converted' | 'signed' | 'parked';

export interface SaleState {
  setup: SaleSetup;
  phase: SalePhase;
  startedAt: string;
  discovery?: { heldAt: string; minutes: number; summary: string; miniHealth: Record<HealthDimension, CoarseHealth>; decisionsFirst: string[] };
  review?: { heldAt: string; endedAt: string; snapshot: boolean; asks: { title: string; initiativeId?: string }[]; recapDueAt: string; recapSentAt?: string; recapMissed?: boolean };
  conversion?: { proposalId: string; initiativeId: string; at: string; daysToProposal: number | null };
  parked?: { reason: string; note?: string; at: string; reengageOn?: string; reengageAt?: string; reengageEvent?: string; reengaged?: boolean };
  signedAt?: string;
  actions: number;
  ticks: number;
}

export interface Refusal { status: 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

const ms = (iso: string) => Date.parse(iso);
const DAY_MS = 86_400_000;
const conflict = (message: string, ruleId?: string, details?: Record<string, unknown>): Refusal => ({ status: 409, message, ...(ruleId ? { ruleId } : {}), ...(details ? { details } : {}) });
const unprocessable = (message: string, ruleId?: string, details?: Record<string, unknown>): Refusal => ({ status: 422, message, ...(ruleId ? { ruleId } : {}), ...(details ? { details } : {}) });

// ---------------------------------------------------------------------------------------------
// Setup

/** the segment/goal hypothesis with its expected cadence and mode, from the placement (R-1..R-3) and the §2.2 matrix. */
export function hypothesisOf(policy: Policy, placement: { segment: Segment; goalLevel: number; touchTier: SaleHypothesis['touchTier'] }): SaleHypothesis {
  const c = policy.cadence[placement.segment];
  const tactical = c.tactical.byTouchTier[placement.touchTier as 'VIP'] ?? c.tactical.byTouchTier.Mid;
  const strategic = c.strategic.type === 'None' ? 'no strategic series' : `${c.strategic.type} ${c.strategic.perYear}/yr`;
  return {
    ...placement,
    expectedCadence: `${strategic}; tactical ${tactical}; annual planning ${c.annualPlanning.meetings} meeting(s)`,
    mode: c.strategic.mode[0] ?? c.annualPlanning.mode,
    discoveryFormat: policy.sales.discoveryFormat[placement.segment],
  };
}

export function saleRulesOf(policy: Policy, segment: Segment, client: { timeZone: string; holidays: string[] }): SaleRules {
  return {
    ownerRole: policy.sales.owner,
    presenterRole: policy.sales.discoveryPresenter[segment],
    discoveryMinutes: policy.sales.discoveryMinutes,
    discoveryFormat: policy.sales.discoveryFormat[segment],
    maxAsks: policy.meeting.maxDecisions,
    recapHours: policy.meeting.recapHours,
    firstActionHours: policy.meeting.firstActionHours,
    declineReasons: [...policy.proposals.declineReasons],
    dayStart: policy.calendar.dayStart,
    calendar: { timeZone: client.timeZone, holidays: [...policy.calendar.holidays, ...client.holidays], workdays: [...policy.calendar.workdays], dayStart: policy.calendar.dayStart, dayEnd: policy.calendar.dayEnd },
  };
}

const calendarOf = (s: SaleState): BusinessCalendar => makeCalendar(s.setup.rules.calendar);

export function initialState(setup: SaleSetup, startedAt: string): SaleState {
  return { setup, phase: 'lead', startedAt, actions: 0, ticks: 0 };
}

/** `sale.started`: the trigger and the hypothesis, and the discovery CTA to the owner. */
export function startEffects(s: SaleState, processVersion: number): ProcessEffect[] {
  const { setup } = s;
  const r = setup.rules;
  return [
    event('process.started', 'R-40', { processVersion, policyVersion: setup.policyVersion, inputs: { trigger: setup.trigger.kind, triggerDate: setup.trigger.date } }, { rules: { ...r, calendar: undefined } }),
    event('sale.started', 'R-40', {
      trigger: setup.trigger.kind, ...(setup.trigger.ref ? { triggerRef: setup.trigger.ref } : {}), triggerDate: setup.trigger.date,
      hypothesis: { segment: setup.hypothesis.segment, goalLevel: setup.hypothesis.goalLevel, touchTier: setup.hypothesis.touchTier, expectedCadence: setup.hypothesis.expectedCadence, mode: setup.hypothesis.mode, discoveryFormat: setup.hypothesis.discoveryFormat },
    }, { ownerRole: r.ownerRole, policyKeys: ['sales.owner', 'sales.discoveryFormat', `cadence.${setup.hypothesis.segment}`] }),
    {
      kind: 'cta', key: 'discovery', ctaKind: 'sale-discovery', ruleId: 'R-41', ownerRole: r.ownerRole, dueAt: addElapsedHours(s.startedAt, r.firstActionHours, calendarOf(s)),
      title: `Hold a ${r.discoveryMinutes}-min decision-first discovery with ${setup.name} (${r.discoveryFormat}; presenter ${r.presenterRole}): Discovery Summary + mini-Health (R-41)`,
      why: { trigger: setup.trigger.kind, policyKeys: ['sales.discoveryMinutes', 'sales.discoveryFormat', 'sales.discoveryPresenter', 'meeting.firstActionHours'] },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Reports

export const isFinished = (s: SaleState) => s.phase === 'signed' || (s.phase === 'parked' && (s.parked!.reengageAt === undefined || s.parked!.reengaged === true));

/** Whether `action` may apply now (pure: the Update validator calls it, so a refusal leaves no history). */
export function decide(s: SaleState, action: SaleAction, at: string): Refusal | undefined {
  if (s.phase === 'signed') return conflict(`The sale is already finished (signed at ${s.signedAt}).`, 'R-124');
  if (s.phase === 'parked' && action.type !== 'parked') return conflict(`The sale is parked (${s.parked!.reason}) until its re-engagement; start a new sale then.`, 'R-44', { parked: s.parked });
  const r = s.setup.rules;
  switch (action.type) {
    case 'discoveryHeld': {
      if (s.discovery) return conflict(`The discovery was already recorded (held ${s.discovery.heldAt}).`, 'R-41');
      if (ms(action.heldAt) > ms(at)) return unprocessable(`heldAt ${action.heldAt} is in the future.`);
      if (action.minutes > r.discoveryMinutes) return unprocessable(`A decision-first discovery takes at most ${r.discoveryMinutes} minutes (R-41); ${action.minutes} were reported.`, 'R-41', { maxMinutes: r.discoveryMinutes });
      const missing = HEALTH_DIMENSIONS.filter((d) => !action.miniHealth[d]);
      if (missing.length) return unprocessable(`The coarse mini-Health needs all five dimensions (R-41); missing ${missing.join(', ')}.`, 'R-41', { missing });
      return undefined;
    }
    case 'decisionReviewHeld':
      if (!s.discovery) return conflict('Hold the discovery first: the decision review presents its Discovery Summary (R-41, R-43).', 'R-43');
      if (s.review) return conflict(`The decision review was already recorded (held ${s.review.heldAt}).`, 'R-43');
      if (ms(action.endedAt) <= ms(action.heldAt)) return unprocessable('endedAt must be after heldAt.');
      if (ms(action.endedAt) > ms(at)) return unprocessable(`endedAt ${action.endedAt} is in the future.`);
      if (action.asks.length > r.maxAsks) return unprocessable(`At most ${r.maxAsks} asks per decision review (R-43, R-27); "${action.asks[r.maxAsks]!.title}" goes to the backlog.`, 'R-43', { maxAsks: r.maxAsks, backlog: action.asks.slice(r.maxAsks).map((a) => a.title) });
      return undefined;
    case 'recapSent':
      if (!s.review) return conflict('No decision review to recap yet (R-43).', 'R-43');
      if (s.review.recapSentAt) return conflict(`The recap was already sent at ${s.review.recapSentAt}.`, 'R-43');
      if (ms(action.sentAt) < ms(s.review.endedAt)) return unprocessable(`sentAt ${action.sentAt} is before the review ended (${s.review.endedAt}).`);
      return undefined;
    case 'converted':
      if (!s.review) return conflict('Hold the decision review first: a sale converts from a pre-approved ask (R-43, R-44).', 'R-44');
      if (s.conversion) return conflict(`The sale already converted with proposal ${s.conversion.proposalId}.`, 'R-44');
      return undefined;
    case 'parked':
      if (s.phase === 'parked') return conflict(`The sale is already parked (${s.parked!.reason}).`, 'R-44');
      if (!r.declineReasons.includes(action.reason)) return unprocessable(`A park needs a reason from the policy's list (R-44, R-80): ${r.declineReasons.join(', ')}.`, 'R-80', { allowed: r.declineReasons });
      if (!action.reengageOn && !action.reengageEvent) return unprocessable('A park names its re-engagement trigger: a date, an event or both (R-44).', 'R-44');
      if (action.reengageOn && action.reengageOn <= localDateOf(at, calendarOf(s))) return unprocessable(`The re-engagement date ${action.reengageOn} must be after today.`, 'R-44');
      return undefined;
    case 'signed':
      if (!s.conversion) return conflict('Convert first: a signature follows a proposal with EDS for a pre-approved initiative (R-44, R-76).', 'R-44');
      if (ms(action.signedAt) > ms(at)) return unprocessable(`signedAt ${action.signedAt} is in the future.`);
      if (ms(action.signedAt) < ms(s.conversion.at)) return unprocessable(`signedAt ${action.signedAt} is before the proposal (${s.conversion.at}).`);
      return undefined;
  }
}

/** Applies an accepted report (call `decide` first) and returns the effects to record. `signed` is completed by the workflow (handoff). */
export function accept(s: SaleState, action: SaleAction, at: string): ProcessEffect[] {
  s.actions += 1;
  const r = s.setup.rules;
  const cal = calendarOf(s);
  switch (action.type) {
    case 'discoveryHeld': {
      s.discovery = { heldAt: action.heldAt, minutes: action.minutes, summary: action.summary, miniHealth: action.miniHealth, decisionsFirst: action.decisionsFirst };
      s.phase = 'discovered';
      const reds = HEALTH_DIMENSIONS.filter((d) => action.miniHealth[d] === 'red');
      return [
        event('sale.discovery_held', 'R-41', { heldAt: action.heldAt, minutes: action.minutes, format: r.discoveryFormat, summary: action.summary, miniHealth: action.miniHealth, decisionsFirst: action.decisionsFirst }, { presenterRole: r.presenterRole, reds }),
        { kind: 'ctaResolved', key: 'discovery', note: `discovery held ${action.heldAt}` },
        {
          kind: 'cta', key: 'price-test', ctaKind: 'sale-price-test', ruleId: 'R-42', ownerRole: r.ownerRole, dueAt: addElapsedHours(at, r.firstActionHours, cal),
          title: `Price-test the discovery's initiatives with ${s.setup.name} (1–2 bands each): pre-approval with owner + quarter + band, or re-sequence with a decline reason (R-42)`,
          why: { discoveryHeldAt: action.heldAt, policyKeys: ['sales.priceTestMaxBands', 'meeting.firstActionHours'] },
        },
      ];
    }
    case 'decisionReviewHeld': {
      const recapDueAt = addElapsedHours(action.endedAt, r.recapHours, cal);
      s.review = { heldAt: action.heldAt, endedAt: action.endedAt, snapshot: action.snapshot, asks: action.asks, recapDueAt };
      s.phase = 'reviewed';
      const out: ProcessEffect[] = [
        event('sale.decision_review_held', 'R-43', { heldAt: action.heldAt, endedAt: action.endedAt, snapshot: action.snapshot, asks: action.asks.map((a) => ({ title: a.title, ...(a.initiativeId ? { initiativeId: a.initiativeId } : {}) })), recapDueAt }, { maxAsks: r.maxAsks, policyKeys: ['meeting.maxDecisions', 'meeting.recapHours'] }),
        { kind: 'ctaResolved', key: 'price-test', note: `decision review held ${action.heldAt}` },
        event('deadline.set', 'R-43', { deadline: 'sale.recap', dueAt: recapDueAt, clock: 'elapsed' }, { from: action.endedAt, hours: r.recapHours }),
        { kind: 'cta', key: 'recap', ctaKind: 'sale-recap', ruleId: 'R-43', ownerRole: r.ownerRole, dueAt: recapDueAt, clock: 'due', title: `Send the decision-review recap to ${s.setup.name} by ${recapDueAt} (48h, R-43)`, why: { endedAt: action.endedAt, policyKeys: ['meeting.recapHours'] } },
      ];
      // CTAs 72h — each ask becomes an owned CTA on the first-action clock (C-5), counted from the meeting's end.
      action.asks.forEach((a, i) => out.push({
        kind: 'cta', key: `ask/${i}`, ctaKind: 'sale-ask', ruleId: 'R-43', ownerRole: r.ownerRole, dueAt: addElapsedHours(action.endedAt, r.firstActionHours, cal),
        title: `Follow up the ask "${a.title}" from the decision review with ${s.setup.name} (R-43)`, why: { ask: a.title, ...(a.initiativeId ? { initiativeId: a.initiativeId } : {}), policyKeys: ['meeting.firstActionHours'] },
        ...(a.initiativeId ? { data: { initiativeId: a.initiativeId } } : {}),
      }));
      return out;
    }
    case 'recapSent': {
      s.review!.recapSentAt = action.sentAt;
      const late = ms(action.sentAt) > ms(s.review!.recapDueAt);
      return [
        event('sale.recap_sent', 'R-43', { sentAt: action.sentAt, dueAt: s.review!.recapDueAt, late }),
        { kind: 'ctaResolved', key: 'recap', note: `recap sent ${action.sentAt}` },
      ];
    }
    case 'converted': {
      const from = s.review?.endedAt;
      const daysToProposal = from ? Math.max(0, Math.floor((ms(action.proposalCreatedAt) - ms(from)) / DAY_MS)) : null;
      s.conversion = { proposalId: action.proposalId, initiativeId: action.initiativeId, at: action.proposalCreatedAt, daysToProposal };
      s.phase = 'converted';
      return [
        event('sale.converted', 'R-44', { proposalId: action.proposalId, initiativeId: action.initiativeId, proposalCreatedAt: action.proposalCreatedAt, daysToProposal }, { from: 'decision review end', reviewEndedAt: from ?? null, policyKeys: ['kpis.sales.daysToProposalMedianMax'] }),
        ...s.review!.asks.map((_, i): ProcessEffect => ({ kind: 'ctaResolved', key: `ask/${i}`, note: `converted: proposal ${action.proposalId}` })),
      ];
    }
    case 'parked': {
      const reengageAt = action.reengageOn ? atLocalTime(action.reengageOn, r.dayStart, cal) : undefined;
      s.parked = { reason: action.reason, at, ...(action.note ? { note: action.note } : {}), ...(action.reengageOn ? { reengageOn: action.reengageOn, reengageAt } : {}), ...(action.reengageEvent ? { reengageEvent: action.reengageEvent } : {}) };
      s.phase = 'parked';
      const open = ['discovery', 'price-test', ...(s.review && !s.review.recapSentAt ? ['recap'] : []), ...(s.review?.asks.map((_, i) => `ask/${i}`) ?? [])];
      return [
        event('sale.parked', 'R-44', { reason: action.reason, ...(action.note ? { note: action.note } : {}), ...(action.reengageOn ? { reengageOn: action.reengageOn, reengageAt } : {}), ...(action.reengageEvent ? { reengageEvent: action.reengageEvent } : {}), phaseBefore: phaseBefore(s) }, { policyKeys: ['proposals.declineReasons'] }),
        ...open.map((key): ProcessEffect => ({ kind: 'ctaResolved', key, note: `sale parked: ${action.reason}` })),
      ];
    }
    case 'signed':
      s.signedAt = action.signedAt;
      s.phase = 'signed';
      return [];
  }
}

const phaseBefore = (s: SaleState): 'lead' | 'discovered' | 'reviewed' | 'converted' => (s.conversion ? 'converted' : s.review ? 'reviewed' : s.discovery ? 'discovered' : 'lead');

/** `sale.signed` with the handoff packet's items, once the workflow has converted the prospect and started onboarding. */
export function signedEffects(s: SaleState, handoff: { present: string[]; missing: string[]; onboarding: 'started' | 'already-running' }): ProcessEffect[] {
  return [event('sale.signed', 'R-44', { signedAt: s.signedAt!, proposalId: s.conversion!.proposalId, handoffItems: handoff.present, missingItems: handoff.missing, onboarding: handoff.onboarding }, { day0: s.signedAt!, rule: 'Day 0 = signature (§2.8); the onboarding step 0 reads this packet (R-46)' })];
}

// ---------------------------------------------------------------------------------------------
// Clocks

export interface SaleDue { key: 'recap' | 'reengage'; at: string }

/** The next instant the sale acts on its own: the recap deadline, the parked sale's re-engagement date. */
export function nextDue(s: SaleState): SaleDue | undefined {
  if (s.phase === 'parked') return s.parked!.reengageAt && !s.parked!.reengaged ? { key: 'reengage', at: s.parked!.reengageAt } : undefined;
  if (s.phase === 'signed') return undefined;
  if (s.review && !s.review.recapSentAt && !s.review.recapMissed) return { key: 'recap', at: s.review.recapDueAt };
  return undefined;
}

export function due(s: SaleState, key: SaleDue['key'], at: string): ProcessEffect[] {
  s.ticks += 1;
  const r = s.setup.rules;
  if (key === 'recap') {
    s.review!.recapMissed = true;
    return [event('deadline.missed', 'R-43', { deadline: 'sale.recap', dueAt: s.review!.recapDueAt }, { endedAt: s.review!.endedAt, hours: r.recapHours })];
  }
  s.parked!.reengaged = true;
  return [
    event('sale.reengage_due', 'R-44', { reengageOn: s.parked!.reengageOn!, reason: s.parked!.reason, ...(s.parked!.reengageEvent ? { reengageEvent: s.parked!.reengageEvent } : {}) }, { parkedAt: s.parked!.at }),
    {
      kind: 'cta', key: 'reengage', ctaKind: 'sale-reengage', ruleId: 'R-44', ownerRole: r.ownerRole, dueAt: addElapsedHours(at, r.firstActionHours, calendarOf(s)),
      title: `Re-engage ${s.setup.name}: parked ${localDateOf(s.parked!.at, calendarOf(s))} for ${s.parked!.reason}, re-engagement date ${s.parked!.reengageOn} (R-44)`,
      why: { parkedAt: s.parked!.at, reason: s.parked!.reason, ...(s.parked!.note ? { note: s.parked!.note } : {}) },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The handoff packet

/** What the sale hands to onboarding at Day 0, assembled from the sale and the planning records. */
export interface HandoffPacket {
  saleWorkflowId: string;
  assembledAt: string;
  discovery: { heldAt: string; summary: string; miniHealth: Record<string, string>; decisionsFirst: string[]; format: string } | null;
  initiatives: { id: string; title: string; state: string; quarter: string; lane: string }[];
  preApprovals: { id: string; initiativeId: string; quarter: string; minUsd: number; maxUsd: number; ownerRole: string; loggedAt: string }[];
  roadmap: { version: number; createdAt: string } | null;
  budget: { version: number; createdAt: string; totalUsd: number } | null;
  stakeholders: { id: string; name: string; roles: string[] }[];
  cadenceInvites: { month: string; series: string }[];
}

/** Which policy handoff items (onboarding.handoffPacketItems) the packet holds. Unknown slugs are never present. */
export function packetItems(p: HandoffPacket, required: readonly string[]): { present: string[]; missing: string[] } {
  const has: Record<string, boolean> = {
    'discovery-one-pager': p.discovery !== null,
    'initiative-cards': p.initiatives.length > 0,
    'pre-approval-log': p.preApprovals.length > 0,
    'roadmap-budget-snapshot': p.roadmap !== null || p.budget !== null,
    'stakeholder-map': p.stakeholders.length > 0,
    'cadence-invites': p.cadenceInvites.length > 0,
  };
  return { present: required.filter((i) => has[i] === true), missing: required.filter((i) => has[i] !== true) };
}

/**
 * the cadence invites for the months after Day 0 (policy `sales.handoffCadenceMonths`, 6–12):
 * the §2.2 strategic series of the segment and the tactical series of the touch tier, one line per
 * month a series meets (weekly and bi-weekly series: one line a month).
 */
export function cadenceInvites(policy: Policy, segment: Segment, touchTier: string, signedDate: string, months = policy.sales.handoffCadenceMonths): { month: string; series: string }[] {
  const c = policy.cadence[segment];
  const perYear = touchTier === 'Tech' && c.strategic.perYearAtTechTier !== null ? c.strategic.perYearAtTechTier : c.strategic.perYear;
  const strategicEvery = c.strategic.type !== 'None' && perYear > 0 ? Math.max(1, Math.round(12 / perYear)) : null;
  const tf = c.tactical.byTouchTier[touchTier as 'VIP'] ?? c.tactical.byTouchTier.Mid;
  const tacticalEvery = tf === 'weekly' || tf === 'biweekly' ? 1 : frequencyMonths(tf);
  const [y, m] = signedDate.split('-').map(Number) as [number, number];
  const out: { month: string; series: string }[] = [];
  for (let i = 1; i <= months; i++) {
    const total = (m - 1) + i;
    const month = `${y + Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
    if (strategicEvery && i % strategicEvery === 0) out.push({ month, series: `strategic ${c.strategic.type}` });
    if (tacticalEvery && i % tacticalEvery === 0) out.push({ month, series: `tactical ${c.tactical.type} (${tf})` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Status

export interface SaleStatus {
  clientId: string;
  phase: SalePhase;
  startedAt: string;
  trigger: SaleSetup['trigger'];
  hypothesis: SaleHypothesis;
  discovery: SaleState['discovery'] | null;
  review: SaleState['review'] | null;
  conversion: SaleState['conversion'] | null;
  parked: SaleState['parked'] | null;
  signedAt: string | null;
  next: SaleDue | null;
}

export function statusView(s: SaleState): SaleStatus {
  return {
    clientId: s.setup.clientId, phase: s.phase, startedAt: s.startedAt, trigger: s.setup.trigger, hypothesis: s.setup.hypothesis,
    discovery: s.discovery ?? null, review: s.review ?? null, conversion: s.conversion ?? null, parked: s.parked ?? null, signedAt: s.signedAt ?? null, next: nextDue(s) ?? null,
  };
}
