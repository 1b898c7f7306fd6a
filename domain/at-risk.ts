/**
 * One At-Risk record as a pure process model (DOMAIN §2.17 R-93..R-103, A-9, A-19, C-1..C-3):
 * opened by an R-93 trigger with its bucket and severity (R-94), it runs the save play's clocks in
 * the client's business time where the rule says bh/bd —
 *
 *   acknowledge ≤ 4 bh (High) / 8 bh (Medium, Low) ............................. R-95 (bh)
 *   stabilise by Day 3 (war room, facts-only Snapshot) ........................... R-96 (CHECKPOINT)
 *   executive re-engage by the earlier of Day 5 (ROLL) and 5 bd .................. R-97
 *   Save Plan ≤ 48h after that session and ≤ 5 bd after detection, earlier wins .. R-98, A-9
 *   H1 containment to Day 14, H2 correction to Day 60 ............................ Save Plan (§1)
 *   weekly progress from Save Plan + 7 d ......................................... R-99
 *   no movement 14 d → reset with two options held ≤ 7 d ........................ R-100 (CHECKPOINT)
 *   not resolved at Day 30 → reclassify-with-rationale CTA ....................... R-101
 *   open > 60 d → leadership escalation, contract review flagged ................. R-101
 *
 * — and exits to green only when every criterion applicable to its bucket holds (R-102), then the
 * After-Action is due within 5 bd. A new trigger on the open risk appends evidence (R-93, A-19).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock; every instant
 * is passed in. `decide` never mutates; `applyAction` / `due` mutate the state in place.
 */
import {
  addBusinessDays, addBusinessHours, addCalendarDays, addElapsedHours, checkpoint, endOfLocalDay, localDateOf, makeCalendar, roll, toIso, type BusinessCalendar,
} from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import type { Bucket } from './health-process.js';
import type { Role } from './policy.js';
import type { ExitCriterion } from './policy/health.js';

export type Severity = 'High' | 'Medium' | 'Low';
export type { Bucket };
export const BUCKETS = ['Service', 'Delivery', 'Strategic', 'Financial'] as const;
const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);

/** R-94: Impact (1–3) × Likelihood (1–3): ≥ highMin High, ≥ mediumMin Medium, else Low. */
export function severityOf(impact: number, likelihood: number, s: { highMin: number; mediumMin: number }): Severity {
  const x = impact * likelihood;
  return x >= s.highMin ? 'High' : x >= s.mediumMin ? 'Medium' : 'Low';
}

/** The rule values a risk runs under, read once at its start (policy with the client's overrides). */
export interface RiskRules {
  severity: { highMin: number; mediumMin: number };
  ackBusinessHours: Record<Severity, number>;
  stabiliseDays: number;
  reengageWindowDays: { from: number; to: number };
  reengageBusinessDays: number;
  reengageMinutes: { min: number; max: number };
  savePlanHours: number;
  savePlanBusinessDays: number;
  h1Days: { from: number; to: number };
  h2Days: { from: number; to: number };
  progressEmailDays: number;
  noMovementDays: number;
  resetWithinDays: number;
  resolveDays: number;
  escalateDays: number;
  exitHealthyDays: number;
  exitSlaCycles: number;
  afterActionBusinessDays: number;
  exitCriteria: Record<Bucket, ExitCriterion[]>;
  ownerByBucket: Record<Bucket, Role>;
  firstActionHours: number;
  minNoticeBusinessDays: number;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
}

/** What the risk reads at its start (activity `prepareRisk`): the row the trigger opened, and who does what. */
export interface RiskSetup {
  riskId: string;
  clientId: string;
  segment: 'A' | 'B' | 'C' | 'D';
  bucket: Bucket;
  impact: number;
  likelihood: number;
  trigger: string;
  /** The rule that raised it (R-34, R-50, R-93, …) and where (process, ledger event). */
  ruleId: string;
  source: { process: string; eventId?: string; evidence: Record<string, unknown> };
  /** Detection: Day 0 of every clock. */
  openedAt: string;
  ownerRole: Role;
  presenterRole: Role;
  sponsorRole: Role;
  /** R-34: a CTA already opened by the trigger that is the risk's first action (no second CTA). */
  firstActionCta: string | null;
  /** R-103: a risk of this client closed within the repeat window. */
  repeatOf: { riskId: string; closedAt: string } | null;
  /** Composite health at detection (R-102 "health at/above baseline"). */
  healthBaseline: number | null;
  policyVersion: number;
  rules: RiskRules;
}

export interface SavePlanAction { id: string; horizon: 'H1' | 'H2'; title: string; owner: string; dueDate: string; budgetUsd?: number; doneAt?: string }
export interface RiskDeadline { key: string; dueAt: string; ruleId: string; clock: 'businessHours' | 'checkpoint' | 'roll' | 'businessDays' | 'elapsed'; status: 'pending' | 'met' | 'missed'; resolvedAt?: string }

