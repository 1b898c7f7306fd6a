import { describe, expect, it } from 'vitest';
import { cadenceActionFor, kickoffActionFor } from '../../runtime/vendor-meeting-reports.js';

const booked = { startsAt: '2027-03-01 15:00:00+00', endsAt: '2027-03-01 16:00:00+00' };
const at = '2027-03-01T17:00:00.000Z';

describe('a vendor report as the cadence action the API would send', () => {
  it('held at the booked times when the vendor gives none, with no decisions (the vendor carries none)', () => {
    expect(cadenceActionFor('m1', { report: 'held' }, booked, at)).toEqual({
      type: 'meetingHeld', meetingId: 'm1', heldAt: '2027-03-01T15:00:00.000Z', endedAt: '2027-03-01T16:00:00.000Z',
      attendees: ['reported by the vendor'], sponsorPresent: false, decisions: [], undecided: [],
    });
  });
  it('held at the vendor\'s times, attended by who completed it', () => {
    expect(cadenceActionFor('m1', { report: 'held', heldAt: '2027-03-01T15:05:00.000Z', endedAt: '2027-03-01T15:50:00.000Z', by: 'Casey' }, booked, at))
      .toMatchObject({ heldAt: '2027-03-01T15:05:00.000Z', endedAt: '2027-03-01T15:50:00.000Z', attendees: ['Casey'] });
  });
  it('a no-show, a cancel noticed at receipt (§2.5 decides if late) and a move agreed at receipt', () => {
    expect(cadenceActionFor('m1', { report: 'noShow' }, booked, at)).toEqual({ type: 'meetingNoShow', meetingId: 'm1' });
    expect(cadenceActionFor('m1', { report: 'cancelled', note: 'client asked' }, booked, at)).toEqual({ type: 'meetingCancelled', meetingId: 'm1', noticeAt: at, reason: 'client asked' });
    expect(cadenceActionFor('m1', { report: 'cancelled' }, booked, at)).toEqual({ type: 'meetingCancelled', meetingId: 'm1', noticeAt: at });
    expect(cadenceActionFor('m1', { report: 'moved', startsAt: '2027-03-03T15:00:00.000Z', endsAt: '2027-03-03T16:00:00.000Z' }, booked, at))
      .toEqual({ type: 'meetingRescheduled', meetingId: 'm1', agreedAt: at, newStartsAt: '2027-03-03T15:00:00.000Z', newEndsAt: '2027-03-03T16:00:00.000Z' });
  });
});

describe('a vendor report on the onboarding kickoff (R-47) as the onboarding action the API would send', () => {
  it('held → the kickoff held at the vendor\'s or the booked times, no decisions; moved → the kickoff booked again', () => {
    expect(kickoffActionFor({ report: 'held', by: 'Casey' }, booked)).toEqual({
      type: 'kickoffHeld', heldAt: '2027-03-01T15:00:00.000Z', endedAt: '2027-03-01T16:00:00.000Z', attendees: ['Casey'], decisions: [],
    });
    expect(kickoffActionFor({ report: 'moved', startsAt: '2027-03-02T15:00:00.000Z', endsAt: '2027-03-02T16:00:00.000Z' }, booked))
      .toEqual({ type: 'kickoffScheduled', startsAt: '2027-03-02T15:00:00.000Z', endsAt: '2027-03-02T16:00:00.000Z' });
  });
  it('a cancel or a no-show has no onboarding report (the R-47 deadline judges the kickoff)', () => {
    expect(kickoffActionFor({ report: 'cancelled' }, booked)).toBeUndefined();
    expect(kickoffActionFor({ report: 'noShow' }, booked)).toBeUndefined();
  });
});
