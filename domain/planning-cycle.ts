/**
 * The annual planning cycle of one client and fiscal year as a pure process model (DOMAIN §2.10
 * R-62..R-66, with R-13/R-14 and R-21 where a date trigger falls on the cycle's meeting).
 *
 * The cadence books the cycle's meetings on their anchors (domain/cadence-plan.ts `planCycle`,
 * R-62/R-63) and runs each meeting's own cycle (prep pack, recap, R-24..R-32). This model is what
 * happens around them: the Business Discovery window before M1 with its CTA and owner (R-64),
 * assessments for the topics the discovery left unclear (before M1), the segment's steps with
 * their planned and actual CS hours (R-65, R-66), the outputs (roadmap, OKR links, top 2–3
 * initiatives with owners and dates, budget version, SOW), and the close: only with an output
 * (roadmap, SOW, amendment or project); a final meeting without one loops back to prep with a CTA
 * (R-66). Date triggers that attach to the cycle's meeting (the FY budget session on M3, D's
 * renewal review on its Annual IT Strategy check-in) are noted, never booked as extra meetings
 * (R-21); for D that moment sends the lightweight discovery form and the async pack.
 *
 * The workflow `client/{id}/planning/{fy}` (workflows/planning-cycle.ts) holds one state and calls
 * `decide` + `accept` for each report (people's reports and the cadence's meeting facts) and
 * `due` when `nextDue` arrives. Every number comes from the policy in the setup.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { addCalendarDays, addElapsedHours, atLocalTime, localDateOf, makeCalendar, type BusinessCalendar } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { withCurrentPolicy } from './policy-current.js';
import type { Policy, Role } from './policy.js';
import { CYCLE_OUTPUT_KINDS, type CycleStepPolicy } from './policy/planning.js';

export type CycleSegment = 'A' | 'B' | 'C' | 'D';
export type CycleOutputKind = (typeof CYCLE_OUTPUT_KINDS)[number];
export { CYCLE_OUTPUT_KINDS };

export interface Refusal { status: 404 | 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

/** One meeting of the cycle as the cadence plans it (R-62 anchors, `planCycle`). */
export interface PlannedCycleMeeting { key: string; template: string; startsAt: string; endsAt: string }

/** A meeting of the cycle the cadence has booked (or could not book). */
export interface BookedCycleMeeting { key: string; meetingId: string; template: string; startsAt: string; state: string; accountableRole?: string | null }

export interface PlanningCycleSetup {
  clientId: string;
  /** The cycle's year: the year of the FY-end it budgets for (D: of the renewal), as in the cadence's `ap/<year>/…` keys. */
  fiscalYear: number;
  segment: CycleSegment;
  policyVersion: number;
  /** The policy with the client's overrides applied. */
  policy: Policy;
  /** The policy shape it was parsed under (domain/policy/revision.ts); absent in runs recorded before it existed. */
  policyShapeRevision?: number;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
  /** The cycle's meetings, chronological, from the cadence's anchor computation (R-62). */
  planned: PlannedCycleMeeting[];
  /** What the cadence had booked when the cycle started. */
  booked: BookedCycleMeeting[];
  /** Who started it: the cadence booking the cycle, or the API for a client whose cadence ran before. */
  startedBy: 'cadence' | 'api';
}

export interface CycleMeetingState {
  key: string;
  template: string;
  /** 1-based chronological position; the last is the final (budget) meeting. */
  position: number;
  plannedStartsAt: string;
  startsAt: string;
  meetingId: string | null;
  status: 'planned' | 'scheduled' | 'unbooked' | 'held' | 'missed' | 'cancelled';
  heldAt?: string;
  /** Date triggers attached to this meeting instead of a meeting of their own (R-21). */
  attached: { trigger: string; ruleId: string; at: string }[];
}

export interface CycleStepState {
  key: string;
  label: string;
  tool: string;
  doneBy: CycleStepPolicy['doneBy'];
  meeting?: number;
  optional: boolean;
  plannedHours: number;
  actualHours: number | null;
  status: 'open' | 'done';
  doneAt?: string;
}

