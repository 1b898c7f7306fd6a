import { describe, expect, it } from 'vitest';
import type { ProcessEffect } from '../../domain/effects.js';
import { defaultPolicy } from '../../domain/policy.js';
import {
  accept, cadenceInvites, decide, due, hypothesisOf, initialState, isFinished, nextDue, packetItems, saleRulesOf, signedEffects, startEffects,
  type HandoffPacket, type SaleAction, type SaleState,
} from '../../domain/sale.js';
import { policyWith } from '../support/policy.js';

/**
 * The consultative sale's pure model (DOMAIN §2.7, R-40..R-44). Times are America/Chicago (CDT,
 * −05:00 in May 2026).
 */
const START = '2026-05-11T14:00:00.000Z';
const green = { cx: 'green', adoption: 'yellow', engagement: 'green', serviceQuality: 'red', alignment: 'green' } as const;

function sale(segment: 'A' | 'B' | 'C' | 'D' = 'B', policy = defaultPolicy): SaleState {
  return initialState({
    clientId: 'c-1', name: 'Acme', trigger: { kind: 'inboundLead', ref: 'lead-7', date: '2026-05-08' }, policyVersion: 1,
    hypothesis: hypothesisOf(policy, { segment, goalLevel: segment === 'B' ? 3 : 2, touchTier: 'High' }),
    rules: saleRulesOf(policy, segment, { timeZone: 'America/Chicago', holidays: [] }),
  }, START);
}
const events = (effects: ProcessEffect[], type?: string) => effects.filter((e): e is Extract<ProcessEffect, { kind: 'event' }> => e.kind === 'event' && (!type || e.type === type));
const ctas = (effects: ProcessEffect[]) => effects.filter((e): e is Extract<ProcessEffect, { kind: 'cta' }> => e.kind === 'cta');
function run(s: SaleState, action: SaleAction, at: string) {
  const refusal = decide(s, action, at);
  if (refusal) throw new Error(`refused: ${refusal.message}`);
  return accept(s, action, at);
}
const discovery = (over: Partial<Extract<SaleAction, { type: 'discoveryHeld' }>> = {}): SaleAction => ({ type: 'discoveryHeld', heldAt: '2026-05-12T15:00:00.000Z', minutes: 30, summary: 'MFA gaps', miniHealth: green, decisionsFirst: ['MFA before renewal'], ...over });
const review = (asks: { title: string; initiativeId?: string }[] = [{ title: 'MFA rollout', initiativeId: 'i-1' }]): SaleAction => ({ type: 'decisionReviewHeld', heldAt: '2026-05-19T15:00:00.000Z', endedAt: '2026-05-19T15:45:00.000Z', snapshot: true, asks });

describe('trigger and hypothesis (R-40)', () => {
  it('the hypothesis carries the segment, goal level and the §2.2 cadence and mode for the touch tier', () => {
    const s = sale('B');
    expect(s.setup.hypothesis).toEqual({ segment: 'B', goalLevel: 3, touchTier: 'High', expectedCadence: expect.stringContaining('QBR'), mode: expect.any(String), discoveryFormat: 'live-roadmap-seeding' });
    expect(sale('C').setup.hypothesis.discoveryFormat).toBe('light-async-video');
    expect(sale('D').setup.hypothesis.discoveryFormat).toBe('minimal');
  });

  it('starts with sale.started and a discovery CTA to the AM on the 72h first-action clock (R-41, R-30)', () => {
    const s = sale('A');
    const effects = startEffects(s, 1);
    expect(events(effects, 'sale.started')[0]!.data).toMatchObject({ trigger: 'inboundLead', triggerRef: 'lead-7', triggerDate: '2026-05-08', hypothesis: { segment: 'A' } });
    expect(ctas(effects).map((c) => [c.key, c.ownerRole, c.dueAt, c.ruleId])).toEqual([['discovery', 'AM', '2026-05-14T09:00:00.000-05:00', 'R-41']]);
    expect(ctas(effects)[0]!.title).toContain('presenter vCIO');
  });
});

describe('discovery (R-41)', () => {
  it('records the Discovery Summary and mini-Health, closes the discovery CTA and asks for the price test (R-42)', () => {
    const s = sale();
    const effects = run(s, discovery(), '2026-05-12T16:00:00.000Z');
    expect(s.phase).toBe('discovered');
    expect(events(effects, 'sale.discovery_held')[0]).toMatchObject({ ruleId: 'R-41', data: { minutes: 30, format: 'live-roadmap-seeding', miniHealth: green }, why: { reds: ['serviceQuality'] } });
    expect(effects).toContainEqual({ kind: 'ctaResolved', key: 'discovery', note: expect.any(String) });
    expect(ctas(effects).map((c) => [c.key, c.ruleId, c.dueAt])).toEqual([['price-test', 'R-42', '2026-05-15T11:00:00.000-05:00']]);
  });

  it('refuses a discovery longer than the policy\'s 30 minutes, a mini-Health short of a dimension, and a second one', () => {
    const s = sale();
    expect(decide(s, discovery({ minutes: 45 }), '2026-05-12T16:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-41', details: { maxMinutes: 30 } });
    const { alignment: _, ...four } = green;
    expect(decide(s, discovery({ miniHealth: four as never }), '2026-05-12T16:00:00.000Z')).toMatchObject({ status: 422, details: { missing: ['alignment'] } });
    run(s, discovery(), '2026-05-12T16:00:00.000Z');
    expect(decide(s, discovery(), '2026-05-12T17:00:00.000Z')).toMatchObject({ status: 409 });
    expect(decide(policyLonger(), discovery({ minutes: 45 }), '2026-05-12T16:00:00.000Z')).toBeUndefined();
  });
});

