/**
 * The engagement cadence of one client as a pure process model (DOMAIN.md §2.2 R-9..R-11, §2.3
 * triggers R-13..R-21, §2.4 meeting cycle R-24..R-32, §2.5 missed-cadence recovery R-33..R-35,
 * §2.9 R-58..R-59, C-4, C-6, A-6, A-7, A-13).
 *
 * The workflow (workflows/cadence.ts) holds one `CadenceState` and calls: `applyBooked` after every
 * booking the activity made, `decide` + `applyAction` for each report, and `due` when the instant
 * of `nextDue` arrives. Each returns `{ effects, book }`: effects to record (ledger events, CTAs,
 * meeting changes) and meetings to book (the activity books them against capacity, R-36/R-37).
 * Every number comes from the policy document resolved at start (`state.policy`).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock; every instant
 * is passed in. State is mutated in place by `applyAction`/`due`/`applyBooked`, never by `decide`.
 */
import { DateTime } from 'luxon';
import {
  addBusinessDays, addCalendarDays, addElapsedHours, addBusinessHours, atLocalTime, endOfLocalDay,
  lastBusinessInstantAtOrBefore, localDateOf, makeCalendar, prepPackDue, roll, toIso, type BusinessCalendar, type LocalDate,
} from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { classifyOutcome, recoveryFor, type MeetingOutcome } from './missed-cadence.js';
import { planCycle, planningCycleOf, type PlannedMeeting } from './cadence-plan.js';
import { planDeliverables } from './deliverables-plan.js';
import { withCurrentPolicy } from './policy-current.js';
import type { Policy, Role } from './policy.js';
import { ctaTitle } from './cta-titles.js';

const HOUR_MS = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

export type CadenceSegment = 'A' | 'B' | 'C' | 'D';
export type TouchTier = 'VIP' | 'High' | 'Mid' | 'Tech';
export type MeetingMode = 'live' | 'hybrid' | 'async';
export type TriggerType = 'renewal' | 'fiscalYearEnd' | 'assessmentCompleted' | 'initiativeApproved' | 'engagementDrop' | 'adoptionBelowThreshold' | 'stakeholderChange' | 'proposalReset' | 'riskReengage';

// ---------------------------------------------------------------------------------------------
// Start and booking

/** What the cadence reads once at start (activity `prepareCadence`), under one policy version. */
export interface CadenceSetup {
  clientId: string;
  segment: CadenceSegment;
  touchTier: TouchTier;
  timeZone: string;
  fiscalYearEnd: string; // MM-dd (C-7)
  renewalDate: string | null; // yyyy-MM-dd
  lockedAt: string;
  policyVersion: number;
  /** The policy with the client's overrides applied. */
  policy: Policy;
  /** The policy shape it was parsed under (domain/policy/revision.ts); absent in runs recorded before it existed. */
  policyShapeRevision?: number;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
}

export interface Raci { accountable: Role; presenter: Role | null; recorder: Role | null; backup: Role }

/** A meeting the activity should book; `placement` says how capacity may move it (R-33, R-36, R-37). */
export interface BookingRequest {
  key: string;
  kind: 'annualPlanning' | 'strategic' | 'tactical' | 'trigger' | 'reset' | 'rebook' | 'decisionCall';
  template: string;
  strategic: boolean;
  mode: MeetingMode;
  agenda: string[];
  raci: Raci;
  ruleId: string;
  why: Record<string, unknown>;
  startsAt: string;
  endsAt: string;
  /** forward: the first allowed slot from `startsAt`, not after `latest`; rebook: R-33's +7 d or the latest earlier slot. */
  placement: 'forward' | 'rebook';
  latest?: string;
  /** A-30: when no slot lies in [startsAt, latest], the latest allowed slot after this instant (the cause) and before startsAt. */
  fallbackAfter?: string;
  missed?: { startsAt: string; endsAt: string; missedAt: string; consecutiveMisses: number };
  /** The trigger this meeting serves (R-13..R-19), or the missed meeting it replaces. */
  trigger?: string;
  replaces?: string;
}

/** What the activity booked (or could not book: `unbooked`, with why). */
export interface BookedMeeting {
  key: string;
  meetingId: string;
  kind: BookingRequest['kind'];
  template: string;
  strategic: boolean;
  startsAt: string;
  endsAt: string;
  mode: MeetingMode;
  agenda: string[];
  raci: Raci;
  state: 'scheduled' | 'unbooked';
  bookedAt: string;
  trigger?: string;
  replaces?: string;
  why?: Record<string, unknown>;
  /** The client's people invited from the registry (R-26, R-17/R-34, R-14), and the required roles nobody holds. */
  invitees?: { stakeholderId: string; name: string; required: boolean }[];
  missingStakeholders?: { role: string; ruleId: string }[];
}

export interface CycleMeeting extends BookedMeeting {
  /** R-21 (merged triggers) and R-24: items the prep pack must carry besides the standard pack. */
  prepItems?: string[];
  /** R-26 (v2): rescoped to a short update; its asks moved to the decision call. */
  rescoped?: { at: string; reason: string; shortUpdateMinutes: number; decisionCall: string };
  status: 'scheduled' | 'held' | 'missed' | 'cancelled' | 'unbooked';
  prep?: { openAt: string; dueAt: string; late: boolean; ctaOpened: boolean; attachedAt?: string; signedOffAt?: string; judged: boolean; moves?: number };
  preRead?: { dueAt: string; sentAt?: string; decisionMakerConfirmed?: boolean; judged: boolean; bookedInsideWindow?: boolean };
  graceEndsAt?: string;
  held?: { heldAt: string; endedAt: string; decisions: number; sponsorPresent: boolean; decisionMakerPresent?: boolean };
  recap?: { dueAt: string; sentAt?: string; judged: boolean };
  agendaBlocks: string[];
  supersededBy?: string;
}

export interface TriggerState {
  /** `${type}:${anchor}`: one active trigger per (type, anchor) (R-21). */
  key: string;
  type: TriggerType;
  anchor: string;
  ruleId: string;
  targetDate: LocalDate;
  fireAt: string;
  state: 'planned' | 'fired' | 'withdrawn' | 'cleared';
  meetingKey?: string;
  /** R-18: remediation due; judged once. */
  fixBy?: string;
  /** R-34: the CTA that drives this trigger (the Re-engage CTA); none of its own. */
  ctaKey?: string;
  fixJudged?: boolean;
  evidence: number;
}

export interface CadenceState {
  setup: CadenceSetup;
  meetings: CycleMeeting[];
  /** Consecutive missed strategic meetings (§2.5); a held one resets it. */
  consecutiveMisses: number;
  /** R-35: after the review CTA no further automatic rebooking until the review is recorded. */
  autoRebookSuspended: boolean;
  /** Last month (yyyy-MM) of the booked horizon (R-10). */
  bookedThrough: string;
  triggers: TriggerState[];
  /** R-17: decision requests left open in a meeting (R-27 "undecidable → checkpoint"). */
  pendingDecisions: { title: string; ownerRole: Role; since: string; checkpointDate: string; meetingId: string; fired: boolean }[];
  /** R-17, A-7: last strategic decision (or the lock) for the drought rule. */
  lastStrategicDecisionAt: string;
  droughtFiredFor?: string;
  /** Accepted actions, naming effect batches. */
  actions: number;
  /** Deadlines handled, naming effect batches (deterministic ledger ids across runs). */
  ticks: number;
  /** Horizon extensions in this run (continue-as-new after a year's worth). */
  extensionsThisRun: number;
  /**
   * The model's version, fixed for a run when it starts (workflow `patched('cadence-v2')`): 1 runs as
   * first released; 2 adds issue 9's rules — short-notice prep by date (A-23), the drought counted
   * from the meeting where the ask was made and one engagement-drop play per account (A-24), a
   * reschedule agreed >7 d ahead is a re-plan (A-29), R-26's decision call, R-30's chase, the next
   * planning cycle booked when M1 is held (R-63) and planning meetings moved with their anchors.
   */
  version: number;
  /** R-30 (v2): open approvals to chase on d7–d10 after their meeting. */
  chases: ChaseState[];
  /** §2.2, R-12 (v2): the non-meeting touches (C async update, D auto report and digital touch) of the booked horizon. */
  deliverables: DeliverableState[];
  /** R-27 (v2, issue 11): asks beyond a session's two, flagged for the next cadence; the next strategic prep pack shows them. */
  backlog?: { id: string; title: string; meetingId: string; shownIn?: string }[];
}

export interface DeliverableState {
  key: string;
  kind: string;
  title: string;
  /** Its CTA opens at the start of its period, and is due at its due instant (A-28). */
  openAt: string;
  dueAt: string;
  ownerRole: Role;
  ruleId: string;
  optional: boolean;
  opened: boolean;
  format: string[];
  contents: string[];
}

export interface ChaseState {
  key: string;
  /** The decision CTA (key within the workflow) the chase is about; chased only while it is open. */
  decisionCta: string;
  title: string;
  ownerRole: Role;
  meetingId: string;
  /** Chase opens at end + chaseDays.from, is due at end + chaseDays.to (R-30). */
  at: string;
  dueAt: string;
  done: boolean;
}

export type CadenceEffect = ProcessEffect;
export interface Step { effects: CadenceEffect[]; book: BookingRequest[] }
const none = (): Step => ({ effects: [], book: [] });

export function calendarOf(s: Pick<CadenceState, 'setup'> | CadenceSetup): BusinessCalendar {
  const c = 'setup' in s ? s.setup.calendar : s.calendar;
  return makeCalendar({ timeZone: c.timeZone, holidays: [...c.holidays], workdays: [...c.workdays], dayStart: c.dayStart, dayEnd: c.dayEnd });
}

export function initialState(setup: CadenceSetup, carried?: Partial<CadenceState>, version = 1): CadenceState {
  return {
    setup: withCurrentPolicy(setup),
    meetings: carried?.meetings ?? [],
    consecutiveMisses: carried?.consecutiveMisses ?? 0,
    autoRebookSuspended: carried?.autoRebookSuspended ?? false,
    bookedThrough: carried?.bookedThrough ?? '',
    triggers: carried?.triggers ?? [],
    pendingDecisions: carried?.pendingDecisions ?? [],
    lastStrategicDecisionAt: carried?.lastStrategicDecisionAt ?? setup.lockedAt,
    ...(carried?.droughtFiredFor ? { droughtFiredFor: carried.droughtFiredFor } : {}),
    actions: carried?.actions ?? 0,
    ticks: carried?.ticks ?? 0,
    extensionsThisRun: 0,
    version,
    chases: carried?.chases ?? [],
    deliverables: carried?.deliverables ?? [],
    ...(carried?.backlog ? { backlog: carried.backlog } : {}),
  };
}

/** R-10: the lock month and the `horizonMonths` after it. */
export function initialHorizon(state: CadenceState): string[] {
  const cal = calendarOf(state);
  const first = localDateOf(state.setup.lockedAt, cal).slice(0, 7);
  return monthsFrom(first, state.setup.policy.cadence.horizonMonths + 1);
}

export function monthsFrom(first: string, n: number): string[] {
  const start = DateTime.fromISO(`${first}-01`, { zone: 'utc' });
  return Array.from({ length: n }, (_, i) => start.plus({ months: i }).toFormat('yyyy-MM'));
}

