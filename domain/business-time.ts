/**
 * Business-time arithmetic in a client's zone (DOMAIN.md §0 C-1..C-4, A-14, A-21, R-24, R-26).
 *
 * Pure and deterministic: imported from Temporal workflow code, so it never reads the clock,
 * randomness, env or files, and never relies on Luxon's default zone. All zone math is Luxon's.
 *
 * Local wall times are resolved like this (see `wallTime`):
 *  - a wall time that does not exist (spring-forward gap) moves forward by the gap, Luxon's rule:
 *    02:30 on 2026-03-08 in America/Chicago becomes 03:30 CDT;
 *  - a wall time that exists twice (fall-back overlap) resolves to the EARLIER instant. Luxon's own
 *    pick depends on the current clock (its provisional offset guess), which would break replay.
 */
import { DateTime, IANAZone } from 'luxon';

/** ISO-8601 string with an offset or 'Z', epoch milliseconds, or a Date. */
export type Instant = string | number | Date;
/** Calendar date 'yyyy-MM-dd' in the client's zone. */
export type LocalDate = string;

export interface BusinessCalendar {
  /** IANA zone, e.g. 'America/Chicago'. */
  timeZone: string;
  holidays: readonly LocalDate[];
  /** ISO weekdays, 1 = Mon .. 7 = Sun. */
  workdays: readonly number[];
  /** 'HH:mm' opening, inclusive. */
  dayStart: string;
  /** 'HH:mm' closing, exclusive ('24:00' allowed). */
  dayEnd: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Give up after ten years without a business day (e.g. a calendar with every day a holiday). */
const MAX_SCAN_DAYS = 3_660;

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;
const OFFSET_RE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

// ---------------------------------------------------------------------------------------------
// Parsing helpers

/** True when `zone` is an IANA zone name the runtime's Intl data knows. */
export function isValidTimeZone(zone: string): boolean {
  // luxon's `IANAZone.create` keeps one zone per name and checks it once; `isValidZone` built an
  // Intl.DateTimeFormat on every call, a tenth of a portfolio rehearsal's CPU (capacity slot search).
  return typeof zone === 'string' && zone.length > 0 && IANAZone.create(zone).isValid;
}

/** Local dates are handled as UTC midnights: date arithmetic then never meets a DST shift. */
function parseDate(date: LocalDate): DateTime {
  const dt = DATE_RE.test(date) ? DateTime.fromISO(date, { zone: 'utc' }) : null;
  if (!dt?.isValid) throw new RangeError(`Invalid local date '${date}': expected a real date as yyyy-MM-dd`);
  return dt;
}

/** 'yyyy-MM-dd' naming a day that exists (no 2026-02-30). */
function isRealDate(date: string): boolean {
  if (!DATE_RE.test(date)) return false;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function parseTime(time: string): { hour: number; minute: number } {
  const m = TIME_RE.exec(time);
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) {
    throw new RangeError(`Invalid time '${time}': expected HH:mm between 00:00 and 24:00`);
  }
  return { hour, minute };
}

function parseInstant(instant: Instant): DateTime {
  let dt: DateTime;
  if (typeof instant === 'number') dt = DateTime.fromMillis(instant, { zone: 'utc' });
  else if (instant instanceof Date) dt = DateTime.fromJSDate(instant, { zone: 'utc' });
  else if (typeof instant === 'string' && OFFSET_RE.test(instant)) dt = DateTime.fromISO(instant, { setZone: true });
  // An offset-less string would be read in the process's zone: refuse rather than guess.
  else throw new RangeError(`Invalid instant '${String(instant)}': expected ISO-8601 with offset or Z, epoch ms, or Date`);
  if (!dt.isValid) throw new RangeError(`Invalid instant '${String(instant)}': ${dt.invalidExplanation ?? dt.invalidReason}`);
  return dt;
}

function millis(instant: Instant): number {
  return parseInstant(instant).toMillis();
}

function zoneOf(cal: BusinessCalendar): string {
  if (!isValidTimeZone(cal.timeZone)) throw new RangeError(`Invalid time zone '${cal.timeZone}': expected an IANA zone such as 'America/Chicago'`);
  return cal.timeZone;
}

function isoAt(ms: number, cal: BusinessCalendar): string {
  return DateTime.fromMillis(ms, { zone: zoneOf(cal) }).toISO() as string;
}

/** Instant of wall time `time` on `date` in the calendar's zone (gap: forward; overlap: earlier). */
function wallTime(date: LocalDate, time: string, cal: BusinessCalendar): DateTime {
  const { hour, minute } = parseTime(time);
  // 24:00 is 00:00 of the next date.
  const d = hour === 24 ? parseDate(date).plus({ days: 1 }) : parseDate(date);
  const dt = DateTime.fromObject(
    { year: d.year, month: d.month, day: d.day, hour: hour % 24, minute },
    { zone: zoneOf(cal) },
  );
  if (!dt.isValid) throw new RangeError(`Cannot place ${date} ${time} in ${cal.timeZone}: ${dt.invalidReason}`);
  return dt.getPossibleOffsets().reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a));
}

