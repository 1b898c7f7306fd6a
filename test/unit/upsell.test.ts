import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import type { ProcessEffect } from '../../domain/effects.js';
import { defaultPolicy } from '../../domain/policy.js';
import * as U from '../../domain/upsell.js';
import { policyWith } from '../support/policy.js';

/** The upsell play's pure model (DOMAIN §2.16, R-89..R-92; credit; C-2 ROLL) that workflows/upsell.ts interprets. */
const policy = defaultPolicy;
const calendar = { timeZone: 'America/Chicago', holidays: ['2026-07-03'], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' };
const cal = makeCalendar(calendar);
const utc = (iso: string) => new Date(iso).toISOString();
const events = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'event' ? [[e.type, e.ruleId] as const] : []));
const ctas = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'cta' ? [{ key: e.key, ownerRole: e.ownerRole, dueAt: utc(e.dueAt), clock: e.clock ?? 'firstAction' }] : []));
const resolved = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'ctaResolved' ? [e.key] : []));
const openGate: U.CreditInputs = { clientGate: { closed: false, reasons: [] }, governanceGates: [], ownerPersonId: 'p-avery' };

function play(extra: Partial<U.UpsellSetup> = {}, signal: Partial<U.UpsellSignal> = {}): U.UpsellState {
  return U.initialState({
    signalId: 'u-1', clientId: 'c-1', initiativeId: 'i-1', segment: 'B', policyVersion: 1, policy, calendar, loggedAt: '2026-05-11T15:00:00.000Z',
    signal: { kind: 'insuranceAsk', source: 'cyber-insurance questionnaire', signalDate: '2026-05-11', lane: 'CapEx', urgency: 'high', title: 'EDR for all endpoints', riskReduction: false, ...signal },
    ...extra,
  });
}
function apply(s: U.UpsellState, a: U.UpsellAction, at: string) {
  const refusal = U.decide(s, a, at);
  if (refusal) throw new Error(`refused: ${refusal.message}`);
  return U.accept(s, a, at).effects;
}
const touch: U.Touch = { meetingId: 'm-7', kind: 'Check-in', startsAt: '2026-06-11T10:00:00.000-05:00', strategic: false };
const priced = (s: U.UpsellState, at = '2026-05-13T15:00:00.000Z') => apply(s, { type: 'priceTested', priceTestId: 'pt-1', outcome: 'viable', minUsd: 8000, maxUsd: 12000, quarter: '2026-Q3', appetite: 4 }, at);
const preApproved = (s: U.UpsellState, next: U.Touch | null = touch) =>
  apply(s, { type: 'preApproved', preApprovalId: 'pa-1', quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, roadmapVersion: 2, budgetVersion: 2, decisionFlag: true, versionNote: 'EDR pre-approved', nextTouch: next }, '2026-05-14T16:00:00.000Z');
const presented = (s: U.UpsellState) => apply(s, { type: 'proposalPresented', proposalId: 'p-1', presentedAt: '2026-06-11T15:30:00.000Z', meetingId: 'm-7' }, '2026-06-11T15:30:00.000Z');
const approval = (credit = openGate, extra: Partial<Extract<U.UpsellAction, { type: 'approved' }>> = {}): U.UpsellAction => ({
  type: 'approved', proposalId: 'p-1', decidedAt: '2026-06-12T15:00:00.000Z', ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 12000, projectRef: 'PRJ-1', credit, ...extra,
});

