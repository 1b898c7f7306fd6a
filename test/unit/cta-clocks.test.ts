import { describe, expect, it } from 'vitest';
import { addClocks, afterEscalation, dueClocks, nextDeadline, nextLevel, openClock, type CtaClock, type CtaClockStart } from '../../domain/cta-clocks.js';

const start = (ctaId: string, firstActionDueAt: string, over: Partial<CtaClockStart> = {}): CtaClockStart => ({
  ctaId, firstActionDueAt, escalationChain: ['backup', 'csLead'], escalationWindowHours: 72, policyVersion: 3, ...over,
});

describe('CTA clocks (C-5, R-122)', () => {
  it('opens a clock at the first-action deadline with the whole escalation chain ahead', () => {
    expect(openClock(start('a', '2027-03-01T17:00:00-05:00'))).toEqual({
      ctaId: 'a', level: 'none', deadline: '2027-03-01T22:00:00.000Z', ahead: ['backup', 'csLead'], escalationWindowHours: 72, policyVersion: 3,
    });
  });

  it('opens each CTA once: a repeated start keeps the running clock, its level and its deadline', () => {
    const table = new Map<string, CtaClock>();
    expect(addClocks(table, [start('a', '2027-03-01T10:00:00Z'), start('b', '2027-03-02T10:00:00Z')])).toEqual(['a', 'b']);
    const escalated = afterEscalation(table.get('a')!) as CtaClock;
    table.set('a', escalated);
    // An activity retry or the outbox dispatcher opens 'a' again, with another deadline and policy.
    expect(addClocks(table, [start('a', '2027-04-01T10:00:00Z', { policyVersion: 4 }), start('c', '2027-03-03T10:00:00Z')])).toEqual(['c']);
    expect(table.get('a')).toEqual(escalated);
    expect([...table.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('waits for the earliest deadline and hands out what is due, earliest first, ties by CTA id', () => {
    const table = new Map<string, CtaClock>();
    expect(nextDeadline(table)).toBeUndefined();
    addClocks(table, [start('z', '2027-03-02T10:00:00Z'), start('b', '2027-03-01T10:00:00Z'), start('a', '2027-03-02T10:00:00Z')]);
    expect(nextDeadline(table)).toBe(Date.parse('2027-03-01T10:00:00Z'));
    expect(dueClocks(table, Date.parse('2027-03-01T09:59:59Z'))).toEqual([]);
    expect(dueClocks(table, Date.parse('2027-03-01T10:00:00Z')).map((c) => c.ctaId)).toEqual(['b']);
    expect(dueClocks(table, Date.parse('2027-03-05T00:00:00Z')).map((c) => c.ctaId)).toEqual(['b', 'a', 'z']);
  });

  it('escalates to the backup, then 72 h after the first window ended to the CS Lead, then is exhausted (R-122)', () => {
    const clock = openClock(start('a', '2027-03-01T10:00:00Z'));
    expect(nextLevel(clock)).toBe('backup');
    const atBackup = afterEscalation(clock);
    // The fresh window runs from the end of the last one, not from when the keeper got round to it.
    expect(atBackup).toMatchObject({ level: 'backup', deadline: '2027-03-04T10:00:00.000Z', ahead: ['csLead'] });
    expect(nextLevel(atBackup as CtaClock)).toBe('csLead');
    expect(afterEscalation(atBackup as CtaClock)).toBe('exhausted');
  });

  it('follows the policy: a one-level chain is exhausted at its first escalation, a 24 h window moves the next deadline a day', () => {
    expect(afterEscalation(openClock(start('a', '2027-03-01T10:00:00Z', { escalationChain: ['csLead'] })))).toBe('exhausted');
    expect(afterEscalation(openClock(start('a', '2027-03-01T10:00:00Z', { escalationWindowHours: 24 })))).toMatchObject({ deadline: '2027-03-02T10:00:00.000Z' });
  });
});
