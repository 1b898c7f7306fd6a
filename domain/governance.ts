/**
 * The governance rhythm (DOMAIN ): when each routine meets, what makes
 * a threshold change mid-quarter, when two breached months open a Corrective Play and gate
 * credit, whether a client's six triggers are automated and which Defense Loop
 * triggers fire for a D client.
 *
 * Pure and deterministic (imported from workflow code): no I/O, no clock; every instant is passed
 * in and every number comes from the policy (`governance.*`, `kpis.*`, `playsAndGates.*`,
 * `cadence.<segment>.defenseLoop.*`, `triggers.*`).
 */
import { DateTime } from 'luxon';
import { addCalendarDays, atLocalTime, isBusinessDay, localDateOf, makeCalendar, nextBusinessDay, roll, type BusinessCalendar, type LocalDate } from './business-time.js';
import { nthWeekdayOfMonth } from './missed-cadence.js';
import type { Policy, PolicyChange } from './policy.js';

export const ROUTINES = ['weeklyAmCsm', 'weeklyCsOps', 'monthlySegmentReview', 'quarterlyPortfolio'] as const;
export type Routine = (typeof ROUTINES)[number];

/** What each routine covers and the rules it runs (R-125; R-38 for the radar, R-35/R-60/R-23/R-12 on the monthly). */
export const ROUTINE_SPECS: Record<Routine, { title: string; cadence: 'weekly' | 'monthly' | 'quarterly'; ruleIds: string[] }> = {
  weeklyAmCsm: { title: 'Weekly AM/CSM', cadence: 'weekly', ruleIds: ['R-125'] },
  weeklyCsOps: { title: 'Weekly CS Ops and Cadence Radar', cadence: 'weekly', ruleIds: ['R-125', 'R-38', 'R-23', 'R-37'] },
  monthlySegmentReview: { title: 'Monthly Segment Review', cadence: 'monthly', ruleIds: ['R-125', 'R-35', 'R-32', 'R-60', 'R-23', 'R-12', 'R-6'] },
  quarterlyPortfolio: { title: 'Quarterly Portfolio', cadence: 'quarterly', ruleIds: ['R-125', 'R-7', 'R-8', 'R-6'] },
};

export const SESSION_ID_RE = /^(weeklyAmCsm|weeklyCsOps|monthlySegmentReview|quarterlyPortfolio)-\d{4}-(W\d{2}|\d{2}|Q[1-4])$/;

/** The MSP's own calendar: governance.timeZone, the policy's workdays and MSP-wide holidays. */
export function governanceCalendar(policy: Policy): BusinessCalendar {
  return makeCalendar({ timeZone: policy.governance.timeZone, holidays: policy.calendar.holidays, workdays: policy.calendar.workdays, dayStart: policy.calendar.dayStart, dayEnd: policy.calendar.dayEnd });
}

export interface SessionSlot {
  routine: Routine;
  /** `weeklyCsOps-2027-W10`, `monthlySegmentReview-2027-03`, `quarterlyPortfolio-2027-Q2`. */
  sessionId: string;
  /** The period it covers: ISO week, month or quarter. */
  period: string;
  scheduledFor: string;
  endsAt: string;
  localDate: LocalDate;
  /** Set when the nominal day was not a business day. */
  movedFrom?: LocalDate;
  why: Record<string, unknown>;
}

const isoWeek = (date: LocalDate) => DateTime.fromISO(date, { zone: 'utc' }).toFormat("kkkk-'W'WW");
const nextMonth = (month: string) => DateTime.fromISO(`${month}-01`, { zone: 'utc' }).plus({ months: 1 }).toFormat('yyyy-MM');

/**
 * The routine's first session strictly after `after`, or undefined when the policy switches it off.
 * Weekly routines meet on their weekday (a non-business day moves to the next business day of the
 * same ISO week, else the session is skipped that week); the Monthly Segment Review on
 * `missedCadence.segmentReviewSlot` (first Tuesday, ROLLed as R-35's review date is, C-2); the
 * Quarterly Portfolio on its Nth weekday of each calendar quarter's first month (ROLLed).
 */
