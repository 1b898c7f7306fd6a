import { describe, expect, it } from 'vitest';
import {
  defenseLoopTriggers, governanceGate, nextSession, quarterWindow, thresholdChanges, thresholdChangeVerdict, triggerCoverage,
} from '../../domain/governance.js';
import { addConvened, applyHeld, applyMissed, decide, nextDue, type GovernanceState } from '../../domain/governance-process.js';
import { defaultPolicy, diffPolicies } from '../../domain/policy.js';
import { policyWith } from '../support/policy.js';


describe('when the routines meet (R-125, R-35)', () => {
  it('holds the Monthly Segment Review on the policy\'s first Tuesday at 10:00 in the MSP zone', () => {
    const s = nextSession('monthlySegmentReview', '2027-03-01T00:00:00Z', defaultPolicy)!;
    expect(s).toMatchObject({ sessionId: 'monthlySegmentReview-2027-03', period: '2027-03', localDate: '2027-03-02', endsAt: '2027-03-02T11:00:00.000Z' });
    expect(Date.parse(s.scheduledFor)).toBe(Date.parse('2027-03-02T10:00:00Z'));
    // Strictly after: from the March session the next is April's first Tuesday (April 1 2027 is a Thursday).
    expect(nextSession('monthlySegmentReview', s.scheduledFor, defaultPolicy)!.localDate).toBe('2027-04-06');
  });

  it('follows the policy: the MSP zone, a holiday (ROLLed back as R-35\'s review date is), a switched-off routine', () => {
    const chicago = policyWith((d) => { d.governance.timeZone = 'America/Chicago'; });
    expect(Date.parse(nextSession('monthlySegmentReview', '2027-03-01T00:00:00Z', chicago)!.scheduledFor)).toBe(Date.parse('2027-03-02T16:00:00Z')); // 10:00 CST
    const holiday = policyWith((d) => { d.calendar.holidays = ['2027-03-02']; });
    expect(nextSession('monthlySegmentReview', '2027-03-01T00:00:00Z', holiday)).toMatchObject({ localDate: '2027-03-01', movedFrom: '2027-03-02' });
    const off = policyWith((d) => { d.governance.weeklyAmCsm.enabled = false; });
    expect(nextSession('weeklyAmCsm', '2027-03-01T00:00:00Z', off)).toBeUndefined();
  });

  it('holds the weekly routines on their weekday, a holiday moving to the next business day of the week', () => {
    expect(nextSession('weeklyCsOps', '2027-03-03T12:00:00Z', defaultPolicy)).toMatchObject({ sessionId: 'weeklyCsOps-2027-W10', localDate: '2027-03-08' });
    expect(Date.parse(nextSession('weeklyAmCsm', '2027-03-03T12:00:00Z', defaultPolicy)!.scheduledFor)).toBe(Date.parse('2027-03-08T09:00:00Z'));
    const holiday = policyWith((d) => { d.calendar.holidays = ['2027-03-08']; });
    expect(nextSession('weeklyCsOps', '2027-03-03T12:00:00Z', holiday)).toMatchObject({ sessionId: 'weeklyCsOps-2027-W10', localDate: '2027-03-09', movedFrom: '2027-03-08' });
  });

  it('holds the Quarterly Portfolio on the first Wednesday of each calendar quarter', () => {
    expect(nextSession('quarterlyPortfolio', '2027-02-10T00:00:00Z', defaultPolicy)).toMatchObject({ sessionId: 'quarterlyPortfolio-2027-Q2', localDate: '2027-04-07' });
    expect(nextSession('quarterlyPortfolio', '2027-01-01T00:00:00Z', defaultPolicy)).toMatchObject({ sessionId: 'quarterlyPortfolio-2027-Q1', localDate: '2027-01-06' });
  });
});