// ---------------------------------------------------------------------------------------------
// Calendar

/**
 * Build a validated calendar with C-1 defaults: Mon–Fri, 09:00–17:00, no holidays [P].
 * Throws RangeError on an unknown zone, malformed HH:mm, dayStart >= dayEnd, bad holiday date,
 * or workdays outside 1..7 / empty.
 */
export function makeCalendar(input: {
  timeZone: string;
  holidays?: readonly string[];
  workdays?: readonly number[];
  dayStart?: string;
  dayEnd?: string;
}): BusinessCalendar {
  if (!isValidTimeZone(input.timeZone)) {
    throw new RangeError(`Invalid time zone '${input.timeZone}': expected an IANA zone such as 'America/Chicago'`);
  }
  const holidays = [...new Set(input.holidays ?? [])].sort();
  // Plain date arithmetic, not Luxon: a region's public holidays are years of dates, checked on every calendar built.
  for (const h of holidays) if (!isRealDate(h)) throw new RangeError(`Invalid local date '${h}': expected a real date as yyyy-MM-dd`);
  const workdays = [...new Set(input.workdays ?? [1, 2, 3, 4, 5])].sort((a, b) => a - b);
  if (workdays.length === 0 || workdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new RangeError(`Invalid workdays [${workdays.join(',')}]: expected ISO weekdays 1..7, at least one`);
  }
  const dayStart = input.dayStart ?? '09:00';
  const dayEnd = input.dayEnd ?? '17:00';
  const start = parseTime(dayStart);
  const end = parseTime(dayEnd);
  if (start.hour * 60 + start.minute >= end.hour * 60 + end.minute) {
    throw new RangeError(`Invalid business hours ${dayStart}-${dayEnd}: dayStart must be before dayEnd`);
  }
  return { timeZone: input.timeZone, holidays, workdays, dayStart, dayEnd };
}

/** Calendar date of `instant` in the calendar's zone. */
export function localDateOf(instant: Instant, cal: BusinessCalendar): LocalDate {
  return parseInstant(instant).setZone(zoneOf(cal)).toISODate() as string;
}

/** C-1 `bd`: a configured workday that is not a holiday [P]. */
export function isBusinessDay(date: LocalDate, cal: BusinessCalendar): boolean {
  return cal.workdays.includes(parseDate(date).weekday) && !cal.holidays.includes(date);
}

/** C-1 `d`: calendar days, no rolling. */
export function addCalendarDays(date: LocalDate, n: number): LocalDate {
  if (!Number.isInteger(n)) throw new RangeError(`Invalid day count ${n}: expected an integer`);
  return parseDate(date).plus({ days: n }).toISODate() as string;
}

/**
 * C-1 `bd`: move |n| business days forward (n > 0) or back (n < 0). The start day is not counted,
 * so it need not be a business day itself; n = 0 returns `date` unchanged.
 */