export function nextSession(routine: Routine, after: string, policy: Policy): SessionSlot | undefined {
  const g = policy.governance;
  const cal = governanceCalendar(policy);
  const afterMs = Date.parse(after);
  const spec = ROUTINE_SPECS[routine];
  const slot = (date: LocalDate, time: string, minutes: number, period: string, why: Record<string, unknown>, nominal: LocalDate): SessionSlot => {
    const scheduledFor = atLocalTime(date, time, cal);
    return {
      routine, sessionId: `${routine}-${period}`, period, scheduledFor, endsAt: new Date(Date.parse(scheduledFor) + minutes * 60_000).toISOString(), localDate: date,
      ...(date !== nominal ? { movedFrom: nominal } : {}),
      why: { ...why, zone: cal.timeZone, ruleIds: spec.ruleIds, ...(date !== nominal ? { notBusinessDay: nominal } : {}) },
    };
  };
  if (routine === 'weeklyAmCsm' || routine === 'weeklyCsOps') {
    const w = g[routine];
    if (!w.enabled) return undefined;
    let date = localDateOf(after, cal);
    date = addCalendarDays(date, (w.weekday - DateTime.fromISO(date, { zone: 'utc' }).weekday + 7) % 7);
    for (let i = 0; i < 60; i++, date = addCalendarDays(date, 7)) {
      let day = date;
      if (!isBusinessDay(day, cal)) {
        day = nextBusinessDay(day, cal);
        if (isoWeek(day) !== isoWeek(date)) continue; // no business day left that week: no session
      }
      const s = slot(day, w.time, w.minutes, isoWeek(date), { weekday: w.weekday, time: w.time, policyKeys: [`governance.${routine}`] }, date);
      if (Date.parse(s.scheduledFor) > afterMs) return s;
    }
    return undefined;
  }
  if (routine === 'monthlySegmentReview') {
    const m = g.monthlySegmentReview;
    if (!m.enabled) return undefined;
    const s0 = policy.missedCadence.segmentReviewSlot;
    let month = localDateOf(after, cal).slice(0, 7);
    for (let i = 0; i < 24; i++, month = nextMonth(month)) {
      const nominal = nthWeekdayOfMonth(month, s0.weekOfMonth, s0.weekday);
      const s = slot(roll(nominal, cal, `${month}-01`), m.time, m.minutes, month, { weekOfMonth: s0.weekOfMonth, weekday: s0.weekday, time: m.time, policyKeys: ['missedCadence.segmentReviewSlot', 'governance.monthlySegmentReview'], rule: 'R-35: the policy\'s first Tuesday' }, nominal);
      if (Date.parse(s.scheduledFor) > afterMs) return s;
    }
    return undefined;
  }
  const q = g.quarterlyPortfolio;
  if (!q.enabled) return undefined;
  let month = localDateOf(after, cal).slice(0, 7);
  for (let i = 0; i < 36; i++, month = nextMonth(month)) {
    const mo = Number(month.slice(5));
    if ((mo - 1) % 3 !== 0) continue;
    const nominal = nthWeekdayOfMonth(month, q.weekOfMonth, q.weekday);
    const s = slot(roll(nominal, cal, `${month}-01`), q.time, q.minutes, `${month.slice(0, 4)}-Q${(mo - 1) / 3 + 1}`, { weekOfMonth: q.weekOfMonth, weekday: q.weekday, time: q.time, policyKeys: ['governance.quarterlyPortfolio'] }, nominal);
    if (Date.parse(s.scheduledFor) > afterMs) return s;
  }
  return undefined;
}

/** The session slot a session id names (its period), under the policy: used to re-derive a session's times. */
export function periodStart(period: string): string {
  if (/^\d{4}-W\d{2}$/.test(period)) return DateTime.fromISO(period, { zone: 'utc' }).toISODate()!;
  if (/^\d{4}-Q[1-4]$/.test(period)) return `${period.slice(0, 4)}-${String((Number(period.slice(6)) - 1) * 3 + 1).padStart(2, '0')}-01`;
  return `${period}-01`;
}

// ---------------------------------------------------------------------------------------------
// thresholds change at most once a quarter, never mid-quarter

/** The changes of a diff that touch a threshold (`governance.thresholdPaths`, prefix match). */
export function thresholdChanges(diff: readonly PolicyChange[], paths: readonly string[]): PolicyChange[] {
  return diff.filter((c) => paths.some((p) => c.path === p || c.path.startsWith(`${p}.`)));
}

export interface QuarterWindow {
  quarter: string;
  quarterStart: string;
  /** Threshold changes are allowed before this instant (quarter start + thresholdChangeWindowDays). */
  windowEndsAt: string;
  nextQuarterStart: string;
  inWindow: boolean;
}