function policyLonger() {
  return sale('B', policyWith({ sales: { discoveryMinutes: 60 } }));
}

describe('decision review: Snapshot and two asks, recap 48h, CTAs 72h (R-43)', () => {
  it('needs the discovery first; at most two asks', () => {
    const s = sale();
    expect(decide(s, review(), '2026-05-19T16:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-43' });
    run(s, discovery(), '2026-05-12T16:00:00.000Z');
    const three = [{ title: 'a' }, { title: 'b' }, { title: 'c' }];
    expect(decide(s, review(three), '2026-05-19T16:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-43', details: { backlog: ['c'] } });
  });

  it('sets the recap deadline 48h after the end and opens a CTA per ask 72h after the end', () => {
    const s = sale();
    run(s, discovery(), '2026-05-12T16:00:00.000Z');
    const effects = run(s, review([{ title: 'MFA rollout', initiativeId: 'i-1' }, { title: 'Backup test' }]), '2026-05-19T16:00:00.000Z');
    expect(events(effects, 'deadline.set')[0]!.data).toEqual({ deadline: 'sale.recap', dueAt: '2026-05-21T10:45:00.000-05:00', clock: 'elapsed' });
    expect(ctas(effects).map((c) => [c.key, c.dueAt, c.clock ?? 'first-action'])).toEqual([
      ['recap', '2026-05-21T10:45:00.000-05:00', 'due'], ['ask/0', '2026-05-22T10:45:00.000-05:00', 'first-action'], ['ask/1', '2026-05-22T10:45:00.000-05:00', 'first-action'],
    ]);
    expect(nextDue(s)).toEqual({ key: 'recap', at: '2026-05-21T10:45:00.000-05:00' });
  });

  it('a recap not sent by its due is a missed deadline; a recap sent clears the clock', () => {
    const s = sale();
    run(s, discovery(), '2026-05-12T16:00:00.000Z');
    run(s, review(), '2026-05-19T16:00:00.000Z');
    expect(events(due(s, 'recap', '2026-05-21T15:45:00.000Z'), 'deadline.missed')[0]!.data).toEqual({ deadline: 'sale.recap', dueAt: '2026-05-21T10:45:00.000-05:00' });
    expect(nextDue(s)).toBeUndefined();
    const t = sale();
    run(t, discovery(), '2026-05-12T16:00:00.000Z');
    run(t, review(), '2026-05-19T16:00:00.000Z');
    const sent = run(t, { type: 'recapSent', sentAt: '2026-05-20T15:00:00.000Z' }, '2026-05-20T15:00:00.000Z');
    expect(events(sent, 'sale.recap_sent')[0]!.data).toEqual({ sentAt: '2026-05-20T15:00:00.000Z', dueAt: '2026-05-21T10:45:00.000-05:00', late: false });
    expect(nextDue(t)).toBeUndefined();
  });
});

