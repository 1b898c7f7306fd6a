/**
 * Cadence plan: the meetings the scheduler books at cadence lock and keeps on a rolling horizon
 * (DOMAIN.md §2.2 cadence matrix, R-10, R-11; §2.10 annual planning; §2.19 RACI;
 * R-9 segment change; C-2 ROLL, C-7 quarters).
 *
 *  - `planMonths`: every annual-planning, strategic and tactical meeting of the given months, each
 *    with template, mode, RACI stamp, agenda flags (roadmap/budget) and a `why`.
 *  - `horizonMonths` / `cadenceHorizon`: the rolling booking horizon.
 *  - `replanForSegmentChange`: what a segment change does to meetings already booked.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock, no randomness.
 * Date math goes through business-time.ts and missed-cadence.ts; `Date.parse` only ORDERS the ISO
 * strings they return. Every number comes from the policy (`cadence.*`, `annualPlanning.*`,
 * `raci.*`, `segmentation.segmentChangeLeadDays`, `calendar.quarters`).
 *
 * Determinism across horizons: every decision (which month is a planning month, which quarter's
 * strategic meeting is the Executive QBR, which meeting carries the semi-annual budget, which
 * tactical meeting is a quarter's first) is taken on the NOMINAL calendar of the client — the
 * meetings the rules place, including those before the lock — and only then are meetings at or
 * before `lockedAt` dropped. So two calls for overlapping month lists agree on every shared key,
 * and the rolling horizon can be extended month by month.
 */
import { DateTime } from 'luxon';
import { addCalendarDays, atLocalTime, localDateOf, roll, type BusinessCalendar, type LocalDate } from './business-time.js';
import { nthWeekdayOfMonth, recurringSlot } from './missed-cadence.js';
import { SEGMENTS, type Policy, type Role } from './policy.js';

export type CadenceSegment = 'A' | 'B' | 'C' | 'D';
export type CadenceMeetingKind = 'annualPlanning' | 'strategic' | 'tactical';
export type CadenceTouchTier = 'VIP' | 'High' | 'Mid' | 'Tech';
export type MeetingMode = 'live' | 'hybrid' | 'async';
export type AgendaItem = 'roadmap' | 'budget';

/** the RACI stamp every booked meeting carries. */
export interface MeetingRaci {
  accountable: Role;
  presenter: Role | null;
  recorder: Role | null;
  backup: Role;
}

export interface PlannedMeeting {
  /**
   * Deterministic and type-agnostic so plans for two segments can be diffed:
   *  - annual planning: 'ap/<cycle>/M<slot>' where <cycle> is the year of the FY-end the cycle
   *    budgets for, and <slot> counts back from the final (budget) meeting on the longest
   *    planning series in the policy (default 3): the final meeting is always 'M3', the one
   *    28 d before it 'M2', then 'M1'. So A's M1/M2/M3 are keys M1/M2/M3, B's M1/M2 are keys
   *    M2/M3 and C's single meeting is key M3 — the same key is the same meeting (same anchor,
   *    same date) in every segment. Renewal-anchored cycles (D) use 'ap/<renewal year>/annual'.
   *  - strategic: 'strategic/yyyy-MM' (one per month at most);
   *  - tactical: 'tactical/yyyy-MM/<n>', n = 1-based slot index within the month.
   */
  key: string;
  kind: CadenceMeetingKind;
  /** 'M1'|'M2'|'M3'|'Annual Planning'|'Annual IT Strategy'|'Executive QBR'|'Monthly Strategic'|'QBR'|'Review'|'Mid-year Review'|'Check-in'|'Service Review' */
  template: string;
  /** Glossary "Strategic meeting": annual planning and strategic kinds are; tactical is not. */
  strategic: boolean;
  /** yyyy-MM of the meeting's local date (client zone). */
  month: string;
  /** Local date yyyy-MM-dd (client zone). */
  localDate: LocalDate;
  /** ISO with the client zone's offset. */
  startsAt: string;
  endsAt: string;
  mode: MeetingMode;
  agenda: AgendaItem[];
  raci: MeetingRaci;
  /** 'R-62' annual planning, 'R-10' strategic and tactical. */
  ruleId: string;
  why: Record<string, unknown>;
}

export interface PlanInput {
  segment: CadenceSegment;
  touchTier: CadenceTouchTier;
  /** 'MM-dd' from the client record (C-7); null = `policy.calendar.fiscalYearEndMonthDay`. */
  fiscalYearEnd: string | null;
  /** 'yyyy-MM-dd'; recurs yearly on its month-day. null = contract anniversary (R-62 D). */
  renewalDate: string | null;
  /** Cadence lock instant, ISO with offset. */
  lockedAt: string;
  /**
   * Roles the MSP staffs for this client. When given and the annual-planning Accountable is not
   * among them, `raci.<seg>.annualPlanning.accountableFallback` takes it (§2.19 C: "vCIO (CSM if
   * none)"). Omitted = every role is staffed.
   */
  staffedRoles?: readonly Role[];
}

/** A meeting already booked under the old segment. */
export interface BookedMeeting {
  key: string;
  kind: CadenceMeetingKind;
  template: string;
  month: string;
  startsAt: string;
}

export interface SegmentChangeInput extends PlanInput {
  /** The old segment; `segment` is the new one. */
  from: CadenceSegment;
  /** Instant the segment change was decided, ISO with offset. */
  changedAt: string;
}

