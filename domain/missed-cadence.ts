/**
 * Missed-cadence recovery (DOMAIN.md §2.5, R-33..R-35, A-13) and the recurring slots it books into
 * (R-11, R-35's Monthly Segment Review), as pure functions for the engagement cadence workflow.
 *
 *  - `classifyOutcome`: whether what happened to a booked meeting counts as a miss (§2.5).
 *  - `recoveryFor`: what the Nth consecutive miss triggers: rebook (R-33), re-engage + At Risk
 *    (R-34), segmentation & cadence review (R-35), or nothing more (no further auto-rebook).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock; every instant is
 * passed in. Every number comes from the policy (`missedCadence.*`, `meeting.*`, `cadence.*`).
 */
import { DateTime } from 'luxon';
import { addCalendarDays, addElapsedHours, atLocalTime, isBusinessDay, localDateOf, prepPackDue, roll, type BusinessCalendar, type LocalDate } from './business-time.js';
import type { Policy } from './policy.js';

const HOUR_MS = 3_600_000;
const ms = (iso: string) => Date.parse(iso);

/** What an automation reports about a booked meeting (or the grace running out with no report). */
export type MeetingOutcome =
  | { kind: 'held' }
  | { kind: 'noShow' }
  | { kind: 'cancelled'; noticeAt: string }
  | { kind: 'rescheduled'; agreedAt: string; newStartsAt: string }
  | { kind: 'unmarked' };

export type MissReason = 'noShow' | 'lateCancel' | 'notMarkedHeld' | 'lateReschedule';
export type OutcomeVerdict = { miss: false; heldResetsCount: boolean; why: string } | { miss: true; reason: MissReason; why: string };

/** §2.5, A-13: a meeting not marked held within `missedCadence.graceHours` of its scheduled end counts as missed. */
export function notMarkedHeldDeadline(endsAt: string, policy: Policy, cal?: BusinessCalendar): string {
  return addElapsedHours(endsAt, policy.missedCadence.graceHours, cal);
}

/**
 * §2.5: missed = no-show, a cancellation < `lateCancelHours` before start, or not marked held in
 * the grace. A reschedule agreed ≥ `lateCancelHours` ahead to ≤ original + `rescheduleWithinDays`
 * is not a miss; any other reschedule is treated as the late cancellation it amounts to — unless,
 * with `replanAhead`, it was agreed more than `meeting.replanAheadDays` ahead. A held
 * meeting resets the consecutive-miss count (only strategic meetings count; the caller decides).
 */
