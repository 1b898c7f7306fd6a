/**
 * The cadence's non-meeting touches as scheduled deliverables (DOMAIN §2.2 tactical row, R-12,
 * C-7): C's optional monthly async update, D's monthly auto service report and
 * quarterly digital touch (email + 3-min video + booking link) — or whatever the policy's cadence
 * matrix sets for a segment (`cadence.<segment>.tactical.asyncUpdate | autoReport | digitalTouch`).
 *
 * `planDeliverables` turns the matrix into dated deliverables, each with its owner (the segment's
 * Cadence Owner, with the Cadence Owner backup as named backup, R-122: cheaper formats never change
 * owners), rule, period and due instant: the `deliverables.touchDueBusinessDay`-th business day of
 * its period (−1 = the last) at `deliverables.touchDueTime` in the client's zone. Months are
 * calendar months; quarters, halves and years follow the client's fiscal year (C-7).
 *
 * Pure and deterministic (importable from workflow code): no I/O, no clock.
 */
import { DateTime } from 'luxon';
import { addCalendarDays, atLocalTime, isBusinessDay, localDateOf, type BusinessCalendar, type LocalDate } from './business-time.js';
import type { Policy, Role } from './policy.js';
import type { Frequency } from './policy/vocabulary.js';

export const TOUCH_KINDS = ['asyncUpdate', 'autoReport', 'digitalTouch'] as const;
export type TouchKind = (typeof TOUCH_KINDS)[number];
type Segment = 'A' | 'B' | 'C' | 'D';

export interface DeliverablePeriod {
  /** e.g. `2026-05`, `2026-Q2`, `FY2027-Q1`, `2026-H2`, `2026-W23`, `2026`. */
  label: string;
  startDate: LocalDate;
  endDate: LocalDate;
}

export interface PlannedDeliverable {
  /** `${kind}/${period.label}`: unique per client, stable across re-plans (a roll or a re-plan finds the same key). */
  key: string;
  kind: TouchKind;
  title: string;
  frequency: Frequency;
  period: DeliverablePeriod;
  /** ISO instant with the client zone's offset. */
  dueAt: string;
  /** one Accountable and one named backup per deliverable. */
  ownerRole: Role;
  backupRole: Role;
  ruleId: string;
  /** §2.2: C's async update is optional (`deliverables.asyncUpdateOptional`). */
  optional: boolean;
  mode: 'async';
  /** How it reaches the client, e.g. email + 3-min video + booking link (§2.2). */
  format: string[];
  /** What it contains (R-12 Defense Loop for D). */
  contents: string[];
  why: Record<string, unknown>;
}

export interface DeliverablesPlanInput {
  segment: Segment;
  /** MM-dd (C-7); quarters, halves and years end with it. Default 12-31 (calendar quarters). */
  fiscalYearEnd?: string;
  /** Deliverables due strictly after this instant… */
  from: string;
  /** …and at or before this one, e.g. the cadence's lock and the end of its booked horizon. */
  to: string;
}

interface TouchSpec { ruleId: string; optional: boolean; format: string[]; contents: string[]; title: (period: string, freq: string) => string; rules: string[] }

const FREQ_WORD: Record<Frequency, string> = {
  weekly: 'Weekly', biweekly: 'Bi-weekly', monthly: 'Monthly', quarterly: 'Quarterly', semiannual: 'Semi-annual', annual: 'Annual', triggerOnly: 'Trigger-only', none: 'No',
};

