/**
 * Quarters (C-7): calendar quarters unless the policy says `calendar.quarters: fiscal`, in which
 * case they follow the client's fiscal year (its year-end, default 31 Dec). A quarter is written
 * `YYYY-Qn`; with fiscal quarters `YYYY` is the fiscal year, named by the calendar year it ends in
 * (FY-end 06-30: 2027-Q1 = Jul–Sep 2026).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { DateTime } from 'luxon';
import { atLocalTime, isBusinessDay, previousBusinessDay, type BusinessCalendar, type LocalDate } from './business-time.js';

export type Quarter = string;
export const QUARTER_RE = /^(\d{4})-Q([1-4])$/;

/** How quarters are counted for one client: the month (1–12) its fiscal year ends in; 12 for calendar quarters. */
export interface QuarterBasis { fyEndMonth: number }

/** C-7: calendar quarters, or the client's fiscal quarters (fiscal year-end `MM-dd`). */
export function quarterBasis(mode: 'calendar' | 'fiscal', fiscalYearEnd: string): QuarterBasis {
  return { fyEndMonth: mode === 'fiscal' ? Number(fiscalYearEnd.slice(0, 2)) : 12 };
}

const CALENDAR: QuarterBasis = { fyEndMonth: 12 };

/** The quarter a local date falls in. */
export function quarterOf(date: LocalDate, b: QuarterBasis = CALENDAR): Quarter {
  const d = DateTime.fromISO(date, { zone: 'utc' });
  // Months since the start of the fiscal year (0–11); the fiscal year is named by its end.
  const offset = (d.month - b.fyEndMonth - 1 + 24) % 12;
  const fyEndYear = d.month > b.fyEndMonth ? d.year + 1 : d.year;
  return `${fyEndYear}-Q${Math.floor(offset / 3) + 1}`;
}

export function parseQuarter(q: Quarter): { year: number; n: number } {
  const m = QUARTER_RE.exec(q);
  if (!m) throw new RangeError(`Invalid quarter ${q}: expected YYYY-Qn`);
  return { year: Number(m[1]), n: Number(m[2]) };
}

/** First and last local date of a quarter. */
export function quarterRange(q: Quarter, b: QuarterBasis = CALENDAR): { start: LocalDate; end: LocalDate } {
  const { year, n } = parseQuarter(q);
  // The fiscal year `year` ends in month fyEndMonth of `year`; it starts 12 months earlier.
  const fyStart = DateTime.fromObject({ year, month: b.fyEndMonth, day: 1 }, { zone: 'utc' }).minus({ months: 11 });
  const start = fyStart.plus({ months: (n - 1) * 3 });
  return { start: start.toISODate()!, end: start.plus({ months: 3 }).minus({ days: 1 }).toISODate()! };
}

export function addQuarters(q: Quarter, k: number): Quarter {
  const { year, n } = parseQuarter(q);
  const idx = year * 4 + (n - 1) + k;
  return `${Math.floor(idx / 4)}-Q${(idx % 4) + 1}`;
}

export const nextQuarter = (q: Quarter) => addQuarters(q, 1);

/** Whole quarters from `a` to `b` (negative when b is earlier). */
export function quartersBetween(a: Quarter, b: Quarter): number {
  const x = parseQuarter(a);
  const y = parseQuarter(b);
  return y.year * 4 + y.n - (x.year * 4 + x.n);
}

/** the quarter closes on its last business day at `time` (client local). */
export function quarterCloseAt(q: Quarter, time: string, cal: BusinessCalendar, b: QuarterBasis = CALENDAR): string {
  const { end } = quarterRange(q, b);
  const last = isBusinessDay(end, cal) ? end : previousBusinessDay(end, cal);
  return atLocalTime(last, time, cal);
}
