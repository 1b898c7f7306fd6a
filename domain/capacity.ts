/**
 * Capacity guardrails (DOMAIN.md §2.6 ): whether a person may take a meeting in a slot,
 * and the next allowed slot when not.
 *
 *  - no double booking, a vCIO takes at most `vcioMaxStrategicPerWeek` strategic meetings
 *    per week; strategic meetings the CSM attends go on batch days (Tue/Thu), none on
 *    `noSlotWeekdays` (Friday). A-22: batch days and Fridays are preferences, never refusals: they
 *    steer dates Baton picks (the recurring slot, rebooks) and are ignored for dates that come from
 *    an anchor or a ROLL (annual planning, triggers, "within N days" limits).
 *  - load = (meeting + prep hours) ÷ available hours per person-week; auto-booking stops once
 *    a booking would take the week over `autoBookCapPct`.
 *
 * Weekdays (business day, Friday, batch days) are judged on the client's calendar (`cal`), where
 * the meeting happens; weeks for the load and the vCIO cap are ISO weeks (Mon–Sun) in
 * `capacity.weekTimeZone`, one zone for the whole MSP so a person's week does not depend on which
 * client a meeting is with.
 *
 * Pure and deterministic (imported from activities and Temporal workflow code): no I/O, no clock.
 * Every number comes from `policy.capacity.*`.
 */
import { DateTime } from 'luxon';
import { addCalendarDays, atLocalTime, isBusinessDay, localDateOf, type BusinessCalendar } from './business-time.js';
import type { Policy, Role } from './policy.js';

const HOUR_MS = 3_600_000;
const ms = (iso: string) => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`Invalid instant '${iso}'`);
  return t;
};

/** A meeting already on a person's calendar (states scheduled or held). */
export interface Booking {
  id: string;
  startsAt: string;
  endsAt: string;
  strategic: boolean;
  prepHours: number;
}

/** A meeting to place: `role` is the RACI role it is Accountable under (R-36 rules differ by role). */
export interface SlotRequest {
  startsAt: string;
  endsAt: string;
  strategic: boolean;
  prepHours: number;
  role: Role;
  /** the CSM attends in some RACI role (accountable, presenter or recorder); default: the CSM is Accountable. */
  csmAttends?: boolean;
}

/**
 * how Friday and batch-day preferences apply. `steer`: a date Baton picks — the earliest slot
 * that meets them in the search window, else the earliest that meets only the hard rules. `ignore`:
 * a date from an anchor or a ROLL — booked on that date when the people are free.
 */
export type SlotPreferences = 'steer' | 'ignore';
/** Problems that are preferences, not refusals. */
export const PREFERENCE_PROBLEMS: readonly SlotProblem[] = ['noSlotWeekday', 'notBatchDay'];

export interface PersonCapacity {
  personId: string;
  weeklyCapacityHours: number;
}

/** Why a slot is refused, in the order the checks run. */
export type SlotProblem = 'notBusinessDay' | 'noSlotWeekday' | 'notBatchDay' | 'doubleBooked' | 'strategicWeekCap' | 'loadCap';
const PROBLEM_ORDER: readonly SlotProblem[] = ['notBusinessDay', 'noSlotWeekday', 'notBatchDay', 'doubleBooked', 'strategicWeekCap', 'loadCap'];

export type PickedSlot =
  | { ok: true; startsAt: string; endsAt: string; movedFrom?: string; movedBecause: SlotProblem[]; why: Record<string, unknown> }
  | { ok: false; reasons: SlotProblem[]; why: Record<string, unknown> };

/** hours a meeting takes from its Accountable's week: its own length plus its prep hours. */
export function loadHours(b: { startsAt: string; endsAt: string; prepHours: number }): number {
  return Math.max(0, ms(b.endsAt) - ms(b.startsAt)) / HOUR_MS + (b.prepHours ?? 0);
}