describe('the signal and the price-test due (R-89, R-90, C-2)', () => {
  it('is due signal + 3 d at 17:00 local; a weekend rolls to the previous business day, never before the signal', () => {
    expect(utc(U.priceTestDueAt('2026-05-11', policy, cal))).toBe('2026-05-14T22:00:00.000Z'); // Monday → Thursday 17:00 CDT
    expect(utc(U.priceTestDueAt('2026-05-14', policy, cal))).toBe('2026-05-15T22:00:00.000Z'); // Thursday + 3 = Sunday → Friday
    expect(utc(U.priceTestDueAt('2026-06-30', policy, cal))).toBe('2026-07-02T22:00:00.000Z'); // Friday 3 July is a holiday → Thursday
    expect(utc(U.priceTestDueAt('2026-05-11', policyWith({ upsell: { priceTestDueDays: 5, priceTestDueTime: '12:00' } }), cal))).toBe('2026-05-15T17:00:00.000Z');
  });

  it('logs the signal and opens the price-test CTA for the AM, escalating at its due (A-28)', () => {
    const s = play();
    const first = U.opened(s).effects;
    expect(events(first)).toEqual([['upsell.signal_logged', 'R-89']]);
    expect(first[0]).toMatchObject({ data: { kind: 'insuranceAsk', lane: 'CapEx', urgency: 'high', signalDate: '2026-05-11' }, why: { laneFitsSegment: true } });
    expect(ctas(first)).toEqual([{ key: 'price-test', ownerRole: 'AM', dueAt: '2026-05-14T22:00:00.000Z', clock: 'due' }]);
    expect(U.nextDue(s)).toEqual({ key: 'priceTest', at: s.priceTestDueAt });
  });

  it('says when the lane does not fit the segment (OpEx fits D/C, CapEx fits B/A)', () => {
    expect([U.laneFits('OpEx', 'D'), U.laneFits('OpEx', 'A'), U.laneFits('CapEx', 'B'), U.laneFits('CapEx', 'C')]).toEqual([true, false, true, false]);
    expect(U.opened(play({ segment: 'C' })).effects[0]).toMatchObject({ why: { laneFitsSegment: false } });
  });
});

