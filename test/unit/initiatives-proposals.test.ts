import { describe, expect, it } from 'vitest';
import type { ProcessEffect } from '../../domain/effects.js';
import * as I from '../../domain/initiatives.js';
import { defaultPolicy } from '../../domain/policy.js';
import * as P from '../../domain/proposals.js';
import { policyWith } from '../support/policy.js';

/**
 * The pure models of initiatives (R-71..R-75, R-42, R-83, R-32, R-121) and proposals (R-76..R-80,
 * R-124) that workflows/initiative.ts and workflows/proposal.ts interpret.
 */
const policy = defaultPolicy;
const DAY = 86_400_000;
const plus = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();
const calendar = { timeZone: 'America/Chicago', holidays: [], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' };
const T0 = '2026-05-11T14:00:00.000Z'; // Monday 09:00 CDT

const events = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'event' ? [[e.type, e.ruleId] as const] : []));
/** CTAs with their due instant in UTC (the effects carry client-local offsets). */
const ctas = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'cta' ? [{ ...e, dueAt: new Date(e.dueAt).toISOString() }] : []));
const utc = (d: { key: string; at: string } | undefined) => d && { key: d.key, at: new Date(d.at).toISOString() };

function initiative(extra: Partial<I.InitiativeSetup> = {}): I.InitiativeState {
  return I.initialState({
    initiativeId: 'i-1', clientId: 'c-1', segment: 'B', timeZone: 'America/Chicago', fiscalYearEnd: '12-31', policyVersion: 1, policy, calendar,
    card: { title: 'MFA rollout', lane: 'Stability', quarter: '2026-Q3', tier: 1, remediation: false, sourceKind: 'assessment' },
    state: 'Identified', stateChangedAt: T0, flags: [], parked: null, approvedAt: null, ...extra,
  });
}
const owner = { role: 'AM' as const };
const priceTest = (extra: Record<string, unknown> = {}) => ({ type: 'priceTestLogged' as const, priceTest: { id: 'pt-1', owner, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, outcome: 'viable' as const, ...extra } });
const preApproval = (extra: Record<string, unknown> = {}) => ({ type: 'preApprovalLogged' as const, preApproval: { id: 'pa-1', owner, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, ...extra } });
/** decide, then accept: the way the workflow applies a report. */
function apply(s: I.InitiativeState, a: I.InitiativeAction, at: string) {
  const refusal = I.decide(s, a, at);
  if (refusal) throw new Error(`refused: ${refusal.message}`);
  return I.accept(s, a, at);
}

describe('the Initiative Card (R-71, A-4)', () => {
  it('refuses an orphan, naming every gap', () => {
    expect(I.cardProblems({ title: 'x' }, policy, 2).map((p) => p.path)).toEqual(['source.kind', 'source.date', 'quarter', 'lane']);
    expect(I.cardProblems({ title: 'x', source: { kind: 'assessment', date: '2026-05-04' }, lane: 'Stability', quarter: '2026-Q3' }, policy, 2)).toEqual([]);
    expect(I.cardProblems({ title: 'x', source: { kind: 'manual', date: '2026-05-04' }, lane: 'Stability', quarter: 'Q3' }, policy, 2)).toEqual([{ path: 'quarter', message: 'a quarter is YYYY-Qn (C-7)' }]);
  });

  it('offers the Innovation lane to Goal-5 clients only, and only when the policy allows it (A-4)', () => {
    expect(I.allowedLanes(policy, 4)).toEqual(['Stability', 'Efficiency', 'Growth']);
    expect(I.allowedLanes(policy, 5)).toEqual(['Stability', 'Efficiency', 'Growth', 'Innovation']);
    expect(I.allowedLanes(policyWith({ initiatives: { innovationLaneForGoal5: false } }), 5)).toEqual(['Stability', 'Efficiency', 'Growth']);
    const card = { title: 'x', source: { kind: 'manual', date: '2026-05-04' }, lane: 'Innovation', quarter: '2026-Q3' };
    expect(I.cardProblems(card, policy, 3)).toEqual([{ path: 'lane', message: expect.stringContaining('A-4') }]);
    expect(I.cardProblems(card, policy, 5)).toEqual([]);
  });
});

