import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { nextPlacementReview } from '../../domain/placement-review.js';

const chicago = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2027-11-25'] });

describe('nextPlacementReview (R-7, A-21, C-2)', () => {
  it('is 12 calendar months after the anchor at opening time in the client zone', () => {
    // Registered Tue 2026-11-24 15:00 Chicago → Wed 2027-11-24 09:00 CST.
    expect(nextPlacementReview('2026-11-24T21:00:00Z', 12, '09:00', chicago)).toEqual({ dueAt: '2027-11-24T09:00:00.000-06:00', localDate: '2027-11-24' });
  });

  it('rolls a holiday back to the previous business day', () => {
    // 2027-11-25 is a holiday (Thanksgiving) → Wed 2027-11-24.
    expect(nextPlacementReview('2026-11-25T15:00:00Z', 12, '09:00', chicago).localDate).toBe('2027-11-24');
  });

  it('rolls a weekend back to Friday and keeps DST-correct wall time', () => {
    // 2027-05-29 is a Saturday → Fri 2027-05-28, 09:00 CDT (-05:00).
    expect(nextPlacementReview('2026-05-29T15:00:00Z', 12, '09:00', chicago)).toEqual({ dueAt: '2027-05-28T09:00:00.000-05:00', localDate: '2027-05-28' });
  });

  it('uses the local date of the anchor, not the UTC date', () => {
    // 2026-12-01 03:00Z is still 2026-11-30 in Chicago → 2027-11-30 (Tue).
    expect(nextPlacementReview('2026-12-01T03:00:00Z', 12, '09:00', chicago).localDate).toBe('2027-11-30');
  });

  it('clamps month ends (Jan 31 + 1 month → Feb 28) and honours a shorter interval', () => {
    expect(nextPlacementReview('2027-01-31T15:00:00Z', 1, '09:00', chicago).localDate).toBe('2027-02-26');
  });
});