function specOf(kind: TouchKind, segment: Segment, policy: Policy): TouchSpec {
  const defense = policy.cadence[segment].defenseLoop.enabled;
  switch (kind) {
    case 'asyncUpdate': {
      const optional = policy.deliverables.asyncUpdateOptional;
      return {
        ruleId: '§2.2', optional, format: ['email', 'written update'], contents: ['what changed', 'open actions', 'what is next'], rules: ['§2.2', 'A-5'],
        title: (p, f) => `${optional ? 'Optional ' : ''}${optional ? f.toLowerCase() : f} async update for ${p}`,
      };
    }
    case 'autoReport':
      // R-12 (D Defense Loop): monthly automatic risk intake + stability check + 1-page assurance summary; R-88: D reports are auto-generated email/portal.
      return {
        ruleId: defense ? 'R-12' : 'R-88', optional: false, format: ['auto-generated report by email / portal'],
        contents: defense ? ['risk intake', 'stability check', '1-page assurance summary'] : ['service report'], rules: defense ? ['R-12', 'R-88', '§2.2'] : ['R-88', '§2.2'],
        title: (p, f) => `${f} auto service report for ${p}`,
      };
    case 'digitalTouch':
      // §2.2 D: quarterly digital touch (email + 3-min video + booking link); R-12: the quarterly assurance brief rides on it.
      return {
        ruleId: '§2.2', optional: false, format: ['email', '3-min video', 'booking link'],
        contents: defense ? ['assurance brief: refreshed SLOs', '90-day plan'] : ['value recap', 'what is next'], rules: defense ? ['§2.2', 'R-12'] : ['§2.2'],
        title: (p, f) => `${f} digital touch (email + 3-min video + booking link) for ${p}`,
      };
  }
}

const d = (date: LocalDate) => DateTime.fromISO(date, { zone: 'utc' });
const iso = (t: DateTime) => t.toISODate() as string;

/** The fiscal year's last month (1–12) from MM-dd; the last day of that month closes the year (C-7). */
function fiscalEndMonth(fiscalYearEnd: string | undefined): number {
  const m = /^(\d{2})-(\d{2})$/.exec(fiscalYearEnd ?? '12-31');
  if (!m) throw new RangeError(`Invalid fiscalYearEnd '${fiscalYearEnd}': expected MM-dd`);
  const month = Number(m[1]);
  if (month < 1 || month > 12) throw new RangeError(`Invalid fiscalYearEnd '${fiscalYearEnd}': month 01–12`);
  return month;
}

/** The period of `freq` containing `date`. */
export function periodOf(freq: Exclude<Frequency, 'none' | 'triggerOnly'>, date: LocalDate, fiscalYearEnd?: string): DeliverablePeriod {
  const t = d(date);
  switch (freq) {
    case 'weekly': {
      const start = t.startOf('week'); // ISO weeks, Monday first
      return { label: `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}`, startDate: iso(start), endDate: iso(start.plus({ days: 6 })) };
    }
    case 'biweekly': {
      // Fortnights counted from a fixed Monday (1970-01-05), so every client and every re-plan agree.
      const epoch = d('1970-01-05');
      const n = Math.floor(t.startOf('day').diff(epoch, 'days').days / 14);
      const start = epoch.plus({ days: n * 14 });
      return { label: `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}+2`, startDate: iso(start), endDate: iso(start.plus({ days: 13 })) };
    }
    case 'monthly':
      return { label: t.toFormat('yyyy-MM'), startDate: iso(t.startOf('month')), endDate: iso(t.endOf('month')) };
    default: {
      // Quarters, halves and years of the fiscal year (C-7): the year ends with the fiscal year-end's month.
      const months = freq === 'quarterly' ? 3 : freq === 'semiannual' ? 6 : 12;
      const endMonth = fiscalEndMonth(fiscalYearEnd);
      const calendarYear = endMonth === 12;
      // Months since the first month of the fiscal year that contains `date`.
      const firstMonth = (endMonth % 12) + 1;
      const offset = (t.month - firstMonth + 12) % 12;
      const fyStart = t.startOf('month').minus({ months: offset });
      const index = Math.floor(offset / months);
      const start = fyStart.plus({ months: index * months });
      const end = start.plus({ months }).minus({ days: 1 });
      const fy = fyStart.plus({ months: 11 }).year; // a fiscal year is named by the year it ends in
      const yearLabel = calendarYear ? `${fy}` : `FY${fy}`;
      const label = freq === 'annual' ? yearLabel : `${yearLabel}-${freq === 'quarterly' ? 'Q' : 'H'}${index + 1}`;
      return { label, startDate: iso(start), endDate: iso(end) };
    }
  }
}