export interface CycleOutput {
  kind: CycleOutputKind;
  reference: string;
  title?: string;
  owner?: string;
  targetDate?: string;
  at: string;
}

export type CycleStage = 'booked' | 'discovery' | 'prep' | 'meetings' | 'gap' | 'closed';

export interface PlanningCycleState {
  setup: PlanningCycleSetup;
  version: number;
  stage: CycleStage;
  meetings: CycleMeetingState[];
  steps: CycleStepState[];
  discovery: { opensAt: string; dueAt: string; ownerRole: Role; ctaOpened: boolean; doneAt?: string; unclearTopics: string[] };
  assessments: { topic: string; ownerRole: Role; dueAt: string; doneAt?: string; key: string }[];
  outputs: CycleOutput[];
  /** R-66: loops back to prep because the final meeting came without an output. */
  gaps: number;
  /** D: when the lightweight discovery form and the async pack went out (the renewal trigger fired, R-13, R-21). */
  packSentAt?: string;
  closedAt?: string;
  startedAt: string;
  actions: number;
  ticks: number;
}

export interface CycleOutputInput { kind: CycleOutputKind; reference: string; title?: string; owner?: string; targetDate?: string }

export type PlanningCycleAction =
  /** R-64: the Business Discovery is done; topics it left unclear get an assessment before M1. */
  | { type: 'discoveryDone'; unclearTopics: string[]; actualHours?: number }
  | { type: 'assessmentDone'; topic: string }
  /** A step is done (report steps) or its actual hours are in (every step): planned vs actual (R-65). */
  | { type: 'stepDone'; step: string; actualHours: number }
  | { type: 'outputRecorded'; output: CycleOutputInput }
  // Facts from the cadence (its activities report them when they record them).
  | { type: 'meetingBooked'; meetingId: string; key: string; startsAt: string; state: 'scheduled' | 'unbooked' }
  | { type: 'meetingHeld'; meetingId: string; heldAt: string }
  | { type: 'meetingMissed'; meetingId: string }
  | { type: 'meetingMoved'; meetingId: string; startsAt: string }
  | { type: 'triggerAttached'; meetingId: string; trigger: string; ruleId: string; firedAt: string };

export interface Step { effects: ProcessEffect[] }
export interface Due { key: string; at: string }

const none = (): Step => ({ effects: [] });
const ms = (iso: string) => Date.parse(iso);
const round2 = (n: number) => Math.round(n * 100) / 100;

export function calendarOf(s: Pick<PlanningCycleState, 'setup'>): BusinessCalendar {
  const c = s.setup.calendar;
  return makeCalendar({ timeZone: c.timeZone, holidays: [...c.holidays], workdays: [...c.workdays], dayStart: c.dayStart, dayEnd: c.dayEnd });
}


/** The planned CS hours of a segment's cycle (R-65: A = 9.0 h). */
export function plannedHours(policy: Policy, segment: CycleSegment): number {
  return round2(policy.annualPlanning.cycleSteps[segment].reduce((sum, st) => sum + st.hours, 0));
}

/**
 * R-64: the Business Discovery window, `discoveryWindowDays` (−42 … −28) around M1's local date:
 * opens at the start of the business day, due at its end.
 */
export function discoveryWindow(m1StartsAt: string, policy: Policy, cal: BusinessCalendar): { opensAt: string; dueAt: string } {
  const m1 = localDateOf(m1StartsAt, cal);
  const w = policy.annualPlanning.discoveryWindowDays;
  return { opensAt: atLocalTime(addCalendarDays(m1, w.from), cal.dayStart, cal), dueAt: atLocalTime(addCalendarDays(m1, w.to), cal.dayEnd, cal) };
}