describe('the gates read at decision time', () => {
  it('R-121 fix-first: MFA < 60 % or endpoint < 80 % refuses, naming each failing figure; switched off by policy', () => {
    const at = '2026-05-01T00:00:00.000Z';
    expect(I.fixFirstGate({ mfaPct: { value: 60, at }, endpointPct: { value: 80, at } }, policy, 'new proposal')).toBeUndefined();
    expect(I.fixFirstGate({}, policy, 'new proposal')).toBeUndefined();
    const refused = I.fixFirstGate({ mfaPct: { value: 59, at }, endpointPct: { value: 79.5, at } }, policy, 'tier-2 initiative')!;
    expect(refused).toMatchObject({ status: 409, ruleId: 'R-121', details: { failing: { mfaPct: { value: 59, minPct: 60, measuredAt: at }, endpointPct: { value: 79.5, minPct: 80 } } } });
    expect(refused.message).toBe('Fix first (R-121): MFA 59 % < 60 % and endpoint 79.5 % < 80 %; no tier-2 initiative until adoption is back over the line (remediation work is allowed).');
    expect(I.fixFirstGate({ mfaPct: { value: 10, at } }, policyWith({ playsAndGates: { fixFirstGate: false } }), 'x')).toBeUndefined();
  });

  it('R-32 credit gate: owner, date and budget in writing', () => {
    expect(I.creditGate({ ownerRole: 'vCIO', targetDate: '2026-08-31', budgetUsd: 0 })).toEqual({ credited: true, missing: [] });
    expect(I.creditGate({ ownerRole: 'vCIO' })).toEqual({ credited: false, missing: ['target date', 'budget'] });
    expect(I.creditGate({})).toEqual({ credited: false, missing: ['owner', 'target date', 'budget'] });
  });

  it('R-28: an ask without a Discovery "why" or an Assessment "what/when" is flagged; its own source counts', () => {
    expect(I.askGaps({ completedDiscovery: false, completedAssessment: false })).toEqual(['discoveryWhy', 'assessmentWhatWhen']);
    expect(I.askGaps({ sourceKind: 'assessment', completedDiscovery: false, completedAssessment: false })).toEqual(['discoveryWhy']);
    expect(I.askGaps({ sourceKind: 'decision', completedDiscovery: true, completedAssessment: true })).toEqual([]);
  });

  it('R-80: decline, park and expiry reasons come from the policy list', () => {
    expect(I.reasonProblem('timing', policy)).toBeUndefined();
    expect(I.reasonProblem(undefined, policy)).toBe('a reason is required: one of price, timing, relevance, dependency, other (R-80)');
    expect(I.reasonProblem('busy', policy)).toContain('not one of');
  });
});

