import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import {
  classifyOutcome, nextMonthlySegmentReview, notMarkedHeldDeadline, nthWeekdayOfMonth, recoveryFor, recurringSlot,
} from '../../domain/missed-cadence.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

// America/Chicago; US DST starts Sun 2026-03-08. 2026-03-10 and 03-17 are Tuesdays; 2026-04-07 is the first Tuesday of April.
const chicago = makeCalendar({ timeZone: 'America/Chicago' });
const policy = defaultPolicy;
const MISSED = { startsAt: '2026-03-10T10:00:00.000-05:00', endsAt: '2026-03-10T10:45:00.000-05:00' };
const MISSED_AT = '2026-03-10T12:45:00.000-05:00'; // end + 2h grace (§2.5, A-13)

function withPolicy(patch: Record<string, unknown>): Policy {
  const r = parsePolicy({ ...defaultPolicy, ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

describe('what counts as a miss (§2.5, A-13)', () => {
  const meeting = { startsAt: MISSED.startsAt };

  it('no-show and an unmarked meeting are misses; held is not, and resets the count', () => {
    expect(classifyOutcome(meeting, { kind: 'noShow' }, policy)).toMatchObject({ miss: true, reason: 'noShow' });
    expect(classifyOutcome(meeting, { kind: 'unmarked' }, policy)).toMatchObject({ miss: true, reason: 'notMarkedHeld' });
    expect(classifyOutcome(meeting, { kind: 'held' }, policy)).toMatchObject({ miss: false, heldResetsCount: true });
  });

  it('the grace to mark a meeting held ends 2h after its scheduled end', () => {
    expect(notMarkedHeldDeadline(MISSED.endsAt, policy, chicago)).toBe(MISSED_AT);
  });

  it('a cancellation under 24h before start is a miss; at 24h or more it is not', () => {
    expect(classifyOutcome(meeting, { kind: 'cancelled', noticeAt: '2026-03-09T10:00:00.001-05:00' }, policy)).toMatchObject({ miss: true, reason: 'lateCancel' });
    expect(classifyOutcome(meeting, { kind: 'cancelled', noticeAt: '2026-03-09T10:00:00.000-05:00' }, policy)).toMatchObject({ miss: false, heldResetsCount: false });
  });

  it('a reschedule agreed ≥24h ahead to ≤ original + 7 d is not a miss; later or further is', () => {
    const agreed = '2026-03-08T09:00:00.000-05:00';
    expect(classifyOutcome(meeting, { kind: 'rescheduled', agreedAt: agreed, newStartsAt: '2026-03-17T10:00:00.000-05:00' }, policy)).toMatchObject({ miss: false });
    expect(classifyOutcome(meeting, { kind: 'rescheduled', agreedAt: agreed, newStartsAt: '2026-03-17T10:00:00.001-05:00' }, policy)).toMatchObject({ miss: true, reason: 'lateReschedule' });
    expect(classifyOutcome(meeting, { kind: 'rescheduled', agreedAt: '2026-03-09T20:00:00.000-05:00', newStartsAt: '2026-03-12T10:00:00.000-05:00' }, policy)).toMatchObject({ miss: true, reason: 'lateReschedule' });
  });

  it('follows the policy: a 48h late-cancel window makes a 30h notice a miss', () => {
    const strict = withPolicy({ missedCadence: { ...defaultPolicy.missedCadence, lateCancelHours: 48 } });
    expect(classifyOutcome(meeting, { kind: 'cancelled', noticeAt: '2026-03-09T04:00:00.000-05:00' }, strict)).toMatchObject({ miss: true, reason: 'lateCancel' });
  });
});

describe('recurring dates (R-11, R-35)', () => {
  it('finds the Nth ISO weekday of a month', () => {
    expect(nthWeekdayOfMonth('2026-03', 2, 2)).toBe('2026-03-10');
    expect(nthWeekdayOfMonth('2026-04', 1, 2)).toBe('2026-04-07');
    expect(nthWeekdayOfMonth('2026-02', 4, 7)).toBe('2026-02-22');
    expect(() => nthWeekdayOfMonth('2026-3', 1, 2)).toThrow(RangeError);
    expect(() => nthWeekdayOfMonth('2026-03', 5, 2)).toThrow(RangeError);
  });

  it('R-11: the recurring slot is the 2nd Tuesday at 10:00 local, rolled back off a holiday (C-2)', () => {
    expect(recurringSlot('2026-03', policy, chicago)).toEqual({ startsAt: '2026-03-10T10:00:00.000-05:00', localDate: '2026-03-10' });
    const withHoliday = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-03-10'] });
    expect(recurringSlot('2026-03', policy, withHoliday)).toEqual({ startsAt: '2026-03-09T10:00:00.000-05:00', localDate: '2026-03-09', rolledFrom: '2026-03-10' });
  });

  it('R-35: the next Monthly Segment Review is the first Tuesday strictly after the miss, at the calendar day start', () => {
    expect(nextMonthlySegmentReview('2026-03-02T12:00:00.000-06:00', policy, chicago)).toEqual({ dueAt: '2026-03-03T09:00:00.000-06:00', localDate: '2026-03-03' });
    expect(nextMonthlySegmentReview(MISSED_AT, policy, chicago)).toEqual({ dueAt: '2026-04-07T09:00:00.000-05:00', localDate: '2026-04-07' });
  });
});

describe('recovery by consecutive misses (R-33..R-35)', () => {
  it('R-33: the 1st miss rebooks the same weekday and time 7 days later, with a refreshed prep pack (R-24, C-4)', () => {
    expect(recoveryFor({ consecutiveMisses: 1, missed: MISSED, missedAt: MISSED_AT }, policy, chicago)).toMatchObject({
      kind: 'rebook', ruleId: 'R-33', startsAt: '2026-03-17T10:00:00.000-05:00', endsAt: '2026-03-17T10:45:00.000-05:00',
      prepPackDueAt: '2026-03-10T17:00:00.000-05:00', prepPackLate: false,
    });
  });

  it('R-33: +7 d on a holiday moves to the latest earlier business day; the prep pack then falls inside T-5 bd (C-4: previous business day 17:00)', () => {
    const cal = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-03-17'] });
    expect(recoveryFor({ consecutiveMisses: 1, missed: MISSED, missedAt: MISSED_AT }, policy, cal)).toMatchObject({
      kind: 'rebook', startsAt: '2026-03-16T10:00:00.000-05:00', movedFrom: '2026-03-17T10:00:00.000-05:00', movedBecause: ['notBusinessDay'],
      prepPackDueAt: '2026-03-13T17:00:00.000-05:00', prepPackLate: true,
    });
  });

  it('R-33: an owner at capacity pushes the rebook to the latest earlier free business day, skipping the weekend', () => {
    const busy = new Set(['2026-03-17T10:00:00.000-05:00', '2026-03-16T10:00:00.000-05:00']);
    const r = recoveryFor({ consecutiveMisses: 1, missed: MISSED, missedAt: MISSED_AT, ownerAtCapacity: (s) => busy.has(s) }, policy, chicago);
    expect(r).toMatchObject({ kind: 'rebook', startsAt: '2026-03-13T10:00:00.000-05:00', movedBecause: ['ownerAtCapacity'] });
  });

  it('R-33: with no free business day in the window it says so instead of overbooking', () => {
    const r = recoveryFor({ consecutiveMisses: 1, missed: MISSED, missedAt: MISSED_AT, ownerAtCapacity: () => true }, policy, chicago);
    expect(r).toMatchObject({ kind: 'rebookImpossible', ruleId: 'R-33' });
  });

  it('R-34: the 2nd miss replaces the rebook with a Re-engage CTA (72h), a reset within 7 d and At Risk Strategic/Medium', () => {
    expect(recoveryFor({ consecutiveMisses: 2, missed: MISSED, missedAt: MISSED_AT }, policy, chicago)).toEqual(expect.objectContaining({
      kind: 'reengage', ruleId: 'R-34', ctaDueAt: '2026-03-13T12:45:00.000-05:00', resetBy: '2026-03-17T12:45:00.000-05:00', risk: { bucket: 'Strategic', severity: 'Medium' },
    }));
  });

  it('R-35: the 3rd miss books the cadence review on the next Monthly Segment Review; after that, no auto-rebook', () => {
    expect(recoveryFor({ consecutiveMisses: 3, missed: MISSED, missedAt: MISSED_AT }, policy, chicago)).toMatchObject({ kind: 'cadenceReview', ruleId: 'R-35', reviewDueAt: '2026-04-07T09:00:00.000-05:00' });
    expect(recoveryFor({ consecutiveMisses: 4, missed: MISSED, missedAt: MISSED_AT }, policy, chicago)).toMatchObject({ kind: 'noAutoRebook', ruleId: 'R-35' });
  });

  it('follows the policy thresholds (reengageAtMiss, reviewAtMiss)', () => {
    const lenient = withPolicy({ missedCadence: { ...defaultPolicy.missedCadence, reengageAtMiss: 3, reviewAtMiss: 4 } });
    expect(recoveryFor({ consecutiveMisses: 2, missed: MISSED, missedAt: MISSED_AT }, lenient, chicago).kind).toBe('rebook');
    expect(recoveryFor({ consecutiveMisses: 3, missed: MISSED, missedAt: MISSED_AT }, lenient, chicago).kind).toBe('reengage');
    expect(() => recoveryFor({ consecutiveMisses: 0, missed: MISSED, missedAt: MISSED_AT }, policy, chicago)).toThrow(RangeError);
  });
});