export function initialState(setup: PlanningCycleSetup, at: string): PlanningCycleState {
  const s0 = withCurrentPolicy(setup);
  const p = s0.policy;
  const cal = makeCalendar({ ...s0.calendar, holidays: [...s0.calendar.holidays], workdays: [...s0.calendar.workdays] });
  const booked = new Map(s0.booked.map((b) => [b.key, b]));
  const meetings: CycleMeetingState[] = s0.planned.map((m, i) => {
    const b = booked.get(m.key);
    return {
      key: m.key, template: m.template, position: i + 1, plannedStartsAt: m.startsAt, startsAt: b?.startsAt ?? m.startsAt, meetingId: b?.meetingId ?? null,
      status: b ? (b.state === 'unbooked' ? 'unbooked' : b.state === 'held' ? 'held' : b.state === 'missed' ? 'missed' : b.state === 'cancelled' ? 'cancelled' : 'scheduled') : 'planned', attached: [],
    };
  });
  if (!meetings.length) throw new RangeError(`Planning cycle ${s0.fiscalYear} of client ${s0.clientId} has no meetings (R-62)`);
  const window = discoveryWindow(meetings[0]!.startsAt, p, cal);
  return {
    setup: s0, version: 1, stage: 'booked', meetings,
    steps: p.annualPlanning.cycleSteps[s0.segment].map((st) => ({
      key: st.key, label: st.label, tool: st.tool, doneBy: st.doneBy, ...(st.meeting ? { meeting: st.meeting } : {}), optional: st.optional, plannedHours: st.hours, actualHours: null, status: 'open' as const,
    })),
    discovery: { ...window, ownerRole: p.annualPlanning.discoveryOwner[s0.segment], ctaOpened: false, unclearTopics: [] },
    assessments: [], outputs: [], gaps: 0, startedAt: at, actions: 0, ticks: 0,
  };
}

/** The cycle's first records: started, the trigger step (the scheduler booked it), meetings already held. */
export function start(s: PlanningCycleState, at: string): Step {
  const out = none();
  const p = s.setup.policy;
  out.effects.push(event('planning_cycle.started', 'R-62', {
    fiscalYear: s.setup.fiscalYear, segment: s.setup.segment, startedBy: s.setup.startedBy, plannedHours: plannedHours(p, s.setup.segment),
    meetings: s.meetings.map((m) => ({ key: m.key, template: m.template, startsAt: m.startsAt, meetingId: m.meetingId })),
    discoveryWindow: { opensAt: s.discovery.opensAt, dueAt: s.discovery.dueAt, ownerRole: s.discovery.ownerRole },
  }, { rules: ['R-62', 'R-63', 'R-64', 'R-65', 'R-66'], policyKeys: ['annualPlanning.cycleSteps', 'annualPlanning.discoveryWindowDays', 'annualPlanning.discoveryOwner'], policyVersion: s.setup.policyVersion }));
  for (const st of s.steps) if (st.doneBy === 'start') out.effects.push(...stepDone(s, st, at, 'start'));
  // A cycle started late (the API, for a client whose cadence ran already) catches up with meetings already held.
  for (const m of s.meetings) if (m.status === 'held') out.effects.push(...meetingHeldEffects(s, m, m.startsAt));
  refreshStage(s, at);
  out.effects.push(row(s));
  return out;
}

export function isClosed(s: PlanningCycleState): boolean {
  return s.stage === 'closed';
}

const finalMeeting = (s: PlanningCycleState) => s.meetings[s.meetings.length - 1]!;
const closingOutput = (s: PlanningCycleState) => s.outputs.find((o) => s.setup.policy.annualPlanning.closingOutputs.includes(o.kind));
const meetingById = (s: PlanningCycleState, id: string) => s.meetings.find((m) => m.meetingId === id);