export interface RiskState {
  setup: RiskSetup;
  bucket: Bucket;
  impact: number;
  likelihood: number;
  severity: Severity;
  status: 'open' | 'closed';
  actions: number;
  ticks: number;
  deadlines: RiskDeadline[];
  acknowledgedAt?: string;
  stabilisedAt?: string;
  reengage: { dueDate: string; requestedAt?: string; booked?: { meetingId: string | null; startsAt: string | null; merged: boolean } | null; bookByHand?: boolean; heldAt?: string; endedAt?: string; meetingId?: string };
  savePlan?: { version: number; publishedAt: string; actions: SavePlanAction[]; risks: string[]; assumptions: string[]; dependencies: string[] };
  progress: { sentAt: string[]; judged: number };
  lastMovementAt: string;
  /** No-movement resets opened (R-100), and the instant the last one fired. */
  resets: number;
  lastResetAt?: string;
  evidence: number;
  reclassifications: number;
  escalatedAt?: string;
  closedAt?: string;
  exit?: { criteria: Partial<Record<ExitCriterion, boolean>>; resolutionDays: number; note: string };
  afterAction?: { dueAt: string; recordedAt?: string };
}

export const calendarOfRisk = (s: RiskSetup): BusinessCalendar => {
  const c = s.rules.calendar;
  return makeCalendar({ timeZone: c.timeZone, holidays: [...c.holidays], workdays: [...c.workdays], dayStart: c.dayStart, dayEnd: c.dayEnd });
};

/**
 * R-97: the re-engage deadline date — the earlier of Day 5 rolled to a business day (C-2, never
 * before detection) and the 5th business day after detection.
 */
export function reengageDueDate(openedAt: string, r: RiskRules, cal: BusinessCalendar): string {
  const day0 = localDateOf(openedAt, cal);
  const rolled = roll(addCalendarDays(day0, r.reengageWindowDays.to), cal, day0);
  const bd = addBusinessDays(day0, r.reengageBusinessDays, cal);
  return rolled < bd ? rolled : bd;
}

/** R-98 (A-9): the Save Plan is due ≤ 5 bd after detection (end of that business day) and ≤ 48h after the session, whichever is earlier. */
export function savePlanDueAt(openedAt: string, sessionEndedAt: string | undefined, r: RiskRules, cal: BusinessCalendar): string {
  const byDetection = endOfLocalDay(addBusinessDays(localDateOf(openedAt, cal), r.savePlanBusinessDays, cal), cal);
  if (!sessionEndedAt) return byDetection;
  const bySession = addElapsedHours(sessionEndedAt, r.savePlanHours, cal);
  return ms(bySession) < ms(byDetection) ? bySession : byDetection;
}

export function initialRiskState(setup: RiskSetup): RiskState {
  const r = setup.rules;
  const cal = calendarOfRisk(setup);
  const severity = severityOf(setup.impact, setup.likelihood, r.severity);
  const at = setup.openedAt;
  const reengageDate = reengageDueDate(at, r, cal);
  const d = (key: string, dueAt: string, ruleId: string, clock: RiskDeadline['clock']): RiskDeadline => ({ key, dueAt, ruleId, clock, status: 'pending' });
  return {
    setup, bucket: setup.bucket, impact: setup.impact, likelihood: setup.likelihood, severity, status: 'open', actions: 0, ticks: 0,
    deadlines: [
      d('acknowledge', addBusinessHours(at, r.ackBusinessHours[severity], cal), 'R-95', 'businessHours'),
      d('stabilise', checkpoint(at, r.stabiliseDays, cal), 'R-96', 'checkpoint'),
      d('reengage', endOfLocalDay(reengageDate, cal), 'R-97', 'roll'),
      d('savePlan', savePlanDueAt(at, undefined, r, cal), 'R-98', 'businessDays'),
      d('h1', checkpoint(at, r.h1Days.to, cal), 'R-98', 'checkpoint'),
      d('resolve', checkpoint(at, r.resolveDays, cal), 'R-101', 'checkpoint'),
      d('escalate', checkpoint(at, r.escalateDays, cal), 'R-101', 'checkpoint'),
      d('h2', checkpoint(at, r.h2Days.to, cal), 'R-98', 'checkpoint'),
    ],
    reengage: { dueDate: reengageDate },
    progress: { sentAt: [], judged: 0 },
    lastMovementAt: at, resets: 0, evidence: 0, reclassifications: 0,
  };
}

const OWNER_LINE = (s: RiskState) => `${s.bucket}/${s.severity}`;