export function classifyOutcome(meeting: { startsAt: string }, outcome: MeetingOutcome, policy: Policy, opts: { replanAhead?: boolean } = {}): OutcomeVerdict {
  const m = policy.missedCadence;
  const noticeHours = (at: string) => (ms(meeting.startsAt) - ms(at)) / HOUR_MS;
  switch (outcome.kind) {
    case 'held':
      return { miss: false, heldResetsCount: true, why: 'held (§2.5: resets the consecutive-miss count)' };
    case 'noShow':
      return { miss: true, reason: 'noShow', why: 'client no-show (§2.5)' };
    case 'unmarked':
      return { miss: true, reason: 'notMarkedHeld', why: `not marked held within ${m.graceHours}h of the scheduled end (§2.5, A-13)` };
    case 'cancelled': {
      const h = noticeHours(outcome.noticeAt);
      return h < m.lateCancelHours
        ? { miss: true, reason: 'lateCancel', why: `cancelled ${round(h)}h before start, under ${m.lateCancelHours}h (§2.5, A-13)` }
        : { miss: false, heldResetsCount: false, why: `cancelled ${round(h)}h ahead, at least ${m.lateCancelHours}h (§2.5)` };
    }
    case 'rescheduled': {
      const h = noticeHours(outcome.agreedAt);
      // a move agreed more than `meeting.replanAheadDays` before the original start is a re-plan, never a miss.
      if (opts.replanAhead && h > policy.meeting.replanAheadDays * 24) {
        return { miss: false, heldResetsCount: false, why: `re-planned ${round(h / 24)} days ahead, more than ${policy.meeting.replanAheadDays} (A-29)` };
      }
      const slipDays = (ms(outcome.newStartsAt) - ms(meeting.startsAt)) / (24 * HOUR_MS);
      if (h >= m.lateCancelHours && slipDays <= m.rescheduleWithinDays) {
        return { miss: false, heldResetsCount: false, why: `rescheduled ${round(h)}h ahead to ${round(slipDays)} days later, within ${m.rescheduleWithinDays} (§2.5)` };
      }
      return {
        miss: true, reason: 'lateReschedule',
        why: h < m.lateCancelHours ? `rescheduled only ${round(h)}h before start (§2.5)` : `rescheduled ${round(slipDays)} days out, beyond ${m.rescheduleWithinDays} (§2.5)`,
      };
    }
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Recurring dates

/** The `n`th ISO `weekday` (1 = Mon) of the month of `month` ('yyyy-MM'); n = 1..4. */
export function nthWeekdayOfMonth(month: string, n: number, weekday: number): LocalDate {
  if (!/^\d{4}-\d{2}$/.test(month)) throw new RangeError(`Invalid month '${month}': expected yyyy-MM`);
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new RangeError(`Invalid week of month ${n}: expected 1..4`);
  if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) throw new RangeError(`Invalid ISO weekday ${weekday}`);
  const first = DateTime.fromISO(`${month}-01`, { zone: 'utc' });
  const offset = (weekday - first.weekday + 7) % 7;
  return first.plus({ days: offset + 7 * (n - 1) }).toISODate()!;
}

/**
 * the month's recurring slot (2nd Tuesday 10:00 by default) in the client's zone; a
 * slot on a holiday ROLLs to the previous business day (C-2), not before the 1st of the month.
 */
export function recurringSlot(month: string, policy: Policy, cal: BusinessCalendar): { startsAt: string; localDate: LocalDate; rolledFrom?: LocalDate } {
  const s = policy.cadence.recurringSlot;
  const target = nthWeekdayOfMonth(month, s.weekOfMonth, s.weekday);
  const date = roll(target, cal, `${month}-01`);
  return { startsAt: atLocalTime(date, s.time, cal), localDate: date, ...(date !== target ? { rolledFrom: target } : {}) };
}

/** the first Monthly Segment Review (first Tuesday by default) strictly after `after`, at the calendar's dayStart. */
export function nextMonthlySegmentReview(after: string, policy: Policy, cal: BusinessCalendar): { dueAt: string; localDate: LocalDate } {
  const s = policy.missedCadence.segmentReviewSlot;
  let month = localDateOf(after, cal).slice(0, 7);
  for (let i = 0; i < 24; i++) {
    const date = roll(nthWeekdayOfMonth(month, s.weekOfMonth, s.weekday), cal, `${month}-01`);
    const dueAt = atLocalTime(date, cal.dayStart, cal);
    if (ms(dueAt) > ms(after)) return { dueAt, localDate: date };
    month = DateTime.fromISO(`${month}-01`, { zone: 'utc' }).plus({ months: 1 }).toFormat('yyyy-MM');
  }
  throw new RangeError('No Monthly Segment Review within two years');
}

// ---------------------------------------------------------------------------------------------
// Recovery

export type Recovery =
  | {
      kind: 'rebook';
      ruleId: 'R-33';
      startsAt: string;
      endsAt: string;
      /** Set when the +7 d slot was not usable and an earlier one was taken. */
      movedFrom?: string;
      movedBecause?: ('notBusinessDay' | 'ownerAtCapacity')[];
      prepPackDueAt: string;
      prepPackLate: boolean;
      why: Record<string, unknown>;
    }
  | { kind: 'rebookImpossible'; ruleId: 'R-33'; why: Record<string, unknown> }
  | { kind: 'reengage'; ruleId: 'R-34'; ctaDueAt: string; resetBy: string; risk: { bucket: 'Strategic'; severity: 'Medium' }; why: Record<string, unknown> }
  | { kind: 'cadenceReview'; ruleId: 'R-35'; reviewDueAt: string; why: Record<string, unknown> }
  | { kind: 'noAutoRebook'; ruleId: 'R-35'; why: Record<string, unknown> };

export interface RecoveryInput {
  /** 1 for the first consecutive miss, 2 for the second, … */
  consecutiveMisses: number;
  missed: { startsAt: string; endsAt: string };
  /** When the miss was established (e.g. the end of the grace); rebooking and CTAs count from it. */
  missedAt: string;
  /** whether the Cadence Owner is at capacity for a candidate slot. */
  ownerAtCapacity?: (startsAt: string) => boolean;
}

/** R-33..R-35: what the Nth consecutive miss of a strategic meeting triggers. */
export function recoveryFor(input: RecoveryInput, policy: Policy, cal: BusinessCalendar): Recovery {
  const m = policy.missedCadence;
  const n = input.consecutiveMisses;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`consecutiveMisses must be ≥ 1, got ${n}`);
  const base = { consecutiveMisses: n, missedStartsAt: input.missed.startsAt, missedAt: input.missedAt, policyKeys: ['missedCadence.reengageAtMiss', 'missedCadence.reviewAtMiss'] };

  if (n === m.reviewAtMiss) {
    const review = nextMonthlySegmentReview(input.missedAt, policy, cal);
    return { kind: 'cadenceReview', ruleId: 'R-35', reviewDueAt: review.dueAt, why: { ...base, reviewDate: review.localDate, slot: { ...m.segmentReviewSlot }, action: 'segmentation & cadence review CTA; downgrade cadence or executive reset; no further auto-rebook' } };
  }
  if (n > m.reviewAtMiss) return { kind: 'noAutoRebook', ruleId: 'R-35', why: { ...base, reason: 'the cadence review owns the next step (R-35)' } };
  if (n >= m.reengageAtMiss) {
    return {
      kind: 'reengage', ruleId: 'R-34',
      ctaDueAt: addElapsedHours(input.missedAt, policy.meeting.firstActionHours, cal),
      resetBy: addElapsedHours(input.missedAt, m.rebookWithinDays * 24, cal),
      risk: { bucket: 'Strategic', severity: 'Medium' },
      why: { ...base, replaces: 'rebook (R-33)', resetRule: 'R-17', ctaHours: policy.meeting.firstActionHours, resetWithinDays: m.rebookWithinDays },
    };
  }
  return rebook(input, policy, cal);
}