export function decide(s: PlanningCycleState, a: PlanningCycleAction, _at: string): Refusal | undefined {
  const fy = s.setup.fiscalYear;
  if (isClosed(s)) return { status: 409, message: `The FY${fy} planning cycle is closed (${s.closedAt}); nothing more can change it.`, ruleId: 'R-66', details: { stage: s.stage } };
  const p = s.setup.policy;
  switch (a.type) {
    case 'discoveryDone':
      return s.discovery.doneAt ? { status: 409, message: `The Business Discovery of the FY${fy} cycle was recorded at ${s.discovery.doneAt}.`, ruleId: 'R-64' } : undefined;
    case 'assessmentDone': {
      const as = s.assessments.find((x) => x.topic === a.topic);
      if (!as) return { status: 404, message: `No assessment for '${a.topic}': the discovery left ${s.assessments.length ? s.assessments.map((x) => `'${x.topic}'`).join(', ') : 'no topic'} unclear.`, ruleId: 'R-64' };
      return as.doneAt ? { status: 409, message: `The assessment of '${a.topic}' was recorded at ${as.doneAt}.`, ruleId: 'R-64' } : undefined;
    }
    case 'stepDone': {
      const st = s.steps.find((x) => x.key === a.step);
      if (!st) return { status: 404, message: `Segment ${s.setup.segment}'s cycle has no step '${a.step}'; its steps are ${s.steps.map((x) => x.key).join(', ')} (annualPlanning.cycleSteps).`, ruleId: 'R-65' };
      if (st.actualHours !== null && st.status === 'done') return { status: 409, message: `Step '${a.step}' has its actual hours (${st.actualHours} h) already.`, ruleId: 'R-65' };
      if (st.doneBy !== 'report' && st.status !== 'done') {
        const what = st.doneBy === 'meeting' ? `when the cycle's meeting ${st.meeting} is held` : st.doneBy === 'trigger' ? 'when its trigger fires (R-21)' : 'when the cycle starts';
        return { status: 409, message: `Step '${a.step}' is done ${what}; report its hours after that.`, ruleId: 'R-65' };
      }
      return undefined;
    }
    case 'outputRecorded': {
      const o = a.output;
      if (o.kind === 'initiative') {
        if (!o.owner || !o.targetDate) return { status: 422, message: 'A top initiative of the cycle needs its owner and target date (R-65).', ruleId: 'R-65' };
        const n = s.outputs.filter((x) => x.kind === 'initiative').length;
        if (n >= p.annualPlanning.topInitiatives.max) return { status: 409, message: `The cycle names its top ${p.annualPlanning.topInitiatives.min}–${p.annualPlanning.topInitiatives.max} initiatives; ${n} are recorded (annualPlanning.topInitiatives).`, ruleId: 'R-65' };
      }
      if (s.outputs.some((x) => x.kind === o.kind && x.reference === o.reference)) return { status: 409, message: `The ${o.kind} '${o.reference}' is recorded for this cycle already.`, ruleId: 'R-65' };
      return undefined;
    }
    case 'meetingBooked':
      return s.meetings.some((m) => m.key === a.key) ? undefined : { status: 404, message: `Meeting key '${a.key}' is not part of the FY${fy} cycle (${s.meetings.map((m) => m.key).join(', ')}).`, ruleId: 'R-62' };
    case 'meetingHeld':
    case 'meetingMissed':
    case 'meetingMoved':
    case 'triggerAttached':
      return meetingById(s, a.meetingId) ? undefined : { status: 404, message: `Meeting ${a.meetingId} is not a meeting of the FY${fy} planning cycle.`, ruleId: 'R-62' };
  }
}