/**
 * The due date in a period: the n-th business day from its start (n > 0) or from its end (n < 0,
 * −1 = the last). A period with fewer business days uses its last (or first) one; one with none
 * at all is due on its last day.
 */
export function dueDateIn(period: DeliverablePeriod, n: number, cal: BusinessCalendar): LocalDate {
  if (!Number.isInteger(n) || n === 0) throw new RangeError(`Invalid business day of the period ${n}: 1 = first, −1 = last`);
  const days: LocalDate[] = [];
  for (let x = period.startDate; x <= period.endDate; x = addCalendarDays(x, 1)) if (isBusinessDay(x, cal)) days.push(x);
  if (!days.length) return period.endDate;
  const i = n > 0 ? Math.min(n, days.length) - 1 : Math.max(days.length + n, 0);
  return days[i]!;
}

/**
 * Every non-meeting touch due in (from, to] for a client of `segment`, sorted by due instant then
 * key. Touches at `none` or `triggerOnly` frequency plan nothing (trigger-only touches come from
 * their trigger, not the calendar).
 */
export function planDeliverables(input: DeliverablesPlanInput, policy: Policy, cal: BusinessCalendar): PlannedDeliverable[] {
  const fromMs = Date.parse(input.from);
  const toMs = Date.parse(input.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new RangeError(`Invalid range ${input.from} – ${input.to}: expected ISO instants`);
  if (toMs < fromMs) return [];
  fiscalEndMonth(input.fiscalYearEnd); // validates
  const tactical = policy.cadence[input.segment].tactical;
  const raci = policy.raci[input.segment];
  const n = policy.deliverables.touchDueBusinessDay;
  const out: PlannedDeliverable[] = [];
  for (const kind of TOUCH_KINDS) {
    const freq = tactical[kind];
    if (freq === 'none' || freq === 'triggerOnly') continue;
    const spec = specOf(kind, input.segment, policy);
    // Walk the periods from the one containing `from` until one starts after `to`.
    let date = localDateOf(input.from, cal);
    const lastDate = localDateOf(input.to, cal);
    for (let guard = 0; guard < 2000; guard++) {
      const period = periodOf(freq, date, input.fiscalYearEnd);
      if (period.startDate > lastDate) break;
      const dueDate = dueDateIn(period, n, cal);
      const dueAt = atLocalTime(dueDate, policy.deliverables.touchDueTime, cal);
      const dueMs = Date.parse(dueAt);
      if (dueMs > fromMs && dueMs <= toMs) {
        out.push({
          key: `${kind}/${period.label}`, kind, title: spec.title(period.label, FREQ_WORD[freq]), frequency: freq, period, dueAt,
          ownerRole: raci.cadenceOwner, backupRole: raci.cadenceBackup, ruleId: spec.ruleId, optional: kind === 'asyncUpdate' ? spec.optional : false, mode: 'async',
          format: [...spec.format], contents: [...spec.contents],
          why: {
            segment: input.segment, frequency: freq, rules: spec.rules, dueDate, businessDayOfPeriod: n, dueTime: policy.deliverables.touchDueTime, zone: cal.timeZone,
            fiscalYearEnd: input.fiscalYearEnd ?? '12-31', holidaysInPeriod: cal.holidays.filter((h) => h >= period.startDate && h <= period.endDate),
            ownerRule: 'R-122: the Cadence Owner is Accountable, the Cadence Owner backup the named backup (§2.19)',
            policyKeys: [`cadence.${input.segment}.tactical.${kind}`, 'deliverables.touchDueBusinessDay', 'deliverables.touchDueTime', `raci.${input.segment}.cadenceOwner`, `raci.${input.segment}.cadenceBackup`, ...(kind === 'asyncUpdate' ? ['deliverables.asyncUpdateOptional'] : [])],
          },
        });
      }
      date = addCalendarDays(period.endDate, 1);
    }
  }
  return out.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