describe('price test → pre-approval → proposal → approval (R-90..R-92)', () => {
  it('walks the play with each CTA, due and record', () => {
    const s = play();
    U.opened(s);
    const p = priced(s);
    expect(events(p)).toEqual([['upsell.price_tested', 'R-90']]);
    expect(p[0]).toMatchObject({ data: { late: false, appetite: 4 } });
    expect(resolved(p)).toEqual(['price-test']);
    expect([s.state, U.nextDue(s)]).toEqual(['priceTested', undefined]);

    const pa = preApproved(s);
    expect(events(pa)).toEqual([['upsell.planned', 'R-91']]);
    expect(pa[0]).toMatchObject({ data: { roadmapVersion: 2, budgetVersion: 2, decisionFlag: true, band: { minUsd: 8000, maxUsd: 12000 }, nextTouch: { meetingId: 'm-7' } } });
    // the proposal at the touch, by the vCIO for B.
    expect(ctas(pa)).toEqual([{ key: 'proposal', ownerRole: 'vCIO', dueAt: '2026-06-11T22:00:00.000Z', clock: 'due' }]);
    expect(utc(U.nextDue(s)!.at)).toBe('2026-06-11T22:00:00.000Z'); // by the end of the touch's day

    const pr = presented(s);
    expect(events(pr)).toEqual([['upsell.proposed', 'R-92']]);
    // Recap 48h (R-29, deliverable clock) and acceptance / PO / kickoff prep 72h.
    expect(ctas(pr)).toEqual([
      { key: 'recap', ownerRole: 'CSM', dueAt: '2026-06-13T15:30:00.000Z', clock: 'due' },
      { key: 'close', ownerRole: 'vCIO', dueAt: '2026-06-14T15:30:00.000Z', clock: 'firstAction' },
    ]);
    expect(resolved(pr)).toEqual(['proposal', 'book-touch']);
    expect(U.nextDue(s)).toEqual({ key: 'recap', at: s.proposal!.recapDueAt });

    const rc = apply(s, { type: 'recapSent', sentAt: '2026-06-12T14:00:00.000Z' }, '2026-06-12T14:00:00.000Z');
    expect(rc[0]).toMatchObject({ type: 'upsell.recap_sent', data: { late: false } });
    expect(U.decide(s, { type: 'recapSent', sentAt: '2026-06-12T15:00:00.000Z' }, '2026-06-12T15:00:00.000Z')).toMatchObject({ status: 409 });

    const ap = apply(s, approval(), '2026-06-12T15:00:00.000Z');
    expect(events(ap)).toEqual([['upsell.approved', 'R-92']]);
    expect(ap.find((e) => e.kind === 'creditDecision')).toMatchObject({ verdict: 'counted', reasons: [], initiativeId: 'i-1', data: { proposalId: 'p-1', projectRef: 'PRJ-1' } });
    expect([s.state, U.isFinished(s), U.nextDue(s)]).toEqual(['approved', true, undefined]);
    expect(U.decide(s, { type: 'recapSent', sentAt: '2026-06-13T15:00:00.000Z' }, '2026-06-13T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-124' });
  });

  it('without a touch booked, the pre-approval opens a booking CTA (R-92) and no proposal due', () => {
    const s = play({ segment: 'D' });
    priced(s);
    const pa = preApproved(s, null);
    expect(ctas(pa)).toEqual([{ key: 'book-touch', ownerRole: 'TAM', dueAt: '2026-05-17T16:00:00.000Z', clock: 'firstAction' }]);
    expect(U.nextDue(s)).toBeUndefined();
  });

  it('picks the next strategic or tactical touch after the instant', () => {
    const meetings: U.Touch[] = [
      { meetingId: 'kick', kind: 'Delivery Kickoff', startsAt: '2026-05-20T15:00:00.000Z', strategic: false },
      { meetingId: 'qbr', kind: 'QBR', startsAt: '2026-06-20T15:00:00.000Z', strategic: true },
      { meetingId: 'tac', kind: 'Check-in', startsAt: '2026-06-11T15:00:00.000Z', strategic: false },
      { meetingId: 'past', kind: 'Service Review', startsAt: '2026-05-01T15:00:00.000Z', strategic: false },
    ];
    expect(U.nextTouch(meetings, '2026-05-14T16:00:00.000Z', policy)?.meetingId).toBe('tac');
    expect(U.nextTouch(meetings, '2026-06-12T16:00:00.000Z', policy)?.meetingId).toBe('qbr');
    expect(U.nextTouch(meetings, '2026-06-21T16:00:00.000Z', policy)).toBeNull();
  });

  it('refuses reports out of order (409 with the rule) and a band upside down (422)', () => {
    const s = play();
    expect(U.decide(s, { type: 'proposalPresented', proposalId: 'p-1', presentedAt: '2026-05-12T15:00:00.000Z' }, '2026-05-12T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-92', details: { state: 'signalLogged' } });
    expect(U.decide(s, { type: 'priceTested', priceTestId: 'x', outcome: 'viable', minUsd: 9, maxUsd: 1, quarter: '2026-Q3' }, '2026-05-12T15:00:00.000Z')).toMatchObject({ status: 422 });
    expect(U.decide(s, { type: 'priceTested', priceTestId: 'x', outcome: 'notNow', minUsd: 1, maxUsd: 9, quarter: '2026-Q3' }, '2026-05-12T15:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-91' });
    expect(U.decide(s, { type: 'resequenced', reason: 'because', quarter: '2026-Q4' }, '2026-05-12T15:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-91' });
    priced(s);
    preApproved(s);
    presented(s);
    expect(U.decide(s, approval(openGate, { proposalId: 'p-other' }), '2026-06-12T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-92' });
  });
});