/**
 * same weekday and local time `rebookWithinDays` later; if that day is not a business day or
 * the owner is at capacity then, the latest earlier business day within the window (same local
 * time) where the owner is free. The prep pack is refreshed for the new date (R-24, C-4).
 */
function rebook(input: RecoveryInput, policy: Policy, cal: BusinessCalendar): Recovery {
  const m = policy.missedCadence;
  const zone = cal.timeZone;
  const start = DateTime.fromISO(input.missed.startsAt, { setZone: true }).setZone(zone);
  const durationMs = ms(input.missed.endsAt) - ms(input.missed.startsAt);
  const time = start.toFormat('HH:mm');
  const missedDate = start.toISODate()!;
  const atCapacity = input.ownerAtCapacity ?? (() => false);
  const why: Record<string, unknown> = { consecutiveMisses: input.consecutiveMisses, missedStartsAt: input.missed.startsAt, withinDays: m.rebookWithinDays, localTime: time, zone, policyKeys: ['missedCadence.rebookWithinDays'] };
  const first = addCalendarDays(missedDate, m.rebookWithinDays);
  const firstStart = atLocalTime(first, time, cal);
  const movedBecause: ('notBusinessDay' | 'ownerAtCapacity')[] = [];
  if (!isBusinessDay(first, cal)) movedBecause.push('notBusinessDay');
  else if (atCapacity(firstStart)) movedBecause.push('ownerAtCapacity');
  let chosen: string | undefined = movedBecause.length ? undefined : firstStart;
  if (!chosen) {
    // The latest earlier slot, newest first, never on or before the missed day itself or before the miss was known.
    for (let d = m.rebookWithinDays - 1; d >= 1; d--) {
      const date = addCalendarDays(missedDate, d);
      const startsAt = atLocalTime(date, time, cal);
      if (ms(startsAt) <= ms(input.missedAt)) break;
      if (!isBusinessDay(date, cal)) continue;
      if (atCapacity(startsAt)) {
        if (!movedBecause.includes('ownerAtCapacity')) movedBecause.push('ownerAtCapacity');
        continue;
      }
      chosen = startsAt;
      break;
    }
  }
  if (!chosen) return { kind: 'rebookImpossible', ruleId: 'R-33', why: { ...why, tried: firstStart, movedBecause, reason: `no business-day slot within ${m.rebookWithinDays} days where the owner is free` } };
  const prep = prepPackDue(chosen, input.missedAt, policy.meeting.prepPackBusinessDays, policy.meeting.prepPackDueTime, cal);
  return {
    kind: 'rebook', ruleId: 'R-33', startsAt: chosen, endsAt: DateTime.fromISO(chosen, { setZone: true }).plus({ milliseconds: durationMs }).toISO()!,
    ...(chosen !== firstStart ? { movedFrom: firstStart, movedBecause } : {}),
    prepPackDueAt: prep.dueAt, prepPackLate: prep.late,
    why: { ...why, prepPackRule: prep.late ? 'C-4: booked inside T-5 bd → previous business day 17:00' : 'R-24: T-5 bd 17:00' },
  };
}