/** Applies an accepted report; returns what to record. */
export function accept(s: PlanningCycleState, a: PlanningCycleAction, at: string): Step {
  s.actions += 1;
  const out = none();
  const p = s.setup.policy;
  const cal = calendarOf(s);
  const fiscalYear = s.setup.fiscalYear;
  switch (a.type) {
    case 'discoveryDone': {
      s.discovery.doneAt = at;
      s.discovery.unclearTopics = [...new Set(a.unclearTopics)];
      out.effects.push(event('planning_cycle.discovery_done', 'R-64', { fiscalYear, onTime: ms(at) <= ms(s.discovery.dueAt), unclearTopics: s.discovery.unclearTopics }, { window: { opensAt: s.discovery.opensAt, dueAt: s.discovery.dueAt } }));
      if (s.discovery.ctaOpened) out.effects.push({ kind: 'ctaResolved', key: 'discovery', note: `Business Discovery recorded at ${at}` });
      s.discovery.ctaOpened = true; // no CTA needed any more
      // R-64: unclear topics get assessments before M1.
      const m1 = s.meetings[0]!;
      const owner = p.discoveryAssessment.assessmentOwner[s.setup.segment];
      for (const [i, topic] of s.discovery.unclearTopics.entries()) {
        const key = `assessment/${s.assessments.length + 1 + i}`;
        out.effects.push({
          kind: 'cta', key, ctaKind: 'planning-assessment', title: `Assessment before M1 (FY${fiscalYear} planning): ${topic}`, ruleId: 'R-64', ownerRole: owner,
          dueAt: m1.startsAt, clock: 'due', why: { topic, m1: m1.startsAt, rule: 'R-64: unclear topics get assessments before M1', policyKey: `discoveryAssessment.assessmentOwner.${s.setup.segment}` },
        });
      }
      s.assessments.push(...s.discovery.unclearTopics.map((topic, i) => ({ topic, ownerRole: owner, dueAt: m1.startsAt, key: `assessment/${s.assessments.length + 1 + i}` })));
      if (a.actualHours !== undefined) {
        const prep = s.steps.find((x) => x.key === 'prep');
        if (prep) prep.actualHours = round2((prep.actualHours ?? 0) + a.actualHours);
      }
      break;
    }
    case 'assessmentDone': {
      const as = s.assessments.find((x) => x.topic === a.topic)!;
      as.doneAt = at;
      out.effects.push(event('planning_cycle.assessment_done', 'R-64', { fiscalYear, topic: a.topic, onTime: ms(at) <= ms(as.dueAt) }, { dueAt: as.dueAt }));
      out.effects.push({ kind: 'ctaResolved', key: as.key, note: `assessment recorded at ${at}` });
      break;
    }
    case 'stepDone': {
      const st = s.steps.find((x) => x.key === a.step)!;
      // An open step adds to what it had (prep: the discovery's hours, or the prep before a gap, R-66).
      st.actualHours = st.status === 'open' ? round2((st.actualHours ?? 0) + a.actualHours) : a.actualHours;
      if (st.status === 'done') {
        out.effects.push(event('planning_cycle.effort_reported', 'R-65', { fiscalYear, step: st.key, plannedHours: st.plannedHours, actualHours: a.actualHours }));
      } else {
        out.effects.push(...stepDone(s, st, at, 'report'));
        if (st.key === 'prep' && s.gaps > 0) out.effects.push({ kind: 'ctaResolved', key: `gap/${s.gaps}`, note: `prep redone at ${at}` });
      }
      out.effects.push(...maybeClose(s, at));
      break;
    }
    case 'outputRecorded': {
      const o: CycleOutput = { ...a.output, at };
      s.outputs.push(o);
      out.effects.push(event('planning_cycle.output_recorded', 'R-65', { fiscalYear, kind: o.kind, reference: o.reference, ...(o.title ? { title: o.title } : {}), ...(o.owner ? { owner: o.owner } : {}), ...(o.targetDate ? { targetDate: o.targetDate } : {}) }, {
        closes: p.annualPlanning.closingOutputs.includes(o.kind), closingOutputs: [...p.annualPlanning.closingOutputs],
      }));
      if (s.stage === 'gap' && p.annualPlanning.closingOutputs.includes(o.kind)) out.effects.push({ kind: 'ctaResolved', key: `gap/${s.gaps}`, note: `${o.kind} '${o.reference}' recorded at ${at}` });
      out.effects.push(...maybeClose(s, at));
      break;
    }
    case 'meetingBooked': {
      const m = s.meetings.find((x) => x.key === a.key)!;
      m.meetingId = a.meetingId;
      m.startsAt = a.startsAt;
      if (m.status === 'planned' || m.status === 'scheduled' || m.status === 'unbooked') m.status = a.state;
      out.effects.push(event('planning_cycle.meeting_noted', 'R-62', { fiscalYear, meetingId: a.meetingId, key: m.key, template: m.template, state: a.state, startsAt: a.startsAt }));
      // R-64: the window hangs off M1's booked date.
      if (m.position === 1) {
        const w = discoveryWindow(m.startsAt, p, cal);
        s.discovery.opensAt = w.opensAt;
        s.discovery.dueAt = w.dueAt;
      }
      break;
    }
    case 'meetingMoved': {
      const m = meetingById(s, a.meetingId)!;
      m.startsAt = a.startsAt;
      if (m.position === 1 && !s.discovery.ctaOpened) Object.assign(s.discovery, discoveryWindow(m.startsAt, p, cal));
      out.effects.push(event('planning_cycle.meeting_noted', 'R-62', { fiscalYear, meetingId: a.meetingId, key: m.key, template: m.template, state: 'moved', startsAt: a.startsAt }));
      break;
    }
    case 'meetingHeld': {
      const m = meetingById(s, a.meetingId)!;
      if (m.status === 'held') break;
      m.status = 'held';
      m.heldAt = a.heldAt;
      out.effects.push(...meetingHeldEffects(s, m, at));
      break;
    }
    case 'meetingMissed': {
      const m = meetingById(s, a.meetingId)!;
      m.status = 'missed';
      out.effects.push(event('planning_cycle.meeting_noted', '§2.5', { fiscalYear, meetingId: a.meetingId, key: m.key, template: m.template, state: 'missed', startsAt: m.startsAt }, { note: 'the cadence rebooks it (R-33); the cycle waits for the held meeting' }));
      break;
    }
    case 'triggerAttached': {
      const m = meetingById(s, a.meetingId)!;
      if (m.attached.some((t) => t.trigger === a.trigger)) break;
      m.attached.push({ trigger: a.trigger, ruleId: a.ruleId, at: a.firedAt });
      out.effects.push(event('planning_cycle.trigger_attached', 'R-21', { fiscalYear, trigger: a.trigger, triggerRuleId: a.ruleId, meetingId: a.meetingId, template: m.template, final: m.position === s.meetings.length }, {
        rule: 'R-21: a date trigger falling on a strategic meeting attaches to it; no extra meeting', firedAt: a.firedAt,
      }));
      // D (R-62, R-13, R-21): the Annual IT Strategy check-in is the renewal review too; when its trigger fires the
      // auto report goes out with the lightweight discovery form and the async pack (R-66).
      for (const st of s.steps.filter((x) => x.doneBy === 'trigger' && x.status === 'open')) {
        s.packSentAt = at;
        out.effects.push(event('planning_cycle.pack_sent', 'R-66', {
          fiscalYear, meetingId: a.meetingId, trigger: a.trigger, contents: ['auto report', 'lightweight discovery form', 'async pack', '2-question survey'],
        }, { accountable: p.raci[s.setup.segment].annualPlanning.accountable, renewalCtaOwner: p.triggers.owners.renewal, rules: ['R-62', 'R-13', 'R-21', 'R-66'] }));
        out.effects.push(...stepDone(s, st, at, 'trigger'));
      }
      break;
    }
  }
  refreshStage(s, at);
  out.effects.push(row(s));
  return out;
}