/** When the next month joins the horizon: the start of (bookedThrough − horizonMonths + 1), so ≥12 months stay booked (R-10). */
export function nextExtensionAt(state: CadenceState): string {
  const cal = calendarOf(state);
  const month = DateTime.fromISO(`${state.bookedThrough}-01`, { zone: 'utc' }).minus({ months: state.setup.policy.cadence.horizonMonths - 1 }).toFormat('yyyy-MM');
  return atLocalTime(`${month}-01`, '00:00', cal);
}

/** The month to add at the next extension. */
export function nextHorizonMonth(state: CadenceState): string {
  return monthsFrom(state.bookedThrough, 2)[1]!;
}

/**
 * Takes booked meetings into the state and opens their cycles: for strategic meetings the prep-pack
 * deadline (R-24, C-4: T-5 bd 17:00; booked late → previous business day 17:00), the pre-read
 * deadline (R-26) and the miss grace (§2.5); triggers get their CTA (R-13..R-19, first action 72h).
 */
export function applyBooked(state: CadenceState, booked: BookedMeeting[], at: string): Step {
  const out = none();
  const p = state.setup.policy;
  const cal = calendarOf(state);
  for (const b of booked) {
    if (state.meetings.some((m) => m.key === b.key)) continue;
    const m: CycleMeeting = { ...b, status: b.state, agendaBlocks: [] };
    const own = b.trigger ? state.triggers.find((x) => x.key === b.trigger) : undefined;
    if (own) m.prepItems = [...TRIGGER_SPEC[own.type].prepItems]; // R-21, R-24: what this trigger's meeting needs prepared
    if (b.state === 'scheduled') openCycle(state, m, b.bookedAt, cal);
    state.meetings.push(m);
    if (b.replaces) {
      const old = state.meetings.find((x) => x.key === b.replaces);
      if (old) {
        old.supersededBy = m.meetingId;
        out.effects.push({ kind: 'meetingUpdate', meetingId: old.meetingId, changes: { supersededBy: m.meetingId } });
      }
    }
    if (b.trigger) {
      const t = state.triggers.find((x) => x.key === b.trigger);
      if (t) {
        t.meetingKey = m.key;
        out.effects.push(...triggerFiredEffects(state, t, m, false, at));
      }
    }
    // v2: a required client role nobody holds (a decision-maker for strategic meetings, R-26; the sponsor for a reset, R-17)
    // asks the Cadence Owner, once per role, to name that person in the registry.
    if (state.version >= 2 && b.state === 'scheduled') {
      for (const miss of b.missingStakeholders ?? []) {
        out.effects.push({
          kind: 'cta', key: `stakeholder-missing/${miss.role}`, ctaKind: 'name-stakeholder', title: ctaTitle.nameStakeholder(miss.role, m.template, m.startsAt, cal.timeZone, at), ruleId: miss.ruleId,
          ownerRole: p.raci[state.setup.segment].cadenceOwner, dueAt: addElapsedHours(at, p.meeting.firstActionHours), why: { meetingId: m.meetingId, role: miss.role, rule: 'R-123' },
        });
      }
    }
    if (b.state === 'unbooked') {
      out.effects.push({
        kind: 'cta', key: `unbooked/${m.key}`, ctaKind: 'book-meeting', title: ctaTitle.bookByHand(m.template, m.startsAt, cal.timeZone, at), ruleId: 'R-37',
        ownerRole: p.raci[state.setup.segment].cadenceOwner, dueAt: m.startsAt, why: { ...(b.why ?? {}), meeting: m.key },
      });
    }
  }
  state.meetings.sort((a, b) => ms(a.startsAt) - ms(b.startsAt));
  return out;
}

function openCycle(state: CadenceState, m: CycleMeeting, bookedAt: string, cal: BusinessCalendar) {
  const p = state.setup.policy;
  if (!m.strategic) return;
  // A-23 (v2): short notice is judged by date — booked on or after the T-5 bd date — and its CTA opens at booking.
  const prep = prepPackDue(m.startsAt, bookedAt, p.meeting.prepPackBusinessDays, p.meeting.prepPackDueTime, cal, state.version >= 2 ? 'date' : 'instant');
  // R-24: the prep-pack CTA opens `prepCtaLeadBusinessDays` before its due (never before the booking).
  const openAt = state.version >= 2 && prep.late
    ? ms(bookedAt)
    : Math.max(ms(bookedAt), ms(atLocalTime(addBusinessDays(localDateOf(prep.dueAt, cal), -p.meeting.prepCtaLeadBusinessDays, cal), cal.dayStart, cal)));
  m.prep = { openAt: iso(openAt), dueAt: prep.dueAt, late: prep.late, ctaOpened: false, judged: false };
  // R-26: pre-read + pre-flight due 48h before start, at the last business-hours instant at or before it. A meeting booked
  // inside that window (a reset session, a short-notice rebook) has no pre-read to miss: it is marked late, not judged.
  const preReadDue = lastBusinessInstantAtOrBefore(addElapsedHours(m.startsAt, -p.meeting.preReadDueHoursBefore), cal);
  m.preRead = ms(preReadDue) < ms(bookedAt) ? { dueAt: preReadDue, judged: true, bookedInsideWindow: true } : { dueAt: preReadDue, judged: false };
  m.graceEndsAt = addElapsedHours(m.endsAt, p.missedCadence.graceHours, cal);
}

// ---------------------------------------------------------------------------------------------
// Actions from automations and ops

/** A decision (R-27, R-31): its MSP Accountable role; when a client stakeholder owns it (R-27 "owner CFO"), who. */
export interface DecisionInput {
  title: string; ownerRole: Role; ownerStakeholder?: { id: string; name: string }; targetDate?: string; budgetUsd?: number;
  /** v2 (issue 11): the initiative the decision decides (named, or created Qualified by the API), kept on the Decision Log. */
  initiativeId?: string;
  /** R-32 (v2): a risk-reduction item stays allowed while credit is gated, logged as stability work. */
  riskReduction?: boolean;
}

export type CadenceAction =
  | { type: 'prepPackAttached'; meetingId: string }
  | { type: 'prepSignedOff'; meetingId: string }
  | { type: 'preReadSent'; meetingId: string; decisionMakerConfirmed: boolean; /** R-26: the exec to book the decision call with (from the registry). */ decisionCallWith?: { stakeholderId: string; name: string } }
  | {
      type: 'meetingHeld'; meetingId: string; heldAt: string; endedAt: string; attendees: string[]; sponsorPresent: boolean; decisions: DecisionInput[]; undecided: { title: string; ownerRole: Role; checkpointDate: string }[];
      /** Attendance by stakeholder (resolved by the API from the registry): who came, and whether a decision-maker did (R-106, R-113). */
      attendeeStakeholderIds?: string[]; decisionMakerPresent?: boolean;
      /** R-32 (v2): the credit gate read at decision time (the health process's read model, resolved by the API). */
      creditGate?: { closed: boolean; reasons: string[] };
    }
  | { type: 'meetingNoShow'; meetingId: string }
  | { type: 'meetingCancelled'; meetingId: string; noticeAt: string; reason?: string }
  | { type: 'meetingRescheduled'; meetingId: string; agreedAt: string; newStartsAt: string; newEndsAt: string }
  | { type: 'recapSent'; meetingId: string; sentAt: string }
  | { type: 'assessmentCompleted'; assessmentId: string; completedAt: string }
  | { type: 'initiativeApproved'; initiativeId: string; title: string; approvedAt: string }
  | { type: 'adoptionMeasured'; mfaPct?: number; endpointPct?: number; measuredAt: string }
  | { type: 'stakeholderChanged'; name: string; stakeholderRole: string; changedAt: string }
  | { type: 'decisionResolved'; title: string }
  | { type: 'cadenceReviewed'; outcome: 'keep' | 'downgrade' | 'executiveReset'; note: string }
  | { type: 'clientDatesChanged'; renewalDate: string | null; fiscalYearEnd: string }
  /** v2 (issue 11, R-27): asks a session could not take, in the client's backlog; the next strategic meeting's prep pack shows them. */
  | { type: 'backlogAdded'; meetingId: string; items: { id: string; title: string }[] }
  /** v2 (issue 11, R-78): a proposal undecided at age 31 gets a live reset "now vs next quarter" within `withinDays`. */
  | { type: 'proposalReset'; proposalId: string; title: string; withinDays: number; minutes: number; ownerRole: Role; presenterRole: Role }
  | { type: 'segmentChanged'; segment: CadenceSegment; touchTier: TouchTier; changedAt: string }
  /** R-97 (v2): an At Risk process asks for its executive re-engage session in [earliest, latest] (dates in the client's zone). */
  | { type: 'riskReengageRequested'; riskId: string; earliest: string; latest: string; ownerRole: Role; minutes: number };