describe('R-125: thresholds change at most once a quarter, never mid-quarter', () => {
  const changed = policyWith((d) => { d.health.composite.greenMin = 80; d.onboarding.kickoffBusinessDays = 4; });
  const diff = diffPolicies(defaultPolicy, changed);

  it('knows which changes are thresholds', () => {
    expect(thresholdChanges(diff, defaultPolicy.governance.thresholdPaths).map((c) => c.path)).toEqual(['health.composite.greenMin']);
  });

  it('allows one in the quarter\'s first 14 days and refuses it later, naming the next window', () => {
    expect(quarterWindow('2027-02-15T12:00:00Z', defaultPolicy)).toMatchObject({ quarter: '2027-Q1', inWindow: false, windowEndsAt: '2027-01-15T00:00:00.000Z', nextQuarterStart: '2027-04-01T00:00:00.000Z' });
    expect(thresholdChangeVerdict({ at: '2027-01-10T12:00:00Z', diff, earlierThisQuarter: [] }, defaultPolicy)).toMatchObject({ ok: true });
    const mid = thresholdChangeVerdict({ at: '2027-02-15T12:00:00Z', diff, earlierThisQuarter: [] }, defaultPolicy);
    expect(mid).toMatchObject({ ok: false, reason: 'midQuarter' });
    expect(mid.ok ? '' : mid.message).toContain('2027-04-01T00:00:00.000Z');
    const second = thresholdChangeVerdict({ at: '2027-01-12T12:00:00Z', diff, earlierThisQuarter: [{ version: 4, publishedAt: '2027-01-03T09:00:00.000Z' }] }, defaultPolicy);
    expect(second).toMatchObject({ ok: false, reason: 'alreadyChangedThisQuarter', earlier: { version: 4 } });
  });

  it('lets an admin force it with a rationale, and never stops a change that touches no threshold', () => {
    expect(thresholdChangeVerdict({ at: '2027-02-15T12:00:00Z', diff, earlierThisQuarter: [], force: { rationale: 'regulator asked' } }, defaultPolicy)).toMatchObject({ ok: true, forced: { rationale: 'regulator asked' } });
    const plain = diffPolicies(defaultPolicy, policyWith((d) => { d.onboarding.kickoffBusinessDays = 4; }));
    expect(thresholdChangeVerdict({ at: '2027-02-15T12:00:00Z', diff: plain, earlierThisQuarter: [] }, defaultPolicy)).toMatchObject({ ok: true, thresholdChanges: [] });
  });
});

describe('R-60: two breached months gate credit until a green month', () => {
  it('gates after two breached months running, releases on a green one, and treats an unmeasured month as neither', () => {
    expect(governanceGate([{ month: '2027-01', breached: true }, { month: '2027-02', breached: true }], false, 2)).toEqual({ kind: 'gate', months: ['2027-01', '2027-02'] });
    expect(governanceGate([{ month: '2027-01', breached: true }, { month: '2027-02', breached: false }], false, 2)).toEqual({ kind: 'keep' });
    expect(governanceGate([{ month: '2027-01', breached: null }, { month: '2027-02', breached: true }], false, 2)).toEqual({ kind: 'keep' });
    expect(governanceGate([{ month: '2027-02', breached: true }, { month: '2027-03', breached: false }], true, 2)).toEqual({ kind: 'release', greenMonth: '2027-03' });
    expect(governanceGate([{ month: '2027-02', breached: true }, { month: '2027-03', breached: null }], true, 2)).toEqual({ kind: 'keep' });
  });
});

describe('R-23 trigger coverage', () => {
  it('automates the six triggers with a running cadence; the renewal trigger also needs a renewal date; else the queue', () => {
    expect(triggerCoverage({ cadenceRunning: true, renewalDate: '2027-06-30' })).toMatchObject({ queued: [], automated: ['renewal', 'fiscalYearEnd', 'assessmentCompleted', 'initiativeApproved', 'engagementDrop', 'adoptionBelowThreshold'] });
    expect(triggerCoverage({ cadenceRunning: true, renewalDate: null }).queued.map((q) => q.trigger)).toEqual(['renewal']);
    expect(triggerCoverage({ cadenceRunning: false, renewalDate: '2027-06-30' }).queued).toHaveLength(6);
  });
});

