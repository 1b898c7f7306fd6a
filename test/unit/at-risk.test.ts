import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { applyAction, decide, due, initialRiskState, nextDue, reengageDueDate, savePlanDueAt, severityOf, startEffects, type RiskRules, type RiskSetup, type RiskState } from '../../domain/at-risk.js';
import { defaultPolicy } from '../../domain/policy.js';

/**
 * The At Risk clocks by hand (R-93..R-103) in America/Chicago, June 2026 (CDT, −05:00). A High risk
 * detected Friday 12 June 15:30 and a Medium one detected Saturday 13 June 10:00.
 */
const ar = defaultPolicy.atRisk;
const calendar = { timeZone: 'America/Chicago', holidays: ['2026-07-03'], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' };
const cal = makeCalendar(calendar);
const rules: RiskRules = {
  severity: ar.severity, ackBusinessHours: ar.ackBusinessHours, stabiliseDays: ar.stabiliseDays, reengageWindowDays: ar.reengageWindowDays, reengageBusinessDays: ar.reengageBusinessDays,
  reengageMinutes: ar.reengageMinutes, savePlanHours: ar.savePlanHours, savePlanBusinessDays: ar.savePlanBusinessDays, h1Days: ar.h1Days, h2Days: ar.h2Days,
  progressEmailDays: ar.progressEmailDays, noMovementDays: ar.noMovementDays, resetWithinDays: ar.resetWithinDays, resolveDays: ar.resolveDays, escalateDays: ar.escalateDays,
  exitHealthyDays: ar.exitHealthyDays, exitSlaCycles: ar.exitSlaCycles, afterActionBusinessDays: ar.afterActionBusinessDays,
  exitCriteria: { Service: [...ar.exitCriteriaByBucket.Service], Delivery: [...ar.exitCriteriaByBucket.Delivery], Strategic: [...ar.exitCriteriaByBucket.Strategic], Financial: [...ar.exitCriteriaByBucket.Financial] },
  ownerByBucket: ar.ownerByBucket, firstActionHours: 72, minNoticeBusinessDays: 2, calendar,
};
const FRIDAY = '2026-06-12T15:30:00.000-05:00';
const SATURDAY = '2026-06-13T10:00:00.000-05:00';
function setup(over: Partial<RiskSetup> = {}): RiskSetup {
  return {
    riskId: 'r-1', clientId: 'c-1', segment: 'B', bucket: 'Service', impact: 3, likelihood: 2, trigger: 'SLA breached two cycles', ruleId: 'R-93',
    source: { process: 'health', evidence: {} }, openedAt: FRIDAY, ownerRole: 'TAM', presenterRole: 'vCIO', sponsorRole: 'CS Lead', firstActionCta: null, repeatOf: null,
    healthBaseline: 70, policyVersion: 1, rules, ...over,
  };
}
const dueOf = (s: RiskState, key: string) => s.deadlines.find((d) => d.key === key)!.dueAt;
const act = (s: RiskState, action: Parameters<typeof applyAction>[1], at: string) => {
  const refusal = decide(s, action, at);
  if (refusal) throw new Error(refusal.message);
  return applyAction(s, action, at);
};

describe('severity = impact × likelihood (R-94): ≥ 6 High, 3–4 Medium, 1–2 Low', () => {
  it.each([[3, 3, 'High'], [3, 2, 'High'], [2, 2, 'Medium'], [3, 1, 'Medium'], [2, 1, 'Low'], [1, 1, 'Low']] as const)('%i × %i → %s', (i, l, sev) => {
    expect(severityOf(i, l, ar.severity)).toBe(sev);
  });
});

describe('a High risk detected on a Friday afternoon', () => {
  const s = initialRiskState(setup());
  it('R-95: acknowledged within 4 business hours — 1.5 h left on Friday, 2.5 h on Monday → Mon 15 Jun 11:30', () => {
    expect(s.severity).toBe('High');
    expect(dueOf(s, 'acknowledge')).toBe('2026-06-15T11:30:00.000-05:00');
  });
  it('R-96: stabilised by Day 3 — judged at 24:00 at the end of Mon 15 Jun (C-3)', () => {
    expect(dueOf(s, 'stabilise')).toBe('2026-06-16T00:00:00.000-05:00');
  });
  it('R-97: re-engage by the earlier of Day 5 (Wed 17 Jun, a business day) and 5 bd (Fri 19 Jun) → end of Wed 17 Jun', () => {
    expect(s.reengage.dueDate).toBe('2026-06-17');
    expect(dueOf(s, 'reengage')).toBe('2026-06-18T00:00:00.000-05:00');
  });
  it('R-98: Save Plan ≤ 5 bd after detection (end of Fri 19 Jun) until the session sets an earlier 48h line', () => {
    expect(dueOf(s, 'savePlan')).toBe('2026-06-20T00:00:00.000-05:00');
    expect(savePlanDueAt(FRIDAY, '2026-06-17T11:00:00.000-05:00', rules, cal)).toBe('2026-06-19T11:00:00.000-05:00');
    // A late session: 48h after Thu 18 Jun 16:00 is Sat 20 Jun 16:00, later than the 5 bd line → the 5 bd line stays.
    expect(savePlanDueAt(FRIDAY, '2026-06-18T16:00:00.000-05:00', rules, cal)).toBe('2026-06-20T00:00:00.000-05:00');
  });
  it('H1 to Day 14, Day 30 reclassify, Day 60 escalation and H2 end (C-3 checkpoints)', () => {
    expect(dueOf(s, 'h1')).toBe('2026-06-27T00:00:00.000-05:00');
    expect(dueOf(s, 'resolve')).toBe('2026-07-13T00:00:00.000-05:00');
    expect(dueOf(s, 'escalate')).toBe('2026-08-12T00:00:00.000-05:00');
    expect(dueOf(s, 'h2')).toBe('2026-08-12T00:00:00.000-05:00');
  });
  it('records risk.opened, each clock as deadline.set, the acknowledgement CTA (escalating at its due, A-28) and the row', () => {
    const fx = startEffects(initialRiskState(setup()));
    expect(fx[0]).toMatchObject({ kind: 'event', type: 'risk.opened', data: { riskId: 'r-1', bucket: 'Service', severity: 'High', impact: 3, likelihood: 2, ownerRole: 'TAM', repeat: false } });
    expect(fx.filter((e) => e.kind === 'event' && e.type === 'deadline.set').map((e) => e.kind === 'event' && e.data.deadline)).toEqual([
      'risk.acknowledge', 'risk.stabilise', 'risk.reengage', 'risk.savePlan', 'risk.h1', 'risk.resolve', 'risk.escalate', 'risk.h2',
    ]);
    expect(fx.find((e) => e.kind === 'cta')).toMatchObject({ key: 'acknowledge', ownerRole: 'TAM', dueAt: '2026-06-15T11:30:00.000-05:00', clock: 'due', ruleId: 'R-95' });
  });
});

describe('a Medium risk detected on a Saturday', () => {
  const s = initialRiskState(setup({ openedAt: SATURDAY, impact: 2, likelihood: 2, bucket: 'Strategic', ownerRole: 'CSM' }));
  it('R-95: 8 business hours from the next opening → Mon 15 Jun 17:00', () => {
    expect(s.severity).toBe('Medium');
    expect(dueOf(s, 'acknowledge')).toBe('2026-06-15T17:00:00.000-05:00');
  });
  it('R-97: Day 5 is Thu 18 Jun, 5 bd is Fri 19 Jun → Thu 18 Jun', () => {
    expect(s.reengage.dueDate).toBe('2026-06-18');
  });
  it('R-97 with ROLL: detected Tue 9 Jun, Day 5 is Sunday → rolled back to Fri 12 Jun (before the 5 bd Tue 16 Jun)', () => {
    expect(reengageDueDate('2026-06-09T10:00:00.000-05:00', rules, cal)).toBe('2026-06-12');
  });
  it('R-34: with the trigger\'s CTA as first action, the risk opens no acknowledgement CTA of its own', () => {
    const fx = startEffects(initialRiskState(setup({ openedAt: SATURDAY, impact: 2, likelihood: 2, firstActionCta: 'cta-reengage' })));
    expect(fx.filter((e) => e.kind === 'cta')).toEqual([]);
    expect(fx[0]).toMatchObject({ why: { firstActionCta: 'cta-reengage' } });
  });
});

describe('the clocks at their instants (Day 3/5/14/30/60, no movement, weekly progress)', () => {
  it('a missed stabilise opens an overdue CTA; a missed acknowledgement is recorded (its CTA escalates by itself)', () => {
    const s = initialRiskState(setup());
    expect(nextDue(s)).toEqual({ key: 'deadline|acknowledge', at: '2026-06-15T11:30:00.000-05:00' });
    const ack = due(s, 'deadline|acknowledge', '2026-06-15T16:30:00.000Z');
    expect(ack.filter((e) => e.kind === 'event').map((e) => e.kind === 'event' && e.type)).toEqual(['deadline.missed']);
    const stab = due(s, 'deadline|stabilise', '2026-06-16T05:00:00.000Z');
    expect(stab.find((e) => e.kind === 'cta')).toMatchObject({ key: 'overdue/stabilise', ownerRole: 'TAM', ruleId: 'R-96' });
  });

  it('Day 30 not resolved → reclassify-with-rationale CTA; Day 60 → leadership escalation with a contract review flag', () => {
    const s = initialRiskState(setup());
    const d30 = due(s, 'deadline|resolve', '2026-07-13T05:00:00.000Z');
    expect(d30.find((e) => e.kind === 'cta')).toMatchObject({ key: 'reclassify', ruleId: 'R-101', ownerRole: 'TAM' });
    const d60 = due(s, 'deadline|escalate', '2026-08-12T05:00:00.000Z');
    expect(d60.find((e) => e.kind === 'event' && e.type === 'risk.escalated')).toMatchObject({ data: { to: 'CS Lead', contractReview: true, openDays: 60 } });
    expect(d60.find((e) => e.kind === 'cta')).toMatchObject({ key: 'escalation', ownerRole: 'CS Lead', data: { contractReview: true } });
  });

  it('R-100: no movement for 14 d from the last movement → a reset with two options, due within 7 d; movement moves the checkpoint', () => {
    const s = initialRiskState(setup());
    act(s, { type: 'acknowledged', note: 'called the client' }, '2026-06-15T14:00:00.000Z');
    expect(s.lastMovementAt).toBe('2026-06-15T14:00:00.000Z');
    // The next instants: stabilise (Day 3) … and the no-movement checkpoint 14 × 24h after the acknowledgement.
    for (const k of ['stabilise', 'reengage', 'savePlan', 'h1']) due(s, `deadline|${k}`, dueOf(s, k));
    expect(nextDue(s)).toEqual({ key: 'noMovement|1', at: '2026-06-29T14:00:00.000Z' });
    const fx = due(s, 'noMovement|1', '2026-06-29T14:00:00.000Z');
    expect(fx.find((e) => e.kind === 'event' && e.type === 'risk.stalled')).toMatchObject({ data: { lastMovementAt: '2026-06-15T14:00:00.000Z', days: 14, reset: 1 } });
    expect(fx.find((e) => e.kind === 'cta')).toMatchObject({ key: 'reset/1', ownerRole: 'TAM', dueAt: '2026-07-06T09:00:00.000-05:00', ruleId: 'R-100' });
    expect(nextDue(s)).toEqual({ key: 'deadline|resolve', at: '2026-07-13T00:00:00.000-05:00' });
    // …and the next reset checkpoint is 14 d after this one.
    s.deadlines.find((d) => d.key === 'resolve')!.status = 'met';
    expect(nextDue(s)).toEqual({ key: 'noMovement|2', at: '2026-07-13T14:00:00.000Z' });
  });

  it('R-98/R-99: the session moves the Save Plan due to 48h after it; published plans start the weekly progress from + 7 d', () => {
    const s = initialRiskState(setup());
    act(s, { type: 'reengageHeld', heldAt: '2026-06-17T15:00:00.000Z', endedAt: '2026-06-17T16:00:00.000Z', decisions: ['Weekly status call', 'Fund the restore test'] }, '2026-06-17T16:05:00.000Z');
    expect(dueOf(s, 'savePlan')).toBe('2026-06-19T11:00:00.000-05:00');
    expect(s.deadlines.find((d) => d.key === 'reengage')!.status).toBe('met');
    expect(decide(s, { type: 'savePlanPublished', actions: [{ horizon: 'H1', title: 'Restore test', owner: 'TAM', dueDate: '2026-06-27' }], risks: [], assumptions: [], dependencies: [] }, '2026-06-18T15:00:00.000Z'))
      .toMatchObject({ status: 422, ruleId: 'R-98' }); // day 15 is not H1 (days 0–14)
    act(s, { type: 'savePlanPublished', actions: [
      { horizon: 'H1', title: 'Restore test', owner: 'TAM', dueDate: '2026-06-20', budgetUsd: 800 },
      { horizon: 'H2', title: 'Replace the backup agent', owner: 'TAM', dueDate: '2026-07-20', budgetUsd: 6000 },
    ], risks: ['vendor lead time'], assumptions: [], dependencies: [] }, '2026-06-18T15:00:00.000Z');
    expect(s.deadlines.find((d) => d.key === 'savePlan')!.status).toBe('met');
    act(s, { type: 'actionRecorded', kind: 'action', title: 'Restore test done', actionId: 'h1-1' }, '2026-06-19T15:00:00.000Z');
    // Week 1: due Thu 25 Jun 15:00Z; nothing sent → missed + CTA. Week 2: sent in time → nothing.
    const w1 = due(s, 'progress|1', '2026-06-25T15:00:00.000Z');
    expect(w1.find((e) => e.kind === 'cta')).toMatchObject({ key: 'progress/1', ruleId: 'R-99' });
    act(s, { type: 'progressSent' }, '2026-06-30T15:00:00.000Z');
    expect(due(s, 'progress|2', '2026-07-02T15:00:00.000Z').filter((e) => e.kind === 'cta')).toEqual([]);
    // H1 at Day 14: every H1 action done → met.
    due(s, 'deadline|h1', dueOf(s, 'h1'));
    expect(s.deadlines.find((d) => d.key === 'h1')!.status).toBe('met');
  });
});

describe('exit to green (R-102) and the After-Action', () => {
  it('refused while a criterion of the bucket does not hold; Baton\'s data decides over an attestation', () => {
    const s = initialRiskState(setup());
    const close = (attested: object, computed: object) => ({ type: 'closed' as const, note: 'stable for a month', attested, computed });
    expect(decide(s, close({ healthAtBaseline: true, slaTrendNormal: true, detractorsFollowedUp: true }, { healthAtBaseline: { holds: false, detail: 'composite 65 vs baseline 70' } }), '2026-07-10T15:00:00.000Z'))
      .toMatchObject({ status: 409, ruleId: 'R-102', message: expect.stringContaining('healthAtBaseline') });
    // Delivery needs health and a roadmap/budget reset only.
    const d = initialRiskState(setup({ bucket: 'Delivery', ownerRole: 'CSM' }));
    expect(decide(d, close({ roadmapBudgetReset: true }, { healthAtBaseline: { holds: true, detail: '' } }), '2026-07-10T15:00:00.000Z')).toBeUndefined();
  });

  it('closes with its resolution time against the 30 d KPI, opens the After-Action due in 5 bd, and ends its clocks', () => {
    const s = initialRiskState(setup());
    const fx = act(s, { type: 'closed', note: 'green', attested: { slaTrendNormal: true, detractorsFollowedUp: true }, computed: { healthAtBaseline: { holds: true, detail: '' } } }, '2026-07-02T15:30:00.000-05:00');
    expect(fx.find((e) => e.kind === 'event' && e.type === 'risk.closed')).toMatchObject({ data: { outcome: 'green', resolutionDays: 20, withinTarget: true } });
    // Thu 2 Jul + 5 bd, Fri 3 Jul a holiday: Mon 6 … Fri 10 Jul → end of Fri 10 Jul.
    expect(fx.find((e) => e.kind === 'cta')).toMatchObject({ key: 'after-action', dueAt: '2026-07-11T00:00:00.000-05:00', clock: 'due' });
    expect(nextDue(s)).toEqual({ key: 'deadline|afterAction', at: '2026-07-11T00:00:00.000-05:00' });
    expect(decide(s, { type: 'acknowledged', note: 'x' }, '2026-07-03T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-102' });
    act(s, { type: 'afterActionRecorded', people: 'p', process: 'q', tech: 't', expectation: 'e' }, '2026-07-08T15:00:00.000Z');
    expect(s.afterAction!.recordedAt).toBe('2026-07-08T15:00:00.000Z');
  });

  it('R-103: a risk opened within 120 d of a closure is a repeat', () => {
    const fx = startEffects(initialRiskState(setup({ repeatOf: { riskId: 'r-0', closedAt: '2026-04-01T15:00:00.000Z' } })));
    expect(fx[0]).toMatchObject({ data: { repeat: true, repeatOf: 'r-0' }, why: { repeatRule: 'R-103' } });
  });
});