describe('initiative states (R-74): each transition checks its precondition', () => {
  it('Identified → Qualified (price test) → PreApproved (owner + quarter + band), each on the ledger with its rule', () => {
    const s = initiative();
    expect(I.decide(s, preApproval(), T0)).toMatchObject({ status: 409, ruleId: 'R-74', details: { needs: 'Qualified' } });
    const q = apply(s, priceTest(), T0);
    expect(events(q.effects)).toEqual([['price_test.logged', 'R-42'], ['initiative.state_changed', 'R-74']]);
    expect(s.state).toBe('Qualified');
    apply(s, preApproval({ quarter: '2026-Q4' }), plus(T0, 1));
    expect([s.state, s.quarter, s.preApproval?.status]).toEqual(['PreApproved', '2026-Q4', 'active']);
    // A price test comes before the pre-approval.
    expect(I.decide(s, priceTest(), T0)).toMatchObject({ status: 409, ruleId: 'R-74' });
  });

  it('refuses a band upside down (422) and a "not now" without a listed reason (R-42, R-80)', () => {
    const s = initiative();
    expect(I.decide(s, priceTest({ minUsd: 5, maxUsd: 4 }), T0)).toMatchObject({ status: 422, ruleId: 'R-42' });
    expect(I.decide(s, priceTest({ outcome: 'notNow' }), T0)).toMatchObject({ status: 422, ruleId: 'R-42' });
  });

  it('a "not now" price test parks to the next quarter with its reason and versions the plans (R-42)', () => {
    const s = initiative();
    const step = apply(s, priceTest({ outcome: 'notNow', reason: 'timing', quarter: '2026-Q2' }), T0);
    expect([s.state, s.parked?.quarter, s.parked?.reason]).toEqual(['Parked', '2026-Q3', 'timing']);
    expect(step.effects.some((e) => e.kind === 'planning' && e.write.op === 'parkPlans')).toBe(true);
  });

  it('a sent proposal makes it Proposed and uses the pre-approval; a withdrawal returns it to PreApproved with the pre-approval aging again', () => {
    const s = initiative();
    apply(s, priceTest(), T0);
    apply(s, preApproval(), T0);
    apply(s, { type: 'proposalSent', proposalId: 'p-1', sentAt: T0 }, T0);
    expect([s.state, s.openProposalId, s.preApproval?.status]).toEqual(['Proposed', 'p-1', 'used']);
    expect(I.decide(s, { type: 'transition', to: 'Parked', reason: 'timing' }, T0)).toMatchObject({ status: 409, ruleId: 'R-80' });
    expect(I.decide(s, { type: 'proposalDecided', proposalId: 'p-2', outcome: 'declined', reason: 'price', decidedAt: T0 }, T0)).toMatchObject({ status: 409 });
    apply(s, { type: 'proposalDecided', proposalId: 'p-1', outcome: 'withdrawn', reason: 'dependency', decidedAt: T0 }, T0);
    expect([s.state, s.preApproval?.status, s.openProposalId]).toEqual(['PreApproved', 'active', undefined]);
  });

  it('an accepted proposal approves it and asks for the delivery kickoff (R-74, R-16); delivery follows in order', () => {
    const s = initiative({ state: 'PreApproved' });
    apply(s, { type: 'proposalSent', proposalId: 'p-1', sentAt: T0 }, T0);
    const step = apply(s, { type: 'proposalDecided', proposalId: 'p-1', outcome: 'accepted', decidedAt: T0, decision: { ownerRole: 'vCIO', targetDate: '2026-09-30', budgetUsd: 12000 } }, T0);
    expect(s.state).toBe('Approved');
    expect(step.followUps).toEqual([{ kind: 'deliveryKickoff', title: 'MFA rollout', approvedAt: T0 }]);
    expect(I.decide(s, { type: 'transition', to: 'Delivered', milestonesDone: true }, T0)).toMatchObject({ status: 409, details: { needs: 'InDelivery' } });
    apply(s, { type: 'transition', to: 'InDelivery' }, T0);
    expect(I.decide(s, { type: 'transition', to: 'Delivered' }, T0)).toMatchObject({ status: 422, ruleId: 'R-74' });
    apply(s, { type: 'transition', to: 'Delivered', milestonesDone: true }, T0);
    expect(I.decide(s, { type: 'transition', to: 'Verified' }, T0)).toMatchObject({ status: 422 });
    apply(s, { type: 'transition', to: 'Verified', evidence: 'MFA at 98 %' }, T0);
    expect(I.isTerminal(s)).toBe(true);
    expect(I.decide(s, priceTest(), T0)).toMatchObject({ status: 409, ruleId: 'R-74', details: { state: 'Verified' } });
    expect(I.nextDue(s)).toBeUndefined();
  });

  it('a resumed Parked initiative starts again at Identified (R-124)', () => {
    const s = initiative();
    expect(I.decide(s, { type: 'transition', to: 'Identified' }, T0)).toMatchObject({ status: 409 });
    apply(s, { type: 'transition', to: 'Parked', reason: 'dependency', quarter: '2027-Q1' }, T0);
    expect(I.decide(s, { type: 'transition', to: 'Parked', reason: 'timing' }, T0)).toMatchObject({ status: 409 });
    const step = apply(s, { type: 'transition', to: 'Identified' }, T0);
    expect([s.state, s.parked]).toEqual(['Identified', null]);
    expect(events(step.effects)).toEqual([['initiative.state_changed', 'R-124']]);
  });

  it('parks only to a later quarter, with a listed reason (R-80)', () => {
    const s = initiative();
    expect(I.decide(s, { type: 'transition', to: 'Parked', reason: 'timing', quarter: '2026-Q2' }, T0)).toMatchObject({ status: 422, ruleId: 'R-80' });
    expect(I.decide(s, { type: 'transition', to: 'Parked', reason: 'nope' }, T0)).toMatchObject({ status: 422, ruleId: 'R-80' });
    expect(I.decide(s, { type: 'transition', to: 'Cancelled' }, T0)).toMatchObject({ status: 422 });
  });
});