/** What the risk records at its start: risk.opened, each clock as deadline.set, the acknowledgement CTA (or none: R-34's CTA is the first action), the row. */
export function startEffects(state: RiskState): ProcessEffect[] {
  const s = state.setup;
  const cal = calendarOfRisk(s);
  const out: ProcessEffect[] = [
    event('risk.opened', s.ruleId, {
      riskId: s.riskId, bucket: state.bucket, severity: state.severity, trigger: s.trigger, impact: state.impact, likelihood: state.likelihood, ownerRole: s.ownerRole,
      repeat: s.repeatOf !== null, ...(s.repeatOf ? { repeatOf: s.repeatOf.riskId } : {}),
    }, {
      severityRule: 'R-94', severity: `${state.impact} × ${state.likelihood} = ${state.impact * state.likelihood} → ${state.severity}`, thresholds: s.rules.severity, triggerRule: 'R-93',
      source: s.source, ...(s.firstActionCta ? { firstActionCta: s.firstActionCta, oneCta: 'R-34: the trigger\'s CTA is the risk\'s first action' } : {}),
      ...(s.repeatOf ? { repeatRule: 'R-103', repeatOf: s.repeatOf } : {}), healthBaseline: s.healthBaseline, policyVersion: s.policyVersion,
    }, s.openedAt),
  ];
  for (const d of state.deadlines) {
    out.push(event('deadline.set', d.ruleId, { deadline: `risk.${d.key}`, dueAt: toIso(d.dueAt, cal), clock: d.clock }, { riskId: s.riskId, anchor: s.openedAt, timeZone: cal.timeZone, holidays: cal.holidays.length, ...deadlineWhy(state, d.key) }, s.openedAt));
  }
  if (!s.firstActionCta) {
    const ack = state.deadlines.find((d) => d.key === 'acknowledge')!;
    out.push({
      kind: 'cta', key: 'acknowledge', ctaKind: 'risk-acknowledge', title: `Acknowledge the ${OWNER_LINE(state)} risk to the client: ${s.trigger}`, ruleId: 'R-95', ownerRole: s.ownerRole,
      dueAt: ack.dueAt, clock: 'due', why: { riskId: s.riskId, businessHours: s.rules.ackBusinessHours[state.severity], severity: state.severity, policyKeys: [`atRisk.ackBusinessHours.${state.severity}`] },
    });
  }
  out.push(rowUpdate(state));
  return out;
}

function deadlineWhy(state: RiskState, key: string): Record<string, unknown> {
  const r = state.setup.rules;
  switch (key) {
    case 'acknowledge': return { businessHours: r.ackBusinessHours[state.severity], severity: state.severity, policyKeys: [`atRisk.ackBusinessHours.${state.severity}`] };
    case 'stabilise': return { day: r.stabiliseDays, policyKeys: ['atRisk.stabiliseDays'] };
    case 'reengage': return { earlierOf: { dayRolled: r.reengageWindowDays.to, businessDays: r.reengageBusinessDays }, dueDate: state.reengage.dueDate, policyKeys: ['atRisk.reengageWindowDays', 'atRisk.reengageBusinessDays'] };
    case 'savePlan': return { earlierOf: { hoursAfterSession: r.savePlanHours, businessDaysAfterDetection: r.savePlanBusinessDays }, rule: 'A-9', policyKeys: ['atRisk.savePlanHours', 'atRisk.savePlanBusinessDays'] };
    case 'h1': return { day: r.h1Days.to, policyKeys: ['atRisk.h1Days'] };
    case 'h2': return { day: r.h2Days.to, policyKeys: ['atRisk.h2Days'] };
    case 'resolve': return { day: r.resolveDays, policyKeys: ['atRisk.resolveDays'] };
    case 'escalate': return { day: r.escalateDays, policyKeys: ['atRisk.escalateDays'] };
    default: return {};
  }
}