describe('R-12 Defense Loop triggers', () => {
  const loop = defaultPolicy.cadence.D.defenseLoop;
  const i = (month: string, incidents: number, age: number | null = null, cost: number | null = null) => ({ month, incidents, oldestExceptionAgeDays: age, costToServeUsd: cost });

  it('fires an incident spike at ≥ 1.5 × the trailing three months and at least 3 incidents', () => {
    expect(defenseLoopTriggers([i('2027-01', 2), i('2027-02', 2), i('2027-03', 2), i('2027-04', 6)], 100, loop).map((t) => t.trigger)).toEqual(['incidentSpike']);
    expect(defenseLoopTriggers([i('2027-01', 2), i('2027-02', 2), i('2027-03', 2), i('2027-04', 2)], 100, loop)).toEqual([]);
    expect(defenseLoopTriggers([i('2027-01', 0), i('2027-02', 2)], 100, loop)).toEqual([]); // 2 < incidentSpikeMin
  });

  it('fires a rising exception age after two rises running, and two months over the cost-to-serve target', () => {
    expect(defenseLoopTriggers([i('2027-01', 0, 10), i('2027-02', 0, 20), i('2027-03', 0, 30)], 100, loop).map((t) => t.trigger)).toEqual(['exceptionAgeRising']);
    expect(defenseLoopTriggers([i('2027-01', 0, 10), i('2027-02', 0, 20), i('2027-03', 0, 15)], 100, loop)).toEqual([]);
    expect(defenseLoopTriggers([i('2027-03', 0, null, 120), i('2027-04', 0, null, 130)], 100, loop).map((t) => t.trigger)).toEqual(['costToServeOverTarget']);
    expect(defenseLoopTriggers([i('2027-03', 0, null, 90), i('2027-04', 0, null, 130)], 100, loop)).toEqual([]);
  });
});

describe('the governance process model', () => {
  const session = { sessionId: 'weeklyCsOps-2027-W10', period: '2027-W10', scheduledFor: '2027-03-08T11:00:00.000Z', endsAt: '2027-03-08T11:30:00.000Z', heldBy: '2027-03-09T11:30:00.000Z', status: 'convened' as const };
  const fresh = (): GovernanceState => ({ routine: 'weeklyCsOps', actions: 0, ticks: 0, sessions: [], convenedThisRun: 0 });

  it('waits for the held report until the held-by instant, then records the session missed once', () => {
    const st = fresh();
    addConvened(st, { ...session });
    expect(nextDue(st)).toEqual({ key: 'missed|weeklyCsOps-2027-W10', at: session.heldBy });
    expect(applyMissed(st, session.sessionId).map((e) => (e.kind === 'event' ? e.type : e.kind))).toEqual(['governanceSessionUpdate', 'governance.session_missed']);
    expect(applyMissed(st, session.sessionId)).toEqual([]);
    expect(nextDue(st)).toBeUndefined();
  });

  it('takes a held report with its attendees, late after the grace; refuses unknown and repeated sessions', () => {
    const st = fresh();
    addConvened(st, { ...session });
    expect(decide(st, { type: 'sessionHeld', sessionId: 'weeklyCsOps-2027-W09', heldAt: session.scheduledFor, attendees: [] })).toMatchObject({ status: 404 });
    const held = applyHeld(st, { type: 'sessionHeld', sessionId: session.sessionId, heldAt: session.scheduledFor, attendees: [{ personId: 'p1', name: 'Lee' }], notes: 'radar done' }, '2027-03-10T09:00:00Z');
    expect(held.late).toBe(true);
    expect(held.effects[1]).toMatchObject({ type: 'governance.session_held', data: { attendees: ['p1'], late: true } });
    expect(decide(st, { type: 'sessionHeld', sessionId: session.sessionId, heldAt: session.scheduledFor, attendees: [] })).toMatchObject({ status: 409 });
  });
});