export interface Refusal { status: 404 | 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

const meetingOf = (state: CadenceState, meetingId: string) => state.meetings.find((m) => m.meetingId === meetingId);

/** Whether an action may apply now: 404 unknown meeting, 409 not in this state, 422 never as sent. Pure. */
export function decide(state: CadenceState, action: CadenceAction, at: string): Refusal | undefined {
  const p = state.setup.policy;
  if ('meetingId' in action) {
    const m = meetingOf(state, action.meetingId);
    if (!m) return { status: 404, message: `Meeting ${action.meetingId} is not part of this client's cadence.` };
    const strategicOnly = action.type === 'prepPackAttached' || action.type === 'prepSignedOff' || action.type === 'preReadSent';
    if (strategicOnly && !m.strategic) return { status: 422, message: `${m.template} is not a strategic meeting; prep packs and pre-reads belong to strategic meetings (R-24..R-26).`, ruleId: 'R-24' };
    const open = m.status === 'scheduled';
    switch (action.type) {
      case 'prepPackAttached':
        if (!open) return notOpen(m);
        return m.prep?.attachedAt ? { status: 409, message: `The prep pack for ${m.template} was already attached at ${m.prep.attachedAt}.`, ruleId: 'R-24' } : undefined;
      case 'prepSignedOff':
        if (!open) return notOpen(m);
        if (!m.prep?.attachedAt) return { status: 409, message: 'The prep review can be signed off only once the prep pack is attached (R-24, R-25).', ruleId: 'R-25' };
        return m.prep.signedOffAt ? { status: 409, message: `The prep review was already signed off at ${m.prep.signedOffAt}.`, ruleId: 'R-25' } : undefined;
      case 'preReadSent':
        if (!open) return notOpen(m);
        if (!m.prep?.signedOffAt) return { status: 409, message: 'The pre-read goes out after the prep review is signed off (R-25: before pre-read).', ruleId: 'R-25' };
        return m.preRead?.sentAt ? { status: 409, message: `The pre-read was already sent at ${m.preRead.sentAt}.`, ruleId: 'R-26' } : undefined;
      case 'meetingHeld': {
        if (!open) return notOpen(m);
        if (ms(action.endedAt) < ms(action.heldAt)) return { status: 422, message: 'endedAt is before heldAt.' };
        if (ms(action.heldAt) > ms(at)) return { status: 422, message: `heldAt ${action.heldAt} is in the future; report a meeting once it has happened.` };
        if (m.rescoped && action.decisions.length > 0) {
          const call = state.meetings.find((x) => x.key === m.rescoped!.decisionCall);
          return { status: 409, ruleId: 'R-26', message: `${m.template} was rescoped to a short update (${m.rescoped.reason}); its asks go to the decision call${call ? ` on ${call.startsAt}` : ''}. Report the decisions there.`, details: { decisionCall: call?.meetingId ?? null } };
        }
        if (takesDecisions(m) && action.decisions.length > p.meeting.maxDecisions) {
          return {
            status: 422, ruleId: 'R-27',
            message: `At most ${p.meeting.maxDecisions} decisions per strategic session (R-27); ${action.decisions.length} were sent. Take the rest to the backlog or roadmap.`,
            details: { maxDecisions: p.meeting.maxDecisions, backlog: action.decisions.slice(p.meeting.maxDecisions).map((d) => d.title) },
          };
        }
        return undefined;
      }
      case 'meetingNoShow':
      case 'meetingCancelled':
        return open ? undefined : notOpen(m);
      case 'meetingRescheduled':
        if (!open) return notOpen(m);
        if (ms(action.newStartsAt) <= ms(at)) return { status: 422, message: `The new start ${action.newStartsAt} is not in the future.` };
        if (ms(action.newEndsAt) <= ms(action.newStartsAt)) return { status: 422, message: 'newEndsAt must be after newStartsAt.' };
        return undefined;
      case 'recapSent':
        if (m.status !== 'held') return { status: 409, message: `A recap follows a held meeting; ${m.template} is ${m.status}.`, ruleId: 'R-29' };
        return m.recap?.sentAt ? { status: 409, message: `The recap was already sent at ${m.recap.sentAt}.`, ruleId: 'R-29' } : undefined;
    }
  }
  switch (action.type) {
    case 'backlogAdded':
    case 'proposalReset':
      return state.version >= 2 ? undefined : { status: 409, message: `This cadence runs process version ${state.version}; ${action.type} needs version 2 (issue 11).`, ruleId: action.type === 'backlogAdded' ? 'R-27' : 'R-78' };
    case 'decisionResolved':
      return state.pendingDecisions.some((d) => d.title === action.title) ? undefined : { status: 404, message: `No pending decision request titled '${action.title}'.`, ruleId: 'R-17' };
    case 'cadenceReviewed':
      return state.autoRebookSuspended ? undefined : { status: 409, message: 'No segmentation & cadence review is pending (R-35 opens one at the third consecutive miss).', ruleId: 'R-35' };
    case 'adoptionMeasured':
      return action.mfaPct === undefined && action.endpointPct === undefined ? { status: 422, message: 'Send mfaPct, endpointPct or both (R-18).' } : undefined;
    case 'riskReengageRequested':
      if (state.version < 2) return { status: 409, message: 'This cadence started before At Risk sessions were booked through it (model version 1); the risk owner books the re-engage session.', ruleId: 'R-97' };
      return action.latest < action.earliest ? { status: 422, message: `latest ${action.latest} is before earliest ${action.earliest}.` } : undefined;
    case 'stakeholderChanged':
      // R-19 is the optional seventh trigger: the MSP may switch it off.
      return p.triggers.stakeholderChange.enabled ? undefined : { status: 409, message: 'The stakeholder-change trigger (R-19) is switched off by policy (triggers.stakeholderChange.enabled).', ruleId: 'R-19' };
    default:
      return undefined;
  }
}

/** Strategic meetings take decisions (R-27), and so does R-26's decision call. */
const takesDecisions = (m: CycleMeeting) => m.strategic || m.kind === 'decisionCall';

function notOpen(m: CycleMeeting): Refusal {
  const why = m.status === 'missed' ? ` It counted as missed (§2.5: not marked held within the grace after its end, A-13).` : '';
  return { status: 409, message: `${m.template} on ${m.startsAt} is ${m.status}, not scheduled.${why}`, ruleId: m.status === 'missed' ? 'A-13' : 'R-10', details: { status: m.status } };
}

/** Applies an accepted action; returns what to record and what to book. */
export function applyAction(state: CadenceState, action: CadenceAction, at: string): Step {
  state.actions += 1;
  const p = state.setup.policy;
  const cal = calendarOf(state);
  const out = none();
  const fact = (ruleId: string, details: Record<string, unknown>) => out.effects.push(event('process.fact_recorded', ruleId, { fact: action.type, details: details as never }));
  const m = 'meetingId' in action ? meetingOf(state, action.meetingId)! : undefined;
  switch (action.type) {
    case 'prepPackAttached':
      m!.prep!.attachedAt = at;
      fact('R-24', { meetingId: m!.meetingId, onTime: ms(at) <= ms(m!.prep!.dueAt), dueAt: m!.prep!.dueAt });
      if (m!.prep!.ctaOpened) out.effects.push({ kind: 'ctaResolved', key: prepCtaKey(m!), note: `prep pack attached at ${at}` });
      m!.prep!.ctaOpened = true; // no CTA needed any more
      break;
    case 'prepSignedOff':
      m!.prep!.signedOffAt = at;
      fact('R-25', { meetingId: m!.meetingId, signoffRole: p.raci[state.setup.segment].processOwners.prepReviewSignoff });
      break;
    case 'preReadSent': {
      m!.preRead!.sentAt = at;
      m!.preRead!.decisionMakerConfirmed = action.decisionMakerConfirmed;
      fact('R-26', { meetingId: m!.meetingId, decisionMakerConfirmed: action.decisionMakerConfirmed, onTime: ms(at) <= ms(m!.preRead!.dueAt) });
      if (!action.decisionMakerConfirmed) merge(out, rescope(state, m!, at, action.decisionCallWith));
      break;
    }
    case 'meetingHeld':
      out.effects.push(...held(state, m!, action, at));
      if (state.version >= 2) merge(out, bookNextCycle(state, m!));
      break;
    case 'meetingNoShow':
      merge(out, missed(state, m!, { kind: 'noShow' }, at));
      break;
    case 'meetingCancelled': {
      const verdict = classifyOutcome(m!, { kind: 'cancelled', noticeAt: action.noticeAt }, p, { replanAhead: state.version >= 2 });
      if (verdict.miss) {
        merge(out, missed(state, m!, { kind: 'cancelled', noticeAt: action.noticeAt }, at));
      } else {
        m!.status = 'cancelled';
        out.effects.push({ kind: 'meetingUpdate', meetingId: m!.meetingId, changes: { state: 'cancelled' } });
        out.effects.push(event('meeting.cancelled', '§2.5', { meetingId: m!.meetingId, reason: action.reason ? `${verdict.why}: ${action.reason}` : verdict.why }, { noticeAt: action.noticeAt }));
        out.effects.push(...closeCycleCtas(m!, 'meeting cancelled'));
        // Not a miss, but the rhythm still needs the meeting: the Cadence Owner rebooks it (R-10).
        out.effects.push({
          kind: 'cta', key: `rebook-cancelled/${m!.key}`, ctaKind: 'rebook', title: ctaTitle.rebookCancelled(m!.template, m!.startsAt, cal.timeZone, at), ruleId: 'R-10',
          ownerRole: p.raci[state.setup.segment].cadenceOwner, dueAt: addElapsedHours(at, p.missedCadence.rebookWithinDays * 24, cal),
          why: { meetingId: m!.meetingId, noticeAt: action.noticeAt, withinDays: p.missedCadence.rebookWithinDays },
        });
      }
      break;
    }
    case 'meetingRescheduled': {
      const verdict = classifyOutcome(m!, { kind: 'rescheduled', agreedAt: action.agreedAt, newStartsAt: action.newStartsAt }, p, { replanAhead: state.version >= 2 });
      const from = m!.startsAt;
      if (verdict.miss) merge(out, missed(state, m!, { kind: 'rescheduled', agreedAt: action.agreedAt, newStartsAt: action.newStartsAt }, at, { noRebook: true }));
      // The agreed time stands either way: the meeting moves (a late one still counts as the miss it amounts to, §2.5).
      out.effects.push(...moveMeeting(state, m!, action.newStartsAt, action.newEndsAt, at));
      out.effects.push(event('meeting.moved', '§2.5', { meetingId: m!.meetingId, fromStartsAt: from, startsAt: action.newStartsAt, endsAt: action.newEndsAt }, { agreedAt: action.agreedAt, verdict: verdict.why }));
      break;
    }
    case 'recapSent': {
      m!.recap!.sentAt = action.sentAt;
      const onTime = ms(action.sentAt) <= ms(m!.recap!.dueAt);
      fact('R-29', { meetingId: m!.meetingId, sentAt: action.sentAt, dueAt: m!.recap!.dueAt, onTime });
      out.effects.push({ kind: 'meetingUpdate', meetingId: m!.meetingId, changes: { recapSentAt: action.sentAt } });
      out.effects.push({ kind: 'ctaResolved', key: `recap/${m!.key}`, note: `recap sent at ${action.sentAt}` });
      break;
    }
    case 'assessmentCompleted': {
      // R-15: roadmap review on completion + 10 d (ROLL), not before completion + 1 d.
      const done = localDateOf(action.completedAt, cal);
      const target = roll(addCalendarDays(done, p.triggers.assessmentReviewDays), cal, addCalendarDays(done, p.triggers.assessmentReviewMinDays));
      merge(out, fireEventTrigger(state, 'assessmentCompleted', action.assessmentId, 'R-15', target, at));
      break;
    }
    case 'initiativeApproved': {
      // R-16: delivery kickoff within 10 bd of approval; the API refuses it while the onboarding gate (R-48) is shut.
      const latest = addBusinessDays(localDateOf(action.approvedAt, cal), p.triggers.deliveryKickoffBusinessDays, cal);
      merge(out, fireEventTrigger(state, 'initiativeApproved', action.initiativeId, 'R-16', latest, at, { earliest: minNotice(state, at), asap: true, title: action.title }));
      break;
    }
    case 'adoptionMeasured': {
      const th = p.triggers.thresholds;
      const metrics: [string, number | undefined, number][] = [['mfa', action.mfaPct, th.mfaMinPct], ['endpoint', action.endpointPct, th.endpointMinPct]];
      fact('R-18', { mfaPct: action.mfaPct ?? null, endpointPct: action.endpointPct ?? null, measuredAt: action.measuredAt, thresholds: { mfaMinPct: th.mfaMinPct, endpointMinPct: th.endpointMinPct } });
      for (const [metric, value, min] of metrics) {
        if (value === undefined) continue;
        const active = state.triggers.find((t) => t.type === 'adoptionBelowThreshold' && t.anchor === metric && t.state === 'fired');
        if (value < min) {
          // R-18: TAM remediation sync ≤5 d (ROLL), CTA 72h, fix within 14 d; a repeat appends evidence (R-124).
          const target = roll(addCalendarDays(localDateOf(action.measuredAt, cal), p.triggers.adoptionSyncDays), cal, localDateOf(at, cal));
          // A-30: the sync takes the first allowed slot from the minimum notice, by the limit.
          const earliest = minNotice(state, at);
          merge(out, fireEventTrigger(state, 'adoptionBelowThreshold', metric, 'R-18', target, at, { value, min, earliest: earliest < target ? earliest : target, asap: true }));
        } else if (active) {
          active.state = 'cleared';
          out.effects.push(event('trigger.cleared', 'R-18', { trigger: 'adoptionBelowThreshold', anchor: metric }, { value, min, measuredAt: action.measuredAt }));
          out.effects.push({ kind: 'ctaResolved', key: `trigger/${active.key}`, note: `${metric} back at ${value} % (≥ ${min} %)` });
        }
      }
      break;
    }
    case 'stakeholderChanged': {
      // R-19: new-sponsor intro ≤10 d; handoff note ≤24h.
      const target = roll(addCalendarDays(localDateOf(action.changedAt, cal), p.triggers.stakeholderChange.withinDays), cal, localDateOf(at, cal));
      const earliest = minNotice(state, at);
      merge(out, fireEventTrigger(state, 'stakeholderChange', `${action.name}@${localDateOf(action.changedAt, cal)}`, 'R-19', target, at, { name: action.name, stakeholderRole: action.stakeholderRole, earliest: earliest < target ? earliest : target, asap: true }));
      break;
    }
    case 'decisionResolved': {
      state.pendingDecisions = state.pendingDecisions.filter((d) => d.title !== action.title);
      fact('R-17', { title: action.title });
      break;
    }
    case 'cadenceReviewed':
      state.autoRebookSuspended = false;
      state.consecutiveMisses = 0;
      fact('R-35', { outcome: action.outcome, note: action.note });
      out.effects.push({ kind: 'ctaResolved', key: 'cadence-review', note: `review recorded: ${action.outcome}` });
      break;
    case 'clientDatesChanged':
      state.setup = { ...state.setup, renewalDate: action.renewalDate, fiscalYearEnd: action.fiscalYearEnd };
      if (state.version >= 2) out.effects.push(...movePlanningMeetings(state, at));
      merge(out, replanDateTriggers(state, at));
      break;
    case 'segmentChanged':
      // R-9 is applied by the activity (it diffs the booked meetings against the new plan); see applySegmentChange.
      break;
    case 'backlogAdded': {
      // R-27: a third ask goes to the backlog, flagged for the next cadence; the next strategic prep pack carries it.
      const fresh = action.items.filter((i) => !(state.backlog ?? []).some((b) => b.id === i.id));
      state.backlog = [...(state.backlog ?? []), ...fresh.map((i) => ({ id: i.id, title: i.title, meetingId: action.meetingId }))];
      fact('R-27', { meetingId: action.meetingId, backlog: fresh.map((i) => i.title), shownIn: 'the next strategic meeting\'s prep pack' });
      break;
    }
    case 'proposalReset': {
      // R-78: a live reset "now vs next quarter" within withinDays, from the minimum notice (A-30); merged into a strategic meeting in range (R-21).
      const target = roll(addCalendarDays(localDateOf(at, cal), action.withinDays), cal, localDateOf(at, cal));
      const earliest = minNotice(state, at);
      const step = fireEventTrigger(state, 'proposalReset', action.proposalId, 'R-78', target, at, { title: action.title, presenterRole: action.presenterRole, earliest: earliest < target ? earliest : target, asap: true });
      for (const b of step.book) {
        b.endsAt = iso(ms(b.startsAt) + action.minutes * 60_000);
        b.raci = { ...b.raci, presenter: action.presenterRole };
      }
      merge(out, step);
      break;
    }
    case 'riskReengageRequested': {
      // R-97, R-22: At Risk books through the cadence — merged into a strategic meeting in range (R-21) or its own session,
      // driven by the risk's clocks (no CTA of its own: `ctaKey` names the risk).
      const earliest = minNotice(state, at) > action.earliest ? minNotice(state, at) : action.earliest;
      merge(out, fireEventTrigger(state, 'riskReengage', action.riskId, 'R-97', action.latest, at, {
        earliest: earliest > action.latest ? action.latest : earliest, asap: true, minutes: action.minutes, ctaKey: `risk:${action.riskId}`, ownerRole: action.ownerRole,
      }));
      break;
    }
  }
  return out;
}

/** Moves a booked meeting: its deadlines follow the new time (R-24, R-26); work already done stays done. */
function moveMeeting(state: CadenceState, m: CycleMeeting, startsAt: string, endsAt: string, at: string): CadenceEffect[] {
  const out: CadenceEffect[] = [];
  const cal = calendarOf(state);
  m.startsAt = startsAt;
  m.endsAt = endsAt;
  m.status = 'scheduled';
  const before = { prep: m.prep, preRead: m.preRead };
  // An open prep CTA carries the old due: close it; a fresh one opens for the new date (unless the pack is already attached).
  if (before.prep?.ctaOpened && !before.prep.attachedAt) out.push({ kind: 'ctaResolved', key: prepCtaKey(m), note: `meeting moved to ${startsAt}` });
  openCycle(state, m, at, cal);
  if (m.prep && before.prep) {
    const moves = (before.prep.moves ?? 0) + (before.prep.ctaOpened && !before.prep.attachedAt ? 1 : 0);
    Object.assign(m.prep, {
      ...(moves ? { moves } : {}),
      ...(before.prep.attachedAt ? { attachedAt: before.prep.attachedAt, judged: true, ctaOpened: true } : {}),
      ...(before.prep.signedOffAt ? { signedOffAt: before.prep.signedOffAt } : {}),
    });
  }
  if (m.preRead && before.preRead?.sentAt) Object.assign(m.preRead, { sentAt: before.preRead.sentAt, decisionMakerConfirmed: before.preRead.decisionMakerConfirmed, judged: true });
  out.push({ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { state: 'scheduled', startsAt, endsAt } });
  state.meetings.sort((a, b) => ms(a.startsAt) - ms(b.startsAt));
  return out;
}

/**
 * R-62 (v2): booked planning meetings hang off the FY-end (or the renewal, D): when it changes they
 * move onto the new anchors (on that date, A-22), each with `meeting.moved` and its reason.
 */
function movePlanningMeetings(state: CadenceState, at: string): CadenceEffect[] {
  const out: CadenceEffect[] = [];
  const p = state.setup.policy;
  const cal = calendarOf(state);
  const cycles = new Map<number, PlannedMeeting[]>();
  for (const m of state.meetings.filter((x) => x.kind === 'annualPlanning' && x.status === 'scheduled' && ms(x.startsAt) > ms(at))) {
    const cycle = planningCycleOf(m.key, state.setup.segment, p);
    if (!cycle) continue;
    if (!cycles.has(cycle.year)) cycles.set(cycle.year, planCycle(planInputOf(state.setup), cycle.year, p, cal));
    const planned = cycles.get(cycle.year)!.find((x) => x.key === m.key);
    if (!planned || planned.startsAt === m.startsAt) continue;
    const from = m.startsAt;
    out.push(...moveMeeting(state, m, planned.startsAt, planned.endsAt, at));
    out.push(event('meeting.moved', 'R-62', { meetingId: m.meetingId, fromStartsAt: from, startsAt: planned.startsAt, endsAt: planned.endsAt }, {
      reason: 'its planning anchor moved (fiscal year-end or renewal date changed)', fiscalYearEnd: state.setup.fiscalYearEnd, renewalDate: state.setup.renewalDate, anchorDate: planned.why.anchorDate ?? null,
    }));
  }
  return out;
}

function merge(into: Step, from: Step) {
  into.effects.push(...from.effects);
  into.book.push(...from.book);
}

/**
 * R-26: no decision-maker confirmed → rescope to a short update and book a decision call with the
 * right exec. v2: the meeting shrinks to `meeting.shortUpdateMinutes`, its asks move to a decision
 * call booked within `meeting.decisionCallWithinBusinessDays` after it (A-30 notice), and the
 * rescope shows on the meeting (status and timeline).
 */
function rescope(state: CadenceState, m: CycleMeeting, at: string, callWith?: { stakeholderId: string; name: string }): Step {
  const p = state.setup.policy;
  const reason = 'no decision-maker confirmed by the pre-read (R-26)';
  const cta: CadenceEffect = {
    kind: 'cta', key: `decision-call/${m.key}`, ctaKind: 'decision-call', title: ctaTitle.decisionCall(m.template, m.startsAt, calendarOf(state).timeZone, at, { booked: state.version >= 2, ...(callWith ? { with: callWith.name } : {}) }), ruleId: 'R-26',
    ownerRole: m.raci.presenter ?? m.raci.accountable, dueAt: addElapsedHours(at, p.meeting.firstActionHours), why: { meetingId: m.meetingId, meetingStartsAt: m.startsAt, ...(callWith ? { decisionCallWith: callWith } : {}) },
  };
  if (state.version < 2) {
    return { effects: [{ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { data: { rescoped: 'short update (no decision-maker confirmed, R-26)' } } }, cta], book: [] };
  }
  if (m.rescoped) return none();
  const cal = calendarOf(state);
  const callKey = `decision-call/${m.key}`;
  const endsAt = toIso(iso(ms(m.startsAt) + p.meeting.shortUpdateMinutes * 60_000), cal);
  m.endsAt = endsAt;
  m.graceEndsAt = addElapsedHours(endsAt, p.missedCadence.graceHours, cal);
  m.rescoped = { at, reason, shortUpdateMinutes: p.meeting.shortUpdateMinutes, decisionCall: callKey };
  const meetingDay = localDateOf(m.startsAt, cal);
  const notice = addBusinessDays(localDateOf(at, cal), p.meeting.minNoticeBusinessDays, cal);
  const after = addBusinessDays(meetingDay, 1, cal);
  const earliest = notice > after ? notice : after;
  const latest = addBusinessDays(meetingDay, p.meeting.decisionCallWithinBusinessDays, cal);
  const startsAt = atLocalTime(earliest <= latest ? earliest : latest, p.cadence.recurringSlot.time, cal);
  const owner = m.raci.presenter ?? m.raci.accountable;
  return {
    effects: [
      { kind: 'meetingUpdate', meetingId: m.meetingId, changes: { endsAt, data: { rescoped: { ...m.rescoped, asksMovedTo: callKey } } } },
      event('process.fact_recorded', 'R-26', { fact: 'meetingRescoped', details: { meetingId: m.meetingId, template: m.template, shortUpdateMinutes: p.meeting.shortUpdateMinutes, endsAt, decisionCall: callKey } }, { reason, policyKeys: ['meeting.shortUpdateMinutes', 'meeting.decisionCallWithinBusinessDays', 'meeting.minNoticeBusinessDays'] }),
      cta,
    ],
    book: [{
      key: callKey, kind: 'decisionCall', template: 'Decision Call', strategic: false, mode: m.mode, agenda: ['decisions'],
      raci: { accountable: owner, presenter: owner, recorder: m.raci.recorder, backup: m.raci.backup }, ruleId: 'R-26',
      why: { rescopedMeetingId: m.meetingId, asksFrom: m.template, reason, latestBusinessDays: p.meeting.decisionCallWithinBusinessDays, ...(callWith ? { with: callWith } : {}) },
      startsAt, endsAt: iso(ms(startsAt) + p.cadence.tacticalMinutes * 60_000), placement: 'forward', latest: endOfLocalDay(latest, cal), fallbackAfter: m.startsAt,
    }],
  };
}

/** R-27..R-32 after a held meeting: recap due 48h, a CTA per decision (72h), Decision Log with the credit gate. */
function held(state: CadenceState, m: CycleMeeting, a: Extract<CadenceAction, { type: 'meetingHeld' }>, at: string): CadenceEffect[] {
  const p = state.setup.policy;
  const cal = calendarOf(state);
  const out: CadenceEffect[] = [];
  m.status = 'held';
  m.held = { heldAt: a.heldAt, endedAt: a.endedAt, decisions: a.decisions.length, sponsorPresent: a.sponsorPresent, ...(a.decisionMakerPresent !== undefined ? { decisionMakerPresent: a.decisionMakerPresent } : {}) };
  const recapDueAt = slaDue(state, a.endedAt, p.meeting.recapHours);
  const attendance = a.attendeeStakeholderIds ? { data: { attendeeStakeholderIds: [...a.attendeeStakeholderIds], ...(a.decisionMakerPresent !== undefined ? { decisionMakerPresent: a.decisionMakerPresent } : {}) } } : {};
  out.push({ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { state: 'held', heldAt: a.heldAt, decisionCount: a.decisions.length, sponsorPresent: a.sponsorPresent, ...(m.strategic ? { recapDueAt } : {}), ...attendance } });
  out.push(event('meeting.held', m.strategic ? 'R-27' : 'R-10', { meetingId: m.meetingId, decisions: a.decisions.length, attendees: a.attendees }, { heldAt: a.heldAt, endedAt: a.endedAt, sponsorPresent: a.sponsorPresent, template: m.template }));
  if (m.prep && !m.prep.attachedAt && m.prep.ctaOpened) out.push({ kind: 'ctaResolved', key: prepCtaKey(m), note: 'meeting held' });
  if (!takesDecisions(m)) return out;
  if (m.strategic) {
    state.consecutiveMisses = 0; // §2.5: a held strategic meeting resets the count
    m.recap = { dueAt: recapDueAt, judged: false };
    out.push({
      kind: 'cta', key: `recap/${m.key}`, ctaKind: 'recap', title: ctaTitle.recap(m.template, m.startsAt, cal.timeZone, at), ruleId: 'R-29', ownerRole: m.raci.recorder ?? m.raci.accountable, dueAt: recapDueAt, clock: 'due',
      why: { meetingId: m.meetingId, endedAt: a.endedAt, hours: p.meeting.recapHours, clock: p.calendar.slaClock, escalatesAt: 'due (A-28)', policyKeys: ['meeting.recapHours', 'calendar.slaClock'] },
    });
  }
  // A-26: decision CTAs count from the meeting's end, never from when the report arrives.
  const ctaDue = slaDue(state, a.endedAt, p.meeting.firstActionHours);
  a.decisions.forEach((d, i) => {
    const fields = d.targetDate !== undefined && d.budgetUsd !== undefined;
    // R-32 (v2): owner + date + budget in writing, then the credit gate read at decision time; risk reduction is stability work.
    const verdict = state.version < 2 ? (fields ? 'counted' : 'notCredited') : !fields ? 'notCredited' : d.riskReduction ? 'stabilityWork' : a.creditGate?.closed ? 'deferred' : 'counted';
    const credited = verdict === 'counted';
    const missing = `missing ${[d.targetDate === undefined ? 'target date' : '', d.budgetUsd === undefined ? 'budget' : ''].filter(Boolean).join(' and ')} in writing (R-32)`;
    const owner = d.ownerStakeholder ? { ownerStakeholderId: d.ownerStakeholder.id, ownerName: d.ownerStakeholder.name } : {};
    const initiative = state.version >= 2 && d.initiativeId ? { initiativeId: d.initiativeId } : {};
    out.push(event('decision.logged', 'R-31', { meetingId: m.meetingId, title: d.title, ownerRole: d.ownerRole, ...owner, ...(d.targetDate ? { targetDate: d.targetDate } : {}), ...(d.budgetUsd !== undefined ? { budgetUsd: d.budgetUsd } : {}), credited, ...initiative }, {
      creditRule: 'R-32', ...(fields ? {} : { creditDeferredBecause: missing }),
      ...(state.version >= 2 ? { creditVerdict: verdict, ...(verdict === 'deferred' ? { creditGate: a.creditGate!.reasons } : {}), ...(verdict === 'stabilityWork' ? { stabilityWork: 'risk-reduction item: allowed, logged as stability work, not expansion credit (R-32)' } : {}) } : {}),
    }));
    if (state.version >= 2) {
      out.push({
        kind: 'creditDecision', key: `decision/${m.key}/${i + 1}`, title: d.title, verdict, decidedAt: a.endedAt, meetingId: m.meetingId,
        reasons: verdict === 'deferred' ? [...a.creditGate!.reasons] : verdict === 'notCredited' ? [missing] : verdict === 'stabilityWork' ? ['risk reduction: stability work (R-32)'] : [],
        data: { ownerRole: d.ownerRole, ...(d.targetDate ? { targetDate: d.targetDate } : {}), ...(d.budgetUsd !== undefined ? { budgetUsd: d.budgetUsd } : {}) },
      });
    }
    out.push({
      kind: 'cta', key: `decision/${m.key}/${i + 1}`, ctaKind: 'decision', title: d.title, ruleId: 'R-30', ownerRole: d.ownerRole,
      dueAt: d.targetDate ? endOfLocalDay(d.targetDate, cal) : ctaDue, why: { meetingId: m.meetingId, decision: i + 1, hours: p.meeting.firstActionHours, from: 'meeting end (A-26)', endedAt: a.endedAt, policyKeys: ['meeting.firstActionHours'] },
    });
    if (state.version >= 2) {
      // R-30: an approval still open on d7 after the meeting is chased, due by d10.
      state.chases.push({
        key: `chase/${m.key}/${i + 1}`, decisionCta: `decision/${m.key}/${i + 1}`, title: d.title, ownerRole: d.ownerRole, meetingId: m.meetingId,
        at: addElapsedHours(a.endedAt, p.meeting.chaseDays.from * 24), dueAt: addElapsedHours(a.endedAt, p.meeting.chaseDays.to * 24), done: false,
      });
    }
  });
  if (a.decisions.length > 0) state.lastStrategicDecisionAt = a.endedAt;
  // R-97 (v2): a meeting that carried an At Risk re-engage session tells its risk it was held (the Save Plan clock, R-98).
  if (state.version >= 2) {
    for (const t of state.triggers.filter((x) => x.type === 'riskReengage' && x.meetingKey === m.key)) {
      out.push({ kind: 'riskReport', riskId: t.anchor, action: { type: 'reengageHeld', heldAt: a.heldAt, endedAt: a.endedAt, meetingId: m.meetingId, decisions: a.decisions.map((d) => d.title) } });
    }
  }
  // A-24 (v2): a pending ask ages from the scheduled start of the meeting where it was presented.
  const askedAt = state.version >= 2 ? m.startsAt : a.endedAt;
  for (const u of a.undecided) state.pendingDecisions.push({ title: u.title, ownerRole: u.ownerRole, since: askedAt, checkpointDate: u.checkpointDate, meetingId: m.meetingId, fired: false });
  return out;
}

/**
 * §2.2, R-12 (v2): plans the non-meeting touches due in (from, through the end of `throughMonth`]
 * (domain/deliverables-plan.ts) into the state, once each: at lock for the booked horizon, then for
 * each month the horizon rolls on, and again from a segment change (R-9).
 */
export function planTouches(state: CadenceState, after: string | { month: string }, throughMonth: string): void {
  if (state.version < 2) return;
  const cal = calendarOf(state);
  const monthEnd = (month: string) => endOfLocalDay(DateTime.fromISO(`${month}-01`, { zone: 'utc' }).endOf('month').toISODate()!, cal);
  const from = typeof after === 'string' ? after : monthEnd(after.month);
  const to = monthEnd(throughMonth);
  const planned = planDeliverables({ segment: state.setup.segment, fiscalYearEnd: state.setup.fiscalYearEnd, from, to }, state.setup.policy, cal);
  for (const d of planned) {
    if (state.deliverables.some((x) => x.key === d.key)) continue;
    const periodStart = atLocalTime(d.period.startDate, cal.dayStart, cal);
    state.deliverables.push({
      key: d.key, kind: d.kind, title: d.title, openAt: ms(periodStart) > ms(from) ? periodStart : from, dueAt: d.dueAt, ownerRole: d.ownerRole, ruleId: d.ruleId,
      optional: d.optional, opened: false, format: [...d.format], contents: [...d.contents],
    });
  }
}

/** R-63 (v2): when a cycle's first meeting is held, every meeting of the next cycle is booked at once on its anchors (R-62). */
function bookNextCycle(state: CadenceState, m: CycleMeeting): Step {
  const out = none();
  if (m.kind !== 'annualPlanning') return out;
  const p = state.setup.policy;
  const cycle = planningCycleOf(m.key, state.setup.segment, p);
  if (!cycle?.first) return out;
  for (const next of planCycle(planInputOf(state.setup), cycle.year + 1, p, calendarOf(state))) {
    if (state.meetings.some((x) => x.key === next.key)) continue;
    out.book.push({ ...bookingOf(next), why: { ...next.why, bookedBecause: `${m.template} of cycle ${cycle.year} held (R-63)` } });
  }
  return out;
}

/** What the cadence planner (domain/cadence-plan.ts) needs of the client. */
export function planInputOf(s: CadenceSetup) {
  return { segment: s.segment, touchTier: s.touchTier, fiscalYearEnd: s.fiscalYearEnd, renewalDate: s.renewalDate, lockedAt: s.lockedAt };
}

/** A planned meeting as a booking request (placed forward from its date; anchored kinds ignore preferences, A-22). */
export function bookingOf(m: PlannedMeeting): BookingRequest {
  return {
    key: m.key, kind: m.kind, template: m.template, strategic: m.strategic, mode: m.mode, agenda: [...m.agenda], raci: { ...m.raci },
    ruleId: m.ruleId, why: m.why, startsAt: m.startsAt, endsAt: m.endsAt, placement: 'forward',
  };
}

function slaDue(state: CadenceState, from: string, hours: number): string {
  const cal = calendarOf(state);
  return state.setup.policy.calendar.slaClock === 'business' ? addBusinessHours(from, hours, cal) : addElapsedHours(from, hours, cal);
}

function closeCycleCtas(m: CycleMeeting, why: string): CadenceEffect[] {
  return m.prep?.ctaOpened && !m.prep.attachedAt ? [{ kind: 'ctaResolved', key: prepCtaKey(m), note: why }] : [];
}

/** The prep-pack CTA of a meeting at its current date: a move opens a fresh one with the new due (R-24). */
function prepCtaKey(m: CycleMeeting): string {
  return m.prep?.moves ? `prep/${m.key}/moved-${m.prep.moves}` : `prep/${m.key}`;
}

/**
 * §2.5 miss and R-33..R-35 recovery. Only strategic meetings count; the Nth consecutive miss
 * rebooks (1st, R-33), re-engages with an At Risk record and a reset session (2nd, R-34/R-17), or
 * opens the segmentation & cadence review and stops automatic rebooking (3rd, R-35).
 */
function missed(state: CadenceState, m: CycleMeeting, outcome: MeetingOutcome, at: string, opts: { noRebook?: boolean } = {}): Step {
  const p = state.setup.policy;
  const cal = calendarOf(state);
  const out = none();
  const verdict = classifyOutcome(m, outcome, p, { replanAhead: state.version >= 2 });
  if (!verdict.miss) return out;
  m.status = 'missed';
  out.effects.push({ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { state: 'missed' } });
  out.effects.push(...closeCycleCtas(m, 'meeting missed'));
  if (!m.strategic) {
    out.effects.push(event('meeting.missed', '§2.5', { meetingId: m.meetingId, reason: verdict.reason }, { why: verdict.why, strategic: false }));
    return out;
  }
  state.consecutiveMisses += 1;
  const n = state.consecutiveMisses;
  out.effects.push(event('meeting.missed', '§2.5', { meetingId: m.meetingId, reason: verdict.reason, consecutiveMisses: n }, { why: verdict.why, template: m.template }));
  const rec = recoveryFor({ consecutiveMisses: n, missed: { startsAt: m.startsAt, endsAt: m.endsAt }, missedAt: at }, p, cal);
  if (rec.kind === 'rebook') {
    if (state.autoRebookSuspended || opts.noRebook) return out;
    // R-33: the activity places the rebook (+7 d, or the latest earlier slot when that day is not a business day or the owner is at capacity).
    out.book.push({
      key: `${m.key}/rebook`, kind: 'rebook', template: m.template, strategic: true, mode: m.mode, agenda: m.agenda, raci: m.raci, ruleId: 'R-33',
      why: { missedMeetingId: m.meetingId, consecutiveMisses: n }, startsAt: m.startsAt, endsAt: m.endsAt, placement: 'rebook',
      missed: { startsAt: m.startsAt, endsAt: m.endsAt, missedAt: at, consecutiveMisses: n }, replaces: m.key,
    });
  } else if (rec.kind === 'reengage') {
    // R-34: Re-engage CTA (72h) + At Risk (Strategic, Medium) with that CTA as first action + the R-17 reset ≤7 d.
    const ctaKey = `reengage/${m.key}`;
    out.effects.push({
      kind: 'cta', key: ctaKey, ctaKind: 'reengage-stakeholders', title: 'Re-engage stakeholders: two strategic meetings missed in a row', ruleId: 'R-34',
      ownerRole: p.triggers.owners.engagementDrop, dueAt: rec.ctaDueAt, why: rec.why,
    });
    if (state.version >= 2) {
      // R-93 (v2): the At Risk process opens the risk (Strategic; severity from impact × likelihood, default Medium) or appends to the open one.
      out.effects.push({ kind: 'riskSignal', key: `strategic/${m.key}`, trigger: `${n} consecutive missed strategic meetings`, bucket: rec.risk.bucket, ruleId: 'R-34', evidence: { consecutiveMisses: n, meetingId: m.meetingId, missedAt: at, ...rec.why } as Record<string, unknown>, firstActionCta: ctaKey });
    } else {
      out.effects.push(event('risk.opened', 'R-34', { riskId: `${state.setup.clientId}/strategic/${m.key}`, bucket: rec.risk.bucket, severity: rec.risk.severity, trigger: `${n} consecutive missed strategic meetings` }, { firstActionCta: ctaKey, ...rec.why }));
    }
    merge(out, fireEngagementDrop(state, `misses:${m.key}`, localDateOf(rec.resetBy, cal), at, { cause: 'consecutiveMisses', consecutiveMisses: n }, m.key, ctaKey));
  } else if (rec.kind === 'cadenceReview') {
    state.autoRebookSuspended = true;
    out.effects.push({
      kind: 'cta', key: 'cadence-review', ctaKind: 'cadence-review', title: 'Segmentation & cadence review: downgrade cadence or executive reset', ruleId: 'R-35',
      ownerRole: 'CS Lead', dueAt: rec.reviewDueAt, why: rec.why,
    });
  } else {
    out.effects.push(event('process.fact_recorded', 'R-35', { fact: 'noAutoRebook', details: { meetingId: m.meetingId, consecutiveMisses: n } }, rec.why));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Triggers (R-13..R-21)

/**
 * Each trigger's meeting (A-27: R-13, R-14, R-15 and R-17 meetings are strategic and run the full
 * cycle; R-16 and R-18 are not) and what it adds to a meeting it merges into (R-21): its agenda
 * block and prep items.
 */
const TRIGGER_SPEC: Record<TriggerType, { template: string; strategic: boolean; ruleId: string; agenda: string; prepItems: string[] }> = {
  renewal: { template: 'Renewal Review', strategic: true, ruleId: 'R-13', agenda: 'renewal', prepItems: ['renewal terms and value recap'] },
  fiscalYearEnd: { template: 'Budget Session', strategic: true, ruleId: 'R-14', agenda: 'budget', prepItems: ['budget snapshot (totals by quarter, OpEx/CapEx, top 3 risks, ≤2 decision flags)'] },
  assessmentCompleted: { template: 'Roadmap Review', strategic: true, ruleId: 'R-15', agenda: 'roadmap', prepItems: ['assessment findings mapped to initiatives'] },
  initiativeApproved: { template: 'Delivery Kickoff', strategic: false, ruleId: 'R-16', agenda: 'delivery kickoff', prepItems: ['initiative card and PM assignment'] },
  engagementDrop: { template: 'Reset Session', strategic: true, ruleId: 'R-17', agenda: 'reset', prepItems: ['2-line value recap', 'executive sponsor invited'] },
  adoptionBelowThreshold: { template: 'Remediation Sync', strategic: false, ruleId: 'R-18', agenda: 'adoption remediation', prepItems: ['adoption figures against the thresholds'] },
  stakeholderChange: { template: 'New-Sponsor Intro', strategic: false, ruleId: 'R-19', agenda: 'new sponsor introduction', prepItems: ['1-page value recap', 'decision rights to confirm'] },
  // A-27: reset sessions are strategic.
  proposalReset: { template: 'Proposal Reset', strategic: true, ruleId: 'R-78', agenda: 'proposal: now vs next quarter', prepItems: ['the proposal\'s Executive Decision Sheet: now vs next quarter'] },
  riskReengage: { template: 'Executive Re-engage', strategic: true, ruleId: 'R-97', agenda: 'executive re-engage', prepItems: ['facts-only Snapshot', 'root-cause hypothesis', 'two decisions to ask'] },
};

function triggerOwner(state: CadenceState, type: TriggerType): Role {
  const p = state.setup.policy;
  const po = p.raci[state.setup.segment].processOwners;
  switch (type) {
    case 'renewal': return p.triggers.owners.renewal;
    case 'fiscalYearEnd':
    case 'assessmentCompleted': return po.dateTriggerOwner;
    case 'initiativeApproved': return p.triggers.owners.deliveryKickoff;
    case 'engagementDrop': return p.triggers.owners.engagementDrop;
    case 'adoptionBelowThreshold': return p.triggers.owners.adoption;
    case 'stakeholderChange': return p.triggers.owners.stakeholderChange;
    case 'proposalReset': return p.proposals.reengageOwner;
    case 'riskReengage': return p.raci[state.setup.segment].atRisk.presenter;
  }
}

/** R-21: a strategic meeting of the client scheduled in [fire time, end of the target date] takes the trigger. */
function mergeTarget(state: CadenceState, fireAt: string, targetDate: LocalDate): CycleMeeting | undefined {
  const end = ms(endOfLocalDay(targetDate, calendarOf(state)));
  return state.meetings.find((m) => m.strategic && m.status === 'scheduled' && ms(m.startsAt) >= ms(fireAt) && ms(m.startsAt) < end);
}

function triggerFiredEffects(state: CadenceState, t: TriggerState, m: CycleMeeting | undefined, merged: boolean, at: string): CadenceEffect[] {
  const p = state.setup.policy;
  const spec = TRIGGER_SPEC[t.type];
  const fired = event('trigger.fired', t.ruleId, { trigger: t.type, anchor: t.anchor, targetDate: t.targetDate, merged, meetingId: m?.meetingId ?? null }, {
    fireAt: t.fireAt, ...(merged ? { mergeRule: 'R-21', into: m?.template, agendaBlock: spec.agenda, prepItems: spec.prepItems } : {}), ...(t.ctaKey ? { cta: t.ctaKey, oneCta: 'R-34' } : {}), policyKeys: ['triggers.*'],
  });
  // R-34: a reset that stands for the second miss is driven by the Re-engage CTA; it opens no second CTA.
  const out: CadenceEffect[] = t.ctaKey ? [fired] : [
    fired,
    {
      kind: 'cta', key: `trigger/${t.key}`, ctaKind: `trigger-${t.type}`, title: ctaTitle.trigger(spec.template, t.type, t.anchor, calendarOf(state).timeZone, at, merged && m ? m : undefined), ruleId: t.ruleId,
      ownerRole: triggerOwner(state, t.type), dueAt: t.type === 'stakeholderChange' ? addElapsedHours(at, p.triggers.stakeholderChange.handoffNoteHours) : addElapsedHours(at, p.meeting.firstActionHours),
      why: { trigger: t.type, anchor: t.anchor, targetDate: t.targetDate, meetingId: m?.meetingId ?? null, firstActionHours: p.meeting.firstActionHours },
      data: m ? { meetingId: m.meetingId } : {},
    },
  ];
  if (merged && m) {
    // R-21: the trigger's agenda block and prep items join the meeting it merged into.
    m.agendaBlocks.push(t.key);
    if (!m.agenda.includes(spec.agenda)) m.agenda = [...m.agenda, spec.agenda];
    m.prepItems = [...new Set([...(m.prepItems ?? []), ...spec.prepItems])];
    out.push({ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { data: { agendaBlocks: [...m.agendaBlocks], agenda: [...m.agenda], prepItems: [...m.prepItems] } } });
  }
  return out;
}

/** Fires a trigger now: merge into a strategic meeting in range (R-21) or book its own meeting. */
function fire(state: CadenceState, t: TriggerState, at: string, opts: { earliest?: LocalDate; minutes?: number; asap?: boolean } = {}): Step {
  const out = none();
  const p = state.setup.policy;
  const cal = calendarOf(state);
  t.state = 'fired';
  t.fireAt = ms(t.fireAt) > ms(at) ? t.fireAt : at;
  const into = mergeTarget(state, at, t.targetDate);
  if (into) {
    t.meetingKey = into.key;
    out.effects.push(...triggerFiredEffects(state, t, into, true, at));
    return out;
  }
  const spec = TRIGGER_SPEC[t.type];
  const minutes = opts.minutes ?? (spec.strategic ? p.cadence.strategicMinutes : p.cadence.tacticalMinutes);
  const seg = state.setup.segment;
  const owner = triggerOwner(state, t.type);
  // "Within N days" triggers (R-16) book as early as possible; dated ones (R-13..R-15, R-18, R-19) on their target date.
  const date = opts.earliest && (opts.asap || opts.earliest > t.targetDate) ? opts.earliest : t.targetDate;
  const startsAt = atLocalTime(date, p.cadence.recurringSlot.time, cal);
  const raci: Raci = spec.strategic && p.raci[seg].strategic
    ? { ...p.raci[seg].strategic!, accountable: owner === 'AM' ? 'AM' : p.raci[seg].strategic!.accountable }
    : { accountable: owner, presenter: owner, recorder: null, backup: p.raci[seg].cadenceBackup };
  out.book.push({
    key: `trigger/${t.key}`, kind: t.type === 'engagementDrop' ? 'reset' : 'trigger', template: spec.template, strategic: spec.strategic,
    mode: p.cadence[seg].strategic.mode[0] ?? 'live', agenda: [spec.agenda],
    raci, ruleId: t.ruleId, why: { trigger: t.type, anchor: t.anchor, targetDate: t.targetDate, prepItems: spec.prepItems }, startsAt, endsAt: iso(ms(startsAt) + minutes * 60_000),
    placement: 'forward', latest: endOfLocalDay(t.targetDate > date ? t.targetDate : date, cal), trigger: t.key,
    ...(date !== t.targetDate ? { fallbackAfter: at } : {}),
  });
  return out;
}

function fireEventTrigger(state: CadenceState, type: TriggerType, anchor: string, ruleId: string, targetDate: LocalDate, at: string, details: Record<string, unknown> & { earliest?: LocalDate; asap?: boolean; ctaKey?: string } = {}): Step {
  const key = `${type}:${anchor}`;
  const existing = state.triggers.find((t) => t.key === key && (t.state === 'fired' || t.state === 'planned'));
  if (existing) {
    // One active trigger per (type, anchor) (R-21); a repeat appends evidence (R-124).
    existing.evidence += 1;
    return { effects: [event('process.fact_recorded', 'R-124', { fact: 'triggerEvidence', details: { trigger: type, anchor, evidence: existing.evidence, ...stripEarliest(details) } })], book: [] };
  }
  const t: TriggerState = { key, type, anchor, ruleId, targetDate, fireAt: at, state: 'planned', evidence: 1, ...(details.ctaKey ? { ctaKey: details.ctaKey } : {}) };
  if (type === 'adoptionBelowThreshold') t.fixBy = addElapsedHours(at, state.setup.policy.triggers.adoptionFixDays * 24, calendarOf(state));
  state.triggers = state.triggers.filter((x) => x.key !== key);
  state.triggers.push(t);
  return fire(state, t, at, {
    ...(details.earliest ? { earliest: details.earliest, asap: details.asap === true } : {}),
    ...(typeof details.minutes === 'number' ? { minutes: details.minutes } : {}),
  });
}

const stripEarliest = ({ earliest: _e, asap: _a, ctaKey: _c, minutes: _m, ...rest }: Record<string, unknown>) => rest;

/** R-17 engagement drop → 30-min reset session ≤7 d (merged into a strategic meeting in range, R-21). */
function fireEngagementDrop(state: CadenceState, anchor: string, resetBy: LocalDate, at: string, cause: Record<string, unknown>, replaces?: string, ctaKey?: string): Step {
  const cal = calendarOf(state);
  if (state.version >= 2) {
    // A-24: one engagement-drop play per account while it is open; a further drop condition appends evidence (R-124).
    const open = state.triggers.find((t) => t.type === 'engagementDrop' && t.state === 'fired' && !resetDone(state, t));
    if (open) {
      open.evidence += 1;
      return { effects: [event('process.fact_recorded', 'R-124', { fact: 'triggerEvidence', details: { trigger: 'engagementDrop', anchor: open.anchor, evidence: open.evidence, newCause: anchor, ...cause } }, { rule: 'A-24' })], book: [] };
    }
  }
  const earliest = minNotice(state, at);
  const step = fireEventTrigger(state, 'engagementDrop', anchor, 'R-17', resetBy, at, { ...cause, earliest: earliest > resetBy ? resetBy : earliest, ...(ctaKey ? { ctaKey } : {}) });
  for (const b of step.book) {
    // A-30: the reset takes the first allowed slot from the minimum notice, no later than resetBy.
    b.startsAt = atLocalTime(earliest > resetBy ? resetBy : earliest, state.setup.policy.cadence.recurringSlot.time, cal);
    b.endsAt = iso(ms(b.startsAt) + state.setup.policy.triggers.resetMinutes * 60_000);
    b.latest = endOfLocalDay(resetBy, cal);
    b.fallbackAfter = at;
    if (replaces) b.replaces = replaces;
  }
  return step;
}

/** A-30: the earliest date a "within N days" meeting may take: `meeting.minNoticeBusinessDays` after its cause. */
function minNotice(state: CadenceState, at: string): LocalDate {
  const cal = calendarOf(state);
  return addBusinessDays(localDateOf(at, cal), state.setup.policy.meeting.minNoticeBusinessDays, cal);
}

/** Whether an engagement-drop play is over: its reset meeting happened (held, missed or cancelled). */
function resetDone(state: CadenceState, t: TriggerState): boolean {
  const m = t.meetingKey ? state.meetings.find((x) => x.key === t.meetingKey) : undefined;
  return m !== undefined && m.status !== 'scheduled' && m.status !== 'unbooked';
}

/**
 * R-13, R-14: the date triggers of the next occurrences whose fire instant lies within the horizon.
 * Fire at 09:00, 10 bd before the target (A-13); learned late but before the date → fire now
 * (R-14: meet within 10 bd and at least 1 bd before the FY-end).
 */
export function planDateTriggers(state: CadenceState, at: string): Step {
  const out = none();
  const p = state.setup.policy.triggers;
  const cal = calendarOf(state);
  const today = localDateOf(at, cal);
  const horizonEnd = endOfLocalDay(`${state.bookedThrough}-28`, cal);
  const years = [0, 1, 2].map((i) => Number(today.slice(0, 4)) + i);
  const anchors: { type: 'renewal' | 'fiscalYearEnd'; anchor: string; target: LocalDate; ruleId: string }[] = [];
  for (const y of years) {
    const fy = monthDayIn(y, state.setup.fiscalYearEnd);
    anchors.push({ type: 'fiscalYearEnd', anchor: fy, target: roll(addCalendarDays(fy, p.fyEndOffsetDays), cal), ruleId: 'R-14' });
    if (state.setup.renewalDate) {
      const r = monthDayIn(y, state.setup.renewalDate.slice(5));
      if (r >= state.setup.renewalDate) anchors.push({ type: 'renewal', anchor: r, target: roll(addCalendarDays(r, p.renewalOffsetDays), cal), ruleId: 'R-13' });
    }
  }
  for (const a of anchors) {
    const key = `${a.type}:${a.anchor}`;
    if (state.triggers.some((t) => t.key === key && t.state !== 'withdrawn')) continue;
    if (a.anchor <= today) continue; // the date itself has passed
    const fireAt = atLocalTime(addBusinessDays(a.target, -p.leadBusinessDays, cal), p.fireAt, cal);
    if (ms(fireAt) > ms(horizonEnd)) continue;
    const t: TriggerState = { key, type: a.type, anchor: a.anchor, ruleId: a.ruleId, targetDate: a.target, fireAt, state: 'planned', evidence: 1 };
    if (ms(fireAt) <= ms(at)) {
      // Learned late (R-14): meet within `lateFyMeetWithinBusinessDays`, at least `lateFyMinBusinessDaysBeforeFyEnd` before the date.
      const latest = addBusinessDays(a.anchor, -p.lateFyMinBusinessDaysBeforeFyEnd, cal);
      const within = addBusinessDays(today, p.lateFyMeetWithinBusinessDays, cal);
      const target = a.target > today ? a.target : within < latest ? within : latest;
      if (target <= today) continue;
      t.targetDate = target;
      t.fireAt = at;
      state.triggers.push(t);
      out.effects.push(event('trigger.replanned', a.ruleId, { trigger: a.type, before: null, after: { anchor: a.anchor, fireAt: at } }, { lateDiscovery: true, target, rule: 'R-14' }));
      // Target still ahead: met on it. Passed: a "within N days" meeting, from the minimum notice (A-30).
      merge(out, fire(state, t, at, { earliest: addBusinessDays(today, state.setup.policy.meeting.minNoticeBusinessDays, cal), asap: a.target <= today }));
      continue;
    }
    state.triggers.push(t);
    out.effects.push(event('deadline.set', a.ruleId, { deadline: `trigger.${a.type}.fires`, dueAt: fireAt, clock: 'businessDays' }, { anchor: a.anchor, targetDate: a.target, leadBusinessDays: p.leadBusinessDays, fireAtTime: p.fireAt, policyKeys: [a.type === 'renewal' ? 'triggers.renewalOffsetDays' : 'triggers.fyEndOffsetDays', 'triggers.leadBusinessDays', 'triggers.fireAt'] }));
  }
  return out;
}

function monthDayIn(year: number, monthDay: string): LocalDate {
  const [m, d] = monthDay.split('-').map(Number) as [number, number];
  const dt = DateTime.fromObject({ year, month: m, day: 1 }, { zone: 'utc' });
  return dt.set({ day: Math.min(d, dt.daysInMonth!) }).toISODate()!;
}

/** Renewal date or FY-end changed: withdraw planned date triggers (and their unheld meetings) that no longer match, plan the new ones (R-13, R-14). */
function replanDateTriggers(state: CadenceState, at: string): Step {
  const out = none();
  const withdrawn: TriggerState[] = [];
  for (const t of state.triggers) {
    if (t.type !== 'renewal' && t.type !== 'fiscalYearEnd') continue;
    if (t.state !== 'planned' && t.state !== 'fired') continue;
    const md = t.anchor.slice(5);
    const current = t.type === 'renewal' ? state.setup.renewalDate?.slice(5) : state.setup.fiscalYearEnd;
    if (md === current) continue;
    const m = t.meetingKey ? state.meetings.find((x) => x.key === t.meetingKey) : undefined;
    if (t.state === 'fired' && m && m.status !== 'scheduled') continue; // already happened
    const wasFired = t.state === 'fired';
    t.state = 'withdrawn';
    withdrawn.push(t);
    if (m && m.key === `trigger/${t.key}`) {
      m.status = 'cancelled';
      out.effects.push({ kind: 'meetingUpdate', meetingId: m.meetingId, changes: { state: 'cancelled' } });
      out.effects.push(event('meeting.cancelled', t.ruleId, { meetingId: m.meetingId, reason: `its ${t.type} date changed; re-planned` }));
    }
    if (wasFired) out.effects.push({ kind: 'ctaResolved', key: `trigger/${t.key}`, note: `${t.type} date changed; trigger re-planned` });
  }
  const before = new Set(state.triggers.map((t) => t.key));
  const planned = planDateTriggers(state, at);
  const fresh = state.triggers.filter((t) => !before.has(t.key)).sort((a, b) => ms(a.fireAt) - ms(b.fireAt));
  for (const w of withdrawn) {
    // The replacement is the first newly planned trigger of the same type (the date may have moved across a year end).
    const successor = fresh.find((t) => t.type === w.type);
    out.effects.push(event('trigger.replanned', w.ruleId, { trigger: w.type as 'renewal' | 'fiscalYearEnd', before: { anchor: w.anchor, fireAt: w.fireAt }, after: successor ? { anchor: successor.anchor, fireAt: successor.fireAt } : null }, { at }));
  }
  merge(out, planned);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Deadlines

export interface Due { key: string; at: string }

/** The next instant the cadence must act at, if any. */
export function nextDue(state: CadenceState): Due | undefined {
  const p = state.setup.policy;
  const dues: Due[] = [{ key: 'horizon', at: nextExtensionAt(state) }];
  for (const m of state.meetings) {
    if (m.status === 'scheduled' && m.strategic) {
      if (m.prep && !m.prep.ctaOpened) dues.push({ key: `prepOpen|${m.key}`, at: m.prep.openAt });
      if (m.prep && !m.prep.judged) dues.push({ key: `prepDue|${m.key}`, at: m.prep.dueAt });
      if (m.preRead && !m.preRead.judged) dues.push({ key: `preRead|${m.key}`, at: m.preRead.dueAt });
      if (m.graceEndsAt) dues.push({ key: `grace|${m.key}`, at: m.graceEndsAt });
    }
    if (m.status === 'held' && m.recap && !m.recap.sentAt && !m.recap.judged) dues.push({ key: `recap|${m.key}`, at: m.recap.dueAt });
  }
  for (const t of state.triggers) {
    if (t.state === 'planned') dues.push({ key: `fire|${t.key}`, at: t.fireAt });
    if (t.state === 'fired' && t.fixBy && !t.fixJudged) dues.push({ key: `fix|${t.key}`, at: t.fixBy });
  }
  for (const c of state.chases) if (!c.done) dues.push({ key: `chase|${c.key}`, at: c.at });
  for (const d of state.deliverables) if (!d.opened) dues.push({ key: `deliverable|${d.key}`, at: d.openAt });
  const droughtDays = p.triggers.decisionDroughtDays;
  for (const d of state.pendingDecisions) if (!d.fired) dues.push({ key: `pending|${d.title}`, at: addElapsedHours(d.since, droughtDays * 24) });
  if (p.triggers.strategicDroughtSegments.includes(state.setup.segment) && state.droughtFiredFor !== state.lastStrategicDecisionAt) {
    dues.push({ key: 'drought', at: addElapsedHours(state.lastStrategicDecisionAt, droughtDays * 24) });
  }
  dues.sort((a, b) => ms(a.at) - ms(b.at) || a.key.localeCompare(b.key));
  return dues[0];
}

/** What happens when a due instant arrives (the horizon extension itself is done by the workflow through the activity). */
export function due(state: CadenceState, key: string, now: string): Step {
  const p = state.setup.policy;
  const cal = calendarOf(state);
  const out = none();
  const [kind, ref] = splitKey(key);
  const m = state.meetings.find((x) => x.key === ref);
  switch (kind) {
    case 'prepOpen': {
      m!.prep!.ctaOpened = true;
      // R-27 (v2): the backlog flagged for the next cadence goes into this prep pack, once.
      const backlog = state.version >= 2 ? (state.backlog ?? []).filter((b) => !b.shownIn && b.meetingId !== m!.meetingId) : [];
      for (const b of backlog) b.shownIn = m!.meetingId;
      if (backlog.length) m!.prepItems = [...new Set([...(m!.prepItems ?? []), ...backlog.map((b) => `backlog: ${b.title}`)])];
      out.effects.push({
        kind: 'cta', key: prepCtaKey(m!), ctaKind: 'prep-pack', title: ctaTitle.prepPack(m!.template, m!.startsAt, cal.timeZone, now), ruleId: 'R-24',
        ownerRole: m!.raci.recorder ?? m!.raci.accountable, dueAt: m!.prep!.dueAt, data: { meetingId: m!.meetingId, ...(m!.prepItems?.length ? { prepItems: [...m!.prepItems] } : {}), ...(backlog.length ? { backlog: backlog.map((b) => ({ id: b.id, title: b.title, fromMeetingId: b.meetingId })) } : {}) }, clock: 'due',
        why: { meetingId: m!.meetingId, meetingStartsAt: m!.startsAt, late: m!.prep!.late, rule: m!.prep!.late ? 'C-4: booked inside T-5 bd → previous business day 17:00' : 'R-24: T-5 bd 17:00', policyKeys: ['meeting.prepPackBusinessDays', 'meeting.prepPackDueTime', 'meeting.prepCtaLeadBusinessDays'], ...(backlog.length ? { backlogRule: 'R-27' } : {}) },
      });
      break;
    }
    case 'prepDue':
      m!.prep!.judged = true;
      if (!m!.prep!.attachedAt) out.effects.push(event('deadline.missed', 'R-24', { deadline: `prepPack|${m!.meetingId}`, dueAt: m!.prep!.dueAt, ...lateBy(m!.prep!.dueAt, now) }, { meetingId: m!.meetingId, template: m!.template }));
      break;
    case 'preRead':
      m!.preRead!.judged = true;
      if (!m!.preRead!.sentAt) {
        // R-26: no pre-flight by start − 48h means no confirmed decision-maker: rescope.
        out.effects.push(event('deadline.missed', 'R-26', { deadline: `preRead|${m!.meetingId}`, dueAt: m!.preRead!.dueAt, ...lateBy(m!.preRead!.dueAt, now) }, { meetingId: m!.meetingId }));
        merge(out, rescope(state, m!, now));
      }
      break;
    case 'grace':
      // §2.5, A-13: not marked held within the grace after the scheduled end.
      merge(out, missed(state, m!, { kind: 'unmarked' }, now));
      break;
    case 'recap':
      m!.recap!.judged = true;
      out.effects.push(event('deadline.missed', 'R-29', { deadline: `recap|${m!.meetingId}`, dueAt: m!.recap!.dueAt, ...lateBy(m!.recap!.dueAt, now) }, { meetingId: m!.meetingId }));
      break;
    case 'fire': {
      const t = state.triggers.find((x) => x.key === ref)!;
      merge(out, fire(state, t, now));
      break;
    }
    case 'fix': {
      const t = state.triggers.find((x) => x.key === ref)!;
      t.fixJudged = true;
      out.effects.push(event('deadline.missed', 'R-18', { deadline: `adoptionFix|${t.anchor}`, dueAt: t.fixBy!, ...lateBy(t.fixBy!, now) }, { fixDays: p.triggers.adoptionFixDays, gate: 'R-121 fix-first gate stays shut' }));
      break;
    }
    case 'pending': {
      const d = state.pendingDecisions.find((x) => x.title === ref)!;
      d.fired = true;
      merge(out, fireEngagementDrop(state, `pending:${d.title}`, addCalendarDays(localDateOf(now, cal), p.triggers.resetWithinDays), now, { cause: 'decisionPending', since: d.since, days: p.triggers.decisionDroughtDays }));
      break;
    }
    case 'chase': {
      // R-30: chase an approval still open on d7 (the CTA opens only while the decision's CTA is open).
      const c = state.chases.find((x) => x.key === ref)!;
      c.done = true;
      out.effects.push({
        kind: 'cta', key: c.key, ctaKind: 'chase-approval', title: ctaTitle.chase(c.title), ruleId: 'R-30', ownerRole: c.ownerRole, dueAt: c.dueAt,
        onlyWhileOpen: c.decisionCta, data: { meetingId: c.meetingId },
        why: { meetingId: c.meetingId, decisionCta: c.decisionCta, chaseDays: { ...p.meeting.chaseDays }, policyKeys: ['meeting.chaseDays'] },
      });
      break;
    }
    case 'deliverable': {
      // §2.2, R-12: a non-meeting touch (auto report, digital touch, async update) becomes its owner's CTA for its period;
      // it escalates at its due instant if not done (A-28), an optional one not at all.
      const d = state.deliverables.find((x) => x.key === ref)!;
      d.opened = true;
      out.effects.push({
        kind: 'cta', key: `deliverable/${d.key}`, ctaKind: `deliverable-${d.kind}`, title: d.title, ruleId: d.ruleId, ownerRole: d.ownerRole, dueAt: d.dueAt,
        clock: d.optional ? 'none' : 'due', data: { deliverable: d.key, format: d.format, contents: d.contents },
        why: { optional: d.optional, opensAt: d.openAt, policyKeys: [`cadence.${state.setup.segment}.tactical.${d.kind}`, 'deliverables.touchDueBusinessDay', 'deliverables.touchDueTime'] },
      });
      break;
    }
    case 'drought':
      state.droughtFiredFor = state.lastStrategicDecisionAt;
      merge(out, fireEngagementDrop(state, `drought:${localDateOf(state.lastStrategicDecisionAt, cal)}`, addCalendarDays(localDateOf(now, cal), p.triggers.resetWithinDays), now, { cause: 'noStrategicDecision', since: state.lastStrategicDecisionAt, days: p.triggers.decisionDroughtDays, rule: 'A-7' }));
      break;
  }
  return out;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('|');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

const lateBy = (dueAt: string, now: string) => (ms(now) - ms(dueAt) > 60_000 ? { lateByMs: ms(now) - ms(dueAt) } : {});

// ---------------------------------------------------------------------------------------------
// Segment change (R-9), applied from the activity's diff

export interface SegmentChangeResult {
  segment: CadenceSegment;
  touchTier: TouchTier;
  restyled: { key: string; template: string; mode: MeetingMode; raci: Raci; agenda: string[] }[];
  cancelled: string[];
  booked: BookedMeeting[];
}

export function applySegmentChange(state: CadenceState, r: SegmentChangeResult, at: string): Step {
  state.setup = { ...state.setup, segment: r.segment, touchTier: r.touchTier };
  // v2: the new segment's touches replace the old one's not yet opened (R-9).
  state.deliverables = state.deliverables.filter((d) => d.opened);
  planTouches(state, at, state.bookedThrough);
  for (const x of r.restyled) {
    const m = state.meetings.find((y) => y.key === x.key);
    if (m) Object.assign(m, { template: x.template, mode: x.mode, raci: x.raci, agenda: x.agenda });
  }
  const out = none();
  for (const key of r.cancelled) {
    const m = state.meetings.find((y) => y.key === key);
    if (!m) continue;
    out.effects.push(...closeCycleCtas(m, 'cancelled by the segment change (R-9)'));
    m.status = 'cancelled';
  }
  merge(out, applyBooked(state, r.booked, at));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Continue-as-new and status

/** What carries into the next run: open obligations and recent history only (bounded). */
export function carryOver(state: CadenceState, now: string): Partial<CadenceState> {
  const keepAfter = ms(now) - 120 * 24 * HOUR_MS;
  return {
    meetings: state.meetings.filter((m) => m.status === 'scheduled' || m.status === 'unbooked' || ms(m.startsAt) >= keepAfter || (m.recap && !m.recap.sentAt && !m.recap.judged)),
    consecutiveMisses: state.consecutiveMisses,
    autoRebookSuspended: state.autoRebookSuspended,
    bookedThrough: state.bookedThrough,
    // Planned triggers, active adoption triggers (they clear) and the recent rest (for one-active-per-anchor, R-21).
    triggers: state.triggers.filter((t) => t.state === 'planned' || (t.state === 'fired' && t.type === 'adoptionBelowThreshold') || ms(t.fireAt) >= keepAfter),
    pendingDecisions: state.pendingDecisions,
    lastStrategicDecisionAt: state.lastStrategicDecisionAt,
    ...(state.droughtFiredFor ? { droughtFiredFor: state.droughtFiredFor } : {}),
    actions: state.actions,
    ticks: state.ticks,
    chases: state.chases.filter((c) => !c.done),
    deliverables: state.deliverables.filter((d) => !d.opened),
    ...(state.backlog?.some((b) => !b.shownIn) ? { backlog: state.backlog.filter((b) => !b.shownIn) } : {}),
  };
}

export function statusView(state: CadenceState, now: string) {
  const upcoming = state.meetings.filter((m) => m.status === 'scheduled' || m.status === 'unbooked');
  return {
    clientId: state.setup.clientId,
    phase: 'running' as const,
    segment: state.setup.segment,
    touchTier: state.setup.touchTier,
    timeZone: state.setup.timeZone,
    policyVersion: state.setup.policyVersion,
    lockedAt: state.setup.lockedAt,
    bookedThrough: state.bookedThrough,
    consecutiveMisses: state.consecutiveMisses,
    autoRebookSuspended: state.autoRebookSuspended,
    next: upcoming.filter((m) => ms(m.startsAt) >= ms(now)).slice(0, 1).map(view)[0] ?? null,
    meetings: state.meetings.map(view),
    triggers: state.triggers.map((t) => ({ key: t.key, type: t.type, anchor: t.anchor, ruleId: t.ruleId, targetDate: t.targetDate, fireAt: t.fireAt, state: t.state, meetingKey: t.meetingKey ?? null, evidence: t.evidence })),
    pendingDecisions: state.pendingDecisions.map((d) => ({ title: d.title, ownerRole: d.ownerRole, since: d.since, checkpointDate: d.checkpointDate })),
    chases: state.chases.map((c) => ({ title: c.title, ownerRole: c.ownerRole, meetingId: c.meetingId, at: c.at, dueAt: c.dueAt, done: c.done })),
    modelVersion: state.version,
  };
}

function view(m: CycleMeeting) {
  return {
    key: m.key, meetingId: m.meetingId, kind: m.kind, template: m.template, strategic: m.strategic, status: m.status, startsAt: m.startsAt, endsAt: m.endsAt, mode: m.mode,
    agenda: m.agenda, agendaBlocks: m.agendaBlocks, prepItems: m.prepItems ?? [], raci: m.raci, prep: m.prep ?? null, preRead: m.preRead ?? null, held: m.held ?? null, recap: m.recap ?? null,
    rescoped: m.rescoped ?? null, supersededBy: m.supersededBy ?? null,
  };
}

export type CadenceStatus = ReturnType<typeof statusView>;
