/**
 * Onboarding Day 0–90 plan (DOMAIN.md §2.8 R-46..R-57, §2.19, A-11, A-14, A-21, §4 "Onboarding").
 *
 * The onboarding workflow holds no deadline number: it asks `planOnboarding` for every due instant,
 * rule, clock and owner, and records `why` so a reader can see which inputs decided each one.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock, no randomness.
 * All date math goes through business-time.ts; `Date.parse` is used only to ORDER the ISO strings
 * that module returns (offsets differ across DST, so string order is not instant order).
 *
 * The `cal` argument is authoritative for zone, workdays, holidays and business hours (dayEnd);
 * callers build it from `policy.calendar` and the client's zone.
 */
import {
  addBusinessDays,
  addBusinessHours,
  addCalendarDays,
  addElapsedHours,
  atLocalTime,
  checkpoint,
  endOfLocalDay,
  localDateOf,
  roll,
  toIso,
  type BusinessCalendar,
  type LocalDate,
} from './business-time.js';
import type { Policy, Role } from './policy.js';

export type OnboardingSegment = 'A' | 'B' | 'C' | 'D';

export type OnboardingStepId =
  | 'handoff'
  | 'kickoff'
  | 'access'
  | 'documentation'
  | 'discovery'
  | 'quickWins'
  | 'roadmap'
  | 'proposals'
  | 'healthBaseline'
  | 'cadenceLock'
  | 'day60Review'
  | 'closeout';

export type DeadlineClock = 'businessDays' | 'checkpoint' | 'roll' | 'elapsed' | 'businessHours';

export interface DeadlineOwner {
  role: Role;
  /** The rule (or §2.19 / A-11) that assigns this role. */
  ruleId: string;
}

export interface PlannedDeadline {
  /** e.g. 'kickoff.held', 'access.checkpoint', 'roadmap.window.opens', 'roadmap.window.closes'. */
  key: string;
  step: OnboardingStepId;
  /** ISO instant with the client zone's offset. */
  dueAt: string;
  /** The §2.8 rule that sets the deadline, e.g. 'R-47'. */
  ruleId: string;
  clock: DeadlineClock;
  /** Inputs that decided the deadline: anchor, day/bd count, zone, holidays, rolled-from, policy keys, owner source. */
  why: Record<string, unknown>;
  owner: DeadlineOwner;
  /** Present (true) only when the step does not apply; `why.reason` says why (R-51 D). */
  skipped?: boolean;
}

export interface OnboardingPlanInput {
  /** Day 0 anchor: signature instant, ISO-8601 with offset or 'Z'. */
  signedAt: string;
  segment: OnboardingSegment;
  /** a D client gets discovery/assessment only "unless risk" — set when a risk is flagged. */
  riskFlag?: boolean;
  /** The onboarding process version (domain/onboarding.ts `OnboardingVersion`); 2 plans no roadmap window for D. Default 1. */
  version?: 1 | 2;
}

/** An hour SLA due instant (R-29 recap, C-5 first action). */
export interface SlaDue<R extends string> {
  dueAt: string;
  ruleId: R;
  why: Record<string, unknown>;
}

/** Every rule a planned deadline can cite (`PlannedDeadline.ruleId`). */
export const ONBOARDING_RULE_IDS = [
  'R-46',
  'R-47',
  'R-49',
  'R-51',
  'R-52',
  'R-53',
  'R-54',
  'R-55',
  'R-56',
] as const;

const SEGMENTS: readonly OnboardingSegment[] = ['A', 'B', 'C', 'D'];

// ---------------------------------------------------------------------------------------------
// Owners (R-46, R-47, R-49, R-51..R-56, §2.19, A-11). Policy RACI keys win where one exists for the
// step; the others are fixed by the rule that names a single role for every segment.

interface OwnerPick {
  owner: DeadlineOwner;
  /** Policy key the role came from, or the rule default when the policy has no key for it. */
  ownerSource: string;
}

const fixed = (role: Role, ruleId: string): OwnerPick => ({ owner: { role, ruleId }, ownerSource: `default (${ruleId})` });
const fromPolicy = (role: Role, ruleId: string, key: string): OwnerPick => ({ owner: { role, ruleId }, ownerSource: key });

/**
 * the onboarding Accountable — CSM for A/B/C, TAM for D by default
 * (`raci.<seg>.processOwners.onboardingAccountable`).
 */