function meetingHeldEffects(s: PlanningCycleState, m: CycleMeetingState, at: string): ProcessEffect[] {
  const out: ProcessEffect[] = [];
  const fiscalYear = s.setup.fiscalYear;
  out.push(event('planning_cycle.meeting_noted', 'R-65', { fiscalYear, meetingId: m.meetingId!, key: m.key, template: m.template, state: 'held', startsAt: m.startsAt }, {
    ...(m.position === 1 ? { nextCycle: 'the cadence books the next cycle now (R-63)' } : {}),
  }));
  for (const st of s.steps.filter((x) => x.doneBy === 'meeting' && x.meeting === m.position && x.status === 'open')) out.push(...stepDone(s, st, at, 'meeting', m.meetingId!));
  if (m.position === s.meetings.length) {
    if (!closingOutput(s)) out.push(...gap(s, at, `${m.template} was held without a closing output (${s.setup.policy.annualPlanning.closingOutputs.join(', ')})`));
    else out.push(...maybeClose(s, at));
  }
  return out;
}

function stepDone(s: PlanningCycleState, st: CycleStepState, at: string, source: 'start' | 'meeting' | 'trigger' | 'report', meetingId?: string): ProcessEffect[] {
  st.status = 'done';
  st.doneAt = at;
  return [event('planning_cycle.step_done', s.setup.segment === 'A' ? 'R-65' : 'R-66', {
    fiscalYear: s.setup.fiscalYear, step: st.key, label: st.label, tool: st.tool, source, plannedHours: st.plannedHours, actualHours: st.actualHours, ...(meetingId ? { meetingId } : {}),
  }, { policyKey: `annualPlanning.cycleSteps.${s.setup.segment}` })];
}

