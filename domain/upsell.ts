/**
 * The upsell play as a pure process model (DOMAIN §2.16 R-89..R-92, the credit gate R-32 and
 * R-60, C-2 ROLL, C-6 late reports, A-28 deliverable clocks).
 *
 * The workflow `upsell/{signalId}` (workflows/upsell.ts) holds one `UpsellState`. A signal is logged
 * with its source, date, OpEx/CapEx lane, urgency and dependency (R-89) and becomes an Initiative
 * Card (the planning loop's record, source `signal`); from then on:
 *
 * - the price test and appetite check are due signal date + 3 d (ROLL) with a CTA to the AM (vCIO
 *   frames A/B, R-90); passed undone, the CTA escalates at its due (A-28, R-122) and the play
 *   records the overdue step; a late price test is still taken, marked late;
 * - pre-approved → the roadmap card and budget line (band, decision flag, version note) are written
 *   the same day, by the same request (R-91); "not now" → re-sequenced with a reason (R-91, R-80);
 * - the proposal is due at the client's next strategic or tactical touch (R-92), read from the
 *   meetings at pre-approval; presented, its recap is due 48h (R-29) and the acceptance / PO /
 *   kickoff-prep CTA 72h (R-30);
 * - the approval is credited per R-32 only when it is logged: owner + date + budget in writing, not
 *   deferred by the client's credit gate (R-32, R-120) nor by the owner × segment governance gate
 *   (R-60); risk reduction is stability work.
 *
 * The initiative, price test, pre-approval, roadmap and budget versions and the proposal are the
 * planning loop's records (never a copy); this model keeps their ids and the play's own clock.
 * Every number comes from the policy in the setup. Pure and deterministic: no I/O, no clock.
 */
import { addElapsedHours, atLocalTime, addCalendarDays, localDateOf, makeCalendar, roll, type BusinessCalendar } from './business-time.js';
import { event, type CreditVerdict, type ProcessEffect } from './effects.js';
import { creditGate, reasonProblem, type Refusal } from './initiatives.js';
import type { Policy, Role } from './policy.js';

import { SIGNAL_KINDS } from './upsell-kinds.js';