export interface RestyledMeeting {
  key: string;
  kind: CadenceMeetingKind;
  template: string;
  strategic: boolean;
  /** Kept from the booking (R-9: booked meetings keep dates). */
  startsAt: string;
  mode: MeetingMode;
  raci: MeetingRaci;
  agenda: AgendaItem[];
  ruleId: 'R-9';
  why: Record<string, unknown>;
}

export interface CancelledMeeting {
  key: string;
  kind: CadenceMeetingKind;
  ruleId: 'R-9';
  why: Record<string, unknown>;
}

export interface SegmentChangePlan {
  /** First month whose 1st is ≥ changedAt's local date + `segmentation.segmentChangeLeadDays`. */
  effectiveMonth: string;
  restyle: RestyledMeeting[];
  cancel: CancelledMeeting[];
  add: PlannedMeeting[];
}

// ---------------------------------------------------------------------------------------------
// Months (yyyy-MM) as integer indexes: year * 12 + (month - 1)

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MONTH_DAY_RE = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

function monthIndex(month: string): number {
  const m = MONTH_RE.exec(month);
  if (!m) throw new RangeError(`Invalid month '${month}': expected yyyy-MM`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

function monthOf(index: number): string {
  const y = Math.floor(index / 12);
  return `${String(y).padStart(4, '0')}-${String(index - y * 12 + 1).padStart(2, '0')}`;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;
const ms = (iso: string) => Date.parse(iso);
const dateMonthIndex = (date: LocalDate) => monthIndex(date.slice(0, 7));
const dayDiff = (a: LocalDate, b: LocalDate) =>
  DateTime.fromISO(a, { zone: 'utc' }).diff(DateTime.fromISO(b, { zone: 'utc' }), 'days').days;

/**
 * the `n` months after `fromMonth` (exclusive), oldest first. Pass the lock's local month to
 * get the horizon booked at cadence lock: horizonMonths('2026-05', 12) = 2026-06 … 2027-05.
 */
export function horizonMonths(fromMonth: string, n: number): string[] {
  const start = monthIndex(fromMonth);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Invalid month count ${n}: expected an integer ≥ 0`);
  return Array.from({ length: n }, (_, i) => monthOf(start + 1 + i));
}

/** the horizon booked at cadence lock — `cadence.horizonMonths` months after the lock's local month. */
export function cadenceHorizon(lockedAt: string, policy: Policy, cal: BusinessCalendar): string[] {
  return horizonMonths(localDateOf(lockedAt, cal).slice(0, 7), policy.cadence.horizonMonths);
}

/** `MM-dd` in `year`; a day past the month's end (02-29 in a common year) clamps to its last day. */
function monthDayIn(year: number, monthDay: string): LocalDate {
  const mm = Number(monthDay.slice(0, 2));
  const dd = Number(monthDay.slice(3, 5));
  const first = DateTime.utc(year, mm, 1);
  return first.set({ day: Math.min(dd, first.daysInMonth!) }).toISODate()!;
}

function checkMonthDay(monthDay: string, what: string): string {
  const ok = MONTH_DAY_RE.test(monthDay) && Number(monthDay.slice(3)) <= DateTime.utc(2000, Number(monthDay.slice(0, 2)), 1).daysInMonth!;
  if (!ok) throw new RangeError(`Invalid ${what} '${monthDay}': expected a real MM-dd`);
  return monthDay;
}

// ---------------------------------------------------------------------------------------------
// Context

type SegCadence = Policy['cadence'][CadenceSegment];
type SegRaci = Policy['raci'][CadenceSegment];

interface Ctx {
  input: PlanInput;
  seg: CadenceSegment;
  policy: Policy;
  cal: BusinessCalendar;
  c: SegCadence;
  r: SegRaci;
  lockMs: number;
  lockDate: LocalDate;
  fyEnd: string;
  /** Month-day of the renewal anchor (R-62 D), and where it came from. */
  renewal: { monthDay: string; basis: 'renewal' | 'contractAnniversary' };
  /** C-7: quarters start at month indexes ≡ shift (mod 3). */
  quarterShift: number;
  /** Planning cycle years planned regardless of R-63 (already booked; R-9 replans). */
  forcedCycles: ReadonlySet<number>;
}

function makeCtx(input: PlanInput, policy: Policy, cal: BusinessCalendar, forcedCycles: ReadonlySet<number> = new Set()): Ctx {
  const seg = input.segment;
  if (!SEGMENTS.includes(seg)) throw new RangeError(`Invalid segment '${String(seg)}': expected A, B, C or D`);
  if (!['VIP', 'High', 'Mid', 'Tech'].includes(input.touchTier)) throw new RangeError(`Invalid touch tier '${String(input.touchTier)}'`);
  // C-7: the client's fiscal year-end, else the policy default (31 Dec).
  const fyEnd = checkMonthDay(input.fiscalYearEnd ?? policy.calendar.fiscalYearEndMonthDay, 'fiscal year-end');
  const lockDate = localDateOf(input.lockedAt, cal);
  let renewal: Ctx['renewal'];
  if (input.renewalDate !== null && input.renewalDate !== undefined) {
    if (!DATE_RE.test(input.renewalDate) || !DateTime.fromISO(input.renewalDate, { zone: 'utc' }).isValid) {
      throw new RangeError(`Invalid renewal date '${input.renewalDate}': expected yyyy-MM-dd`);
    }
    renewal = { monthDay: input.renewalDate.slice(5), basis: 'renewal' };
  } else {
    // "contract anniversary if none" — the anniversary of the cadence lock's local date.
    renewal = { monthDay: lockDate.slice(5), basis: 'contractAnniversary' };
  }
  return {
    input, seg, policy, cal,
    c: policy.cadence[seg],
    r: policy.raci[seg],
    lockMs: ms(input.lockedAt),
    lockDate,
    fyEnd,
    renewal,
    quarterShift: policy.calendar.quarters === 'fiscal' ? Number(fyEnd.slice(0, 2)) % 12 : 0,
    forcedCycles,
  };
}

/** C-7: first month index of the quarter holding `idx` (calendar quarters, or fiscal ones when set). */
const quarterStart = (ctx: Ctx, idx: number) => idx - mod(idx - ctx.quarterShift, 3);

/** The fiscal (= planning cycle) year a month belongs to: the year of the first FY-end on or after it. */
function fiscalYearOf(ctx: Ctx, idx: number): number {
  const feMonth = Number(ctx.fyEnd.slice(0, 2)) - 1;
  return Math.floor((idx + mod(feMonth - idx, 12)) / 12);
}

function endsAt(startsAt: string, minutes: number, cal: BusinessCalendar): string {
  return DateTime.fromISO(startsAt, { setZone: true }).setZone(cal.timeZone).plus({ minutes }).toISO()!;
}

// ---------------------------------------------------------------------------------------------
// Annual planning cycles

/** Longest planning series any segment has: key slots count back from it (see PlannedMeeting.key). */
function planningSlots(policy: Policy): number {
  return Math.max(1, ...SEGMENTS.map((s) => policy.cadence[s].annualPlanning.meetings));
}

function planningKeySlot(anchor: 'fyEnd' | 'renewal', fromFinal: number, slots: number): string {
  if (anchor === 'renewal') return fromFinal === 0 ? 'annual' : `annual-M${slots - fromFinal}`;
  return `M${slots - fromFinal}`;
}

/** Parses a planning key's cycle year and distance from the final meeting (0 = final). */
function parsePlanningKey(key: string, slots: number): { year: number; anchor: 'fyEnd' | 'renewal'; fromFinal: number } {
  const m = /^ap\/(\d{4})\/(annual|annual-M(-?\d+)|M(-?\d+))$/.exec(key);
  if (!m) throw new RangeError(`Invalid annual-planning key '${key}': expected ap/<year>/M<n> or ap/<year>/annual`);
  const year = Number(m[1]);
  if (m[2] === 'annual') return { year, anchor: 'renewal', fromFinal: 0 };
  if (m[3] !== undefined) return { year, anchor: 'renewal', fromFinal: slots - Number(m[3]) };
  return { year, anchor: 'fyEnd', fromFinal: slots - Number(m[4]) };
}

function planningTemplate(seg: CadenceSegment, k: number, n: number): string {
  if (n === 1) return seg === 'D' ? 'Annual IT Strategy' : 'Annual Planning';
  return `M${k}`;
}

interface CycleMeeting {
  /** 1-based chronological position in the cycle. */
  k: number;
  fromFinal: number;
  date: LocalDate;
  unrolled: LocalDate;
}

interface Cycle {
  year: number;
  anchorDate: LocalDate;
  /** Chronological; the last one is the final (budget) meeting. */
  meetings: CycleMeeting[];
  planned: boolean;
  /** R-63 threshold the first meeting was held against. */
  minFirstDate: LocalDate;
}

/**
 * final meeting = anchor + offsetDays, ROLLed (C-2, A-21); each earlier one spacingDays
 * before the (rolled) next one, ROLLed. R-63: planned only when the first meeting is ≥
 * `annualPlanning.firstCycleMinDaysAfterCadenceLock` days after the lock's local date.
 */
function cycleFor(ctx: Ctx, year: number): Cycle {
  const ap = ctx.c.annualPlanning;
  const anchorDate = ap.anchor === 'fyEnd' ? monthDayIn(year, ctx.fyEnd) : monthDayIn(year, ctx.renewal.monthDay);
  const back: CycleMeeting[] = [];
  let next: LocalDate | null = null;
  for (let i = 0; i < ap.meetings; i++) {
    const unrolled: LocalDate = next === null ? addCalendarDays(anchorDate, ap.offsetDays) : addCalendarDays(next, -ap.spacingDays);
    const date = roll(unrolled, ctx.cal);
    back.push({ k: ap.meetings - i, fromFinal: i, date, unrolled });
    next = date;
  }
  const meetings = back.reverse();
  const minFirstDate = addCalendarDays(ctx.lockDate, ctx.policy.annualPlanning.firstCycleMinDaysAfterCadenceLock);
  const planned = meetings.length > 0 && (ctx.forcedCycles.has(year) || meetings[0]!.date >= minFirstDate);
  return { year, anchorDate, meetings, planned, minFirstDate };
}

// ---------------------------------------------------------------------------------------------
// RACI (§2.19, A-11, R-122)

function planningRaci(ctx: Ctx): { raci: MeetingRaci; fallbackUsed: boolean } {
  const ap = ctx.r.annualPlanning;
  const staffed = ctx.input.staffedRoles;
  const fallbackUsed = !!staffed && !staffed.includes(ap.accountable) && ap.accountableFallback !== null;
  return {
    raci: { accountable: fallbackUsed ? ap.accountableFallback! : ap.accountable, presenter: ap.presenter, recorder: ap.recorder, backup: ap.backup },
    fallbackUsed,
  };
}

function strategicRaci(ctx: Ctx): MeetingRaci {
  const s = ctx.r.strategic;
  if (s) return { accountable: s.accountable, presenter: s.presenter, recorder: s.recorder, backup: s.backup };
  // No strategic RACI line (D "—"): the matrix Accountable, else the Cadence Owner.
  const accountable = ctx.c.strategic.accountable ?? ctx.r.cadenceOwner;
  return { accountable, presenter: accountable, recorder: ctx.c.strategic.recorder, backup: ctx.r.cadenceBackup };
}

function tacticalStyle(ctx: Ctx): { template: string; raci: MeetingRaci; raciKey: string } {
  if (ctx.c.tactical.type === 'serviceReview') {
    const sr = ctx.r.serviceReview;
    return { template: 'Service Review', raci: { accountable: sr.accountable, presenter: sr.accountable, recorder: null, backup: sr.backup }, raciKey: `raci.${ctx.seg}.serviceReview` };
  }
  return {
    template: 'Check-in',
    raci: { accountable: ctx.r.cadenceOwner, presenter: ctx.r.cadenceOwner, recorder: null, backup: ctx.r.cadenceBackup },
    raciKey: `raci.${ctx.seg}.cadenceOwner/cadenceBackup`,
  };
}

const tacticalFrequency = (ctx: Ctx) => ctx.c.tactical.byTouchTier[ctx.input.touchTier];
const tacticalUsed = (ctx: Ctx) => !['none', 'triggerOnly'].includes(tacticalFrequency(ctx));
const strategicUsed = (ctx: Ctx) => ctx.c.strategic.type !== 'None';
const strategicMode = (ctx: Ctx): MeetingMode => ctx.c.strategic.mode[0]!;

function baseStrategicTemplate(ctx: Ctx): string {
  switch (ctx.c.strategic.type) {
    case 'Monthly':
      return 'Monthly Strategic';
    case 'QBR':
      return 'QBR';
    default:
      return 'Review';
  }
}

// ---------------------------------------------------------------------------------------------
// Nominal plan over a month range

interface Draft {
  key: string;
  kind: CadenceMeetingKind;
  template: string;
  idx: number;
  localDate: LocalDate;
  startsAt: string;
  /** Final (budget) meeting of its cycle; annual planning only. */
  final?: boolean;
  why: Record<string, unknown>;
}

/** Extra months either side of the requested ones so fiscal-year caps and semi-annual picks see whole years. */
const CONTEXT_MONTHS = 15;

function nominalPlan(ctx: Ctx, lo: number, hi: number): { drafts: Draft[]; cycles: Cycle[] } {
  const { policy, cal, c, seg } = ctx;
  const ap = c.annualPlanning;
  const slots = planningSlots(policy);
  const inRange = (idx: number) => idx >= lo && idx <= hi;

  // cycles of every year whose meetings can fall in [lo, hi].
  const reachYears = 1 + Math.ceil((Math.abs(ap.offsetDays) + ap.spacingDays * Math.max(0, ap.meetings - 1) + 7) / 365);
  const cycles: Cycle[] = [];
  for (let y = Math.floor(lo / 12) - reachYears; y <= Math.floor(hi / 12) + reachYears; y++) cycles.push(cycleFor(ctx, y));

  const drafts: Draft[] = [];
  const planningMonths = new Set<number>();
  const finalQuarters = new Set<number>();
  const planningPolicyKeys = [`cadence.${seg}.annualPlanning`, 'annualPlanning.firstCycleMinDaysAfterCadenceLock', 'cadence.recurringSlot.time', 'cadence.strategicMinutes', `raci.${seg}.annualPlanning`];
  for (const cy of cycles) {
    if (!cy.planned) continue; // R-63: skipped cycles' months count as non-planning months
    const n = cy.meetings.length;
    for (const m of cy.meetings) {
      const idx = dateMonthIndex(m.date);
      planningMonths.add(idx);
      const final = m.fromFinal === 0;
      if (final) finalQuarters.add(quarterStart(ctx, idx));
      drafts.push({
        key: `ap/${cy.year}/${planningKeySlot(ap.anchor, m.fromFinal, slots)}`,
        kind: 'annualPlanning',
        template: planningTemplate(seg, m.k, n),
        idx,
        localDate: m.date,
        startsAt: atLocalTime(m.date, policy.cadence.recurringSlot.time, cal),
        final,
        why: {
          rules: ['R-62', 'R-63', 'C-2', 'A-21', '§2.19'],
          cycle: cy.year,
          anchor: ap.anchor === 'fyEnd' ? 'fyEnd' : ctx.renewal.basis,
          anchorDate: cy.anchorDate,
          meeting: `${m.k} of ${n}`,
          final,
          ...(final ? { offsetDays: ap.offsetDays } : { spacingDays: ap.spacingDays, before: cy.meetings[m.k]!.date }),
          unrolledDate: m.unrolled,
          ...(m.date !== m.unrolled ? { rolledFrom: m.unrolled } : {}),
          r63: { firstMeeting: cy.meetings[0]!.date, minFirstDate: cy.minFirstDate, forced: ctx.forcedCycles.has(cy.year) },
          policyKeys: planningPolicyKeys,
        },
      });
    }
  }

  // §2.2, A-5, R-11: strategic meetings on the recurring slot (2nd Tue 10:00, ROLLed).
  const strategicMonths = new Map<number, { template: string; why: Record<string, unknown> }>();
  const st = c.strategic;
  const techRule = ctx.input.touchTier === 'Tech' && st.perYearAtTechTier !== null;
  const qStarts: number[] = [];
  for (let q = quarterStart(ctx, lo); q <= hi; q += 3) qStarts.push(q);
  const quarterLabel = (q: number) => `${monthOf(q)}..${monthOf(q + 2)}`;
  if (st.type === 'None') {
    // D: none besides annual (§2.2).
  } else if (techRule) {
    // at touch tier Tech, `perYearAtTechTier` reviews spread evenly after each final meeting
    // (1 = the mid-year review, 6 months after the final planning meeting's month). Anchored on
    // every cycle's final date, booked or not: the rhythm is half a year off the FY budget.
    const per = st.perYearAtTechTier!;
    for (const cy of cycles) {
      const fin = cy.meetings[cy.meetings.length - 1];
      if (!fin) continue;
      for (let i = 1; i <= per; i++) {
        const after = Math.round((12 * i) / (per + 1));
        const idx = dateMonthIndex(fin.date) + after;
        if (planningMonths.has(idx) || strategicMonths.has(idx)) continue;
        strategicMonths.set(idx, {
          template: per === 1 ? 'Mid-year Review' : baseStrategicTemplate(ctx),
          why: { rules: ['§2.2', 'A-5', 'R-10', 'R-11'], touchTier: 'Tech', perYearAtTechTier: per, finalMeeting: fin.date, monthsAfterFinal: after, policyKeys: [`cadence.${seg}.strategic.perYearAtTechTier`] },
        });
      }
    }
  } else if (st.type === 'Monthly') {
    // A: one per month with no planning meeting; the first such month of each quarter without a
    // final planning meeting is an Executive QBR, at most executiveQbrPerYear per fiscal year.
    const eqbrByYear = new Map<number, number>();
    for (const q of qStarts) {
      const months = [q, q + 1, q + 2].filter((i) => !planningMonths.has(i));
      months.forEach((idx, pos) => {
        const fy = fiscalYearOf(ctx, idx);
        let template = 'Monthly Strategic';
        const why: Record<string, unknown> = { rules: ['§2.2', 'A-5', 'R-10', 'R-11'], quarter: quarterLabel(q), policyKeys: [`cadence.${seg}.strategic`] };
        if (pos === 0 && !finalQuarters.has(q)) {
          const used = eqbrByYear.get(fy) ?? 0;
          if (used < st.executiveQbrPerYear) {
            template = 'Executive QBR';
            eqbrByYear.set(fy, used + 1);
            why.executiveQbr = { ordinal: used + 1, of: st.executiveQbrPerYear, cycleYear: fy };
          } else {
            why.executiveQbrCapReached = { cap: st.executiveQbrPerYear, cycleYear: fy };
          }
        }
        strategicMonths.set(idx, { template, why });
      });
    }
  } else {
    // B QBR / C Review: one per non-planning quarter, in its first month with no planning meeting.
    for (const q of qStarts) {
      if (finalQuarters.has(q)) continue;
      const idx = [q, q + 1, q + 2].find((i) => !planningMonths.has(i));
      if (idx === undefined) continue;
      strategicMonths.set(idx, { template: baseStrategicTemplate(ctx), why: { rules: ['§2.2', 'A-5', 'R-10', 'R-11'], quarter: quarterLabel(q), policyKeys: [`cadence.${seg}.strategic`] } });
    }
  }
  for (const [idx, s] of strategicMonths) {
    if (!inRange(idx)) continue;
    const month = monthOf(idx);
    const slot = recurringSlot(month, policy, cal);
    drafts.push({
      key: `strategic/${month}`,
      kind: 'strategic',
      template: s.template,
      idx,
      localDate: slot.localDate,
      startsAt: slot.startsAt,
      why: { ...s.why, slot: { ...policy.cadence.recurringSlot }, ...(slot.rolledFrom ? { rolledFrom: slot.rolledFrom } : {}) },
    });
  }

  // §2.2 tactical/service by touch tier, R-11 tactical slot (2nd Thu 10:00; bi-weekly 1st + 3rd).
  const freq = tacticalFrequency(ctx);
  const ts = policy.cadence.tacticalSlot;
  for (let idx = lo; idx <= hi; idx++) {
    const month = monthOf(idx);
    const rel = mod(idx - ctx.quarterShift, 12);
    let weeks: number[] = [];
    if (freq === 'weekly') weeks = [1, 2, 3, 4, 5];
    else if (freq === 'biweekly') weeks = [...ts.biweeklyWeeks];
    else if (freq === 'monthly') weeks = [ts.monthlyWeek];
    else if (freq === 'quarterly' && rel % 3 === 0) weeks = [ts.monthlyWeek];
    else if (freq === 'semiannual' && rel % 6 === 0) weeks = [ts.monthlyWeek];
    else if (freq === 'annual' && rel === 0) weeks = [ts.monthlyWeek];
    weeks.forEach((week, i) => {
      // Week 5 (weekly only) exists in some months: the 4th occurrence + 7 d, when still in the month.
      const target = week <= 4 ? nthWeekdayOfMonth(month, week, ts.weekday) : addCalendarDays(nthWeekdayOfMonth(month, 4, ts.weekday), 7);
      if (!target.startsWith(month)) return;
      const date = roll(target, cal, `${month}-01`); // C-2, not before the 1st of the month
      drafts.push({
        key: `tactical/${month}/${i + 1}`,
        kind: 'tactical',
        template: '',
        idx,
        localDate: date,
        startsAt: atLocalTime(date, ts.time, cal),
        why: {
          rules: ['§2.2', 'R-10', 'R-11', 'C-2'],
          touchTier: ctx.input.touchTier,
          frequency: freq,
          weekOfMonth: week,
          slot: { weekday: ts.weekday, time: ts.time },
          ...(date !== target ? { rolledFrom: target } : {}),
          policyKeys: [`cadence.${seg}.tactical.byTouchTier.${ctx.input.touchTier}`, 'cadence.tacticalSlot', 'cadence.tacticalMinutes'],
        },
      });
    });
  }
  // tactical and strategic series share the recurring slot; an occurrence a strategic meeting holds is skipped.
  const held = new Map(drafts.filter((d) => d.kind !== 'tactical').map((d) => [d.startsAt, d]));
  const kept = drafts.filter((d) => {
    const strategic = d.kind === 'tactical' ? held.get(d.startsAt) : undefined;
    if (strategic) strategic.why = { ...strategic.why, coversTactical: d.key, coverRule: 'A-25' };
    return !strategic;
  });
  return { drafts: kept, cycles };
}

/** §2.2 agenda: roadmap and budget flags per `cadence.<seg>.roadmap.reviewedAt` / `budget.frequency`. */
function agendaFor(ctx: Ctx, drafts: Draft[], cycles: Cycle[]): Map<Draft, { agenda: AgendaItem[]; why: Record<string, unknown> }> {
  const { c } = ctx;
  const out = new Map<Draft, { agenda: AgendaItem[]; why: Record<string, unknown> }>();
  const strategic = drafts.filter((d) => d.kind === 'strategic').sort((a, b) => (a.localDate < b.localDate ? -1 : 1));
  // Semi-annual budget: the strategic meeting closest to 6 months after each final meeting
  // (nominal finals, booked or not: the budget rhythm follows the FY); ties go to the earlier one.
  const semiannualBudget = new Map<Draft, LocalDate>();
  if (c.budget.frequency === 'semiannual') {
    for (const cy of cycles) {
      const fin = cy.meetings[cy.meetings.length - 1];
      if (!fin) continue;
      const target = DateTime.fromISO(fin.date, { zone: 'utc' }).plus({ months: 6 }).toISODate()!;
      const until = DateTime.fromISO(fin.date, { zone: 'utc' }).plus({ months: 12 }).toISODate()!;
      let best: Draft | undefined;
      for (const d of strategic) {
        if (d.localDate <= fin.date || d.localDate >= until) continue;
        if (!best || Math.abs(dayDiff(d.localDate, target)) < Math.abs(dayDiff(best.localDate, target))) best = d;
      }
      if (best) semiannualBudget.set(best, fin.date);
    }
  }
  // Quarterly budget (D 1-page list): the first tactical meeting of each quarter (C-7).
  const firstTactical = new Set<Draft>();
  if (c.budget.frequency === 'quarterly') {
    const seen = new Set<number>();
    for (const d of drafts.filter((x) => x.kind === 'tactical').sort((a, b) => ms(a.startsAt) - ms(b.startsAt))) {
      const q = quarterStart(ctx, d.idx);
      if (!seen.has(q)) {
        seen.add(q);
        firstTactical.add(d);
      }
    }
  }
  for (const d of drafts) {
    const agenda: AgendaItem[] = [];
    const why: Record<string, unknown> = { roadmapAt: c.roadmap.reviewedAt, budgetFrequency: c.budget.frequency };
    const roadmap =
      (c.roadmap.reviewedAt === 'executiveQbr' && d.template === 'Executive QBR') ||
      ((c.roadmap.reviewedAt === 'qbr' || c.roadmap.reviewedAt === 'review') && d.kind === 'strategic') ||
      (c.roadmap.reviewedAt === 'annual' && d.kind === 'annualPlanning' && d.final === true);
    if (roadmap) agenda.push('roadmap');
    let budget = false;
    switch (c.budget.frequency) {
      case 'eachStrategic':
        budget = d.kind !== 'tactical';
        break;
      case 'semiannual':
        budget = (d.kind === 'annualPlanning' && d.final === true) || semiannualBudget.has(d);
        if (semiannualBudget.has(d)) why.budgetSixMonthsAfterFinal = semiannualBudget.get(d);
        break;
      case 'quarterly':
        budget = firstTactical.has(d);
        break;
      case 'annual':
        budget = d.kind === 'annualPlanning' && d.final === true;
        break;
    }
    if (budget) agenda.push('budget');
    out.set(d, { agenda, why });
  }
  return out;
}

function buildPlan(ctx: Ctx, months: readonly string[]): PlannedMeeting[] {
  const wanted = new Set(months.map(monthIndex));
  if (wanted.size === 0) return [];
  const lo = Math.min(...wanted) - CONTEXT_MONTHS;
  const hi = Math.max(...wanted) + CONTEXT_MONTHS;
  const { drafts, cycles } = nominalPlan(ctx, lo, hi);
  const agendas = agendaFor(ctx, drafts, cycles);
  const { policy, cal, c, seg } = ctx;
  const pr = planningRaci(ctx);
  const sr = strategicRaci(ctx);
  const tac = tacticalStyle(ctx);
  const out: PlannedMeeting[] = [];
  for (const d of drafts) {
    const month = monthOf(d.idx);
    if (!wanted.has(d.idx) || ms(d.startsAt) <= ctx.lockMs) continue; // nothing at or before the lock
    const a = agendas.get(d)!;
    // R-11 lengths; R-65: a cycle's first meeting may be longer (A's M1 is the 90-min CEO session).
    const firstPlanning = d.kind === 'annualPlanning' && d.why.meeting === `1 of ${c.annualPlanning.meetings}` ? c.annualPlanning.firstMeetingMinutes : null;
    const minutes = d.kind === 'tactical' ? policy.cadence.tacticalMinutes : firstPlanning ?? policy.cadence.strategicMinutes;
    const common = { key: d.key, kind: d.kind, month, localDate: d.localDate, startsAt: d.startsAt, endsAt: endsAt(d.startsAt, minutes, cal), agenda: a.agenda };
    const why = { ...d.why, ...a.why, segment: seg, lockedAt: ctx.input.lockedAt, minutes, zone: cal.timeZone };
    if (d.kind === 'annualPlanning') {
      out.push({ ...common, template: d.template, strategic: true, mode: c.annualPlanning.mode, raci: pr.raci, ruleId: 'R-62', why: { ...why, ...(pr.fallbackUsed ? { accountableFallback: `raci.${seg}.annualPlanning.accountableFallback` } : {}) } });
    } else if (d.kind === 'strategic') {
      out.push({ ...common, template: d.template, strategic: true, mode: strategicMode(ctx), raci: sr, ruleId: 'R-10', why: { ...why, raciKey: `raci.${seg}.strategic`, modeKey: `cadence.${seg}.strategic.mode[0]` } });
    } else {
      out.push({ ...common, template: tac.template, strategic: false, mode: strategicMode(ctx), raci: tac.raci, ruleId: 'R-10', why: { ...why, raciKey: tac.raciKey, modeKey: `cadence.${seg}.strategic.mode[0]` } });
    }
  }
  return out.sort((a, b) => ms(a.startsAt) - ms(b.startsAt) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * the meetings of the given months (yyyy-MM, any order, duplicates ignored) for the client's
 * segment and touch tier, none starting at or before `input.lockedAt`; sorted by start, then key.
 * Annual planning, strategic per §2.2/A-5 on the R-11 slot, tactical per §2.2 by
 * touch tier on `cadence.tacticalSlot`; RACI per §2.19; every date ROLLed (C-2).
 */
export function planMonths(input: PlanInput, months: string[], policy: Policy, cal: BusinessCalendar): PlannedMeeting[] {
  return buildPlan(makeCtx(input, policy, cal), months);
}

/**
 * what a segment change does to meetings booked under the old segment (`input.from`)
 * when the client moves to `input.segment` at `changedAt`.
 *
 *  - effectiveMonth = first month whose 1st is ≥ local date of changedAt + segmentChangeLeadDays
 *    (calendar days, A-21).
 *  - Booked meetings in months before it keep their date and switch to the new segment's template,
 *    mode, RACI and agenda when the new segment uses the kind (annual planning: the new segment
 *    has that planning slot; strategic: strategic.type ≠ 'None'; tactical: frequency at the touch
 *    tier is not none/triggerOnly); otherwise they are cancelled.
 *  - From effectiveMonth on, plans are diffed by key: a booked key in the new plan is restyled
 *    (date kept), a booked key not in it is cancelled, a new-plan key of `months` not booked is added.
 */
export function replanForSegmentChange(
  booked: BookedMeeting[],
  input: SegmentChangeInput,
  months: string[],
  policy: Policy,
  cal: BusinessCalendar,
): SegmentChangePlan {
  const from = input.from;
  const to = input.segment;
  if (!SEGMENTS.includes(from)) throw new RangeError(`Invalid segment '${String(from)}': expected A, B, C or D`);
  const leadDays = policy.segmentation.segmentChangeLeadDays;
  const earliest = addCalendarDays(localDateOf(input.changedAt, cal), leadDays);
  const effIdx = earliest.endsWith('-01') ? dateMonthIndex(earliest) : dateMonthIndex(earliest) + 1;
  const effectiveMonth = monthOf(effIdx);
  const base = { ruleId: 'R-9' as const, from, to, changedAt: input.changedAt, effectiveMonth, leadDays };

  const slots = planningSlots(policy);
  const toCtx0 = makeCtx(input, policy, cal);
  // Cycles already booked stay planned under the new segment even where R-63 would skip them now.
  const forced = new Set<number>();
  for (const b of booked) {
    if (b.kind !== 'annualPlanning') continue;
    const p = parsePlanningKey(b.key, slots);
    if (p.anchor === toCtx0.c.annualPlanning.anchor) forced.add(p.year);
  }
  const ctx = makeCtx(input, policy, cal, forced);
  const allMonths = [...new Set([...months, ...booked.map((b) => b.month)])];
  const plan = buildPlan(ctx, allMonths);
  const byKey = new Map(plan.map((m) => [m.key, m]));
  const bookedKeys = new Set(booked.map((b) => b.key));
  const monthSet = new Set(months.map(monthIndex));

  const restyle: RestyledMeeting[] = [];
  const cancel: CancelledMeeting[] = [];
  const restyled = (b: BookedMeeting, m: Pick<PlannedMeeting, 'template' | 'strategic' | 'mode' | 'raci' | 'agenda'>, why: Record<string, unknown>) =>
    restyle.push({ key: b.key, kind: b.kind, template: m.template, strategic: m.strategic, startsAt: b.startsAt, mode: m.mode, raci: m.raci, agenda: m.agenda, ruleId: 'R-9', why: { ...base, fromTemplate: b.template, ...why } });

  for (const b of booked) {
    const before = monthIndex(b.month) < effIdx;
    const planned = byKey.get(b.key);
    if (!before) {
      if (planned) {
        restyled(b, planned, { basis: 'key in the new plan; booked date kept', ...(planned.startsAt !== b.startsAt ? { plannedStartsAt: planned.startsAt } : {}) });
      } else {
        cancel.push({ key: b.key, kind: b.kind, ruleId: 'R-9', why: { ...base, fromTemplate: b.template, reason: `not in segment ${to}'s plan from ${effectiveMonth}` } });
      }
      continue;
    }
    // Before the effective month: keep the date, switch the style if the new segment uses the kind.
    const style = planned ?? fallbackStyle(ctx, b, slots);
    if (style) {
      restyled(b, style, { basis: `before ${effectiveMonth}: segment ${to} uses ${b.kind}; booked date kept` });
    } else {
      cancel.push({ key: b.key, kind: b.kind, ruleId: 'R-9', why: { ...base, fromTemplate: b.template, reason: `segment ${to} does not use this ${b.kind} meeting` } });
    }
  }

  const add = plan
    .filter((m) => monthIndex(m.month) >= effIdx && monthSet.has(monthIndex(m.month)) && !bookedKeys.has(m.key))
    .map((m) => ({ ...m, why: { ...m.why, ...base, planRuleId: m.ruleId } }));
  return { effectiveMonth, restyle, cancel, add };
}