export function addBusinessDays(date: LocalDate, n: number, cal: BusinessCalendar): LocalDate {
  if (!Number.isInteger(n)) throw new RangeError(`Invalid business-day count ${n}: expected an integer`);
  parseDate(date);
  const step = Math.sign(n);
  let left = Math.abs(n);
  let d = date;
  let idle = 0;
  while (left > 0) {
    d = addCalendarDays(d, step);
    if (isBusinessDay(d, cal)) {
      left--;
      idle = 0;
    } else if (++idle > MAX_SCAN_DAYS) {
      throw new RangeError(`No business day within ${MAX_SCAN_DAYS} days of ${d}: check workdays/holidays`);
    }
  }
  return d;
}

/** C-1 `bd`: first business day strictly after `date`. */
export function nextBusinessDay(date: LocalDate, cal: BusinessCalendar): LocalDate {
  return addBusinessDays(date, 1, cal);
}

/** C-1 `bd`: last business day strictly before `date`. */
export function previousBusinessDay(date: LocalDate, cal: BusinessCalendar): LocalDate {
  return addBusinessDays(date, -1, cal);
}

/**
 * C-2 ROLL for day-granular meeting and due dates (A-21 "+N days" then ROLL).
 * A business day is returned unchanged. A non-business day moves back to the previous business
 * day; if that is before `earliest` (e.g. the local date of the causing event), it moves instead
 * to the first business day on/after the original date (= the next business day). Days between
 * `earliest` and the date are all non-business then, so this is also the first business day
 * on/after `earliest` whenever earliest <= date; callers pass earliest <= date.
 */
export function roll(date: LocalDate, cal: BusinessCalendar, earliest?: LocalDate): LocalDate {
  if (isBusinessDay(date, cal)) return date;
  const back = previousBusinessDay(date, cal);
  if (earliest === undefined) return back;
  parseDate(earliest); // validates; 'yyyy-MM-dd' strings then compare correctly as strings
  return back < earliest ? nextBusinessDay(date, cal) : back;
}

// ---------------------------------------------------------------------------------------------
// Instants in the client's zone

/**
 * Wall time `time` ('HH:mm', '24:00' = next day 00:00) on `date` in the zone, as an ISO instant
 * with the zone's offset. DST: a non-existent time (spring-forward gap) moves forward by the gap
 * (Luxon's rule: Chicago 2026-03-08 02:30 -> 03:30-05:00); an ambiguous one (fall back) takes the
 * earlier instant (Chicago 2026-11-01 01:30 -> 01:30-05:00).
 */
export function atLocalTime(date: LocalDate, time: string, cal: BusinessCalendar): string {
  return wallTime(date, time, cal).toISO() as string;
}

/** C-3: 24:00 at the end of `date` = 00:00 of the next date in the zone. */
export function endOfLocalDay(date: LocalDate, cal: BusinessCalendar): string {
  return atLocalTime(addCalendarDays(date, 1), '00:00', cal);
}

/**
 * C-3 CHECKPOINT: "by Day N" is judged at 24:00 at the end of (local date of anchor) + N calendar
 * days; Day 0 is the anchor's date. No rolling.
 */
export function checkpoint(anchor: Instant, dayN: number, cal: BusinessCalendar): string {
  return endOfLocalDay(addCalendarDays(localDateOf(anchor, cal), dayN), cal);
}

/** C-3 age_days = floor(elapsed / 24h), elapsed in real time (negative when `to` < `from`). */
export function ageDays(from: Instant, to: Instant): number {
  return Math.floor((millis(to) - millis(from)) / DAY_MS);
}

/**
 * C-1 `h` (A-14: 48h/72h are elapsed): `from` + hours of real time, weekends and nights count.
 * Expressed in `cal`'s zone when given, else UTC.
 */
export function addElapsedHours(from: Instant, hours: number, cal?: BusinessCalendar): string {
  return toIso(millis(from) + Math.round(hours * HOUR_MS), cal);
}

/** Business window [open, close) of a business date, in epoch ms. */
function windowOf(date: LocalDate, cal: BusinessCalendar): [number, number] {
  return [wallTime(date, cal.dayStart, cal).toMillis(), wallTime(date, cal.dayEnd, cal).toMillis()];
}