function inZone(instant: string, zone: string): DateTime {
  const dt = DateTime.fromMillis(ms(instant), { zone });
  if (!dt.isValid) throw new RangeError(`Invalid time zone '${zone}': ${dt.invalidExplanation ?? dt.invalidReason}`);
  return dt;
}

/** ISO week 'kkkk-Www' (e.g. '2026-W11') of `instant` in `zone` (R-37 role-week; `capacity.weekTimeZone`). */
export function weekOf(instant: string, zone: string): string {
  return inZone(instant, zone).toFormat("kkkk-'W'WW");
}

/** The ISO week holding `instant` in `zone`: its label, its Monday (local date) and its [from, to) instants. */
export function weekRange(instant: string, zone: string): { week: string; startsOn: string; from: string; to: string } {
  const start = inZone(instant, zone).startOf('week');
  return {
    week: start.toFormat("kkkk-'W'WW"),
    startsOn: start.toISODate()!,
    from: start.toUTC().toISO()!,
    to: start.plus({ weeks: 1 }).toUTC().toISO()!,
  };
}

/** Percent with one decimal; null when there is nothing to divide by. */
export function pct1(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator / denominator) * 1000) / 10 : null;
}

interface Evaluation {
  problems: SlotProblem[];
  detail: Record<string, unknown>;
}

function evaluate(req: SlotRequest, person: PersonCapacity | null, bookings: Booking[], policy: Policy, cal: BusinessCalendar): Evaluation {
  const c = policy.capacity;
  const found = new Set<SlotProblem>();
  const localDate = localDateOf(req.startsAt, cal);
  const weekday = DateTime.fromISO(localDate, { zone: 'utc' }).weekday;
  const detail: Record<string, unknown> = { localDate, weekday };

  // Calendar checks (R-36, C-1): these hold whoever takes the meeting.
  if (!isBusinessDay(localDate, cal)) found.add('notBusinessDay');
  if (c.noSlotWeekdays.includes(weekday)) found.add('noSlotWeekday');
  if (req.strategic && (req.csmAttends ?? req.role === 'CSM') && !c.csmBatchWeekdays.includes(weekday)) found.add('notBatchDay');

  if (person) {
    const start = ms(req.startsAt);
    const end = ms(req.endsAt);
    const clash = bookings.filter((b) => ms(b.startsAt) < end && start < ms(b.endsAt));
    if (clash.length) {
      found.add('doubleBooked');
      detail.overlapsWith = clash.map((b) => b.id);
    }
    // The week's bounds as instants, so each booking is a comparison, not a week label of its own:
    // a shared team's person has hundreds of bookings and the slot search evaluates many candidates.
    const { week, from, to } = weekRange(req.startsAt, c.weekTimeZone);
    const weekFrom = ms(from);
    const weekTo = ms(to);
    const sameWeek = bookings.filter((b) => { const t = ms(b.startsAt); return t >= weekFrom && t < weekTo; });
    const strategicInWeek = sameWeek.filter((b) => b.strategic).length;
    if (req.role === 'vCIO' && req.strategic && strategicInWeek >= c.vcioMaxStrategicPerWeek) found.add('strategicWeekCap');
    const bookedHours = sameWeek.reduce((sum, b) => sum + loadHours(b), 0);
    const thisHours = loadHours(req);
    const capacity = person.weeklyCapacityHours;
    const after = bookedHours + thisHours;
    // A person with no weekly hours has no room for any load.
    const loadPctAfter = capacity > 0 ? (after / capacity) * 100 : after > 0 ? Infinity : 0;
    if (loadPctAfter > c.autoBookCapPct) found.add('loadCap');
    Object.assign(detail, {
      week,
      strategicInWeek,
      bookedHours: round2(bookedHours),
      meetingHours: round2(thisHours),
      weeklyCapacityHours: capacity,
      loadPctAfter: Number.isFinite(loadPctAfter) ? Math.round(loadPctAfter * 10) / 10 : null,
    });
  }
  return { problems: PROBLEM_ORDER.filter((p) => found.has(p)), detail };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * what stops `person` taking `req`. `bookings` are the person's meetings (scheduled or
 * held) — the caller leaves out the meeting being moved. With `person` null (nobody holds the role)
 * only the calendar checks apply: business day, no-slot weekday, CSM batch day.
 */
