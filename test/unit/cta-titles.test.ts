import { describe, expect, it } from 'vitest';
import { ctaTitle, deadlineLabel, formatDate, formatDay, formatDayTime, formatDue, humanize, triggerReason } from '../../domain/cta-titles.js';

const CHICAGO = 'America/Chicago';

describe('CTA titles people read (no internal keys or ISO stamps)', () => {
  it('an end-of-day deadline (24:00 local, C-3) reads as that day; the zone is the client\'s', () => {
    // Kickoff due at the end of Tue 24 Nov 2026 in Chicago = 2026-11-25T00:00-06:00 = 06:00Z.
    expect(ctaTitle.overdue('kickoff.held', '2026-11-25T00:00:00.000-06:00', CHICAGO, '2026-11-25T00:00:00.000-06:00')).toBe('Kickoff overdue since Tue 24 Nov');
    expect(ctaTitle.overdue('kickoff.held', '2026-11-25T06:00:00.000Z', CHICAGO, '2026-11-25T06:00:00.000Z')).toBe('Kickoff overdue since Tue 24 Nov');
    // The same instant is already Wed 25 Nov 07:00 in Berlin: shown with its time there.
    expect(formatDue('2026-11-25T06:00:00.000Z', 'Europe/Berlin')).toBe('Wed 25 Nov 07:00');
  });

  it('a deadline with a time shows it, across the DST change', () => {
    expect(ctaTitle.overdue('closeout.held', '2026-07-02T17:00:00.000-05:00', CHICAGO, '2026-07-02T17:00:00.000-05:00')).toBe('Day 90 closeout overdue since Thu 2 Jul 17:00');
    expect(formatDayTime('2026-03-08T15:00:00.000Z', CHICAGO)).toBe('Sun 8 Mar 10:00');
    expect(formatDayTime('2026-03-07T15:00:00.000Z', CHICAGO)).toBe('Sat 7 Mar 09:00');
  });

  it('the year shows only when it is not the year the CTA opens in', () => {
    expect(formatDay('2027-01-05T15:00:00Z', CHICAGO, '2026-12-20T15:00:00Z')).toBe('Tue 5 Jan 2027');
    expect(formatDay('2027-01-05T15:00:00Z', CHICAGO, '2027-01-02T15:00:00Z')).toBe('Tue 5 Jan');
    expect(formatDate('2027-03-31', 2026)).toBe('Wed 31 Mar 2027');
    expect(formatDate('2027-03-31')).toBe('Wed 31 Mar');
    // New Year's Eve at 20:00 in Chicago is already 1 Jan in UTC: the client's year counts.
    expect(formatDay('2027-01-01T02:00:00Z', CHICAGO, '2026-12-31T20:00:00-06:00')).toBe('Thu 31 Dec');
  });

  it('deadline keys read as what they are about; unknown keys are humanised, not shown raw', () => {
    expect(deadlineLabel('kickoff.held')).toBe('Kickoff');
    expect(deadlineLabel('roadmap.window.closes')).toBe('Roadmap and Budget v1');
    expect(deadlineLabel('day60Review.held')).toBe('Day 60 review');
    expect(deadlineLabel('workingAgreement.due')).toBe('Working agreement due');
    expect(humanize('healthBaselineAndCadenceLock')).toBe('health baseline and cadence lock');
    expect(ctaTitle.closeoutStep(2, 'accessAndDocumentation')).toBe('Onboarding exception at closeout: step 2 (access and documentation) not complete');
  });

  it('meeting CTAs name the meeting by template and day', () => {
    const at = '2026-06-01T09:00:00-05:00';
    expect(ctaTitle.prepPack('QBR', '2026-06-09T10:00:00-05:00', CHICAGO, at)).toBe('Attach the prep pack for the QBR of Tue 9 Jun');
    expect(ctaTitle.recap('QBR', '2026-06-09T10:00:00-05:00', CHICAGO, at)).toBe('Send the recap of the QBR of Tue 9 Jun');
    expect(ctaTitle.bookByHand('Service Review', '2026-09-08T10:00:00-05:00', CHICAGO, at)).toBe('Book the Service Review of Tue 8 Sep by hand: no allowed slot');
    expect(ctaTitle.rebookCancelled('QBR', '2026-06-09T10:00:00-05:00', CHICAGO, at)).toBe('Rebook the QBR of Tue 9 Jun: cancelled by the client');
    expect(ctaTitle.decisionCall('QBR', '2026-06-09T10:00:00-05:00', CHICAGO, at)).toBe('Book a decision call with the right executive: the QBR of Tue 9 Jun was rescoped to a short update');
  });

  it('trigger CTAs say why the trigger fired, and where it was merged (R-13..R-19, R-21)', () => {
    const at = '2026-08-17T09:00:00-05:00';
    expect(ctaTitle.trigger('Renewal Review', 'renewal', '2026-11-28', CHICAGO, at)).toBe('Renewal Review: renewal on Sat 28 Nov');
    expect(ctaTitle.trigger('Renewal Review', 'renewal', '2027-02-28', CHICAGO, at, { template: 'QBR', startsAt: '2026-08-25T10:00:00-05:00' }))
      .toBe('Renewal Review: renewal on Sun 28 Feb 2027 (on the agenda of the QBR of Tue 25 Aug)');
    expect(triggerReason('fiscalYearEnd', '2026-12-31', 2026)).toBe('fiscal year ends Thu 31 Dec');
    expect(triggerReason('engagementDrop', 'misses:qbr/2026-06/rebook')).toBe('strategic meetings missed in a row');
    expect(triggerReason('engagementDrop', 'pending:Approve the firewall')).toBe('decision "Approve the firewall" still pending');
    expect(triggerReason('adoptionBelowThreshold', 'mfa')).toBe('MFA adoption below threshold');
    expect(triggerReason('stakeholderChange', 'Pat Doe@2026-08-03', 2026)).toBe('new stakeholder Pat Doe (Mon 3 Aug)');
    expect(triggerReason('initiativeApproved', 'INI-7')).toBe('initiative INI-7 approved');
  });

  it('refuses what it cannot show rather than guessing', () => {
    expect(() => formatDate('2026-02-30')).toThrow(RangeError);
    expect(() => formatDay('2026-06-01 10:00', CHICAGO)).toThrow(RangeError);
  });
});