/** The risks row as the process sees it now (the read model of GET /v1/risks and the R-103 KPIs). */
export function rowUpdate(state: RiskState): ProcessEffect {
  const dl = (k: string) => state.deadlines.find((d) => d.key === k)?.dueAt ?? null;
  const plan = state.savePlan;
  const dueOf = (a: SavePlanAction) => ms(endOfLocalDay(a.dueDate, calendarOfRisk(state.setup)));
  return {
    kind: 'riskUpdate', riskId: state.setup.riskId,
    changes: {
      bucket: state.bucket, severity: state.severity, impact: state.impact, likelihood: state.likelihood, status: state.status,
      ackDueAt: dl('acknowledge'), acknowledgedAt: state.acknowledgedAt ?? null, savePlanDueAt: dl('savePlan'), savePlanAt: plan?.publishedAt ?? null,
      reengageDueAt: dl('reengage'), reengageHeldAt: state.reengage.heldAt ?? null, lastMovementAt: state.lastMovementAt, closedAt: state.closedAt ?? null,
      afterActionDueAt: state.afterAction?.dueAt ?? null, afterActionAt: state.afterAction?.recordedAt ?? null, evidenceCount: state.evidence,
      actionsTotal: plan?.actions.length ?? 0, actionsDone: plan?.actions.filter((a) => a.doneAt).length ?? 0,
      actionsOnTime: plan?.actions.filter((a) => a.doneAt && ms(a.doneAt) <= dueOf(a)).length ?? 0,
      escalatedAt: state.escalatedAt ?? null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reports

export interface SavePlanInputAction { horizon: 'H1' | 'H2'; title: string; owner: string; dueDate: string; budgetUsd?: number }
export type RiskAction =
  | { type: 'acknowledged'; note: string }
  | { type: 'stabilised'; note: string }
  | { type: 'reengageHeld'; heldAt: string; endedAt: string; meetingId?: string; decisions: string[] }
  | { type: 'savePlanPublished'; actions: SavePlanInputAction[]; risks: string[]; assumptions: string[]; dependencies: string[] }
  | { type: 'actionRecorded'; kind: 'action' | 'clientDecision' | 'reset'; title: string; actionId?: string; note?: string }
  | { type: 'progressSent'; note?: string }
  | { type: 'evidenceAdded'; evidence: string; source: string; conditionCleared?: boolean; signal?: { trigger: string; ruleId: string; eventId?: string } }
  | { type: 'reclassified'; bucket?: Bucket; impact?: number; likelihood?: number; rationale: string }
  | {
      type: 'closed'; note: string;
      /** What the reporter attests for the criteria Baton cannot see. */
      attested: Partial<Record<ExitCriterion, boolean>>;
      /** What Baton's own data says (health history, service metrics, roadmap/budget versions), computed at the edge; wins over an attestation. */
      computed: Partial<Record<ExitCriterion, { holds: boolean; detail: string }>>;
    }
  | { type: 'afterActionRecorded'; people: string; process: string; tech: string; expectation: string }
  | { type: 'reengageBooked'; meetingId: string | null; startsAt: string | null; merged: boolean; bookByHand: boolean };

export interface Refusal { status: 404 | 409 | 422; message: string; ruleId?: string; details?: Record<string, unknown> }

/** Which exit criteria hold, by Baton's data first, else the reporter's word (R-102). */
export function exitVerdict(state: RiskState, a: Extract<RiskAction, { type: 'closed' }>) {
  const applicable = state.setup.rules.exitCriteria[state.bucket];
  const criteria = Object.fromEntries(applicable.map((c) => [c, a.computed[c]?.holds ?? a.attested[c] === true])) as Partial<Record<ExitCriterion, boolean>>;
  const failing = applicable.filter((c) => !criteria[c]);
  return { applicable, criteria, failing };
}

export function decide(state: RiskState, action: RiskAction, at: string): Refusal | undefined {
  const closed = state.status === 'closed';
  if (closed && action.type !== 'afterActionRecorded' && action.type !== 'evidenceAdded') {
    return { status: 409, message: `Risk ${state.setup.riskId} exited to green at ${state.closedAt}; ${action.type} no longer applies.`, ruleId: 'R-102' };
  }
  switch (action.type) {
    case 'acknowledged':
      return state.acknowledgedAt ? { status: 409, message: `Already acknowledged at ${state.acknowledgedAt}.`, ruleId: 'R-95' } : undefined;
    case 'stabilised':
      return state.stabilisedAt ? { status: 409, message: `The war room was already recorded at ${state.stabilisedAt}.`, ruleId: 'R-96' } : undefined;
    case 'reengageHeld':
      if (state.reengage.heldAt) return { status: 409, message: `The executive re-engage session was already held at ${state.reengage.heldAt}.`, ruleId: 'R-97' };
      if (ms(action.endedAt) < ms(action.heldAt)) return { status: 422, message: 'endedAt is before heldAt.' };
      if (ms(action.heldAt) > ms(at)) return { status: 422, message: `heldAt ${action.heldAt} is in the future; report the session once it has happened.` };
      return undefined;
    case 'savePlanPublished': {
      if (!action.actions.length) return { status: 422, message: 'A Save Plan needs at least one action (owner + date + budget/action, §1 Save Plan).', ruleId: 'R-98' };
      const cal = calendarOfRisk(state.setup);
      const day0 = localDateOf(state.setup.openedAt, cal);
      const r = state.setup.rules;
      const bad = action.actions.map((x, i) => {
        const day = Math.round((Date.parse(`${x.dueDate}T00:00:00Z`) - Date.parse(`${day0}T00:00:00Z`)) / DAY_MS);
        const w = x.horizon === 'H1' ? r.h1Days : r.h2Days;
        return day < w.from || day > w.to ? { index: i, title: x.title, horizon: x.horizon, day, window: w } : undefined;
      }).filter((x) => x !== undefined);
      if (bad.length) return { status: 422, ruleId: 'R-98', message: `Save Plan actions outside their horizon (H1 days ${r.h1Days.from}–${r.h1Days.to}, H2 days ${r.h2Days.from}–${r.h2Days.to} after detection on ${day0}): ${bad.map((b) => `"${b.title}" on day ${b.day}`).join(', ')}.`, details: { actions: bad } };
      return undefined;
    }
    case 'actionRecorded':
      if (action.actionId && !state.savePlan?.actions.some((x) => x.id === action.actionId)) return { status: 404, message: `No Save Plan action ${action.actionId} in risk ${state.setup.riskId}.`, ruleId: 'R-98' };
      if (action.actionId && state.savePlan?.actions.find((x) => x.id === action.actionId)?.doneAt) return { status: 409, message: `Save Plan action ${action.actionId} is already done.`, ruleId: 'R-98' };
      return undefined;
    case 'progressSent':
      return state.savePlan ? undefined : { status: 409, message: 'Weekly progress follows the published Save Plan (R-99: from Save Plan + 7 d).', ruleId: 'R-99' };
    case 'evidenceAdded':
      return undefined;
    case 'reclassified':
      // Any change, or none (the classification confirmed), needs its rationale (R-101); the API checks a new bucket has no open risk of its own (A-19).
      return undefined;
    case 'closed': {
      const v = exitVerdict(state, action);
      if (v.failing.length) {
        return {
          status: 409, ruleId: 'R-102',
          message: `Exit to green needs every criterion that applies to a ${state.bucket} risk; not holding: ${v.failing.join(', ')}.`,
          details: { applicable: v.applicable, criteria: v.criteria, computed: action.computed },
        };
      }
      return undefined;
    }
    case 'afterActionRecorded':
      if (!closed) return { status: 409, message: 'The After-Action follows the exit to green (R-102).', ruleId: 'R-102' };
      return state.afterAction?.recordedAt ? { status: 409, message: `The After-Action was already recorded at ${state.afterAction.recordedAt}.`, ruleId: 'R-102' } : undefined;
    case 'reengageBooked':
      return undefined;
  }
}

/** Applies an accepted report; returns what to record. */
export function applyAction(state: RiskState, action: RiskAction, at: string): ProcessEffect[] {
  state.actions += 1;
  const s = state.setup;
  const r = s.rules;
  const cal = calendarOfRisk(s);
  const out: ProcessEffect[] = [];
  const fact = (ruleId: string, details: Record<string, unknown>, why: Record<string, unknown> = {}) =>
    out.push(event('process.fact_recorded', ruleId, { fact: action.type, details: { riskId: s.riskId, ...details } as never }, why));
  const moved = () => { state.lastMovementAt = at; };
  const met = (key: string, when: string) => {
    const d = state.deadlines.find((x) => x.key === key);
    if (d && d.status === 'pending' && ms(when) <= ms(d.dueAt)) Object.assign(d, { status: 'met', resolvedAt: when });
  };
  switch (action.type) {
    case 'acknowledged': {
      state.acknowledgedAt = at;
      const d = state.deadlines.find((x) => x.key === 'acknowledge')!;
      const onTime = ms(at) <= ms(d.dueAt);
      met('acknowledge', at);
      out.push(event('risk.acknowledged', 'R-95', { riskId: s.riskId, onTime, dueAt: toIso(d.dueAt, cal) }, { note: action.note, businessHours: r.ackBusinessHours[state.severity], severity: state.severity }));
      if (!s.firstActionCta) out.push({ kind: 'ctaResolved', key: 'acknowledge', note: `acknowledged to the client at ${at}` });
      moved();
      break;
    }
    case 'stabilised':
      state.stabilisedAt = at;
      met('stabilise', at);
      fact('R-96', { note: action.note, byDay: r.stabiliseDays, onTime: ms(at) <= ms(state.deadlines.find((x) => x.key === 'stabilise')!.dueAt) });
      out.push({ kind: 'ctaResolved', key: 'overdue/stabilise', note: `war room held at ${at}` });
      moved();
      break;
    case 'reengageBooked':
      state.reengage.booked = { meetingId: action.meetingId, startsAt: action.startsAt, merged: action.merged };
      state.reengage.bookByHand = action.bookByHand;
      break;
    case 'reengageHeld': {
      state.reengage.heldAt = action.heldAt;
      state.reengage.endedAt = action.endedAt;
      if (action.meetingId) state.reengage.meetingId = action.meetingId;
      met('reengage', action.heldAt);
      // R-98 (A-9): the Save Plan is now due 48h after the session, unless the 5 bd line comes first.
      const sp = state.deadlines.find((x) => x.key === 'savePlan')!;
      const before = sp.dueAt;
      if (sp.status === 'pending') sp.dueAt = savePlanDueAt(s.openedAt, action.endedAt, r, cal);
      fact('R-97', { heldAt: action.heldAt, endedAt: action.endedAt, decisions: action.decisions, meetingId: action.meetingId ?? null, savePlanDueAt: sp.dueAt },
        { savePlanDueBefore: before, rule: 'A-9: the earlier of 48h after the session and 5 bd after detection' });
      if (sp.dueAt !== before) out.push(event('deadline.set', 'R-98', { deadline: 'risk.savePlan', dueAt: toIso(sp.dueAt, cal), clock: ms(sp.dueAt) < ms(before) ? 'elapsed' : 'businessDays' }, { riskId: s.riskId, sessionEndedAt: action.endedAt, previousDueAt: before, rule: 'A-9' }));
      out.push({ kind: 'ctaResolved', key: 'overdue/reengage', note: `session held at ${action.heldAt}` });
      out.push({ kind: 'ctaResolved', key: 'book-reengage', note: `session held at ${action.heldAt}` });
      moved();
      break;
    }
    case 'savePlanPublished': {
      const version = (state.savePlan?.version ?? 0) + 1;
      const prior = state.savePlan?.actions ?? [];
      const actions: SavePlanAction[] = action.actions.map((x, i) => {
        const id = `${x.horizon.toLowerCase()}-${i + 1}`;
        const kept = prior.find((p) => p.id === id && p.title === x.title);
        return { id, horizon: x.horizon, title: x.title, owner: x.owner, dueDate: x.dueDate, ...(x.budgetUsd !== undefined ? { budgetUsd: x.budgetUsd } : {}), ...(kept?.doneAt ? { doneAt: kept.doneAt } : {}) };
      });
      const first = !state.savePlan;
      state.savePlan = { version, publishedAt: first ? at : state.savePlan!.publishedAt, actions, risks: [...action.risks], assumptions: [...action.assumptions], dependencies: [...action.dependencies] };
      if (first) met('savePlan', at);
      const sp = state.deadlines.find((x) => x.key === 'savePlan')!;
      out.push(event('risk.save_plan_published', 'R-98', {
        riskId: s.riskId, version, onTime: !first || ms(at) <= ms(sp.dueAt), actions: actions.map((x) => ({ id: x.id, horizon: x.horizon, title: x.title, owner: x.owner, dueDate: x.dueDate, ...(x.budgetUsd !== undefined ? { budgetUsd: x.budgetUsd } : {}) })),
      }, { dueAt: sp.dueAt, risks: action.risks, assumptions: action.assumptions, dependencies: action.dependencies, weeklyProgressFrom: first ? addElapsedHours(at, r.progressEmailDays * 24, cal) : undefined }));
      if (first) out.push({ kind: 'ctaResolved', key: 'overdue/savePlan', note: `Save Plan published at ${at}` });
      moved();
      break;
    }
    case 'actionRecorded': {
      const a = action.actionId ? state.savePlan!.actions.find((x) => x.id === action.actionId)! : undefined;
      if (a) a.doneAt = at;
      const onTime = a ? ms(at) <= ms(endOfLocalDay(a.dueDate, cal)) : null;
      if (action.kind === 'reset') out.push({ kind: 'ctaResolved', key: `reset/${state.resets}`, note: `reset held at ${at}` });
      fact(action.kind === 'clientDecision' ? 'R-100' : action.kind === 'reset' ? 'R-100' : 'R-99', { kind: action.kind, title: action.title, actionId: action.actionId ?? null, onTime, ...(action.note ? { note: action.note } : {}) });
      moved();
      break;
    }
    case 'progressSent':
      state.progress.sentAt.push(at);
      fact('R-99', { note: action.note ?? null, sent: state.progress.sentAt.length });
      out.push({ kind: 'ctaResolved', key: `progress/${state.progress.judged}`, note: `progress email sent at ${at}` });
      break;
    case 'evidenceAdded':
      state.evidence += 1;
      out.push(event('risk.evidence_added', action.signal?.ruleId ?? 'R-124', { riskId: s.riskId, evidence: action.evidence, conditionCleared: action.conditionCleared ?? false }, {
        source: action.source, rule: 'R-93: a new trigger on an open risk appends evidence (A-19, R-124); exit to green follows R-102', count: state.evidence, ...(action.signal ? { signal: action.signal } : {}),
      }));
      break;
    case 'reclassified': {
      const before = { bucket: state.bucket, impact: state.impact, likelihood: state.likelihood, severity: state.severity };
      state.bucket = action.bucket ?? state.bucket;
      state.impact = action.impact ?? state.impact;
      state.likelihood = action.likelihood ?? state.likelihood;
      state.severity = severityOf(state.impact, state.likelihood, r.severity);
      state.reclassifications += 1;
      out.push(event('risk.reclassified', 'R-101', { riskId: s.riskId, bucket: state.bucket, severity: state.severity, impact: state.impact, likelihood: state.likelihood, rationale: action.rationale }, { before, severityRule: 'R-94' }));
      out.push({ kind: 'ctaResolved', key: 'reclassify', note: `reclassified: ${action.rationale}` });
      moved();
      break;
    }
    case 'closed': {
      const v = exitVerdict(state, action);
      state.status = 'closed';
      state.closedAt = at;
      const resolutionDays = Math.round(((ms(at) - ms(s.openedAt)) / DAY_MS) * 100) / 100;
      state.exit = { criteria: v.criteria, resolutionDays, note: action.note };
      const afterActionDue = endOfLocalDay(addBusinessDays(localDateOf(at, cal), r.afterActionBusinessDays, cal), cal);
      state.afterAction = { dueAt: afterActionDue };
      state.deadlines.push({ key: 'afterAction', dueAt: afterActionDue, ruleId: 'R-102', clock: 'businessDays', status: 'pending' });
      // Open clocks end with the exit.
      for (const d of state.deadlines) if (d.status === 'pending' && d.key !== 'afterAction') Object.assign(d, { status: 'met', resolvedAt: at });
      out.push(event('risk.closed', 'R-102', { riskId: s.riskId, outcome: 'green', bucket: state.bucket, severity: state.severity, resolutionDays, withinTarget: resolutionDays <= r.resolveDays }, {
        criteria: v.criteria, applicable: v.applicable, computed: action.computed, attested: action.attested, note: action.note, kpi: `resolution ≤ ${r.resolveDays} d (R-103)`,
      }));
      out.push(event('deadline.set', 'R-102', { deadline: 'risk.afterAction', dueAt: toIso(afterActionDue, cal), clock: 'businessDays' }, { riskId: s.riskId, businessDays: r.afterActionBusinessDays, policyKeys: ['atRisk.afterActionBusinessDays'] }));
      out.push({ kind: 'cta', key: 'after-action', ctaKind: 'risk-after-action', title: 'After-Action review (People / Process / Tech / Expectation) feeding the playbooks', ruleId: 'R-102', ownerRole: s.ownerRole, dueAt: afterActionDue, clock: 'due', why: { riskId: s.riskId, businessDays: r.afterActionBusinessDays } });
      for (const key of ['acknowledge', 'overdue/stabilise', 'overdue/reengage', 'book-reengage', 'overdue/savePlan', 'reclassify', `reset/${state.resets}`, `progress/${state.progress.judged}`, 'overdue/h1', 'overdue/h2']) {
        out.push({ kind: 'ctaResolved', key, note: `risk exited to green at ${at}` });
      }
      break;
    }
    case 'afterActionRecorded':
      state.afterAction!.recordedAt = at;
      met('afterAction', at);
      out.push(event('risk.after_action_recorded', 'R-102', { riskId: s.riskId, people: action.people, process: action.process, tech: action.tech, expectation: action.expectation }, { dueAt: state.afterAction!.dueAt, onTime: ms(at) <= ms(state.afterAction!.dueAt) }));
      out.push({ kind: 'ctaResolved', key: 'after-action', note: `After-Action recorded at ${at}` });
      break;
  }
  out.push(rowUpdate(state));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Due instants

/** The next instant the risk must act at: a pending deadline, the next weekly progress, the no-movement checkpoint. */
export function nextDue(state: RiskState): { key: string; at: string } | undefined {
  const c: { key: string; at: string }[] = [];
  for (const d of state.deadlines) if (d.status === 'pending') c.push({ key: `deadline|${d.key}`, at: d.dueAt });
  if (state.status === 'open') {
    const r = state.setup.rules;
    if (state.savePlan) {
      // R-99: weekly from Save Plan + 7 d, weeks 1–8 (to the H2 end).
      const n = state.progress.judged + 1;
      const at = new Date(ms(state.savePlan.publishedAt) + n * r.progressEmailDays * DAY_MS).toISOString();
      if (ms(at) <= ms(checkpoint(state.setup.openedAt, r.h2Days.to, calendarOfRisk(state.setup)))) c.push({ key: `progress|${n}`, at });
    }
    // R-100: no movement for 14 d (CHECKPOINT, elapsed from the last movement or the last reset).
    const from = Math.max(ms(state.lastMovementAt), state.lastResetAt ? ms(state.lastResetAt) : 0);
    c.push({ key: `noMovement|${state.resets + 1}`, at: new Date(from + r.noMovementDays * DAY_MS).toISOString() });
  }
  return c.sort((a, b) => ms(a.at) - ms(b.at) || (a.key < b.key ? -1 : 1))[0];
}

/** An instant of `nextDue` arrived (`now` ≥ it): judge it and say what to record. */
export function due(state: RiskState, key: string, now: string): ProcessEffect[] {
  state.ticks += 1;
  const s = state.setup;
  const r = s.rules;
  const cal = calendarOfRisk(s);
  const out: ProcessEffect[] = [];
  const [kind, rest] = key.split('|') as [string, string];
  const overdue = (ctaKey: string, title: string, ownerRole: Role, ruleId: string, why: Record<string, unknown>, dueHours = r.firstActionHours) =>
    out.push({ kind: 'cta', key: ctaKey, ctaKind: 'risk-overdue', title, ruleId, ownerRole, dueAt: addElapsedHours(now, dueHours, cal), why: { riskId: s.riskId, ...why } });
  if (kind === 'deadline') {
    const d = state.deadlines.find((x) => x.key === rest);
    if (!d || d.status !== 'pending') return out;
    const judge = () => {
      Object.assign(d, { status: 'missed', resolvedAt: d.dueAt });
      out.push(event('deadline.missed', d.ruleId, { deadline: `risk.${d.key}`, dueAt: toIso(d.dueAt, cal), ...(ms(now) - ms(d.dueAt) > 60_000 ? { lateByMs: ms(now) - ms(d.dueAt) } : {}) }, { riskId: s.riskId, severity: state.severity }, d.dueAt));
    };
    switch (d.key) {
      case 'acknowledge':
        judge(); // the acknowledgement CTA escalates at its own due (A-28); R-34's CTA runs its own clock
        break;
      case 'stabilise':
        judge();
        overdue('overdue/stabilise', `Stabilise the ${OWNER_LINE(state)} risk: war room, scope freeze, facts-only Snapshot (Day ${r.stabiliseDays} passed)`, s.ownerRole, 'R-96', { day: r.stabiliseDays });
        break;
      case 'reengage':
        judge();
        overdue('overdue/reengage', `Executive re-engage session overdue (due ${state.reengage.dueDate}): Snapshot, root-cause hypothesis, two decisions`, s.presenterRole, 'R-97', { dueDate: state.reengage.dueDate, booked: state.reengage.booked ?? null });
        break;
      case 'savePlan':
        judge();
        overdue('overdue/savePlan', 'Save Plan overdue: H1 containment, H2 correction, owner + date + budget per action', s.ownerRole, 'R-98', { dueAt: d.dueAt });
        break;
      case 'h1':
      case 'h2': {
        const horizon = d.key === 'h1' ? 'H1' : 'H2';
        const open = (state.savePlan?.actions ?? []).filter((a) => a.horizon === horizon && !a.doneAt);
        if (state.savePlan && !open.length) {
          Object.assign(d, { status: 'met', resolvedAt: d.dueAt });
          break;
        }
        judge();
        overdue(`overdue/${d.key}`, state.savePlan ? `${horizon} actions not done by Day ${d.key === 'h1' ? r.h1Days.to : r.h2Days.to}: ${open.map((a) => a.title).join('; ')}` : `No Save Plan by the end of ${horizon}`, s.ownerRole, 'R-98', { openActions: open.map((a) => a.id) });
        break;
      }
      case 'resolve':
        // R-101: not resolved at Day 30 → reclassify with a rationale.
        judge();
        out.push({ kind: 'cta', key: 'reclassify', ctaKind: 'risk-reclassify', title: `Risk not resolved at Day ${r.resolveDays}: reclassify it with a rationale`, ruleId: 'R-101', ownerRole: s.ownerRole, dueAt: addElapsedHours(now, r.firstActionHours, cal), why: { riskId: s.riskId, day: r.resolveDays, severity: state.severity, bucket: state.bucket } });
        break;
      case 'escalate':
        // R-101: open > 60 d → leadership escalation; contract review flagged.
        judge();
        state.escalatedAt = d.dueAt;
        out.push(event('risk.escalated', 'R-101', { riskId: s.riskId, to: s.sponsorRole, contractReview: true, openDays: r.escalateDays }, { severity: state.severity, bucket: state.bucket, openedAt: s.openedAt }, d.dueAt));
        out.push({ kind: 'cta', key: 'escalation', ctaKind: 'risk-escalation', title: `Risk open more than ${r.escalateDays} days: leadership escalation, consider a contract review`, ruleId: 'R-101', ownerRole: s.sponsorRole, dueAt: addElapsedHours(now, r.firstActionHours, cal), why: { riskId: s.riskId, contractReview: true }, data: { contractReview: true } });
        break;
      case 'afterAction':
        judge();
        break;
    }
  } else if (kind === 'progress') {
    // R-99: a progress email each week from Save Plan + 7 d.
    const n = Number(rest);
    state.progress.judged = n;
    const at = ms(state.savePlan!.publishedAt) + n * r.progressEmailDays * DAY_MS;
    const from = at - r.progressEmailDays * DAY_MS;
    const sent = state.progress.sentAt.some((x) => ms(x) > from && ms(x) <= at);
    if (!sent) {
      out.push(event('deadline.missed', 'R-99', { deadline: `risk.progress.${n}`, dueAt: toIso(at, cal) }, { riskId: s.riskId, week: n }, toIso(at, cal)));
      out.push({ kind: 'cta', key: `progress/${n}`, ctaKind: 'risk-progress', title: `Send week ${n}'s progress email on the Save Plan`, ruleId: 'R-99', ownerRole: s.ownerRole, dueAt: addElapsedHours(now, 24, cal), clock: 'due', why: { riskId: s.riskId, week: n } });
    }
  } else if (kind === 'noMovement') {
    // R-100: no action done, status change or client decision for 14 d → reset with two options, held ≤ 7 d.
    state.resets += 1;
    state.lastResetAt = now;
    out.push(event('risk.stalled', 'R-100', { riskId: s.riskId, lastMovementAt: state.lastMovementAt, days: r.noMovementDays, reset: state.resets }, { options: ['now', 'next quarter'], resetWithinDays: r.resetWithinDays }, now));
    out.push({
      kind: 'cta', key: `reset/${state.resets}`, ctaKind: 'risk-reset', title: `No movement for ${r.noMovementDays} days: reset with two new options (now vs next quarter), held within ${r.resetWithinDays} days`,
      ruleId: 'R-100', ownerRole: s.ownerRole, dueAt: addElapsedHours(now, r.resetWithinDays * 24, cal), why: { riskId: s.riskId, lastMovementAt: state.lastMovementAt, policyKeys: ['atRisk.noMovementDays', 'atRisk.resetWithinDays'] },
    });
  }
  out.push(rowUpdate(state));
  return out;
}

/** The risk as GET /v1/risks/{id} shows it. */
export function riskStatusView(state: RiskState) {
  const s = state.setup;
  return {
    riskId: s.riskId, clientId: s.clientId, bucket: state.bucket, severity: state.severity, impact: state.impact, likelihood: state.likelihood, status: state.status,
    trigger: s.trigger, ruleId: s.ruleId, openedAt: s.openedAt, ownerRole: s.ownerRole, presenterRole: s.presenterRole, sponsorRole: s.sponsorRole,
    firstActionCta: s.firstActionCta, repeat: s.repeatOf !== null, repeatOf: s.repeatOf, healthBaseline: s.healthBaseline, exitCriteria: s.rules.exitCriteria[state.bucket],
    acknowledgedAt: state.acknowledgedAt ?? null, stabilisedAt: state.stabilisedAt ?? null, reengage: state.reengage, savePlan: state.savePlan ?? null,
    progress: state.progress, lastMovementAt: state.lastMovementAt, resets: state.resets, evidence: state.evidence, reclassifications: state.reclassifications,
    escalatedAt: state.escalatedAt ?? null, closedAt: state.closedAt ?? null, exit: state.exit ?? null, afterAction: state.afterAction ?? null,
    deadlines: [...state.deadlines].sort((a, b) => ms(a.dueAt) - ms(b.dueAt)).map((d) => ({ ...d, dueAt: toIso(d.dueAt, calendarOfRisk(s)) })),
    next: nextDue(state) ?? null, policyVersion: s.policyVersion,
  };
}
export type RiskStatus = ReturnType<typeof riskStatusView>;