export function slotProblems(req: SlotRequest, person: PersonCapacity | null, bookings: Booking[], policy: Policy, cal: BusinessCalendar): SlotProblem[] {
  return evaluate(req, person, bookings, policy, cal).problems;
}

/**
 * The requested slot when nothing stops it; otherwise the next allowed one: on each day from the
 * requested one up to `capacity.slotSearchDays` later, the requested local wall time (client zone,
 * so 10:00 stays 10:00 across a DST switch) and — when only a clash with the person's other
 * meetings stops it — later times that day in steps of `capacity.slotStepMinutes`, ending by the
 * calendar's dayEnd. Day-level problems (not a business day, weekly cap, load cap, and with
 * `steer` the preferences) skip to the next day. A-22: with `steer` a slot that meets the
 * preferences wins within the window; failing that, the earliest slot that meets the hard rules
 * (`preferencesWaived` says which were given up); with `ignore` they are not checked. Never
 * unbooked for a preference. `movedBecause` is every problem met on the way.
 */
export function pickSlot(req: SlotRequest, person: PersonCapacity | null, bookings: Booking[], policy: Policy, cal: BusinessCalendar, preferences: SlotPreferences = 'steer'): PickedSlot {
  if (preferences === 'ignore') return searchSlot(req, person, bookings, policy, cal, PREFERENCE_PROBLEMS);
  const preferred = searchSlot(req, person, bookings, policy, cal, []);
  if (preferred.ok) return preferred;
  const waived = searchSlot(req, person, bookings, policy, cal, PREFERENCE_PROBLEMS);
  if (!waived.ok) return preferred;
  return { ...waived, why: { ...waived.why, preferencesWaived: preferred.reasons.filter((p) => PREFERENCE_PROBLEMS.includes(p)), rule: 'A-22' } };
}