/** R-66: the final meeting came without an output: back to prep, with a CTA to the cycle's Accountable. */
function gap(s: PlanningCycleState, at: string, reason: string): ProcessEffect[] {
  const p = s.setup.policy;
  s.gaps += 1;
  const prep = s.steps.find((x) => x.key === 'prep');
  if (prep) {
    prep.status = 'open';
    delete prep.doneAt;
  }
  const owner = p.raci[s.setup.segment].annualPlanning.accountable;
  return [
    event('planning_cycle.gap', 'R-66', { fiscalYear: s.setup.fiscalYear, loop: s.gaps, reason }, { closingOutputs: [...p.annualPlanning.closingOutputs], backTo: 'prep' }),
    {
      kind: 'cta', key: `gap/${s.gaps}`, ctaKind: 'planning-gap', title: `FY${s.setup.fiscalYear} planning cycle has no output: back to prep (roadmap, SOW, amendment or project)`, ruleId: 'R-66',
      ownerRole: owner, dueAt: addElapsedHours(at, p.meeting.firstActionHours), why: { reason, loop: s.gaps, rule: 'R-66: a cycle closes only with an output; gaps loop back to prep' },
    },
  ];
}

/** Closes the cycle once its final meeting is held, every required step is done and a closing output is in (R-66). */
function maybeClose(s: PlanningCycleState, at: string): ProcessEffect[] {
  if (isClosed(s) || finalMeeting(s).status !== 'held') return [];
  const out = closingOutput(s);
  if (!out || s.steps.some((st) => !st.optional && st.status !== 'done')) return [];
  s.stage = 'closed';
  s.closedAt = at;
  const e = effort(s);
  return [event('planning_cycle.closed', 'R-66', {
    fiscalYear: s.setup.fiscalYear, outputs: s.outputs.map((o) => o.kind), plannedHours: e.planned, actualHours: e.actual, gaps: s.gaps,
  }, { closedBy: { kind: out.kind, reference: out.reference }, stepsWithoutHours: e.missing })];
}

/** Planned vs actual CS hours (R-65); actual counts the steps whose hours were reported. */
export function effort(s: PlanningCycleState): { planned: number; actual: number; missing: string[] } {
  return {
    planned: round2(s.steps.reduce((sum, st) => sum + st.plannedHours, 0)),
    actual: round2(s.steps.reduce((sum, st) => sum + (st.actualHours ?? 0), 0)),
    missing: s.steps.filter((st) => st.actualHours === null && (st.status === 'done' || !st.optional)).map((st) => st.key),
  };
}

/** Where the client is in its cycle. */
function refreshStage(s: PlanningCycleState, at: string): void {
  if (s.stage === 'closed') return;
  if (s.gaps > 0 && !closingOutput(s)) s.stage = 'gap';
  else if (s.meetings.some((m) => m.status === 'held')) s.stage = 'meetings';
  else if (s.discovery.doneAt) s.stage = 'prep';
  else if (ms(at) >= ms(s.discovery.opensAt)) s.stage = 'discovery';
  else s.stage = 'booked';
}

export function nextDue(s: PlanningCycleState): Due | undefined {
  if (isClosed(s)) return undefined;
  if (!s.discovery.ctaOpened && !s.discovery.doneAt) return { key: 'discovery.opens', at: s.discovery.opensAt };
  return undefined;
}