/**
 * R-9 style for a booked meeting the new plan has no key for (months before the effective month),
 * or null when the new segment does not use that kind of meeting.
 */
function fallbackStyle(ctx: Ctx, b: BookedMeeting, slots: number): Pick<PlannedMeeting, 'template' | 'strategic' | 'mode' | 'raci' | 'agenda'> | null {
  const { c, seg } = ctx;
  if (b.kind === 'annualPlanning') {
    const n = c.annualPlanning.meetings;
    const { fromFinal } = parsePlanningKey(b.key, slots);
    if (fromFinal < 0 || fromFinal >= n) return null; // the new segment has no meeting in that slot
    const final = fromFinal === 0;
    const agenda: AgendaItem[] = [];
    if (c.roadmap.reviewedAt === 'annual' && final) agenda.push('roadmap');
    if (c.budget.frequency === 'eachStrategic' || (final && (c.budget.frequency === 'semiannual' || c.budget.frequency === 'annual'))) agenda.push('budget');
    return { template: planningTemplate(seg, n - fromFinal, n), strategic: true, mode: c.annualPlanning.mode, raci: planningRaci(ctx).raci, agenda };
  }
  if (b.kind === 'strategic') {
    if (!strategicUsed(ctx)) return null;
    const agenda: AgendaItem[] = [];
    if (c.roadmap.reviewedAt === 'qbr' || c.roadmap.reviewedAt === 'review') agenda.push('roadmap');
    if (c.budget.frequency === 'eachStrategic') agenda.push('budget');
    return { template: baseStrategicTemplate(ctx), strategic: true, mode: strategicMode(ctx), raci: strategicRaci(ctx), agenda };
  }
  if (!tacticalUsed(ctx)) return null;
  const t = tacticalStyle(ctx);
  return { template: t.template, strategic: false, mode: strategicMode(ctx), raci: t.raci, agenda: [] };
}

/**
 * every meeting of planning cycle `year` (M1..M3 for A, M1..M2 for B, the single meeting of
 * C and D) on its anchors, booked at once when the previous cycle's first meeting is held.
 */
export function planCycle(input: PlanInput, year: number, policy: Policy, cal: BusinessCalendar): PlannedMeeting[] {
  const ctx = makeCtx(input, policy, cal, new Set([year]));
  const cycle = cycleFor(ctx, year);
  const months = [...new Set(cycle.meetings.map((m) => monthOf(dateMonthIndex(m.date))))];
  return buildPlan(ctx, months).filter((m) => m.kind === 'annualPlanning' && m.key.startsWith(`ap/${year}/`));
}

/** The cycle year of a planning meeting's key, and whether it is the cycle's first meeting. */
export function planningCycleOf(key: string, segment: CadenceSegment, policy: Policy): { year: number; first: boolean } | undefined {
  if (!key.startsWith('ap/')) return undefined;
  const p = parsePlanningKey(key, planningSlots(policy));
  return { year: p.year, first: p.fromFinal === policy.cadence[segment].annualPlanning.meetings - 1 };
}