/** The calendar quarter (in governance.timeZone) holding `at` and its R-125 change window. */
export function quarterWindow(at: string, policy: Policy): QuarterWindow {
  const zone = policy.governance.timeZone;
  const t = DateTime.fromISO(at, { setZone: false }).setZone(zone);
  const start = t.startOf('quarter');
  const end = start.plus({ days: policy.governance.thresholdChangeWindowDays });
  return {
    quarter: `${start.year}-Q${start.quarter}`, quarterStart: start.toUTC().toISO()!, windowEndsAt: end.toUTC().toISO()!,
    nextQuarterStart: start.plus({ months: 3 }).toUTC().toISO()!, inWindow: t.toMillis() < end.toMillis(),
  };
}

export type ThresholdVerdict =
  | { ok: true; thresholdChanges: PolicyChange[]; window: QuarterWindow; forced?: { rationale: string } }
  | { ok: false; reason: 'midQuarter' | 'alreadyChangedThisQuarter'; message: string; thresholdChanges: PolicyChange[]; window: QuarterWindow; earlier?: { version: number; publishedAt: string } };

/**
 * a publish that changes a threshold is refused mid-quarter (after the quarter's first
 * `thresholdChangeWindowDays`) and when a threshold already changed this quarter — unless an admin
 * forces it with a rationale, which is recorded. Refused, not deferred: a version waiting for the
 * next quarter would make the version in force depend on the clock in every reader; the refusal
 * names the next window instead.
 */
export function thresholdChangeVerdict(
  input: { at: string; diff: readonly PolicyChange[]; earlierThisQuarter: { version: number; publishedAt: string }[]; force?: { rationale: string } },
  active: Policy,
): ThresholdVerdict {
  const changes = thresholdChanges(input.diff, active.governance.thresholdPaths);
  const window = quarterWindow(input.at, active);
  if (!changes.length) return { ok: true, thresholdChanges: [], window };
  if (input.force) return { ok: true, thresholdChanges: changes, window, forced: input.force };
  const paths = changes.map((c) => c.path).join(', ');
  if (!window.inWindow) {
    return {
      ok: false, reason: 'midQuarter', thresholdChanges: changes, window,
      message: `R-125: thresholds change at most once a quarter, never mid-quarter. ${paths} would change in ${window.quarter} after its change window closed at ${window.windowEndsAt}; publish from ${window.nextQuarterStart} (the next quarter's window), or force it with a rationale.`,
    };
  }
  const earlier = input.earlierThisQuarter[0];
  if (earlier) {
    return {
      ok: false, reason: 'alreadyChangedThisQuarter', thresholdChanges: changes, window, earlier,
      message: `R-125: thresholds change at most once a quarter; version ${earlier.version} (published ${earlier.publishedAt}) already changed thresholds in ${window.quarter}. ${paths} can change from ${window.nextQuarterStart}, or force it with a rationale.`,
    };
  }
  return { ok: true, thresholdChanges: changes, window };
}

// ---------------------------------------------------------------------------------------------
// two breached months running → Corrective Play and credit gated until green

export interface CellMonth {
  /** `true`: at least one measured figure missed its target; `false`: every measured figure met it; null: nothing measured. */
  breached: boolean | null;
  month: string;
}

export type GateVerdict = { kind: 'gate'; months: string[] } | { kind: 'release'; greenMonth: string } | { kind: 'keep' };

/**
 * R-60 for one owner × segment cell, months oldest first: the last `breachMonths` months all
 * breached → gate (Corrective Play + credit gated); a gated cell whose last month is green → release;
 * otherwise keep what is. A month with nothing measured neither breaches nor turns green.
 */
export function governanceGate(months: CellMonth[], gated: boolean, breachMonths: number): GateVerdict {
  const last = months.at(-1);
  if (gated) return last && last.breached === false ? { kind: 'release', greenMonth: last.month } : { kind: 'keep' };
  const tail = months.slice(-breachMonths);
  if (breachMonths > 0 && tail.length === breachMonths && tail.every((m) => m.breached === true)) return { kind: 'gate', months: tail.map((m) => m.month) };
  return { kind: 'keep' };
}

// ---------------------------------------------------------------------------------------------
// R-23 trigger coverage