describe('convert or park (R-44)', () => {
  const reviewed = () => {
    const s = sale();
    run(s, discovery(), '2026-05-12T16:00:00.000Z');
    run(s, review(), '2026-05-19T16:00:00.000Z');
    return s;
  };

  it('converts with a proposal: days to proposal from the review\'s end (R-45); the signature needs a conversion', () => {
    const s = reviewed();
    expect(decide(s, { type: 'signed', signedAt: '2026-05-25T15:00:00.000Z' }, '2026-05-25T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-44' });
    const effects = run(s, { type: 'converted', proposalId: 'p-1', initiativeId: 'i-1', proposalCreatedAt: '2026-05-27T15:00:00.000Z' }, '2026-05-27T15:00:00.000Z');
    expect(events(effects, 'sale.converted')[0]!.data).toMatchObject({ proposalId: 'p-1', daysToProposal: 7 });
    expect(effects).toContainEqual({ kind: 'ctaResolved', key: 'ask/0', note: 'converted: proposal p-1' });
    expect(decide(s, { type: 'signed', signedAt: '2026-05-26T15:00:00.000Z' }, '2026-06-01T15:00:00.000Z')).toMatchObject({ status: 422 });
    run(s, { type: 'signed', signedAt: '2026-06-01T15:00:00.000Z' }, '2026-06-01T15:00:00.000Z');
    expect(isFinished(s)).toBe(true);
    expect(events(signedEffects(s, { present: ['discovery-one-pager'], missing: ['stakeholder-map'], onboarding: 'started' }))[0]!.data).toEqual({
      signedAt: '2026-06-01T15:00:00.000Z', proposalId: 'p-1', handoffItems: ['discovery-one-pager'], missingItems: ['stakeholder-map'], onboarding: 'started',
    });
    expect(decide(s, { type: 'recapSent', sentAt: '2026-06-02T15:00:00.000Z' }, '2026-06-02T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-124' });
  });

  it('parks with a policy reason and a re-engagement date or event; on the date a CTA goes to the AM and the sale ends', () => {
    const s = reviewed();
    expect(decide(s, { type: 'parked', reason: 'because' , reengageOn: '2026-09-01' }, '2026-05-20T15:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-80' });
    expect(decide(s, { type: 'parked', reason: 'timing' }, '2026-05-20T15:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-44' });
    expect(decide(s, { type: 'parked', reason: 'timing', reengageOn: '2026-05-20' }, '2026-05-20T15:00:00.000Z')).toMatchObject({ status: 422 });
    const effects = run(s, { type: 'parked', reason: 'timing', reengageOn: '2026-09-01', reengageEvent: 'FY budget' }, '2026-05-20T15:00:00.000Z');
    expect(events(effects, 'sale.parked')[0]!.data).toEqual({ reason: 'timing', reengageOn: '2026-09-01', reengageAt: '2026-09-01T09:00:00.000-05:00', reengageEvent: 'FY budget', phaseBefore: 'reviewed' });
    expect(effects.filter((e) => e.kind === 'ctaResolved').map((e) => (e as { key: string }).key)).toEqual(['discovery', 'price-test', 'recap', 'ask/0']);
    expect(isFinished(s)).toBe(false);
    expect(nextDue(s)).toEqual({ key: 'reengage', at: '2026-09-01T09:00:00.000-05:00' });
    expect(decide(s, discovery(), '2026-06-01T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-44' });
    const fired = due(s, 'reengage', '2026-09-01T14:00:00.000Z');
    expect(events(fired, 'sale.reengage_due')[0]!.data).toEqual({ reengageOn: '2026-09-01', reason: 'timing', reengageEvent: 'FY budget' });
    expect(ctas(fired).map((c) => [c.key, c.ownerRole, c.dueAt])).toEqual([['reengage', 'AM', '2026-09-04T09:00:00.000-05:00']]);
    expect(isFinished(s)).toBe(true);
  });

  it('a park on an event only ends the sale at once', () => {
    const s = sale();
    run(s, { type: 'parked', reason: 'relevance', reengageEvent: 'new CFO' }, START);
    expect(isFinished(s)).toBe(true);
    expect(nextDue(s)).toBeUndefined();
  });
});

describe('the handoff packet (R-44, R-46)', () => {
  const packet = (over: Partial<HandoffPacket> = {}): HandoffPacket => ({
    saleWorkflowId: 'prospect/c-1/sale', assembledAt: START, discovery: { heldAt: START, summary: 's', miniHealth: green, decisionsFirst: [], format: 'minimal' },
    initiatives: [{ id: 'i-1', title: 'MFA', state: 'Proposed', quarter: '2026-Q3', lane: 'Stability' }],
    preApprovals: [{ id: 'pa-1', initiativeId: 'i-1', quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, ownerRole: 'AM', loggedAt: START }],
    roadmap: { version: 1, createdAt: START }, budget: null, stakeholders: [{ id: 's-1', name: 'Dana CFO', roles: ['budgetHolder'] }],
    cadenceInvites: [{ month: '2026-07', series: 'tactical checkIn (monthly)' }], ...over,
  });
  const items = defaultPolicy.onboarding.handoffPacketItems;

  it('names each policy item present or missing', () => {
    expect(packetItems(packet(), items)).toEqual({ present: [...items], missing: [] });
    expect(packetItems(packet({ discovery: null, stakeholders: [], roadmap: null }), items)).toEqual({
      present: ['initiative-cards', 'pre-approval-log', 'cadence-invites'], missing: ['discovery-one-pager', 'roadmap-budget-snapshot', 'stakeholder-map'],
    });
  });

  it('cadence invites cover the policy\'s 6–12 months after Day 0 from the §2.2 matrix', () => {
    const b = cadenceInvites(defaultPolicy, 'B', 'High', '2026-06-01');
    expect(b.filter((i) => i.series.startsWith('tactical')).map((i) => i.month)).toEqual(['2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03', '2027-04', '2027-05', '2027-06']);
    expect(b.filter((i) => i.series.startsWith('strategic')).length).toBeGreaterThan(0);
    expect(new Set(cadenceInvites(policyWith({ sales: { handoffCadenceMonths: 6 } }), 'B', 'High', '2026-11-15').map((i) => i.month))).toEqual(new Set(['2026-12', '2027-01', '2027-02', '2027-03', '2027-04', '2027-05']));
  });
});