/** The due step: R-64's window opens — the Business Discovery CTA to its owner, due at the window's end. */
export function due(s: PlanningCycleState, key: string, at: string): Step {
  s.ticks += 1;
  const out = none();
  if (key === 'discovery.opens' && !s.discovery.ctaOpened) {
    s.discovery.ctaOpened = true;
    const m1 = s.meetings[0]!;
    out.effects.push({
      kind: 'cta', key: 'discovery', ctaKind: 'planning-discovery', title: `Business Discovery for the FY${s.setup.fiscalYear} planning cycle (before ${m1.template})`, ruleId: 'R-64',
      ownerRole: s.discovery.ownerRole, dueAt: s.discovery.dueAt, clock: 'due',
      why: { window: { opensAt: s.discovery.opensAt, dueAt: s.discovery.dueAt }, m1: m1.startsAt, policyKeys: ['annualPlanning.discoveryWindowDays', `annualPlanning.discoveryOwner.${s.setup.segment}`] },
    });
    out.effects.push(event('planning_cycle.discovery_opened', 'R-64', { fiscalYear: s.setup.fiscalYear, ownerRole: s.discovery.ownerRole, opensAt: s.discovery.opensAt, dueAt: s.discovery.dueAt }));
  }
  refreshStage(s, at);
  out.effects.push(row(s));
  return out;
}

/** The read model row (GET /v1/planning-cycles). */
function row(s: PlanningCycleState): ProcessEffect {
  const e = effort(s);
  const open = s.steps.find((st) => st.status === 'open' && !st.optional);
  return {
    kind: 'planningCycle', fiscalYear: s.setup.fiscalYear,
    row: {
      segment: s.setup.segment, stage: s.stage, currentStep: open?.key ?? null, plannedHours: e.planned, actualHours: e.actual, gaps: s.gaps,
      outputs: s.outputs.map((o) => o.kind), m1StartsAt: s.meetings[0]!.startsAt, finalStartsAt: finalMeeting(s).startsAt, closedAt: s.closedAt ?? null,
    },
  };
}

export function statusView(s: PlanningCycleState) {
  const e = effort(s);
  return {
    clientId: s.setup.clientId, fiscalYear: s.setup.fiscalYear, segment: s.setup.segment, phase: isClosed(s) ? 'closed' as const : 'running' as const, stage: s.stage,
    startedAt: s.startedAt, startedBy: s.setup.startedBy, closedAt: s.closedAt ?? null,
    meetings: s.meetings.map((m) => ({ key: m.key, template: m.template, position: m.position, plannedStartsAt: m.plannedStartsAt, startsAt: m.startsAt, meetingId: m.meetingId, status: m.status, heldAt: m.heldAt ?? null, attached: m.attached.map((t) => ({ ...t })) })),
    discovery: { opensAt: s.discovery.opensAt, dueAt: s.discovery.dueAt, ownerRole: s.discovery.ownerRole, doneAt: s.discovery.doneAt ?? null, unclearTopics: [...s.discovery.unclearTopics] },
    assessments: s.assessments.map((a) => ({ topic: a.topic, ownerRole: a.ownerRole, dueAt: a.dueAt, doneAt: a.doneAt ?? null })),
    steps: s.steps.map((st) => ({ key: st.key, label: st.label, tool: st.tool, doneBy: st.doneBy, optional: st.optional, plannedHours: st.plannedHours, actualHours: st.actualHours, status: st.status, doneAt: st.doneAt ?? null })),
    effort: { plannedHours: e.planned, actualHours: e.actual, band: { ...s.setup.policy.annualPlanning.cycleHours[s.setup.segment] }, stepsWithoutHours: e.missing },
    outputs: s.outputs.map((o) => ({ ...o })),
    gaps: s.gaps, packSentAt: s.packSentAt ?? null, next: nextDue(s) ?? null, policyVersion: s.setup.policyVersion,
  };
}
export type PlanningCycleStatus = ReturnType<typeof statusView>;