/** The six triggers of §2.3 (R-13..R-18); are optional. */
export const SIX_TRIGGERS = ['renewal', 'fiscalYearEnd', 'assessmentCompleted', 'initiativeApproved', 'engagementDrop', 'adoptionBelowThreshold'] as const;
export type SixTrigger = (typeof SIX_TRIGGERS)[number];

/**
 * which of a client's six triggers run automatically. They live in the client's engagement
 * cadence, so none runs before cadence lock; the renewal trigger also needs a renewal date.
 * What is not automated sits in the Trigger Queue the weekly CS Ops meeting works through.
 */
export function triggerCoverage(client: { cadenceRunning: boolean; renewalDate: string | null }): { automated: SixTrigger[]; queued: { trigger: SixTrigger; reason: string }[] } {
  const automated: SixTrigger[] = [];
  const queued: { trigger: SixTrigger; reason: string }[] = [];
  for (const t of SIX_TRIGGERS) {
    if (!client.cadenceRunning) queued.push({ trigger: t, reason: 'no engagement cadence running (the triggers start at cadence lock, R-10)' });
    else if (t === 'renewal' && !client.renewalDate) queued.push({ trigger: t, reason: 'no renewal date on the client (R-13)' });
    else automated.push(t);
  }
  return { automated, queued };
}

// ---------------------------------------------------------------------------------------------
// R-12 D Defense Loop triggers

export interface DefenseIntake { month: string; incidents: number; oldestExceptionAgeDays: number | null; costToServeUsd: number | null }
export type DefenseTrigger = 'incidentSpike' | 'exceptionAgeRising' | 'costToServeOverTarget';

/**
 * which Defense Loop triggers the latest month fires, from the client's monthly intakes
 * (oldest first, consecutive months): an incident spike (≥ `incidentSpikeMin` and ≥
 * `incidentSpikeFactor` × the average of the `trailingMonths` before), a rising exception age (the
 * oldest open exception older each month for `exceptionAgeRisingMonths` months running), and
 * `costToServeOverMonths` consecutive months over the cost-to-serve target (the client's monthly
 * CS budget, R-5, unless a target is given).
 */
export function defenseLoopTriggers(intakes: DefenseIntake[], costTargetUsdPerMonth: number, loop: Policy['cadence']['D']['defenseLoop']): { trigger: DefenseTrigger; why: Record<string, unknown> }[] {
  const out: { trigger: DefenseTrigger; why: Record<string, unknown> }[] = [];
  const last = intakes.at(-1);
  if (!last) return out;
  const before = intakes.slice(0, -1).slice(-loop.trailingMonths);
  if (before.length) {
    const avg = before.reduce((s, i) => s + i.incidents, 0) / before.length;
    if (last.incidents >= loop.incidentSpikeMin && last.incidents >= loop.incidentSpikeFactor * avg) {
      out.push({ trigger: 'incidentSpike', why: { month: last.month, incidents: last.incidents, trailingAverage: Math.round(avg * 100) / 100, trailingMonths: before.map((i) => i.month), factor: loop.incidentSpikeFactor, min: loop.incidentSpikeMin } });
    }
  }
  const ages = intakes.slice(-(loop.exceptionAgeRisingMonths + 1));
  if (ages.length === loop.exceptionAgeRisingMonths + 1 && ages.every((a) => a.oldestExceptionAgeDays !== null) && ages.every((a, i) => i === 0 || a.oldestExceptionAgeDays! > ages[i - 1]!.oldestExceptionAgeDays!)) {
    out.push({ trigger: 'exceptionAgeRising', why: { months: ages.map((a) => ({ month: a.month, oldestExceptionAgeDays: a.oldestExceptionAgeDays })), risingMonths: loop.exceptionAgeRisingMonths } });
  }
  const costs = intakes.slice(-loop.costToServeOverMonths);
  if (loop.costToServeOverMonths > 0 && costs.length === loop.costToServeOverMonths && costs.every((c) => c.costToServeUsd !== null && c.costToServeUsd > costTargetUsdPerMonth)) {
    out.push({ trigger: 'costToServeOverTarget', why: { months: costs.map((c) => ({ month: c.month, costToServeUsd: c.costToServeUsd })), targetUsdPerMonth: costTargetUsdPerMonth, overMonths: loop.costToServeOverMonths } });
  }
  return out;
}

/** Whether months `a` then `b` (yyyy-MM) are consecutive. */
export const consecutiveMonths = (a: string, b: string) => nextMonth(a) === b;
export { nextMonth };