describe('late steps and re-sequencing (R-90, R-91)', () => {
  it('a price test past its due: overdue once on the timeline, then taken and marked late', () => {
    const s = play();
    U.opened(s);
    const overdue = U.due(s, 'priceTest', s.priceTestDueAt).effects;
    expect(overdue[0]).toMatchObject({ type: 'upsell.step_overdue', ruleId: 'R-90', data: { step: 'priceTest', dueAt: s.priceTestDueAt } });
    expect(U.nextDue(s)).toBeUndefined();
    const p = priced(s, '2026-05-18T15:00:00.000Z');
    expect(p[0]).toMatchObject({ data: { late: true }, why: { lateBy: '89 h after the R-90 due' } });
  });

  it('a proposal not presented by the end of the touch\'s day: overdue, then presented late (R-92)', () => {
    const s = play();
    priced(s);
    preApproved(s);
    const overdue = U.due(s, 'proposal', U.nextDue(s)!.at).effects;
    expect(overdue[0]).toMatchObject({ type: 'upsell.step_overdue', ruleId: 'R-92', data: { step: 'proposal' } });
    expect(utc((overdue[0] as unknown as { data: { dueAt: string } }).data.dueAt)).toBe('2026-06-11T22:00:00.000Z');
    const pr = apply(s, { type: 'proposalPresented', proposalId: 'p-1', presentedAt: '2026-06-12T15:00:00.000Z' }, '2026-06-12T15:00:00.000Z');
    expect(pr[0]).toMatchObject({ type: 'upsell.proposed', data: { late: true } });
  });

  it('"not now" at the price test re-sequences with its reason and ends the play', () => {
    const s = play();
    const p = apply(s, { type: 'priceTested', priceTestId: 'pt-1', outcome: 'notNow', reason: 'timing', minUsd: 8000, maxUsd: 12000, quarter: '2026-Q4' }, '2026-05-13T15:00:00.000Z');
    expect(events(p)).toEqual([['upsell.price_tested', 'R-90'], ['upsell.resequenced', 'R-91']]);
    expect([s.state, s.outcome]).toEqual(['resequenced', { at: '2026-05-13T15:00:00.000Z', reason: 'timing', quarter: '2026-Q4' }]);
  });

  it('a pre-approved upsell re-sequenced: the proposal CTA closes, the play ends', () => {
    const s = play();
    priced(s);
    preApproved(s);
    const r = apply(s, { type: 'resequenced', reason: 'dependency', quarter: '2027-Q1', note: 'after the firewall refresh' }, '2026-05-20T15:00:00.000Z');
    expect(events(r)).toEqual([['upsell.resequenced', 'R-91']]);
    expect(resolved(r)).toContain('proposal');
    expect(U.isFinished(s)).toBe(true);
  });
});

describe('credit only at the logged approval (R-32, R-60)', () => {
  it('owner + date + budget and open gates → counted', () => {
    expect(U.creditVerdict({ ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 }, false, openGate)).toEqual({ verdict: 'counted', reasons: [] });
  });
  it('a missing field → not credited', () => {
    expect(U.creditVerdict({ ownerRole: 'AM', targetDate: '2026-09-30' }, false, openGate)).toEqual({ verdict: 'notCredited', reasons: ['missing budget (R-32)'] });
  });
  it('the client\'s credit gate (R-32) or the owner × segment gate (R-60) closed → deferred with the reasons', () => {
    expect(U.creditVerdict({ ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 }, false, { ...openGate, clientGate: { closed: true, reasons: ['Engagement Red 2 months'] } }))
      .toEqual({ verdict: 'deferred', reasons: ['Engagement Red 2 months (R-32)'] });
    expect(U.creditVerdict({ ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 }, false, { ...openGate, governanceGates: [{ gateId: 'g-1', ruleId: 'R-60', personId: 'p-avery', segment: 'B' }] }))
      .toEqual({ verdict: 'deferred', reasons: ['governance KPIs breached for owner p-avery in segment B (R-60)'] });
  });
  it('risk reduction is stability work, whatever the gates', () => {
    const s = play({}, { riskReduction: true });
    priced(s);
    preApproved(s);
    presented(s);
    const ap = apply(s, approval({ ...openGate, clientGate: { closed: true, reasons: ['CX Red'] } }), '2026-06-12T15:00:00.000Z');
    expect(ap.find((e) => e.kind === 'creditDecision')).toMatchObject({ verdict: 'stabilityWork' });
  });
});