describe('a decision logged at a strategic meeting (R-31, R-32, R-16)', () => {
  const decision = (extra: Record<string, unknown> = {}) => ({ type: 'decisionLogged' as const, meetingId: 'm-1', title: 'Approve MFA', ownerRole: 'vCIO' as const, endedAt: '2026-07-14T15:45:00.000Z', ...extra });

  it('credited: an Identified initiative takes the decision as its price test and pre-approval, then is Approved with the kickoff', () => {
    const s = initiative();
    const step = apply(s, decision({ targetDate: '2026-08-31', budgetUsd: 18000 }), '2026-07-14T16:00:00.000Z');
    expect(events(step.effects).map(([t]) => t)).toEqual(['price_test.logged', 'initiative.state_changed', 'pre_approval.logged', 'initiative.state_changed', 'initiative.state_changed']);
    expect(s.state).toBe('Approved');
    expect(s.preApproval).toMatchObject({ minUsd: 18000, maxUsd: 18000, quarter: '2026-Q3', status: 'used' });
    expect(step.followUps).toEqual([{ kind: 'deliveryKickoff', title: 'MFA rollout', approvedAt: '2026-07-14T16:00:00.000Z' }]);
    // Ids the decision creates are deterministic (a retried activity writes the same rows).
    expect(I.derivedId('i-1', 'm-1', 'pre-approval')).toBe(I.derivedId('i-1', 'm-1', 'pre-approval'));
    expect(I.derivedId('i-1', 'm-1', 'pre-approval')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(I.derivedId('i-1', 'm-1', 'price-test')).not.toBe(I.derivedId('i-1', 'm-1', 'pre-approval'));
  });

  it('not credited: the state stays, and the AM gets a capture-budget CTA due 72h after the meeting\'s end (R-32, A-26)', () => {
    const s = initiative({ state: 'PreApproved' });
    const step = apply(s, decision(), '2026-07-14T16:00:00.000Z');
    expect(s.state).toBe('PreApproved');
    expect(ctas(step.effects).map((c) => [c.ctaKind, c.ownerRole, c.ruleId, c.dueAt])).toEqual([['capture-budget', 'AM', 'R-32', '2026-07-17T15:45:00.000Z']]);
    expect(ctas(step.effects)[0]!.title).toContain('target date, budget');
  });

  it('refuses a decision on an initiative whose proposal is out (the decision is its acceptance) or that is already approved', () => {
    const s = initiative({ state: 'PreApproved' });
    apply(s, { type: 'proposalSent', proposalId: 'p-1', sentAt: T0 }, T0);
    expect(I.decide(s, decision(), T0)).toMatchObject({ status: 409, details: { openProposalId: 'p-1' } });
    const approved = initiative({ state: 'Approved' });
    expect(I.decide(approved, decision(), T0)).toMatchObject({ status: 409, details: { state: 'Approved' } });
  });

  it('the kickoff outcome: booked → a fact; blocked by the delivery gate → a CTA to book it by hand (R-16, R-48)', () => {
    const s = initiative({ state: 'Approved', approvedAt: T0 });
    expect(I.decide(s, { type: 'kickoffRequested' }, T0)).toBeUndefined();
    expect(ctas(I.kickoffRecorded(s, { outcome: 'requested', meetingId: 'm-9', ctas: ['c-1'] }, T0))).toEqual([]);
    expect(I.decide(s, { type: 'kickoffRequested' }, T0)).toMatchObject({ status: 409, ruleId: 'R-16' });
    const blocked = I.kickoffRecorded(s, { outcome: 'blocked', conditions: { access95: false } }, T0);
    expect(ctas(blocked).map((c) => [c.ctaKind, c.ruleId])).toEqual([['delivery-kickoff', 'R-16']]);
    expect(I.decide(initiative(), { type: 'kickoffRequested' }, T0)).toMatchObject({ status: 409, ruleId: 'R-16' });
  });
});

describe('initiative clocks (R-75, R-83, R-44)', () => {
  it('Stalled at age_days 46 after the last change, once per state; the next change clears it (R-75, A-17)', () => {
    const s = initiative();
    expect(I.nextDue(s)).toEqual({ key: 'stalled', at: plus(T0, 46) });
    const step = I.due(s, 'stalled', plus(T0, 46));
    expect(events(step.effects)).toEqual([['initiative.flagged', 'R-75']]);
    expect(ctas(step.effects).map((c) => [c.ctaKind, c.ownerRole, c.dueAt])).toEqual([['initiative-stalled', 'vCIO', plus(T0, 49)]]);
    expect(s.flags).toEqual(['Stalled']);
    expect(I.nextDue(s)).toBeUndefined();
    const moved = apply(s, priceTest(), plus(T0, 50));
    expect(events(moved.effects)).toEqual([['price_test.logged', 'R-42'], ['initiative.state_changed', 'R-74'], ['initiative.flagged', 'R-75']]);
    expect(moved.effects).toContainEqual({ kind: 'ctaResolved', key: `stalled/${T0}`, note: 'moved to Qualified' });
    expect(s.flags).toEqual([]);
    expect(I.nextDue(s)).toEqual({ key: 'stalled', at: plus(T0, 96) });
  });

  it('a pre-approval re-engages at age 31 and expires at 61, parking the initiative to the next quarter (R-83)', () => {
    const s = initiative({ state: 'Qualified' });
    apply(s, preApproval(), T0);
    expect(I.nextDue(s)).toEqual({ key: 'preApproval.reengage', at: plus(T0, 31) });
    const re = I.due(s, 'preApproval.reengage', plus(T0, 31));
    expect(events(re.effects)).toEqual([['pre_approval.aged', 'R-83']]);
    expect(ctas(re.effects).map((c) => [c.ctaKind, c.ownerRole])).toEqual([['pre-approval-reengage', 'AM']]);
    // Stalled (46) comes between the two.
    expect(I.nextDue(s)).toEqual({ key: 'stalled', at: plus(T0, 46) });
    I.due(s, 'stalled', plus(T0, 46));
    expect(I.nextDue(s)).toEqual({ key: 'preApproval.expire', at: plus(T0, 61) });
    const ex = I.due(s, 'preApproval.expire', plus(T0, 61));
    expect(events(ex.effects)).toEqual([['pre_approval.expired', 'R-83'], ['initiative.state_changed', 'R-83'], ['initiative.flagged', 'R-75']]);
    // Expired on 11 Jul (Q3): parked to Q4, re-engaged on its first day at 09:00.
    expect([s.state, s.parked?.quarter, s.preApproval?.status]).toEqual(['Parked', '2026-Q4', 'expired']);
    expect(utc(I.nextDue(s))).toEqual({ key: 'parked.quarter', at: '2026-10-01T14:00:00.000Z' });
    expect(ctas(I.due(s, 'parked.quarter', '2026-10-01T14:00:00.000Z').effects).map((c) => [c.ctaKind, c.ruleId])).toEqual([['parked-reengage', 'R-44']]);
  });

  it('reads its ages from the policy', () => {
    const s = initiative({ policy: policyWith({ initiatives: { stalledDays: 10 } }) });
    expect(I.nextDue(s)).toEqual({ key: 'stalled', at: plus(T0, 11) });
  });
});

// ---------------------------------------------------------------------------------------------

const eds: P.Eds = {
  problem: 'No MFA', whyNow: 'insurance renewal', options: [{ title: 'Rollout', minUsd: 8000, maxUsd: 12000, impact: 'MFA 100 %' }],
  risks: [], assumptions: [], clientResponsibilities: [], scope: 'all users', owner: { role: 'AM' }, targetDate: '2026-09-30',
};
const gate = (extra: Partial<P.GateFacts> = {}): P.GateFacts => ({ initiativeState: 'PreApproved', roadmapSlot: true, budgetLine: true, remediation: false, adoption: {}, ...extra });
function proposal(extra: Partial<P.ProposalSetup> = {}): P.ProposalState {
  return P.initialState({
    proposalId: 'p-1', clientId: 'c-1', initiativeId: 'i-1', initiativeTitle: 'MFA rollout', version: 1, segment: 'B', timeZone: 'America/Chicago', policyVersion: 1, policy, calendar, eds,
    status: 'draft', sentAt: null, bucket: null, reengagedAt: null, ...extra,
  });
}

describe('the proposal gate and the EDS (R-76, R-77, R-121)', () => {
  it('only for a PreApproved initiative with a roadmap slot and a budget line (R-76)', () => {
    expect(P.proposalGate(gate(), policy)).toBeUndefined();
    expect(P.proposalGate(gate({ initiativeState: 'Qualified' }), policy)).toMatchObject({ status: 409, ruleId: 'R-76', details: { initiativeState: 'Qualified' } });
    expect(P.proposalGate(gate({ roadmapSlot: false, budgetLine: false }), policy)?.message).toBe('A proposal needs a roadmap slot (POST …/roadmap/versions) and a budget line (POST …/budget/versions) for its initiative (R-76).');
    expect(P.proposalGate(gate(), policy, { openProposal: 'p-0' })).toMatchObject({ status: 409, details: { openProposalId: 'p-0' } });
  });

  it('the at-risk remediation exception waives the state, not the slot and line (R-76, R-99)', () => {
    expect(P.proposalGate(gate({ initiativeState: 'Identified', remediation: true, remediationRiskId: 'r-1' }), policy)).toBeUndefined();
    expect(P.proposalGate(gate({ initiativeState: 'Identified', remediation: true }), policy)).toMatchObject({ status: 409, ruleId: 'R-76' });
    expect(P.proposalGate(gate({ initiativeState: 'Identified', remediation: true, remediationRiskId: 'r-1', budgetLine: false }), policy)).toMatchObject({ ruleId: 'R-76' });
  });

  it('fix first: no non-remediation proposal while adoption is below the line; remediation passes (R-121)', () => {
    const low = { mfaPct: { value: 40, at: T0 } };
    expect(P.proposalGate(gate({ adoption: low }), policy)).toMatchObject({ status: 409, ruleId: 'R-121' });
    expect(P.proposalGate(gate({ adoption: low, remediation: true }), policy)).toBeUndefined();
  });

  it('EDS first with one or two options, each band sane (R-77); the format by segment', () => {
    expect(P.edsProblems(eds, policy)).toEqual([]);
    const opt = eds.options[0]!;
    expect(P.edsProblems({ ...eds, options: [] }, policy).map((p) => p.path)).toEqual(['eds.options']);
    expect(P.edsProblems({ ...eds, options: [opt, opt, opt] }, policy)).toEqual([{ path: 'eds.options', message: 'at most 2 options on the Executive Decision Sheet (R-77)' }]);
    expect(P.edsProblems({ ...eds, options: [{ ...opt, minUsd: 9, maxUsd: 1 }] }, policy).map((p) => p.path)).toEqual(['eds.options.0.maxUsd']);
    expect((['A', 'B', 'C', 'D'] as const).map(P.formatFor)).toEqual(['deck', 'deck', 'slimSummary', 'slimSummary']);
  });
});

describe('proposal aging (R-78, R-79, C-3, A-17)', () => {
  it('buckets by age_days from sent: 0–14, 15–30, >30 from day 31', () => {
    const sent = T0;
    expect([0, 14, 15, 30, 31, 60].map((d) => P.ageOf(sent, plus(sent, d), policy).bucket)).toEqual(['0-14', '0-14', '15-30', '15-30', '>30', '>30']);
    expect(P.ageOf(sent, new Date(Date.parse(plus(sent, 15)) - 1).toISOString(), policy)).toEqual({ ageDays: 14, bucket: '0-14' });
  });

  it('runs its clock at exact instants: 15-30 at 15, >30 and the re-engage play at 31, expired at 61', () => {
    const s = proposal();
    expect(P.nextDue(s)).toBeUndefined(); // a draft does not age
    const sent = P.accept(s, { type: 'send', gate: gate() }, T0);
    expect(events(sent.effects)).toEqual([['proposal.sent', 'R-78']]);
    expect(sent.followUps.map((f) => f.kind)).toEqual(['initiative', 'onboarding']);
    const seen: [string, string][] = [];
    let effects: ProcessEffect[] = [];
    for (let next = P.nextDue(s); next; next = P.nextDue(s)) {
      seen.push([next.key, next.at]);
      effects = [...effects, ...P.due(s, next.key, next.at).effects];
    }
    expect(seen).toEqual([['bucket.aging', plus(T0, 15)], ['bucket.overdue', plus(T0, 31)], ['reengage', plus(T0, 31)], ['expire', plus(T0, 61)]]);
    expect(events(effects)).toEqual([['proposal.aged', 'R-78'], ['proposal.aged', 'R-78'], ['proposal.decided', 'R-79']]);
    expect(ctas(effects).map((c) => [c.ctaKind, c.ownerRole, c.ruleId, c.dueAt])).toEqual([
      ['proposal-reengage', 'AM', 'R-78', plus(T0, 34)], ['decline-reason', 'AM', 'R-80', plus(T0, 64)],
    ]);
    expect(effects.filter((e) => e.kind === 'riskSignal')).toEqual([expect.objectContaining({ trigger: 'proposalUndecided', bucket: 'Strategic', ruleId: 'R-93', evidence: expect.objectContaining({ dimension: 'Alignment', ageDays: 31 }) })]);
    // Expired: the re-engage CTA closes; the initiative is told.
    expect(effects).toContainEqual({ kind: 'ctaResolved', key: 'reengage', note: 'proposal expired' });
    expect([s.status, s.outcome]).toEqual(['expired', { outcome: 'expired' }]);
  });

  it('a late acceptance of an expired proposal is "already finished" (R-124); a decided one refuses another decision', () => {
    const s = proposal({ status: 'expired', sentAt: T0 });
    expect(P.decide(s, { type: 'accept', optionIndex: 0, decidedAt: T0, decision: { ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 } }, T0)).toMatchObject({ status: 409, ruleId: 'R-124' });
    const declined = proposal({ status: 'declined', sentAt: T0 });
    expect(P.decide(declined, { type: 'decline', reason: 'price', decidedAt: T0 }, T0)).toMatchObject({ status: 409, ruleId: 'R-74' });
  });

  it('checks each decision: send once, accept an option on the EDS, decline with a listed reason (R-77, R-78, R-80)', () => {
    const s = proposal();
    expect(P.decide(s, { type: 'accept', optionIndex: 0, decidedAt: T0, decision: { ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 } }, T0)).toMatchObject({ status: 409, ruleId: 'R-78' });
    expect(P.decide(s, { type: 'decline', reason: 'price', decidedAt: T0 }, T0)).toMatchObject({ status: 409, ruleId: 'R-78' });
    expect(P.decide(s, { type: 'send', gate: gate({ initiativeState: 'Qualified' }) }, T0)).toMatchObject({ status: 409, ruleId: 'R-76' });
    P.accept(s, { type: 'send', gate: gate() }, T0);
    expect(P.decide(s, { type: 'send', gate: gate() }, T0)).toMatchObject({ status: 409, ruleId: 'R-78' });
    expect(P.decide(s, { type: 'accept', optionIndex: 1, decidedAt: T0, decision: { ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 1 } }, T0)).toMatchObject({ status: 422, ruleId: 'R-77' });
    expect(P.decide(s, { type: 'decline', reason: 'busy', decidedAt: T0 }, T0)).toMatchObject({ status: 422, ruleId: 'R-80' });
    expect(P.decide(s, { type: 'withdraw', reason: '' }, T0)).toMatchObject({ status: 422, ruleId: 'R-80' });
    const step = P.accept(s, { type: 'decline', reason: 'price', note: 'frozen', decidedAt: plus(T0, 5) }, plus(T0, 5));
    expect(step.effects).toContainEqual(expect.objectContaining({ kind: 'event', type: 'proposal.decided', ruleId: 'R-80', data: { proposalId: 'p-1', initiativeId: 'i-1', outcome: 'declined', ageDays: 5, reason: 'price' } }));
    expect(step.followUps).toEqual([{ kind: 'initiative', action: { type: 'proposalDecided', proposalId: 'p-1', outcome: 'declined', reason: 'price', decidedAt: plus(T0, 5) } }]);
    expect(P.nextDue(s)).toBeUndefined();
  });

  it('a withdrawn draft tells no initiative; a withdrawn sent one does', () => {
    expect(P.accept(proposal(), { type: 'withdraw', reason: 'other' }, T0).followUps).toEqual([]);
    const sent = proposal({ status: 'sent', sentAt: T0, bucket: '0-14' });
    expect(P.accept(sent, { type: 'withdraw', reason: 'other' }, T0).followUps.map((f) => f.kind)).toEqual(['initiative']);
  });

  it('without a cadence to book the reset, the AM books it by hand within 7 days (R-78)', () => {
    const s = proposal({ status: 'sent', sentAt: T0, bucket: '>30' });
    const f: P.ProposalFollowUp = { kind: 'reset', title: 'MFA rollout', ownerRole: 'AM', presenterRole: 'vCIO', withinDays: 7, minutes: 20 };
    expect(ctas(P.followUpRecorded(s, f, { outcome: 'not-running' }, T0)).map((c) => [c.ctaKind, c.dueAt])).toEqual([['book-meeting', plus(T0, 7)]]);
    expect(events(P.followUpRecorded(s, f, { outcome: 'accepted', meetingId: 'm-1' }, T0))).toEqual([['process.fact_recorded', 'R-78']]);
  });
});