function searchSlot(req: SlotRequest, person: PersonCapacity | null, bookings: Booking[], policy: Policy, cal: BusinessCalendar, ignored: readonly SlotProblem[]): PickedSlot {
  const judge = (r: SlotRequest) => {
    const e = evaluate(r, person, bookings, policy, cal);
    return { ...e, problems: e.problems.filter((p) => !ignored.includes(p)) };
  };
  const c = policy.capacity;
  const first = judge(req);
  const base: Record<string, unknown> = {
    requested: { startsAt: req.startsAt, endsAt: req.endsAt, role: req.role, strategic: req.strategic },
    personId: person?.personId ?? null,
    zone: cal.timeZone,
    weekTimeZone: c.weekTimeZone,
    ruleIds: ['R-36', 'R-37', 'A-22'],
    ...(ignored.length ? { preferencesIgnored: [...ignored] } : {}),
    policyKeys: ['capacity.noSlotWeekdays', 'capacity.csmBatchWeekdays', 'capacity.vcioMaxStrategicPerWeek', 'capacity.autoBookCapPct', 'capacity.slotSearchDays', 'capacity.slotStepMinutes', 'capacity.weekTimeZone'],
  };
  if (first.problems.length === 0) {
    return { ok: true, startsAt: req.startsAt, endsAt: req.endsAt, movedBecause: [], why: { ...base, checks: first.detail } };
  }

  const met = new Set<SlotProblem>(first.problems);
  const tried: { startsAt: string; problems: SlotProblem[] }[] = [{ startsAt: req.startsAt, problems: first.problems }];
  const start = DateTime.fromMillis(ms(req.startsAt), { zone: cal.timeZone });
  const time = start.toFormat('HH:mm');
  const subMinuteMs = start.second * 1000 + start.millisecond;
  const durationMs = ms(req.endsAt) - ms(req.startsAt);
  const startDate = start.toISODate()!;
  const onlyClash = (problems: SlotProblem[]) => problems.length === 1 && problems[0] === 'doubleBooked';
  for (let d = 0; d <= c.slotSearchDays; d++) {
    const date = addCalendarDays(startDate, d);
    const dayEnd = ms(atLocalTime(date, cal.dayEnd, cal));
    let at = DateTime.fromISO(atLocalTime(date, time, cal), { setZone: true }).plus({ milliseconds: subMinuteMs });
    let problems = d === 0 ? first.problems : undefined;
    for (;;) {
      const candidate: SlotRequest = { ...req, startsAt: at.toISO()!, endsAt: at.plus({ milliseconds: durationMs }).toISO()! };
      const e = problems ? { problems, detail: first.detail } : judge(candidate);
      problems = undefined;
      if (e.problems.length === 0) {
        return {
          ok: true, startsAt: candidate.startsAt, endsAt: candidate.endsAt, movedFrom: req.startsAt, movedBecause: PROBLEM_ORDER.filter((p) => met.has(p)),
          why: { ...base, localTime: at.toFormat('HH:mm'), daysLater: d, tried: tried.slice(0, 30), triedCount: tried.length, checks: e.detail },
        };
      }
      e.problems.forEach((p) => met.add(p));
      if (!(d === 0 && tried.length === 1 && tried[0]!.startsAt === candidate.startsAt)) tried.push({ startsAt: candidate.startsAt, problems: e.problems });
      // Only a clash: a later time the same day may be free. Anything else holds for the whole day.
      const later = at.plus({ minutes: c.slotStepMinutes });
      if (!onlyClash(e.problems) || later.toMillis() + durationMs > dayEnd) break;
      at = later;
    }
  }
  const reasons = PROBLEM_ORDER.filter((p) => met.has(p));
  return { ok: false, reasons, why: { ...base, localTime: time, searchedDays: c.slotSearchDays, tried: tried.slice(0, 30), triedCount: tried.length, reason: `no slot from ${time} within ${c.slotSearchDays} days passes R-36/R-37` } };
}

/**
 * A-30's fallback for a "within N days" meeting with no allowed slot between its minimum notice and
 * its limit: the latest allowed slot before `req.startsAt` (the minimum-notice instant), at the
 * requested local time, on a day after `notBefore` (its cause). Preferences are not checked (A-22).
 */
export function latestSlotBefore(req: SlotRequest, notBefore: string, person: PersonCapacity | null, bookings: Booking[], policy: Policy, cal: BusinessCalendar): PickedSlot {
  const start = DateTime.fromMillis(ms(req.startsAt), { zone: cal.timeZone });
  const durationMs = ms(req.endsAt) - ms(req.startsAt);
  const tried: { startsAt: string; problems: SlotProblem[] }[] = [];
  for (let d = 1; d <= policy.capacity.slotSearchDays; d++) {
    const date = addCalendarDays(start.toISODate()!, -d);
    const at = DateTime.fromISO(atLocalTime(date, start.toFormat('HH:mm'), cal), { setZone: true });
    if (at.toMillis() <= ms(notBefore)) break;
    const candidate: SlotRequest = { ...req, startsAt: at.toISO()!, endsAt: at.plus({ milliseconds: durationMs }).toISO()! };
    const problems = evaluate(candidate, person, bookings, policy, cal).problems.filter((p) => !PREFERENCE_PROBLEMS.includes(p));
    if (problems.length === 0) {
      return { ok: true, startsAt: candidate.startsAt, endsAt: candidate.endsAt, movedFrom: req.startsAt, movedBecause: [], why: { rule: 'A-30', fallback: 'latest allowed slot before the minimum notice', tried } };
    }
    tried.push({ startsAt: candidate.startsAt, problems });
  }
  return { ok: false, reasons: PROBLEM_ORDER.filter((p) => tried.some((t) => t.problems.includes(p))), why: { rule: 'A-30', tried } };
}