export function onboardingAccountable(segment: OnboardingSegment, policy: Policy): DeadlineOwner & { source: string } {
  assertSegment(segment);
  return {
    role: policy.raci[segment].processOwners.onboardingAccountable,
    ruleId: 'R-46',
    source: `raci.${segment}.processOwners.onboardingAccountable`,
  };
}

function ownersFor(segment: OnboardingSegment, policy: Policy): Record<OnboardingStepId, OwnerPick> {
  const r = policy.raci[segment];
  const k = `raci.${segment}`;
  return {
    // the AM does the handoff intake (no RACI key; the Accountable is reported in why).
    handoff: fixed('AM', 'R-46'),
    // kickoff presenter vCIO (A/B), CSM (C), TAM (D).
    kickoff: fromPolicy(r.processOwners.kickoffPresenter, 'R-47', `${k}.processOwners.kickoffPresenter`),
    // access matrix and documentation pack are the TAM's for every segment.
    access: fixed('TAM', 'R-49'),
    documentation: fixed('TAM', 'R-49'),
    // R-51 says "vCIO (A/B), CSM/TAM (C/D)": C → CSM, D → TAM, the segment's Discovery owner
    // (R-67 / §2.19 line for discovery), which the policy holds as processOwners.discoveryOwner.
    discovery: fromPolicy(r.processOwners.discoveryOwner, 'R-51', `${k}.processOwners.discoveryOwner`),
    // quick wins + Early Wins Report, TAM.
    quickWins: fixed('TAM', 'R-52'),
    // vCIO (A/B), CSM (C/D); §2.19 "Roadmap & budget" gives D to the TAM (R-57: no formal
    // roadmap), which is what raci.D.roadmapBudget.accountable holds — so D cites §2.19.
    roadmap: fromPolicy(r.roadmapBudget.accountable, segment === 'D' ? '§2.19' : 'R-53', `${k}.roadmapBudget.accountable`),
    // AM owns proposals (commercial); the vCIO presents for A/B (reported in why).
    proposals: fixed('AM', 'R-54'),
    // health baseline, CSM = the Health & alerts Accountable of §2.19.
    healthBaseline: fromPolicy(r.healthAlerts.accountable, 'R-55', `${k}.healthAlerts.accountable`),
    // R-55 names the CSM, but the cadence lock itself is R-10's "Cadence Owner", which §2.19 makes
    // the TAM for D (A-11: cadence ownership is its own RACI line). The policy key wins.
    cadenceLock: fromPolicy(r.cadenceOwner, 'R-10', `${k}.cadenceOwner`),
    // Day 60 review and Day 90 closeout, CSM.
    day60Review: fixed('CSM', 'R-56'),
    closeout: fixed('CSM', 'R-56'),
  };
}

function assertSegment(segment: string): asserts segment is OnboardingSegment {
  if (!SEGMENTS.includes(segment as OnboardingSegment)) {
    throw new RangeError(`Invalid segment '${segment}': expected A, B, C or D`);
  }
}

// ---------------------------------------------------------------------------------------------
// The plan

/** Holidays of `cal` in the closed date range [from, to] (yyyy-MM-dd strings order as dates). */
function holidaysBetween(cal: BusinessCalendar, from: LocalDate, to: LocalDate): string[] {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  return cal.holidays.filter((h) => h >= lo && h <= hi);
}