export { SIGNAL_KINDS };
export type SignalKind = (typeof SIGNAL_KINDS)[number];
export const URGENCIES = ['low', 'medium', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const SPEND_LANES = ['OpEx', 'CapEx'] as const;
export type SpendLane = (typeof SPEND_LANES)[number];
export const UPSELL_STATES = ['signalLogged', 'priceTested', 'preApproved', 'proposed', 'approved', 'declined', 'resequenced'] as const;
export type UpsellStateName = (typeof UPSELL_STATES)[number];
export const FINAL_UPSELL_STATES: readonly UpsellStateName[] = ['approved', 'declined', 'resequenced'];
export type UpsellStep = 'priceTest' | 'proposal' | 'recap';

type Segment = 'A' | 'B' | 'C' | 'D';
const ms = (iso: string) => Date.parse(iso);

/** R-89: OpEx fits D/C, CapEx fits B/A — a lane against the segment's fit is allowed, and said on the timeline. */
export const laneFits = (lane: SpendLane, segment: Segment): boolean => (lane === 'OpEx' ? segment === 'C' || segment === 'D' : segment === 'A' || segment === 'B');

/** R-90: the price test's due instant: signal date + priceTestDueDays, rolled (C-2, not before the signal date), at priceTestDueTime. */
export function priceTestDueAt(signalDate: string, policy: Policy, cal: BusinessCalendar): string {
  const date = roll(addCalendarDays(signalDate, policy.upsell.priceTestDueDays), cal, signalDate);
  return atLocalTime(date, policy.upsell.priceTestDueTime, cal);
}

/** R-92 "at the next touch": presented by the end of the touch's business day (calendar dayEnd, local). */
export function proposalDueAt(touch: Touch, cal: BusinessCalendar, dayEnd: string): string {
  return atLocalTime(localDateOf(touch.startsAt, cal), dayEnd, cal);
}

/** R-92: the next strategic or tactical touch after `at`, among the client's scheduled meetings. */
export interface Touch { meetingId: string; kind: string; startsAt: string; strategic: boolean }
export function nextTouch(meetings: Touch[], at: string, policy: Policy): Touch | null {
  const candidates = meetings
    .filter((m) => ms(m.startsAt) > ms(at) && (m.strategic || policy.upsell.touchKinds.includes(m.kind)))
    .sort((a, b) => ms(a.startsAt) - ms(b.startsAt) || a.meetingId.localeCompare(b.meetingId));
  return candidates[0] ?? null;
}

/** The credit inputs read at decision time (API): the client's R-32 gate (health) and the R-60 owner × segment gates. */
export interface CreditInputs {
  clientGate: { closed: boolean; reasons: string[] };
  governanceGates: { gateId: string; ruleId: string; personId: string | null; segment: string | null }[];
  /** The person holding the approval's owner role for the client (R-60 gates are per owner), if any. */
  ownerPersonId: string | null;
}

/** R-32 (+ R-60): counted, deferred by a closed gate, not credited for missing fields, or stability work for risk reduction. */
export function creditVerdict(d: { ownerRole?: string; targetDate?: string; budgetUsd?: number }, riskReduction: boolean, inputs: CreditInputs): { verdict: CreditVerdict; reasons: string[] } {
  const fields = creditGate(d);
  if (!fields.credited) return { verdict: 'notCredited', reasons: [`missing ${fields.missing.join(', ')} (R-32)`] };
  if (riskReduction) return { verdict: 'stabilityWork', reasons: ['risk reduction: stability work (R-32)'] };
  const reasons = [...(inputs.clientGate.closed ? inputs.clientGate.reasons.map((r) => `${r} (R-32)`) : [])];
  for (const g of inputs.governanceGates) reasons.push(`governance KPIs breached for ${g.personId ? `owner ${g.personId}` : 'every owner'}${g.segment ? ` in segment ${g.segment}` : ''} (${g.ruleId})`);
  if (inputs.clientGate.closed && !reasons.length) reasons.push('credit gate closed (R-32)');
  return reasons.length ? { verdict: 'deferred', reasons } : { verdict: 'counted', reasons: [] };
}

// ---------------------------------------------------------------------------------------------
// The process state

export interface UpsellSignal {
  kind: SignalKind;
  source: string;
  signalDate: string;
  lane: SpendLane;
  urgency: Urgency;
  dependency?: string;
  title: string;
  /** R-32: a risk-reduction upsell counts as stability work, not expansion credit. */
  riskReduction: boolean;
}

export interface UpsellSetup {
  signalId: string;
  clientId: string;
  initiativeId: string;
  segment: Segment;
  policyVersion: number;
  policy: Policy;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
  signal: UpsellSignal;
  loggedAt: string;
}

export interface UpsellState {
  setup: UpsellSetup;
  state: UpsellStateName;
  priceTestDueAt: string;
  priceTest?: { id: string; outcome: 'viable' | 'notNow'; minUsd: number; maxUsd: number; at: string; late: boolean };
  preApproval?: { id: string; quarter: string; minUsd: number; maxUsd: number; at: string; roadmapVersion: number; budgetVersion: number; decisionFlag: boolean };
  touch?: Touch | null;
  proposal?: { id: string; presentedAt: string; meetingId?: string; recapDueAt: string; ctaDueAt: string; late: boolean };
  recapSentAt?: string;
  outcome?: { at: string; reason?: string; quarter?: string; verdict?: CreditVerdict; reasons?: string[]; projectRef?: string; poRef?: string };
  /** Steps whose due passed undone (recorded once each). */
  overdue: UpsellStep[];
  /** Whether the signal-logged batch (event + price-test CTA) is recorded. */
  opened: boolean;
  actions: number;
  ticks: number;
}

export function initialState(setup: UpsellSetup): UpsellState {
  return {
    setup, state: 'signalLogged', priceTestDueAt: priceTestDueAt(setup.signal.signalDate, setup.policy, makeCalendar(setup.calendar)),
    overdue: [], opened: false, actions: 0, ticks: 0,
  };
}

export const calendarOf = (s: UpsellState): BusinessCalendar => makeCalendar(s.setup.calendar);
export const isFinished = (s: UpsellState) => FINAL_UPSELL_STATES.includes(s.state);

// ---------------------------------------------------------------------------------------------
// Reports

export type UpsellAction =
  | { type: 'priceTested'; priceTestId: string; outcome: 'viable' | 'notNow'; minUsd: number; maxUsd: number; quarter: string; reason?: string; appetite?: number }
  | {
      type: 'preApproved'; preApprovalId: string; quarter: string; minUsd: number; maxUsd: number;
      /** R-91: the roadmap and budget versions written with it, the line's decision flag and the version note. */
      roadmapVersion: number; budgetVersion: number; decisionFlag: boolean; versionNote: string;
      /** R-92: the client's next strategic or tactical touch, read from the meetings at pre-approval (null: none booked). */
      nextTouch: Touch | null;
    }
  | { type: 'resequenced'; reason: string; quarter: string; note?: string }
  | { type: 'proposalPresented'; proposalId: string; presentedAt: string; meetingId?: string }
  | { type: 'recapSent'; sentAt: string }
  | {
      type: 'approved'; proposalId: string; decidedAt: string; ownerRole: Role; targetDate: string; budgetUsd: number;
      poRef?: string; projectRef?: string; kickoffMeetingId?: string; credit: CreditInputs;
    }
  | { type: 'declined'; proposalId: string; reason: string; decidedAt: string };

export interface Step { effects: ProcessEffect[] }

const conflict = (message: string, ruleId: string, details?: Record<string, unknown>): Refusal => ({ status: 409, message, ruleId, ...(details ? { details } : {}) });
const unprocessable = (message: string, ruleId: string): Refusal => ({ status: 422, message, ruleId });

/** Where each report may come (R-90 → R-91 → R-92). */
const EXPECTS: Record<UpsellAction['type'], readonly UpsellStateName[]> = {
  priceTested: ['signalLogged'],
  preApproved: ['priceTested'],
  resequenced: ['signalLogged', 'priceTested', 'preApproved'],
  proposalPresented: ['preApproved'],
  recapSent: ['proposed'],
  approved: ['proposed'],
  declined: ['proposed'],
};
/** The states a report is expected in (the API checks before it writes the records the report names). */
export const expectedStates = (type: UpsellAction['type']): readonly UpsellStateName[] => EXPECTS[type];

const NEXT_STEP: Record<UpsellStateName, string> = {
  signalLogged: 'the price test and appetite check (R-90)', priceTested: 'the pre-approval (R-91)', preApproved: 'the proposal at the next touch (R-92)',
  proposed: 'the client\'s approval (R-92)', approved: 'nothing: approved', declined: 'nothing: declined', resequenced: 'nothing: re-sequenced',
};
const RULE_OF: Record<UpsellAction['type'], string> = { priceTested: 'R-90', preApproved: 'R-91', resequenced: 'R-91', proposalPresented: 'R-92', recapSent: 'R-92', approved: 'R-92', declined: 'R-92' };

/** Whether a report may apply now: 409 out of order or finished (R-124 "already finished"), 422 never as sent. Pure. */
export function decide(s: UpsellState, a: UpsellAction, _at: string): Refusal | undefined {
  const p = s.setup.policy;
  if (isFinished(s)) return conflict(`The upsell play for "${s.setup.signal.title}" is already finished (${s.state}).`, 'R-124', { state: s.state });
  if (a.type === 'recapSent' && s.recapSentAt) return conflict(`The recap was already sent at ${s.recapSentAt}.`, 'R-92');
  if (!EXPECTS[a.type].includes(s.state)) {
    return conflict(`The upsell play is at ${s.state}; next comes ${NEXT_STEP[s.state]}, not ${a.type}.`, RULE_OF[a.type], { state: s.state, expects: EXPECTS[a.type] });
  }
  switch (a.type) {
    case 'priceTested':
    case 'preApproved':
      if (a.maxUsd < a.minUsd) return unprocessable('maxUsd is below minUsd.', RULE_OF[a.type]);
      if (a.type === 'priceTested' && a.outcome === 'notNow') {
        const r = reasonProblem(a.reason, p);
        if (r) return unprocessable(`"Not now" re-sequences the upsell and needs ${r}.`, 'R-91');
      }
      return undefined;
    case 'resequenced': {
      const r = reasonProblem(a.reason, p);
      return r ? unprocessable(`Re-sequencing needs ${r}.`, 'R-91') : undefined;
    }
    case 'approved':
    case 'declined':
      if (a.proposalId !== s.proposal?.id) return conflict(`Proposal ${a.proposalId} is not the one presented for this upsell (${s.proposal?.id}).`, 'R-92', { proposalId: s.proposal?.id ?? null });
      if (a.type === 'declined') {
        const r = reasonProblem(a.reason, p);
        if (r) return unprocessable(`A decline needs ${r}.`, 'R-80');
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The first batch: the signal on the timeline and the price-test CTA (R-89, R-90). */
export function opened(s: UpsellState): Step {
  const { setup } = s;
  const p = setup.policy;
  const sig = setup.signal;
  s.opened = true;
  const fits = laneFits(sig.lane, setup.segment);
  return {
    effects: [
      event('upsell.signal_logged', 'R-89', {
        signalId: setup.signalId, initiativeId: setup.initiativeId, kind: sig.kind, source: sig.source, signalDate: sig.signalDate, lane: sig.lane, urgency: sig.urgency,
        ...(sig.dependency ? { dependency: sig.dependency } : {}), priceTestDueAt: s.priceTestDueAt,
      }, { segment: setup.segment, laneFitsSegment: fits, fit: 'OpEx fits D/C, CapEx fits B/A (R-89)', policyKeys: ['upsell.priceTestDueDays', 'upsell.priceTestDueTime'] }),
      {
        kind: 'cta', key: 'price-test', ctaKind: 'upsell-price-test', ruleId: 'R-90', ownerRole: p.upsell.priceTestOwner[setup.segment], dueAt: s.priceTestDueAt, clock: 'due',
        title: `Price test and appetite check for "${sig.title}" (${sig.kind}, ${sig.urgency} urgency; framed by ${p.upsell.priceTestFramer[setup.segment]}) by ${s.priceTestDueAt.slice(0, 10)} (R-90)`,
        why: { signalId: setup.signalId, initiativeId: setup.initiativeId, signalDate: sig.signalDate, dueRule: `signal + ${p.upsell.priceTestDueDays} d, ROLL (R-90, C-2)`, policyKeys: ['upsell.priceTestDueDays', 'upsell.priceTestOwner', 'upsell.priceTestFramer'] },
      },
      row(s, { state: s.state, priceTestDueAt: s.priceTestDueAt }),
    ],
  };
}

export function accept(s: UpsellState, a: UpsellAction, at: string): Step {
  s.actions += 1;
  const { setup } = s;
  const p = setup.policy;
  const cal = calendarOf(s);
  const base = { signalId: setup.signalId, initiativeId: setup.initiativeId };
  const out: ProcessEffect[] = [];
  switch (a.type) {
    case 'priceTested': {
      const late = ms(at) > ms(s.priceTestDueAt);
      s.priceTest = { id: a.priceTestId, outcome: a.outcome, minUsd: a.minUsd, maxUsd: a.maxUsd, at, late };
      out.push(event('upsell.price_tested', 'R-90', { ...base, priceTestId: a.priceTestId, outcome: a.outcome, minUsd: a.minUsd, maxUsd: a.maxUsd, late, ...(a.appetite !== undefined ? { appetite: a.appetite } : {}) }, {
        dueAt: s.priceTestDueAt, ...(late ? { lateBy: `${Math.floor((ms(at) - ms(s.priceTestDueAt)) / 3_600_000)} h after the R-90 due` } : {}),
      }));
      out.push({ kind: 'ctaResolved', key: 'price-test', note: `price test logged: ${a.outcome}${late ? ' (late)' : ''}` });
      if (a.outcome === 'notNow') {
        out.push(...resequence(s, at, a.reason!, a.quarter, 'price test "not now"'));
        break;
      }
      s.state = 'priceTested';
      out.push(row(s, { state: s.state, priceTestId: a.priceTestId, band: { minUsd: a.minUsd, maxUsd: a.maxUsd } }));
      break;
    }
    case 'preApproved': {
      s.state = 'preApproved';
      s.preApproval = { id: a.preApprovalId, quarter: a.quarter, minUsd: a.minUsd, maxUsd: a.maxUsd, at, roadmapVersion: a.roadmapVersion, budgetVersion: a.budgetVersion, decisionFlag: a.decisionFlag };
      s.touch = a.nextTouch;
      out.push(event('upsell.planned', 'R-91', {
        ...base, preApprovalId: a.preApprovalId, quarter: a.quarter, band: { minUsd: a.minUsd, maxUsd: a.maxUsd }, roadmapVersion: a.roadmapVersion, budgetVersion: a.budgetVersion,
        decisionFlag: a.decisionFlag, versionNote: a.versionNote, nextTouch: a.nextTouch ? { meetingId: a.nextTouch.meetingId, kind: a.nextTouch.kind, startsAt: a.nextTouch.startsAt } : null,
      }, { sameDay: 'roadmap card and budget line written with the pre-approval (R-91)', proposalDue: a.nextTouch ? `at the next ${a.nextTouch.strategic ? 'strategic' : 'tactical'} touch (R-92)` : 'no touch booked: booking CTA (R-92)' }));
      const owner = p.upsell.proposalOwner[setup.segment];
      if (a.nextTouch) {
        out.push({
          kind: 'cta', key: 'proposal', ctaKind: 'upsell-proposal', ruleId: 'R-92', ownerRole: owner, dueAt: proposalDueAt(a.nextTouch, cal, setup.calendar.dayEnd), clock: 'due',
          title: `Present the proposal for "${setup.signal.title}" (EDS first, R-77) at the ${a.nextTouch.kind} touch on ${a.nextTouch.startsAt.slice(0, 10)} (R-92)`,
          why: { ...base, meetingId: a.nextTouch.meetingId, policyKeys: ['upsell.proposalOwner', 'upsell.touchKinds'] }, data: { meetingId: a.nextTouch.meetingId },
        });
      } else {
        out.push({
          kind: 'cta', key: 'book-touch', ctaKind: 'upsell-book-touch', ruleId: 'R-92', ownerRole: p.upsell.bookTouchOwner[setup.segment], dueAt: addElapsedHours(at, p.meeting.firstActionHours, cal),
          title: `Book a strategic or tactical touch to present the proposal for "${setup.signal.title}": none is scheduled (R-92)`,
          why: { ...base, policyKeys: ['upsell.bookTouchOwner', 'upsell.touchKinds', 'meeting.firstActionHours'] },
        });
      }
      out.push(row(s, { state: s.state, preApprovalId: a.preApprovalId, band: { minUsd: a.minUsd, maxUsd: a.maxUsd }, roadmapVersion: a.roadmapVersion, budgetVersion: a.budgetVersion, touch: a.nextTouch }));
      break;
    }
    case 'resequenced':
      out.push(...resequence(s, at, a.reason, a.quarter, a.note ?? 'not now'));
      break;
    case 'proposalPresented': {
      // R-92: at the next touch — presented after the touch's day is over is late.
      const late = s.touch ? ms(a.presentedAt) > ms(proposalDueAt(s.touch, cal, setup.calendar.dayEnd)) : false;
      const recapDueAt = addElapsedHours(a.presentedAt, p.meeting.recapHours, cal);
      const ctaDueAt = addElapsedHours(a.presentedAt, p.meeting.firstActionHours, cal);
      s.state = 'proposed';
      s.proposal = { id: a.proposalId, presentedAt: a.presentedAt, ...(a.meetingId ? { meetingId: a.meetingId } : {}), recapDueAt, ctaDueAt, late };
      out.push(event('upsell.proposed', 'R-92', { ...base, proposalId: a.proposalId, presentedAt: a.presentedAt, ...(a.meetingId ? { meetingId: a.meetingId } : {}), recapDueAt, ctaDueAt, late }, {
        touch: s.touch ?? null, policyKeys: ['meeting.recapHours', 'meeting.firstActionHours'],
      }));
      out.push({ kind: 'ctaResolved', key: 'proposal', note: `proposal ${a.proposalId} presented` });
      out.push({ kind: 'ctaResolved', key: 'book-touch', note: `proposal ${a.proposalId} presented` });
      out.push({
        kind: 'cta', key: 'recap', ctaKind: 'upsell-recap', ruleId: 'R-92', ownerRole: p.upsell.recapOwner, dueAt: recapDueAt, clock: 'due',
        title: `Recap of the "${setup.signal.title}" proposal: decided / why now / owner & date / risks / next cadence (R-92, R-29)`, why: { ...base, proposalId: a.proposalId, policyKeys: ['upsell.recapOwner', 'meeting.recapHours'] },
      });
      out.push({
        kind: 'cta', key: 'close', ctaKind: 'upsell-close', ruleId: 'R-92', ownerRole: p.upsell.proposalOwner[setup.segment], dueAt: ctaDueAt,
        title: `Close "${setup.signal.title}": client acceptance, PO and kickoff prep (R-92)`, why: { ...base, proposalId: a.proposalId, policyKeys: ['upsell.proposalOwner', 'meeting.firstActionHours'] },
        data: { checklist: ['acceptance', 'PO', 'kickoff prep'] },
      });
      out.push(row(s, { state: s.state, proposalId: a.proposalId }));
      break;
    }
    case 'recapSent': {
      const late = ms(a.sentAt) > ms(s.proposal!.recapDueAt);
      s.recapSentAt = a.sentAt;
      out.push(event('upsell.recap_sent', 'R-92', { signalId: setup.signalId, proposalId: s.proposal!.id, sentAt: a.sentAt, late }, { dueAt: s.proposal!.recapDueAt, rule: 'recap 48h (R-92, R-29)' }));
      out.push({ kind: 'ctaResolved', key: 'recap', note: `recap sent${late ? ' (late)' : ''}` });
      break;
    }
    case 'approved': {
      const credit = creditVerdict({ ownerRole: a.ownerRole, targetDate: a.targetDate, budgetUsd: a.budgetUsd }, setup.signal.riskReduction, a.credit);
      s.state = 'approved';
      s.outcome = { at, verdict: credit.verdict, reasons: credit.reasons, ...(a.projectRef ? { projectRef: a.projectRef } : {}), ...(a.poRef ? { poRef: a.poRef } : {}) };
      out.push(event('upsell.approved', 'R-92', {
        ...base, proposalId: a.proposalId, decidedAt: a.decidedAt, ownerRole: a.ownerRole, targetDate: a.targetDate, budgetUsd: a.budgetUsd, creditVerdict: credit.verdict, reasons: credit.reasons,
        ...(a.projectRef ? { projectRef: a.projectRef } : {}), ...(a.poRef ? { poRef: a.poRef } : {}), ...(a.kickoffMeetingId ? { kickoffMeetingId: a.kickoffMeetingId } : {}),
      }, {
        creditRule: 'R-32', creditGate: { client: a.credit.clientGate, governance: a.credit.governanceGates, ownerPersonId: a.credit.ownerPersonId, consulted: ['R-32 client gate (health)', 'R-60 owner × segment gate'] },
        linked: 'proposal ↔ initiative ↔ project (R-92)',
      }));
      out.push({
        kind: 'creditDecision', key: 'approval', title: setup.signal.title, verdict: credit.verdict, reasons: credit.reasons, decidedAt: a.decidedAt, initiativeId: setup.initiativeId,
        data: { signalId: setup.signalId, proposalId: a.proposalId, budgetUsd: a.budgetUsd, ...(a.projectRef ? { projectRef: a.projectRef } : {}) },
      });
      out.push({ kind: 'ctaResolved', key: 'close', note: `approved: ${credit.verdict}` });
      out.push(row(s, { state: s.state, creditVerdict: credit.verdict, projectRef: a.projectRef ?? null, endedAt: at }));
      break;
    }
    case 'declined':
      s.state = 'declined';
      s.outcome = { at, reason: a.reason };
      out.push(event('upsell.declined', 'R-80', { ...base, proposalId: a.proposalId, reason: a.reason }, { decidedAt: a.decidedAt }));
      out.push({ kind: 'ctaResolved', key: 'close', note: `declined: ${a.reason}` });
      out.push(row(s, { state: s.state, reason: a.reason, endedAt: at }));
      break;
  }
  return { effects: out };
}

/** R-91 "not now": re-sequenced with its reason; the initiative is parked to the quarter (done by the API through its process). */
function resequence(s: UpsellState, at: string, reason: string, quarter: string, what: string): ProcessEffect[] {
  s.state = 'resequenced';
  s.outcome = { at, reason, quarter };
  return [
    event('upsell.resequenced', 'R-91', { signalId: s.setup.signalId, initiativeId: s.setup.initiativeId, reason, quarter }, { what }),
    { kind: 'ctaResolved', key: 'price-test', note: `re-sequenced: ${reason}` },
    { kind: 'ctaResolved', key: 'proposal', note: `re-sequenced: ${reason}` },
    { kind: 'ctaResolved', key: 'book-touch', note: `re-sequenced: ${reason}` },
    row(s, { state: s.state, reason, quarter, endedAt: at }),
  ];
}

function row(s: UpsellState, changes: Record<string, unknown>): ProcessEffect {
  return { kind: 'upsellUpdate', signalId: s.setup.signalId, changes };
}

// ---------------------------------------------------------------------------------------------
// Clocks

export interface Due { key: UpsellStep; at: string }

/** The step whose due passes next undone: the price test (R-90), the proposal at the touch (R-92), the recap (R-92). */
export function nextDue(s: UpsellState): Due | undefined {
  if (isFinished(s)) return undefined;
  const open = (k: UpsellStep) => !s.overdue.includes(k);
  if (s.state === 'signalLogged' && open('priceTest')) return { key: 'priceTest', at: s.priceTestDueAt };
  if (s.state === 'preApproved' && s.touch && open('proposal')) return { key: 'proposal', at: proposalDueAt(s.touch, calendarOf(s), s.setup.calendar.dayEnd) };
  if (s.state === 'proposed' && !s.recapSentAt && open('recap')) return { key: 'recap', at: s.proposal!.recapDueAt };
  return undefined;
}

/** A due passed undone: on the timeline once; its CTA escalates on its own clock (A-28, R-122). */
export function due(s: UpsellState, key: UpsellStep, now: string): Step {
  s.ticks += 1;
  s.overdue = [...s.overdue, key];
  const dueAt = key === 'priceTest' ? s.priceTestDueAt : key === 'proposal' ? proposalDueAt(s.touch!, calendarOf(s), s.setup.calendar.dayEnd) : s.proposal!.recapDueAt;
  const ruleId = key === 'priceTest' ? 'R-90' : 'R-92';
  const cta = key === 'priceTest' ? 'price-test' : key;
  return {
    effects: [
      event('upsell.step_overdue', ruleId, { signalId: s.setup.signalId, step: key, dueAt }, { observedAt: now, escalation: `the ${cta} CTA escalates at its due to the backup, then the CS Lead (A-28, R-122, ctas.escalationChain)` }),
      row(s, { overdue: [...s.overdue] }),
    ],
  };
}

export function statusView(s: UpsellState) {
  const next = nextDue(s);
  return {
    signalId: s.setup.signalId, clientId: s.setup.clientId, initiativeId: s.setup.initiativeId, phase: isFinished(s) ? 'finished' as const : 'running' as const, state: s.state,
    signal: s.setup.signal, priceTestDueAt: s.priceTestDueAt, priceTest: s.priceTest ?? null, preApproval: s.preApproval ?? null, touch: s.touch ?? null, proposal: s.proposal ?? null,
    recapSentAt: s.recapSentAt ?? null, outcome: s.outcome ?? null, overdue: [...s.overdue], next: next ?? null, policyVersion: s.setup.policyVersion,
  };
}
export type UpsellStatus = ReturnType<typeof statusView>;