/** C-1 `bh`: inside [dayStart, dayEnd) of a business day, wall clock in the zone. */
export function isWithinBusinessHours(instant: Instant, cal: BusinessCalendar): boolean {
  const t = millis(instant);
  const date = localDateOf(t, cal);
  if (!isBusinessDay(date, cal)) return false;
  const [open, close] = windowOf(date, cal);
  return t >= open && t < close;
}

/**
 * C-1 `bh`: add business hours, counting only time inside [dayStart, dayEnd) on business days.
 * Hours are wall-clock windows, so Fri 16:00 + 2 bh = Mon 10:00 even across a DST switch.
 * A start outside business time counts from the next opening. A total that uses up a window
 * exactly ends at that day's dayEnd (not the next opening). hours = 0 returns `from` unchanged;
 * fractional hours are fine (rounded to the millisecond); negative hours throw.
 */
export function addBusinessHours(from: Instant, hours: number, cal: BusinessCalendar): string {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError(`Invalid business hours ${hours}: expected >= 0`);
  let t = millis(from);
  let left = Math.round(hours * HOUR_MS);
  if (left === 0) return isoAt(t, cal);
  let date = localDateOf(t, cal);
  for (let idle = 0; idle <= MAX_SCAN_DAYS; idle++) {
    if (isBusinessDay(date, cal)) {
      const [open, close] = windowOf(date, cal);
      const start = Math.max(t, open);
      if (start < close) {
        if (left <= close - start) return isoAt(start + left, cal);
        left -= close - start;
        idle = 0;
      }
    }
    date = addCalendarDays(date, 1);
  }
  throw new RangeError(`No business hours within ${MAX_SCAN_DAYS} days: check workdays/holidays`);
}

/**
 * `instant` itself when inside business hours; otherwise the last business-hours instant
 * before it, i.e. dayEnd of today (after close on a business day) or of the previous business day.
 */
export function lastBusinessInstantAtOrBefore(instant: Instant, cal: BusinessCalendar): string {
  const t = millis(instant);
  if (isWithinBusinessHours(t, cal)) return isoAt(t, cal);
  const date = localDateOf(t, cal);
  if (isBusinessDay(date, cal)) {
    const [, close] = windowOf(date, cal);
    if (t >= close) return isoAt(close, cal);
  }
  return atLocalTime(previousBusinessDay(date, cal), cal.dayEnd, cal);
}

/** C-4 "T-n bd at HH:mm": `time` on the n-th business day before the meeting's local date (meeting day not counted). */
export function businessDaysBeforeAt(meetingStart: Instant, n: number, time: string, cal: BusinessCalendar): string {
  return atLocalTime(addBusinessDays(localDateOf(meetingStart, cal), -n, cal), time, cal);
}

/**
 * R-24 prep pack due: normally T-n bd at `time` (C-4). Booked at short notice: `time` on the
 * business day before the meeting date, late; if even that precedes the booking: the booking
 * instant itself, late. Short notice is `instant` (booked after the T-n bd instant) or, by A-23,
 * `date` (booked on or after the T-n bd date, in the client's zone).
 */
export function prepPackDue(
  meetingStart: Instant,
  bookedAt: Instant,
  n: number,
  time: string,
  cal: BusinessCalendar,
  shortNotice: 'instant' | 'date' = 'instant',
): { dueAt: string; late: boolean } {
  const booked = millis(bookedAt);
  const normal = businessDaysBeforeAt(meetingStart, n, time, cal);
  const inTime = shortNotice === 'date' ? localDateOf(bookedAt, cal) < localDateOf(normal, cal) : booked <= millis(normal);
  if (inTime) return { dueAt: normal, late: false };
  const fallback = atLocalTime(previousBusinessDay(localDateOf(meetingStart, cal), cal), time, cal);
  return { dueAt: millis(fallback) >= booked ? fallback : isoAt(booked, cal), late: true };
}

/** ISO-8601 with milliseconds: in `cal`'s zone offset when given, else UTC ('Z'). */
export function toIso(instant: Instant, cal?: BusinessCalendar): string {
  return parseInstant(instant).setZone(cal ? zoneOf(cal) : 'utc').toISO() as string;
}