function byDueThenKey(a: PlannedDeadline, b: PlannedDeadline): number {
  const d = Date.parse(a.dueAt) - Date.parse(b.dueAt);
  if (d !== 0) return d;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Every Day 0–90 deadline for one client, sorted by instant, then key.
 *
 * Readings (see the rule comments below): Day 0 is the local date of `signedAt` (C-3); "by Day N"
 * is 24:00 at the end of Day N (C-3, never rolled); a window "Day from–to" opens at the start of
 * Day `from` (= end of Day from−1) and closes at the end of Day `to`; Day 60/90 roll (A-21, C-2).
 * No deadline precedes `signedAt`: a window opening before it (from ≤ 0) opens at `signedAt`.
 */
export function planOnboarding(input: OnboardingPlanInput, policy: Policy, cal: BusinessCalendar): PlannedDeadline[] {
  const { segment } = input;
  assertSegment(segment);
  const signedAt = toIso(input.signedAt, cal); // validates; same instant in the client zone's offset
  const signedMs = Date.parse(signedAt);
  // C-3: Day 0 = the local date of the signature in the client's zone.
  const day0 = localDateOf(signedAt, cal);
  const o = policy.onboarding;
  const owners = ownersFor(segment, policy);
  const base = { anchor: signedAt, day0, zone: cal.timeZone, segment };
  const out: PlannedDeadline[] = [];

  const push = (
    key: string,
    step: OnboardingStepId,
    ruleId: string,
    clock: DeadlineClock,
    dueAt: string,
    why: Record<string, unknown>,
    extra: { skipped?: boolean } = {},
  ) => {
    const { owner, ownerSource } = owners[step];
    out.push({ key, step, dueAt, ruleId, clock, why: { ...base, ...why, ownerSource }, owner: { ...owner }, ...extra });
  };

  /** C-3 CHECKPOINT: 24:00 at the end of Day N, elapsed from the anchor, no rolling. */
  const checkpointAt = (dayN: number, policyKey: string) => ({
    dueAt: checkpoint(signedAt, dayN, cal),
    why: { day: dayN, localDate: addCalendarDays(day0, dayN), judgedAt: '24:00 local, end of Day N (C-3)', rolled: false, holidaysApplied: [], policyKeys: [policyKey] },
  });

  /**
   * Window Day from..to as two CHECKPOINTs (C-3): '.opens' at the start of Day `from` (= 24:00 at the
   * end of Day from−1), '.closes' at 24:00 at the end of Day `to`.
   */
  const windowDeadlines = (
    step: OnboardingStepId,
    ruleId: string,
    w: { from: number; to: number },
    policyKey: string,
    why: Record<string, unknown> = {},
  ) => {
    let opensAt = checkpoint(signedAt, w.from - 1, cal);
    const opensWhy: Record<string, unknown> = {
      window: { from: w.from, to: w.to },
      day: w.from,
      localDate: addCalendarDays(day0, w.from),
      judgedAt: '00:00 local, start of Day from (= end of Day from−1) (C-3)',
      rolled: false,
      holidaysApplied: [],
      policyKeys: [`${policyKey}.from`],
      ...why,
    };
    if (Date.parse(opensAt) < signedMs) {
      // A window opening on/before Day 0 cannot open before the anchor itself.
      opensWhy.clampedFrom = opensAt;
      opensWhy.reason = 'window opens before signedAt; opens at signedAt';
      opensAt = signedAt;
    }
    push(`${step}.window.opens`, step, ruleId, 'checkpoint', opensAt, opensWhy);
    push(`${step}.window.closes`, step, ruleId, 'checkpoint', checkpoint(signedAt, w.to, cal), {
      window: { from: w.from, to: w.to },
      day: w.to,
      localDate: addCalendarDays(day0, w.to),
      judgedAt: '24:00 local, end of Day to (C-3)',
      rolled: false,
      holidaysApplied: [],
      policyKeys: [`${policyKey}.to`],
      ...why,
    });
  };

  /**
   * R-56 with A-21 / C-2: Day N = Day 0 + N calendar days, then ROLL (non-business day → previous
   * business day; if that is before Day 0 → next business day). Due at calendar dayEnd (17:00 by
   * default) local on the rolled date: a day-granular meeting date is due by close of business, not
   * 24:00. If that instant still precedes signedAt (Day N rolled onto Day 0 after close), C-2's
   * "earliest allowed instant" moves it to the next business day.
   */
  const rolledDay = (dayN: number, policyKey: string) => {
    const target = addCalendarDays(day0, dayN);
    let date = roll(target, cal, day0);
    let dueAt = atLocalTime(date, cal.dayEnd, cal);
    const why: Record<string, unknown> = {
      day: dayN,
      targetDate: target,
      localDate: date,
      dueTime: cal.dayEnd,
      earliest: day0,
      rolled: date !== target,
      policyKeys: [policyKey, 'calendar.dayEnd'],
    };
    if (Date.parse(dueAt) < signedMs) {
      date = addBusinessDays(date, 1, cal);
      dueAt = atLocalTime(date, cal.dayEnd, cal);
      why.localDate = date;
      why.rolled = true;
      why.reason = 'rolled date closes before signedAt; next business day (C-2 earliest allowed instant)';
    }
    if (why.rolled) why.rolledFrom = target;
    why.holidaysApplied = why.rolled ? holidaysBetween(cal, target, date) : [];
    return { dueAt, why };
  };

  // R-46 Step 0: handoff packet complete on Day 0 (before the kickoff invite): CHECKPOINT Day 0,
  // i.e. 24:00 at the end of the signature date (C-3). The onboarding Accountable rides in why.
  {
    const acc = onboardingAccountable(segment, policy);
    const c = checkpointAt(0, acc.source);
    push('handoff.complete', 'handoff', 'R-46', 'checkpoint', c.dueAt, {
      ...c.why,
      onboardingAccountable: { role: acc.role, ruleId: acc.ruleId, source: acc.source },
    });
  }

  // R-47 Step 1: kickoff held ≤ Day 0 + kickoffBusinessDays bd (C-1 bd: Day 0 itself not counted,
  // holidays/non-workdays skipped). Reading: "held ≤ that business day" = by the end of that local
  // day, 24:00 (endOfLocalDay), not by its 17:00 close — the meeting may be held any time that day.
  {
    const n = o.kickoffBusinessDays;
    const date = addBusinessDays(day0, n, cal);
    push('kickoff.held', 'kickoff', 'R-47', 'businessDays', endOfLocalDay(date, cal), {
      businessDays: n,
      localDate: date,
      judgedAt: '24:00 local, end of the Nth business day after Day 0',
      rolled: false,
      holidaysApplied: holidaysBetween(cal, addCalendarDays(day0, 1), date),
      policyKeys: ['onboarding.kickoffBusinessDays', `raci.${segment}.processOwners.kickoffPresenter`],
    });
  }

  // R-49 Step 2: access ≥ accessThresholdPct by Day accessCheckpointDay — CHECKPOINT (C-3), no rolling.
  {
    const c = checkpointAt(o.accessCheckpointDay, 'onboarding.accessCheckpointDay');
    push('access.checkpoint', 'access', 'R-49', 'checkpoint', c.dueAt, {
      ...c.why,
      thresholdPct: o.accessThresholdPct,
      policyKeys: ['onboarding.accessCheckpointDay', 'onboarding.accessThresholdPct'],
    });
  }

  // R-49 Step 2: documentation pack baselined by Day docsCheckpointDay — CHECKPOINT (C-3), no rolling.
  {
    const c = checkpointAt(o.docsCheckpointDay, 'onboarding.docsCheckpointDay');
    push('documentation.checkpoint', 'documentation', 'R-49', 'checkpoint', c.dueAt, c.why);
  }

  // R-51 Step 3: discovery + assessments by Day assessmentsByDay — CHECKPOINT (C-3). D: skipped
  // unless a risk is flagged ("D skip unless risk"); the deadline stays in the plan, marked skipped.
  {
    const c = checkpointAt(o.assessmentsByDay, 'onboarding.assessmentsByDay');
    const scope = { A: 'exec + department discovery, targeted assessments', B: 'modernization assessments', C: 'light hygiene assessment', D: 'skip unless risk' }[segment];
    if (segment === 'D' && !input.riskFlag) {
      push('discovery.checkpoint', 'discovery', 'R-51', 'checkpoint', c.dueAt, { ...c.why, scope, riskFlag: false, reason: 'D: discovery/assessment skipped unless risk (R-51)' }, { skipped: true });
    } else {
      push('discovery.checkpoint', 'discovery', 'R-51', 'checkpoint', c.dueAt, {
        ...c.why,
        scope,
        ...(segment === 'D' ? { riskFlag: true, reason: 'D: risk flagged, discovery/assessment runs (R-51 "unless risk")' } : {}),
      });
    }
  }

  // R-52 Step 4: ≥ quickWinsRequired quick wins + Early Wins Report by Day quickWinsCheckpointDay — CHECKPOINT (C-3).
  {
    const c = checkpointAt(o.quickWinsCheckpointDay, 'onboarding.quickWinsCheckpointDay');
    push('quickWins.checkpoint', 'quickWins', 'R-52', 'checkpoint', c.dueAt, {
      ...c.why,
      required: o.quickWinsRequired,
      policyKeys: ['onboarding.quickWinsCheckpointDay', 'onboarding.quickWinsRequired'],
    });
  }

  // R-53 Step 5: roadmap + Budget v1 + pre-approvals, window Day from–to (CHECKPOINTs). D runs no
  // formal roadmap: from version 2 it has no roadmap/Budget v1 deadline at all (its 1–2
  // operational initiatives are recorded without a budget); version 1 kept the window for D.
  if (segment !== 'D' || (input.version ?? 1) < 2) {
    windowDeadlines(
      'roadmap',
      'R-53',
      o.roadmapWindowDays,
      'onboarding.roadmapWindowDays',
      segment === 'D' ? { variation: 'D: 1–2 operational initiatives, no formal roadmap (R-57)' } : {},
    );
  }

  // R-54 Step 6: proposals with EDS, window Day from–to (CHECKPOINTs); AM owns, vCIO presents A/B.
  windowDeadlines('proposals', 'R-54', o.proposalsWindowDays, 'onboarding.proposalsWindowDays', {
    presenter: segment === 'A' || segment === 'B' ? 'vCIO' : null,
    daysToProposalMax: o.daysToProposalMax,
  });

  // R-55 Step 7: health baseline on all 5 dimensions + cadence lock, window Day from–to (CHECKPOINTs).
  windowDeadlines('healthBaseline', 'R-55', o.cadenceLockWindowDays, 'onboarding.cadenceLockWindowDays');
  windowDeadlines('cadenceLock', 'R-55', o.cadenceLockWindowDays, 'onboarding.cadenceLockWindowDays');

  // R-56 Step 8: Day 60 review and Day 90 closeout — calendar days + ROLL (A-21, C-2), earliest Day 0,
  // due at 17:00 local (cal.dayEnd) on the rolled date.
  {
    const r = rolledDay(o.reviewDay, 'onboarding.reviewDay');
    push('day60Review.held', 'day60Review', 'R-56', 'roll', r.dueAt, r.why);
  }
  {
    const r = rolledDay(o.closeoutDay, 'onboarding.closeoutDay');
    push('closeout.held', 'closeout', 'R-56', 'roll', r.dueAt, r.why);
  }

  return out.sort(byDueThenKey);
}

// ---------------------------------------------------------------------------------------------
// Hour SLAs (A-14: elapsed by default; C-2: hour SLAs never roll)

function slaDue<R extends string>(
  ruleId: R,
  from: string,
  hours: number,
  hoursKey: string,
  policy: Policy,
  cal: BusinessCalendar | undefined,
): SlaDue<R> {
  const clock = policy.calendar.slaClock;
  const why: Record<string, unknown> = { from, hours, clock, zone: cal?.timeZone ?? 'UTC', policyKeys: [hoursKey, 'calendar.slaClock'] };
  if (clock === 'business') {
    // A-14 [P slaClock]: the MSP chose business hours — count only [dayStart, dayEnd) on business days.
    if (!cal) throw new RangeError(`calendar.slaClock is 'business': ${ruleId} needs the client's BusinessCalendar`);
    return { dueAt: addBusinessHours(from, hours, cal), ruleId, why: { ...why, businessHours: `${cal.dayStart}-${cal.dayEnd}` } };
  }
  // A-14 default: elapsed hours, nights and weekends count (C-1 `h`), no rolling.
  return { dueAt: addElapsedHours(from, hours, cal), ruleId, why };
}

/** recap due `meeting.recapHours` after the meeting ends (A-14 elapsed, or business hours when slaClock = 'business'). */
export function recapDueAt(meetingEndedAt: string, policy: Policy, cal?: BusinessCalendar): SlaDue<'R-29'> {
  return slaDue('R-29', meetingEndedAt, policy.meeting.recapHours, 'meeting.recapHours', policy, cal);
}

/** C-5 / R-30: first action on a CTA due `meeting.firstActionHours` after creation (same clock rule as the recap). */
export function firstActionDueAt(createdAt: string, policy: Policy, cal?: BusinessCalendar): SlaDue<'C-5'> {
  return slaDue('C-5', createdAt, policy.meeting.firstActionHours, 'meeting.firstActionHours', policy, cal);
}

// ---------------------------------------------------------------------------------------------
// Access gate

/**
 * share of access-matrix rows granted, 0–100 with 2 decimals; no rows → 0. Each row counts
 * once (rows are not merged by `system`). Truncated, not rounded, so a share just under the
 * threshold never reads as meeting it (e.g. 18,999/20,000 = 94.99, not 95.00).
 */
export function accessPercent(items: readonly { system: string; granted: boolean }[]): number {
  if (items.length === 0) return 0;
  const granted = items.filter((i) => i.granted === true).length;
  return Math.floor((granted * 10_000) / items.length) / 100;
}

/** the access gate is met at or above `onboarding.accessThresholdPct`. */
export function accessGateMet(pct: number, policy: Policy): boolean {
  return Number.isFinite(pct) && pct >= policy.onboarding.accessThresholdPct;
}
