import { describe, it, expect } from 'vitest';
import {
  accessPercentOf,
  applyAction,
  currentStep,
  deadlineDue,
  decide,
  gateConditions,
  handoffPacketEffects,
  initialState,
  kpis,
  nextDeadline,
  resumeImported,
  skipSteps,
  startEffects,
  statusView,
  type OnboardingAction,
  type OnboardingEffect,
  type OnboardingRules,
  type OnboardingStart,
  type OnboardingState,
} from '../../domain/onboarding.js';
import { planOnboarding, recapDueAt, type OnboardingSegment } from '../../domain/onboarding-plan.js';
import { defaultPolicy, parsePolicy } from '../../domain/policy.js';
import { makeCalendar, toIso } from '../../domain/business-time.js';

// Weekdays checked with Luxon: 2026-03-02 Mon, 03-05 Thu, 03-08 Sun (US DST starts),
// 03-16 Mon (Day 14), 03-23 Mon (Day 21), 04-01 Wed (Day 30), 05-29 Fri.

const chicago = makeCalendar({ timeZone: 'America/Chicago' });
const SIGNED = '2026-03-02T14:00:00-06:00';
const HOUR = 3_600_000;

const rules: OnboardingRules = {
  maxDecisions: defaultPolicy.meeting.maxDecisions,
  accessThresholdPct: defaultPolicy.onboarding.accessThresholdPct,
  quickWinsRequired: defaultPolicy.onboarding.quickWinsRequired,
  handoffPacketItems: [...defaultPolicy.onboarding.handoffPacketItems],
  firstActionHours: defaultPolicy.meeting.firstActionHours,
  recapHours: defaultPolicy.meeting.recapHours,
  escalationCtaHours: defaultPolicy.onboarding.escalationCtaHours,
  daysToProposalMax: defaultPolicy.onboarding.daysToProposalMax,
  slaClock: defaultPolicy.calendar.slaClock,
  ctaEscalationChain: [...defaultPolicy.ctas.escalationChain],
  ctaEscalationWindowHours: defaultPolicy.ctas.escalationWindowHours,
  calendar: { timeZone: 'America/Chicago', holidays: [], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' },
};
const SYSTEMS = [...defaultPolicy.onboarding.accessMatrixSystems];

function startInput(o: { segment?: OnboardingSegment; riskFlag?: boolean; accessSystems?: string[]; signedAt?: string } = {}): OnboardingStart {
  const segment = o.segment ?? 'B';
  const signedAt = o.signedAt ?? SIGNED;
  const riskFlag = o.riskFlag ?? false;
  return {
    clientId: 'c-1',
    segment,
    signedAt: toIso(signedAt, chicago),
    timeZone: chicago.timeZone,
    policyVersion: 1,
    rules: { ...rules, handoffPacketItems: [...rules.handoffPacketItems], ctaEscalationChain: [...rules.ctaEscalationChain] },
    plan: planOnboarding({ signedAt, segment, riskFlag }, defaultPolicy, chicago),
    accessSystems: [...(o.accessSystems ?? SYSTEMS)],
    riskFlag,
  };
}

function fresh(o: Parameters<typeof startInput>[0] = {}): OnboardingState {
  return initialState(startInput(o));
}

/** decide must accept, then apply. */
function act(state: OnboardingState, action: OnboardingAction, at: string): OnboardingEffect[] {
  expect(decide(state, action, at)).toBeUndefined();
  return applyAction(state, action, at);
}

type EventEffect = Extract<OnboardingEffect, { kind: 'event' }>;
type CtaEffect = Extract<OnboardingEffect, { kind: 'cta' }>;
const eventsOf = (fx: OnboardingEffect[], type?: string): EventEffect[] =>
  fx.filter((e): e is EventEffect => e.kind === 'event' && (type === undefined || e.type === type));
const ctasOf = (fx: OnboardingEffect[]): CtaEffect[] => fx.filter((e): e is CtaEffect => e.kind === 'cta');
const deadline = (s: OnboardingState, key: string) => {
  const d = s.deadlines.find((x) => x.key === key);
  if (!d) throw new Error(`no deadline ${key}`);
  return d;
};
const plusHours = (iso: string, h: number) => new Date(Date.parse(iso) + h * HOUR).toISOString();

const DUE = {
  handoff: '2026-03-03T00:00:00.000-06:00',
  kickoff: '2026-03-10T00:00:00.000-05:00',
  access: '2026-03-17T00:00:00.000-05:00',
  documentation: '2026-03-24T00:00:00.000-05:00',
  quickWins: '2026-04-02T00:00:00.000-05:00',
  roadmapOpens: '2026-04-01T00:00:00.000-05:00',
} as const;

type Decision = Extract<OnboardingAction, { type: 'kickoffHeld' }>['decisions'][number];
const twoDecisions: Decision[] = [
  { title: 'Approve MFA rollout', ownerRole: 'TAM' },
  { title: 'Pick backup vendor', ownerRole: 'vCIO' },
];
const kickoffHeld = (decisions: Decision[] = twoDecisions): OnboardingAction => ({
  type: 'kickoffHeld',
  heldAt: '2026-03-05T15:00:00.000Z',
  endedAt: '2026-03-05T16:00:00.000Z',
  attendees: ['ops@client.example', 'cio@client.example'],
  decisions,
});
const KICKOFF_AT = '2026-03-05T17:30:00.000Z';

// ---------------------------------------------------------------------------------------------

describe('rules from the default policy', () => {
  it('reads the values the tests below rely on', () => {
    expect(rules).toMatchObject({ maxDecisions: 2, accessThresholdPct: 95, quickWinsRequired: 2, firstActionHours: 72, recapHours: 48, escalationCtaHours: 72, slaClock: 'elapsed' });
    expect(rules.handoffPacketItems).toHaveLength(6);
    expect(SYSTEMS).toEqual(['tenants', 'rmm', 'psa', 'identity', 'backup', 'security-portals']);
  });
});

describe('initialState / startEffects (R-46, R-48)', () => {
  it('starts at step 0 with every planned deadline pending, the gate shut and KPIs undecided', () => {
    const s = fresh();
    expect(s.deadlines).toHaveLength(16);
    expect(s.deadlines.every((d) => d.status === 'pending')).toBe(true);
    expect(s.access).toEqual(SYSTEMS.map((system) => ({ system, grantedAt: null })));
    expect(s.gateOpen).toBe(false);
    expect(currentStep(s)).toBe(0);
    expect(nextDeadline(s)?.key).toBe('handoff.complete');
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: null, accessByCheckpoint: null, earlyWinsByCheckpoint: null });
    expect(accessPercentOf(s)).toBe(0);
  });

  it('R-46/R-48: emits process.started, one deadline.set per planned deadline with its dueAt, then gate.closed with all four conditions false', () => {
    const input = startInput();
    const s = initialState(input);
    const fx = startEffects(s, { riskFlag: false, accessSystems: input.accessSystems, processVersion: 1 });
    expect(fx).toHaveLength(input.plan.length + 2);
    expect(fx.every((e) => e.kind === 'event')).toBe(true);
    const ev = eventsOf(fx);

    expect(ev[0]).toMatchObject({
      type: 'process.started',
      ruleId: 'R-46',
      data: {
        processVersion: 1,
        policyVersion: 1,
        inputs: { signedAt: '2026-03-02T14:00:00.000-06:00', segment: 'B', timeZone: 'America/Chicago', riskFlag: false, accessSystems: SYSTEMS },
      },
      why: { day0: '2026-03-02', rules },
    });

    const sets = ev.slice(1, -1);
    expect(sets.map((e) => e.type)).toEqual(input.plan.map(() => 'deadline.set'));
    expect(sets.map((e) => [e.ruleId, e.data])).toEqual(input.plan.map((d) => [d.ruleId, { deadline: d.key, dueAt: d.dueAt, clock: d.clock }]));
    const byKey = Object.fromEntries(sets.map((e) => [e.data.deadline, e]));
    expect(byKey['handoff.complete']!.data.dueAt).toBe(DUE.handoff);
    expect(byKey['kickoff.held']!.data).toEqual({ deadline: 'kickoff.held', dueAt: DUE.kickoff, clock: 'businessDays' });
    expect(byKey['access.checkpoint']!.data.dueAt).toBe(DUE.access);
    expect(byKey['access.checkpoint']!.why).toMatchObject({ step: 'access', ownerRole: 'TAM', ownerRule: 'R-49', day: 14 });
    expect(byKey['discovery.checkpoint']!.why).not.toHaveProperty('skipped');

    expect(ev.at(-1)).toEqual({
      kind: 'event',
      type: 'gate.closed',
      ruleId: 'R-48',
      data: { gate: 'delivery', conditions: { accessAtThreshold: false, documentationBaselined: false, mfaVerified: false, backupMonitoringVerified: false } },
      why: expect.objectContaining({ thresholdPct: 95 }),
    });
  });
});

describe('kickoff (R-27, R-29, R-30, R-47)', () => {
  it('R-27: a third decision is refused 422 with the backlog titles', () => {
    const s = fresh();
    const three: Decision[] = [...twoDecisions, { title: 'Replace firewall', ownerRole: 'AM' }];
    const r = decide(s, kickoffHeld(three), KICKOFF_AT);
    expect(r).toMatchObject({ status: 422, ruleId: 'R-27', details: { maxDecisions: 2, received: 3, backlog: ['Replace firewall'] } });
    expect(r!.message).toContain('"Replace firewall"');
    const four: Decision[] = [...three, { title: 'Move to SharePoint', ownerRole: 'CSM' }];
    expect(decide(s, kickoffHeld(four), KICKOFF_AT)?.details).toMatchObject({ received: 4, backlog: ['Replace firewall', 'Move to SharePoint'] });
  });

  it('R-27/R-29/R-30/R-47: two decisions are accepted: one CTA each due firstActionHours after `at`, an access-request CTA for ungranted systems, a recap 48h after endedAt', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['tenants', 'rmm'] }, '2026-03-04T15:00:00.000Z');
    const fx = act(s, kickoffHeld(), KICKOFF_AT);
    const ctaDue = '2026-03-08T12:30:00.000-05:00';
    expect(Date.parse(plusHours(KICKOFF_AT, rules.firstActionHours))).toBe(Date.parse(ctaDue));

    expect(fx.map((e) => (e.kind === 'event' ? `${e.type}` : `${e.kind}:${'key' in e ? e.key : ''}`))).toEqual([
      'meeting:kickoff',
      'deadline.set',
      'cta:kickoff/decision-1',
      'cta:kickoff/decision-2',
      'cta:kickoff/access-requests',
      'step.completed',
    ]);
    expect(fx[0]).toEqual({
      kind: 'meeting', key: 'kickoff', meetingKind: 'kickoff', state: 'held', startsAt: '2026-03-05T15:00:00.000Z', endsAt: '2026-03-05T16:00:00.000Z', ruleId: 'R-47',
      data: { decisions: twoDecisions, attendees: ['ops@client.example', 'cio@client.example'] },
    });
    expect(fx[1]).toMatchObject({ type: 'deadline.set', ruleId: 'R-29', data: { deadline: 'recap.sent', dueAt: '2026-03-07T10:00:00.000-06:00', clock: 'elapsed' }, why: { from: '2026-03-05T16:00:00.000Z', hours: 48 } });

    const ctas = ctasOf(fx);
    expect(ctas.map((c) => [c.key, c.ctaKind, c.title, c.ruleId, c.ownerRole, c.dueAt])).toEqual([
      ['kickoff/decision-1', 'decision', 'Approve MFA rollout', 'R-30', 'TAM', ctaDue],
      ['kickoff/decision-2', 'decision', 'Pick backup vendor', 'R-30', 'vCIO', ctaDue],
      ['kickoff/access-requests', 'access-request', 'Request access: psa, identity, backup, security-portals', 'R-47', 'TAM', ctaDue],
    ]);
    expect(ctas[2]!.why).toMatchObject({ systems: ['psa', 'identity', 'backup', 'security-portals'], hours: 72 });
    expect(fx[5]).toMatchObject({ type: 'step.completed', ruleId: 'R-47', data: { step: 1, name: 'kickoff' }, why: { late: false } });

    // The recap is now a tracked deadline, and the kickoff deadline is met at heldAt.
    expect(deadline(s, 'recap.sent')).toMatchObject({ status: 'pending', dueAt: '2026-03-07T10:00:00.000-06:00', ruleId: 'R-29', owner: { role: 'CSM' } });
    expect(deadline(s, 'kickoff.held')).toMatchObject({ status: 'met', resolvedAt: '2026-03-05T15:00:00.000Z' });
    expect(kpis(s).kickoffWithinBusinessDays).toBe(true);
    expect(s.kickoff).toMatchObject({ heldAt: '2026-03-05T15:00:00.000Z', endedAt: '2026-03-05T16:00:00.000Z', decisions: 2 });

    // the recap meets its deadline; a second kickoff is refused.
    act(s, { type: 'recapSent', sentAt: '2026-03-06T10:00:00.000Z' }, '2026-03-06T10:05:00.000Z');
    expect(deadline(s, 'recap.sent')).toMatchObject({ status: 'met', resolvedAt: '2026-03-06T10:00:00.000Z' });
    expect(decide(s, kickoffHeld(), '2026-03-06T11:00:00.000Z')).toMatchObject({ status: 409 });
    expect(decide(s, { type: 'recapSent', sentAt: '2026-03-06T11:00:00.000Z' }, '2026-03-06T11:00:00.000Z')).toMatchObject({ status: 409 });
  });

  it('R-47: no access-request CTA once every system is granted', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: SYSTEMS }, '2026-03-04T15:00:00.000Z');
    const fx = act(s, kickoffHeld([twoDecisions[0]!]), KICKOFF_AT);
    expect(ctasOf(fx).map((c) => c.key)).toEqual(['kickoff/decision-1']);
  });

  // Reachable in the workflow whenever the action is applied before the loop judges the deadline
  // (a Day 0 in the past, or a worker that was down past the instant).
  it('R-47/R-57: a kickoff held after Day 0 + 5 bd is not counted as met when reported before the deadline is judged', () => {
    const s = fresh();
    const late: OnboardingAction = { type: 'kickoffHeld', heldAt: '2026-03-12T15:00:00.000Z', endedAt: '2026-03-12T16:00:00.000Z', attendees: [], decisions: [] };
    act(s, late, '2026-03-12T17:00:00.000Z');
    expect(Date.parse('2026-03-12T15:00:00.000Z')).toBeGreaterThan(Date.parse(DUE.kickoff));
    expect(deadline(s, 'kickoff.held').status).not.toBe('met');
    expect(kpis(s).kickoffWithinBusinessDays).not.toBe(true);
    // Judged at its instant it is missed, with the work already done: no overdue CTA to open.
    const fx = deadlineDue(s, 'kickoff.held', '2026-03-12T17:00:01.000Z');
    expect(fx.map((e) => (e.kind === 'event' ? e.type : e.kind))).toEqual(['deadline.missed']);
    expect(kpis(s).kickoffWithinBusinessDays).toBe(false);
  });

  it('R-29/A-14: with slaClock = business the recap is due 48 business hours after the end, as recapDueAt computes', () => {
    const parsed = parsePolicy({ ...defaultPolicy, calendar: { ...defaultPolicy.calendar, slaClock: 'business' } });
    if (!parsed.ok) throw new Error('bad test policy');
    const business = recapDueAt('2026-03-05T16:00:00.000Z', parsed.policy, chicago).dueAt;
    expect(business).toBe('2026-03-13T10:00:00.000-05:00'); // 6 × 8 business hours from Thu 10:00 CST
    const input = startInput();
    const s = initialState({ ...input, rules: { ...input.rules, slaClock: 'business' } });
    const fx = act(s, kickoffHeld(), KICKOFF_AT);
    expect(Date.parse(deadline(s, 'recap.sent').dueAt)).toBe(Date.parse(business));
    expect(eventsOf(fx, 'deadline.set')[0]!.data.clock).not.toBe('elapsed');
  });

  it('R-29: a recap before any kickoff is refused 409; a kickoff before the signature or in the future is 422', () => {
    const s = fresh();
    expect(decide(s, { type: 'recapSent', sentAt: '2026-03-03T10:00:00.000Z' }, '2026-03-03T10:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-29' });
    expect(decide(s, { ...kickoffHeld(), heldAt: '2026-03-01T15:00:00.000Z', endedAt: '2026-03-01T16:00:00.000Z' } as OnboardingAction, KICKOFF_AT)).toMatchObject({ status: 422 });
    expect(decide(s, kickoffHeld(), '2026-03-05T14:00:00.000Z')).toMatchObject({ status: 422 });
    // A kickoff booked before the contract was signed is as absurd as one held before it.
    expect(decide(s, { type: 'kickoffScheduled', startsAt: '2026-03-01T15:00:00.000Z', endsAt: '2026-03-01T16:00:00.000Z' }, KICKOFF_AT)).toMatchObject({ status: 422 });
  });
});

describe('validation refusals (R-44, R-48, R-49, R-52)', () => {
  it('R-44: an unknown handoff item is 422 listing the known items', () => {
    const s = fresh();
    expect(decide(s, { type: 'handoffItemsReceived', items: ['stakeholder-map', 'pizza-menu'] }, '2026-03-02T21:00:00.000Z')).toMatchObject({
      status: 422, ruleId: 'R-44', details: { unknown: ['pizza-menu'], known: rules.handoffPacketItems },
    });
  });

  it('R-49: an unknown access system is 422 listing the known systems', () => {
    const s = fresh();
    const r = decide(s, { type: 'accessGranted', systems: ['tenants', 'mainframe'] }, '2026-03-03T15:00:00.000Z');
    expect(r).toMatchObject({ status: 422, ruleId: 'R-49', details: { unknown: ['mainframe'], known: SYSTEMS } });
    expect(r!.message).toContain('mainframe');
    expect(decide(s, { type: 'quickWinCompleted', title: 'x', systems: ['mainframe'] }, '2026-03-03T15:00:00.000Z')).toMatchObject({ status: 422, details: { known: SYSTEMS } });
  });

  it('R-48: a quick win on an ungranted system is 409; on granted systems it runs', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['rmm'] }, '2026-03-03T15:00:00.000Z');
    expect(decide(s, { type: 'quickWinCompleted', title: 'Patch baseline', systems: ['rmm', 'backup'] }, '2026-03-04T15:00:00.000Z')).toMatchObject({
      status: 409, ruleId: 'R-48', details: { notGranted: ['backup'] },
    });
    const fx = act(s, { type: 'quickWinCompleted', title: 'Patch baseline', systems: ['rmm'] }, '2026-03-04T15:00:00.000Z');
    expect(eventsOf(fx, 'process.fact_recorded')[0]!.data).toEqual({ fact: 'quickWinCompleted', details: { title: 'Patch baseline', systems: ['rmm'], done: 1, required: 2 } });
  });

  it('R-52: the Early Wins report before 2 quick wins is 409; after 2 it is accepted once', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['rmm'] }, '2026-03-03T15:00:00.000Z');
    act(s, { type: 'quickWinCompleted', title: 'Patch baseline', systems: ['rmm'] }, '2026-03-04T15:00:00.000Z');
    expect(decide(s, { type: 'earlyWinsReportPublished' }, '2026-03-05T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-52', details: { required: 2, done: 1 } });
    act(s, { type: 'quickWinCompleted', title: 'Clean stale admins', systems: [] }, '2026-03-05T15:00:00.000Z');
    act(s, { type: 'earlyWinsReportPublished', url: 'https://example.test/ewr' }, '2026-03-06T15:00:00.000Z');
    expect(deadline(s, 'quickWins.checkpoint')).toMatchObject({ status: 'met', resolvedAt: '2026-03-06T15:00:00.000Z' });
    expect(decide(s, { type: 'earlyWinsReportPublished' }, '2026-03-07T15:00:00.000Z')).toMatchObject({ status: 409 });
  });
});

describe('delivery gate (R-48)', () => {
  it('R-48: a project kickoff while the gate is shut is 409 listing the failing conditions; a quick-win project is allowed', () => {
    const s = fresh();
    const r = decide(s, { type: 'projectKickoff', project: 'M365 migration' }, '2026-03-04T15:00:00.000Z');
    expect(r).toMatchObject({
      status: 409, ruleId: 'R-48',
      details: { gate: 'delivery', accessPercent: 0, conditions: { accessAtThreshold: false, documentationBaselined: false, mfaVerified: false, backupMonitoringVerified: false } },
    });
    expect(r!.message).toContain('accessAtThreshold, documentationBaselined, mfaVerified, backupMonitoringVerified');
    expect(decide(s, { type: 'projectKickoff', project: 'Patch sweep', quickWin: true }, '2026-03-04T15:00:00.000Z')).toBeUndefined();
  });

  it('R-48/R-49: opens once access ≥95 % (19 of 20) + docs + MFA + backup monitoring; gate.opened is emitted exactly once', () => {
    const systems = Array.from({ length: 20 }, (_, i) => `sys-${String(i + 1).padStart(2, '0')}`);
    const s = fresh({ accessSystems: systems });
    const all: OnboardingEffect[] = [];
    const run = (a: OnboardingAction, at: string) => {
      const fx = act(s, a, at);
      all.push(...fx);
      return fx;
    };
    run({ type: 'documentationBaselined', sections: ['topology', 'identity'] }, '2026-03-04T15:00:00.000Z');
    run({ type: 'controlVerified', control: 'mfa' }, '2026-03-04T16:00:00.000Z');
    run({ type: 'controlVerified', control: 'backupMonitoring' }, '2026-03-04T17:00:00.000Z');
    run({ type: 'accessGranted', systems: systems.slice(0, 18) }, '2026-03-05T15:00:00.000Z');
    expect(accessPercentOf(s)).toBe(90);
    const shut = decide(s, { type: 'projectKickoff', project: 'M365 migration' }, '2026-03-05T16:00:00.000Z');
    expect(shut).toMatchObject({ status: 409, details: { accessPercent: 90, conditions: { accessAtThreshold: false, documentationBaselined: true, mfaVerified: true, backupMonitoringVerified: true } } });
    expect(shut!.message).toContain(': accessAtThreshold not met');
    expect(eventsOf(all, 'gate.opened')).toHaveLength(0);

    const fx = run({ type: 'accessGranted', systems: ['sys-19'] }, '2026-03-06T15:00:00.000Z');
    expect(accessPercentOf(s)).toBe(95);
    expect(eventsOf(fx, 'gate.opened')).toEqual([
      expect.objectContaining({ ruleId: 'R-48', data: { gate: 'delivery', conditions: { accessAtThreshold: true, documentationBaselined: true, mfaVerified: true, backupMonitoringVerified: true } }, why: { accessPercent: 95, thresholdPct: 95 } }),
    ]);
    expect(s.gateOpen).toBe(true);
    expect(deadline(s, 'access.checkpoint')).toMatchObject({ status: 'met', resolvedAt: '2026-03-06T15:00:00.000Z' });

    run({ type: 'projectKickoff', project: 'M365 migration' }, '2026-03-07T15:00:00.000Z');
    run({ type: 'accessGranted', systems: ['sys-20', 'sys-01'] }, '2026-03-08T15:00:00.000Z');
    expect(eventsOf(all, 'gate.opened')).toHaveLength(1);
    expect(statusView(s, 'running').gates).toEqual([{ gate: 'delivery', ruleId: 'R-48', open: true, conditions: gateConditions(s) }]);
  });

  it('R-49: 3 of 4 rows is 75 % and keeps the gate shut', () => {
    const s = fresh({ accessSystems: ['a', 'b', 'c', 'd'] });
    act(s, { type: 'documentationBaselined', sections: ['topology'] }, '2026-03-04T15:00:00.000Z');
    act(s, { type: 'controlVerified', control: 'mfa' }, '2026-03-04T15:00:00.000Z');
    act(s, { type: 'controlVerified', control: 'backupMonitoring' }, '2026-03-04T15:00:00.000Z');
    const fx = act(s, { type: 'accessGranted', systems: ['a', 'b', 'c'] }, '2026-03-05T15:00:00.000Z');
    expect(accessPercentOf(s)).toBe(75);
    expect(eventsOf(fx, 'process.fact_recorded')[0]!.data).toMatchObject({ details: { granted: ['a', 'b', 'c'], alreadyGranted: [], accessPercent: 75, thresholdPct: 95 } });
    expect(gateConditions(s)).toEqual({ accessAtThreshold: false, documentationBaselined: true, mfaVerified: true, backupMonitoringVerified: true });
    expect(s.gateOpen).toBe(false);
    expect(eventsOf(fx, 'gate.opened')).toHaveLength(0);
  });

  it('R-49: accessPercentOf truncates to 2 decimals, never rounds up to the threshold', () => {
    const rows = (granted: number, total: number) => ({ access: Array.from({ length: total }, (_, i) => ({ system: `s${i}`, grantedAt: i < granted ? '2026-03-03T00:00:00.000Z' : null })) });
    expect(accessPercentOf(rows(19, 20))).toBe(95);
    expect(accessPercentOf(rows(3, 4))).toBe(75);
    expect(accessPercentOf(rows(2, 3))).toBe(66.66);
    expect(accessPercentOf(rows(1, 3))).toBe(33.33);
    expect(accessPercentOf(rows(18_999, 20_000))).toBe(94.99);
    expect(accessPercentOf(rows(0, 0))).toBe(0);
    expect(accessPercentOf(rows(6, 6))).toBe(100);
  });
});

describe('deadlineDue (R-50, C-3, C-6)', () => {
  it('R-50: access below threshold at the Day 14 checkpoint → deadline.missed, escalation CTA to the AM, risk Delivery/Medium, gate.closed', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['tenants', 'rmm', 'psa'] }, '2026-03-05T15:00:00.000Z');
    const fx = deadlineDue(s, 'access.checkpoint', DUE.access);
    expect(fx.map((e) => (e.kind === 'event' ? e.type : e.kind))).toEqual(['deadline.missed', 'cta', 'risk.opened', 'gate.closed']);

    expect(fx[0]).toEqual({
      kind: 'event', type: 'deadline.missed', ruleId: 'R-49', occurredAt: DUE.access,
      data: { deadline: 'access.checkpoint', dueAt: DUE.access },
      why: { step: 'access', ownerRole: 'TAM', accessPercent: 50, thresholdPct: 95, notGranted: ['identity', 'backup', 'security-portals'] },
    });
    expect(fx[1]).toMatchObject({
      kind: 'cta', key: 'escalation/access.checkpoint', ctaKind: 'onboarding-escalation', ruleId: 'R-50', ownerRole: 'AM',
      dueAt: '2026-03-20T00:00:00.000-05:00', title: "Escalate to the client's executive sponsor: access 50 % below 95 % at Day 14",
      why: { deadline: 'access.checkpoint', hours: 72 },
    });
    expect(Date.parse((fx[1] as CtaEffect).dueAt) - Date.parse(DUE.access)).toBe(rules.escalationCtaHours * HOUR);
    expect(fx[2]).toMatchObject({
      type: 'risk.opened', ruleId: 'R-50', occurredAt: DUE.access,
      data: { riskId: 'c-1/onboarding/access.checkpoint', bucket: 'Delivery', severity: 'Medium', trigger: 'access 50 % below 95 % at Day 14' },
    });
    expect(fx[3]).toMatchObject({ type: 'gate.closed', ruleId: 'R-50', occurredAt: DUE.access, data: { gate: 'delivery', conditions: { accessAtThreshold: false } } });

    expect(deadline(s, 'access.checkpoint')).toMatchObject({ status: 'missed', resolvedAt: DUE.access });
    expect(deadline(s, 'access.checkpoint').lateByMs).toBeUndefined();
    expect(kpis(s).accessByCheckpoint).toBe(false);
    // Judged once: a second notice does nothing.
    expect(deadlineDue(s, 'access.checkpoint', plusHours(DUE.access, 1))).toEqual([]);
  });

  it('R-50: access granted after the miss resolves nothing (the escalation stays with its owner) and step 2 completes late', () => {
    const s = fresh();
    deadlineDue(s, 'access.checkpoint', DUE.access);
    act(s, { type: 'documentationBaselined', sections: ['topology'] }, '2026-03-18T15:00:00.000Z');
    const fx = act(s, { type: 'accessGranted', systems: SYSTEMS }, '2026-03-19T15:00:00.000Z');
    expect(fx.some((e) => e.kind === 'ctaResolved')).toBe(false);
    expect(eventsOf(fx, 'step.completed')).toEqual([expect.objectContaining({ ruleId: 'R-49', data: { step: 2, name: 'accessAndDocumentation' }, why: expect.objectContaining({ late: true }) })]);
    expect(deadline(s, 'access.checkpoint').status).toBe('missed');
    expect(deadline(s, 'documentation.checkpoint')).toMatchObject({ status: 'met', resolvedAt: '2026-03-18T15:00:00.000Z' });
  });

  it('R-50: a missed Day 21 documentation checkpoint escalates the same way', () => {
    const s = fresh();
    const fx = deadlineDue(s, 'documentation.checkpoint', DUE.documentation);
    expect(ctasOf(fx)).toEqual([expect.objectContaining({ key: 'escalation/documentation.checkpoint', ownerRole: 'AM', ruleId: 'R-50', title: "Escalate to the client's executive sponsor: documentation not baselined at Day 21" })]);
    expect(eventsOf(fx, 'risk.opened')[0]!.data).toMatchObject({ bucket: 'Delivery', severity: 'Medium' });
  });

  it('C-3: a judgement within the timer tolerance is on time (occurredAt = dueAt, no lateByMs)', () => {
    const s = fresh();
    const fx = deadlineDue(s, 'kickoff.held', plusHours(DUE.kickoff, 30 / 3600));
    expect(eventsOf(fx, 'deadline.missed')[0]).toMatchObject({ occurredAt: DUE.kickoff, data: { deadline: 'kickoff.held', dueAt: DUE.kickoff } });
    expect(eventsOf(fx, 'deadline.missed')[0]!.data).not.toHaveProperty('lateByMs');
  });

  it('C-6: a miss noticed long after the instant carries lateByMs and occurredAt = now', () => {
    const s = fresh();
    const now = '2026-03-13T06:00:00.000Z'; // 10 days after handoff.complete (2026-03-03T06:00Z)
    const fx = deadlineDue(s, 'handoff.complete', now);
    expect(fx[0]).toMatchObject({
      type: 'deadline.missed', ruleId: 'R-46', occurredAt: now,
      data: { deadline: 'handoff.complete', dueAt: DUE.handoff, lateByMs: 10 * 24 * HOUR },
      why: { noticedLate: true, missingItems: rules.handoffPacketItems, ownerRole: 'AM' },
    });
    expect(fx[1]).toMatchObject({ kind: 'cta', key: 'overdue/handoff.complete', dueAt: '2026-03-16T01:00:00.000-05:00' });
    expect(deadline(s, 'handoff.complete')).toMatchObject({ status: 'missed', resolvedAt: now, lateByMs: 10 * 24 * HOUR });
    expect(statusView(s, 'running').deadlines.find((d) => d.key === 'handoff.complete')).toMatchObject({ status: 'missed', lateByMs: 864_000_000, resolvedAt: now });
  });

  it('a deadline met earlier emits nothing at its due instant; an unknown key emits nothing', () => {
    const s = fresh();
    const fx = act(s, { type: 'handoffItemsReceived', items: rules.handoffPacketItems }, '2026-03-02T22:00:00.000Z');
    expect(eventsOf(fx, 'step.completed')[0]).toMatchObject({ ruleId: 'R-46', data: { step: 0, name: 'handoff' }, why: { late: false } });
    expect(deadline(s, 'handoff.complete')).toMatchObject({ status: 'met', resolvedAt: '2026-03-02T22:00:00.000Z' });
    expect(deadlineDue(s, 'handoff.complete', DUE.handoff)).toEqual([]);
    expect(deadline(s, 'handoff.complete').status).toBe('met');
    expect(deadlineDue(s, 'no.such.deadline', DUE.handoff)).toEqual([]);
    expect(nextDeadline(s)?.key).toBe('kickoff.held');
    expect(currentStep(s)).toBe(1);
  });

  it("window '.opens' deadlines become 'reached' with no effects and leave nextDeadline", () => {
    const s = fresh();
    expect(deadlineDue(s, 'roadmap.window.opens', DUE.roadmapOpens)).toEqual([]);
    expect(deadline(s, 'roadmap.window.opens')).toMatchObject({ status: 'reached', resolvedAt: DUE.roadmapOpens });
    expect(s.deadlines.filter((d) => d.status === 'pending').map((d) => d.key)).not.toContain('roadmap.window.opens');
    expect(deadlineDue(s, 'roadmap.window.opens', DUE.roadmapOpens)).toEqual([]);
  });

  it('nextDeadline walks the plan in instant order as deadlines are judged', () => {
    const s = fresh();
    const order: string[] = [];
    for (let d = nextDeadline(s); d; d = nextDeadline(s)) {
      order.push(d.key);
      deadlineDue(s, d.key, d.dueAt);
    }
    expect(order.slice(0, 5)).toEqual(['handoff.complete', 'kickoff.held', 'access.checkpoint', 'documentation.checkpoint', 'discovery.checkpoint']);
    expect(order).toHaveLength(16);
    expect(order.at(-1)).toBe('closeout.held');
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: false, accessByCheckpoint: false, earlyWinsByCheckpoint: false });
  });

  it('a missed non-R-50 deadline opens overdue/<key>; the late work resolves that CTA and completes the step with why.late = true', () => {
    const s = fresh();
    const miss = deadlineDue(s, 'handoff.complete', DUE.handoff);
    expect(ctasOf(miss)).toEqual([{
      kind: 'cta', key: 'overdue/handoff.complete', ctaKind: 'onboarding-overdue', title: 'Handoff packet overdue since Mon 2 Mar', ruleId: 'R-46', ownerRole: 'AM',
      dueAt: '2026-03-06T00:00:00.000-06:00', why: { deadline: 'handoff.complete', ownerRule: 'R-46', hours: 72, policyKeys: ['meeting.firstActionHours'] },
    }]);

    const lateAt = '2026-03-04T15:00:00.000Z';
    const part = act(s, { type: 'handoffItemsReceived', items: rules.handoffPacketItems.slice(0, 3) }, '2026-03-03T15:00:00.000Z');
    expect(part.some((e) => e.kind === 'ctaResolved')).toBe(false);
    const fx = act(s, { type: 'handoffItemsReceived', items: rules.handoffPacketItems }, lateAt);
    expect(fx.filter((e) => e.kind === 'ctaResolved')).toEqual([{ kind: 'ctaResolved', key: 'overdue/handoff.complete', note: `handoff.complete done late at ${lateAt}` }]);
    expect(eventsOf(fx, 'step.completed')).toEqual([expect.objectContaining({
      data: { step: 0, name: 'handoff' },
      why: { late: true, deadlines: [{ key: 'handoff.complete', dueAt: DUE.handoff, status: 'missed' }] },
    })]);
    expect(deadline(s, 'handoff.complete')).toMatchObject({ status: 'missed', lateWorkDone: lateAt });
    expect(s.stepsCompleted).toEqual([{ number: 0, at: lateAt, late: true }]);
    expect(statusView(s, 'running').steps[0]).toMatchObject({ state: 'done', late: true, completedAt: lateAt });
    // The resolution is emitted once.
    const again = act(s, { type: 'handoffItemsReceived', items: ['stakeholder-map'] }, '2026-03-05T15:00:00.000Z');
    expect(again.some((e) => e.kind === 'ctaResolved')).toBe(false);
  });
});

describe('segment D (R-51)', () => {
  it('R-51: without a risk flag, discovery is skipped: deadline.set says so and skipSteps marks step 3 skipped', () => {
    const input = startInput({ segment: 'D' });
    const s = initialState(input);
    expect(deadline(s, 'discovery.checkpoint').status).toBe('skipped');
    const fx = startEffects(s, { riskFlag: false, accessSystems: input.accessSystems, processVersion: 1 });
    expect(eventsOf(fx, 'deadline.set').find((e) => e.data.deadline === 'discovery.checkpoint')!.why).toMatchObject({ skipped: true });

    const at = '2026-03-02T20:00:00.000Z';
    expect(skipSteps(s, at)).toEqual([
      { kind: 'event', type: 'step.completed', ruleId: 'R-51', data: { step: 3, name: 'discoveryAndAssessment' }, why: expect.objectContaining({ skipped: true }) },
    ]);
    expect(s.stepsCompleted).toEqual([{ number: 3, at, late: false, skipped: true }]);
    expect(statusView(s, 'running').steps[3]).toMatchObject({ number: 3, state: 'skipped', completedAt: at });
    expect(deadlineDue(s, 'discovery.checkpoint', deadline(s, 'discovery.checkpoint').dueAt)).toEqual([]);

    const keys: string[] = [];
    for (let d = nextDeadline(s); d; d = nextDeadline(s)) {
      keys.push(d.key);
      deadlineDue(s, d.key, d.dueAt);
    }
    expect(keys).not.toContain('discovery.checkpoint');
  });

  it('R-51: with a risk flag, D runs discovery and skipSteps does nothing', () => {
    const s = fresh({ segment: 'D', riskFlag: true });
    expect(deadline(s, 'discovery.checkpoint').status).toBe('pending');
    expect(skipSteps(s, '2026-03-02T20:00:00.000Z')).toEqual([]);
    expect(s.stepsCompleted).toEqual([]);
    expect(skipSteps(fresh(), '2026-03-02T20:00:00.000Z')).toEqual([]);
  });
});

describe('closeout (R-56, R-124, C-6)', () => {
  /** Handoff, kickoff, access + docs done; MFA never verified; steps 3–7 left open. */
  function partlyDone(): OnboardingState {
    const s = fresh();
    act(s, { type: 'handoffItemsReceived', items: rules.handoffPacketItems }, '2026-03-02T22:00:00.000Z');
    act(s, kickoffHeld(), KICKOFF_AT);
    act(s, { type: 'accessGranted', systems: SYSTEMS }, '2026-03-06T15:00:00.000Z');
    act(s, { type: 'documentationBaselined', sections: ['topology'] }, '2026-03-06T16:00:00.000Z');
    act(s, { type: 'controlVerified', control: 'backupMonitoring' }, '2026-03-06T17:00:00.000Z');
    act(s, { type: 'day60ReviewHeld', nps: 9, csat: 4.6 }, '2026-05-01T20:00:00.000Z');
    return s;
  }

  it('R-56: closeout emits one onboarding-exception CTA per unfinished step (+ the shut gate) and process.completed counts them', () => {
    const s = partlyDone();
    expect(currentStep(s)).toBe(3);
    const at = '2026-05-29T20:00:00.000Z';
    const fx = act(s, { type: 'closeout', note: 'Handed to Engagement' }, at);
    const due = '2026-06-01T15:00:00.000-05:00';
    const exceptions = ctasOf(fx).filter((c) => c.ctaKind === 'onboarding-exception');
    expect(exceptions.map((c) => [c.key, c.ownerRole, c.ruleId, c.dueAt])).toEqual([
      ['closeout/step-3', 'vCIO', 'R-56', due],
      ['closeout/step-4', 'TAM', 'R-56', due],
      ['closeout/step-5', 'vCIO', 'R-56', due],
      ['closeout/step-6', 'AM', 'R-56', due],
      ['closeout/step-7', 'CSM', 'R-56', due],
      ['closeout/gate', 'TAM', 'R-56', due],
    ]);
    expect(exceptions.at(-1)!.why).toMatchObject({ gate: 'delivery', conditions: { mfaVerified: false, accessAtThreshold: true } });
    const done = eventsOf(fx, 'process.completed');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ ruleId: 'R-56', data: { outcome: 'closed', openExceptions: exceptions.length } });
    expect(done[0]!.data.openExceptions).toBe(6);
    expect(fx.at(-1)).toBe(done[0]);
    // Step 8 (Day 60 review + closeout) completed in the same batch, before process.completed.
    expect(eventsOf(fx, 'step.completed')).toEqual([expect.objectContaining({ ruleId: 'R-56', data: { step: 8, name: 'reviewAndCloseout' } })]);
    expect(deadline(s, 'closeout.held')).toMatchObject({ status: 'met', resolvedAt: at });
    expect(statusView(s, 'completed')).toMatchObject({ phase: 'completed', closedAt: at, currentStep: { number: 3, name: 'discoveryAndAssessment', ruleId: 'R-51' } });
  });

  it('R-56: a closeout with every step done has no exceptions', () => {
    const s = partlyDone();
    act(s, { type: 'controlVerified', control: 'mfa' }, '2026-03-07T15:00:00.000Z');
    act(s, { type: 'assessmentCompleted', findings: [{ title: 'Legacy AV', score: 7 }, { title: 'No MDM', score: 9 }] }, '2026-03-20T15:00:00.000Z');
    act(s, { type: 'quickWinCompleted', title: 'Patch baseline', systems: ['rmm'] }, '2026-03-21T15:00:00.000Z');
    act(s, { type: 'quickWinCompleted', title: 'Backup alerts', systems: ['backup'] }, '2026-03-22T15:00:00.000Z');
    act(s, { type: 'earlyWinsReportPublished' }, '2026-03-23T15:00:00.000Z');
    act(s, { type: 'roadmapConfirmed', initiatives: ['MDM'], budgetV1Usd: 40_000 }, '2026-04-05T15:00:00.000Z');
    const p = act(s, { type: 'proposalSent', title: 'MDM rollout', initiative: 'MDM' }, '2026-04-10T15:00:00.000Z');
    expect(eventsOf(p, 'process.fact_recorded')[0]!.data).toMatchObject({ details: { daysSinceRoadmap: 5, daysToProposalMax: 14, warning: null } });
    // a proposal more than daysToProposalMax days after the roadmap carries its per-item warning.
    const slow = act(s, { type: 'proposalSent', title: 'Backup upgrade' }, '2026-04-25T15:00:00.000Z');
    expect(eventsOf(slow, 'process.fact_recorded')[0]!.data).toMatchObject({ details: { daysSinceRoadmap: 20, warning: 'sent 20 days after the roadmap, over 14 (R-54)' } });
    act(s, { type: 'healthBaselineRecorded', scores: { cx: 4, adoption: 3, engagement: 4, serviceQuality: 5, alignment: 3 } }, '2026-04-20T15:00:00.000Z');
    act(s, { type: 'cadenceLocked' }, '2026-04-21T15:00:00.000Z');
    expect(currentStep(s)).toBe(8);
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: true, accessByCheckpoint: true, earlyWinsByCheckpoint: true });
    const fx = act(s, { type: 'closeout', note: 'done' }, '2026-05-29T20:00:00.000Z');
    expect(ctasOf(fx)).toEqual([]);
    expect(eventsOf(fx, 'process.completed')[0]).toMatchObject({ data: { outcome: 'closed', openExceptions: 0 }, why: { stepsLate: [] } });
    expect(currentStep(s)).toBe(9);
    expect(statusView(s, 'completed').currentStep).toBeNull();
  });

  it('R-56: closeout needs a held kickoff', () => {
    expect(decide(fresh(), { type: 'closeout', note: 'x' }, '2026-05-29T20:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-56' });
  });

  it('R-124/C-6: any action after closeout is refused 409 with ruleId R-124', () => {
    const s = partlyDone();
    const at = '2026-05-29T20:00:00.000Z';
    act(s, { type: 'closeout', note: 'Handed to Engagement' }, at);
    const later = '2026-06-02T15:00:00.000Z';
    const actions: OnboardingAction[] = [
      { type: 'accessGranted', systems: ['rmm'] },
      { type: 'controlVerified', control: 'mfa' },
      { type: 'closeout', note: 'again' },
      { type: 'projectKickoff', project: 'M365', quickWin: true },
      { type: 'handoffItemsReceived', items: ['pizza-menu'] },
      kickoffHeld([...twoDecisions, { title: 'third', ownerRole: 'AM' }]),
    ];
    for (const a of actions) {
      const r = decide(s, a, later);
      expect(r, a.type).toMatchObject({ status: 409, ruleId: 'R-124' });
      expect(r!.message).toContain(at);
    }
  });
});

describe('decide is pure', () => {
  it('never mutates the state (deep-equal before/after), accepted or refused', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['rmm'] }, '2026-03-03T15:00:00.000Z');
    const before = structuredClone(s);
    const at = '2026-03-05T17:30:00.000Z';
    const actions: OnboardingAction[] = [
      { type: 'handoffItemsReceived', items: rules.handoffPacketItems },
      { type: 'handoffItemsReceived', items: ['pizza-menu'] },
      { type: 'kickoffScheduled', startsAt: '2026-03-05T15:00:00.000Z', endsAt: '2026-03-05T16:00:00.000Z' },
      kickoffHeld(),
      kickoffHeld([...twoDecisions, { title: 'third', ownerRole: 'AM' }]),
      { type: 'recapSent', sentAt: at },
      { type: 'accessGranted', systems: SYSTEMS },
      { type: 'documentationBaselined', sections: ['topology'] },
      { type: 'controlVerified', control: 'mfa' },
      { type: 'assessmentCompleted', findings: [{ title: 'x', score: 3 }] },
      { type: 'quickWinCompleted', title: 'q', systems: ['rmm'] },
      { type: 'quickWinCompleted', title: 'q', systems: ['backup'] },
      { type: 'earlyWinsReportPublished' },
      { type: 'projectKickoff', project: 'p' },
      { type: 'projectKickoff', project: 'p', quickWin: true },
      { type: 'roadmapConfirmed', initiatives: ['i'], budgetV1Usd: 1 },
      { type: 'proposalSent', title: 't' },
      { type: 'healthBaselineRecorded', scores: { cx: 1, adoption: 1, engagement: 1, serviceQuality: 1, alignment: 1 } },
      { type: 'cadenceLocked' },
      { type: 'day60ReviewHeld' },
      { type: 'closeout', note: 'n' },
    ];
    for (const a of actions) decide(s, a, at);
    expect(s).toEqual(before);
  });
});

describe('KPIs (R-57)', () => {
  it('are null until judged, true when met, false when missed', () => {
    const s = fresh();
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: null, accessByCheckpoint: null, earlyWinsByCheckpoint: null });
    act(s, kickoffHeld(), KICKOFF_AT);
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: true, accessByCheckpoint: null, earlyWinsByCheckpoint: null });
    deadlineDue(s, 'access.checkpoint', DUE.access);
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: true, accessByCheckpoint: false, earlyWinsByCheckpoint: null });
    // Access granted after the miss does not turn the KPI true.
    act(s, { type: 'accessGranted', systems: SYSTEMS }, '2026-03-18T15:00:00.000Z');
    expect(kpis(s).accessByCheckpoint).toBe(false);
    deadlineDue(s, 'quickWins.checkpoint', DUE.quickWins);
    expect(kpis(s)).toEqual({ kickoffWithinBusinessDays: true, accessByCheckpoint: false, earlyWinsByCheckpoint: false });
    expect(statusView(s, 'running').kpis).toEqual(kpis(s));
  });
});

describe('statusView', () => {
  it('reports the current step, steps, sorted deadlines and access', () => {
    const s = fresh();
    act(s, { type: 'accessGranted', systems: ['tenants'] }, '2026-03-03T15:00:00.000Z');
    const v = statusView(s, 'running');
    expect(v).toMatchObject({
      clientId: 'c-1', phase: 'running', segment: 'B', timeZone: 'America/Chicago', policyVersion: 1, closedAt: null,
      currentStep: { number: 0, name: 'handoff', ruleId: 'R-46' },
      access: { percent: 16.66, thresholdPct: 95 },
    });
    expect(v.steps.map((x) => x.state)).toEqual(Array(9).fill('open'));
    expect(v.deadlines).toHaveLength(16);
    const dues = v.deadlines.map((d) => Date.parse(d.dueAt));
    expect([...dues].sort((a, b) => a - b)).toEqual(dues);
    expect(v.access.items[0]).toEqual({ system: 'tenants', grantedAt: '2026-03-03T15:00:00.000Z' });
  });
});

// ---------------------------------------------------------------------------------------------
// Version 2 of the process definition (decided at the run's start with patched(); runs started
// before keep version 1 — the tests above): R-57 D without a formal roadmap, R-58 Working
// Agreement, A-26 kickoff CTAs from the meeting's end, the kickoff row and the access record.

function freshV2(o: Parameters<typeof startInput>[0] = {}): OnboardingState {
  const segment = o.segment ?? 'B';
  const start = startInput(o);
  return initialState({
    ...start, version: 2,
    plan: planOnboarding({ signedAt: o.signedAt ?? SIGNED, segment, riskFlag: o.riskFlag ?? false, version: 2 }, defaultPolicy, chicago),
    rules: {
      ...start.rules,
      workingAgreement: { daysAfterClose: defaultPolicy.onboarding.workingAgreementDaysAfterClose, ownerRole: defaultPolicy.onboarding.workingAgreementOwner },
      operationalInitiatives: { max: defaultPolicy.initiatives.goal1PerYear.max, ownerRole: defaultPolicy.raci[segment].roadmapBudget.accountable },
    },
  });
}

describe('version 2: D has no formal roadmap (R-57)', () => {
  it('plans no roadmap / Budget v1 window for D, but keeps it for A–C (and for D in version 1)', () => {
    const d = freshV2({ segment: 'D' });
    expect(d.deadlines.filter((x) => x.step === 'roadmap')).toEqual([]);
    expect(freshV2({ segment: 'C' }).deadlines.filter((x) => x.step === 'roadmap').map((x) => x.key)).toEqual(['roadmap.window.opens', 'roadmap.window.closes']);
    expect(fresh({ segment: 'D' }).deadlines.filter((x) => x.step === 'roadmap')).toHaveLength(2);
    expect(eventsOf(startEffects(d, { riskFlag: false, accessSystems: SYSTEMS, processVersion: 2 }), 'deadline.set').map((e) => e.data.deadline)).not.toContain('roadmap.window.closes');
  });

  it('so no deadline ever opens an overdue roadmap CTA for D, even when nothing is reported until Day 90', () => {
    const s = freshV2({ segment: 'D' });
    const fx: OnboardingEffect[] = [];
    for (let d = nextDeadline(s); d; d = nextDeadline(s)) fx.push(...deadlineDue(s, d.key, d.dueAt));
    expect(ctasOf(fx).map((c) => c.key).filter((k) => k.includes('roadmap'))).toEqual([]);
    expect(ctasOf(fx).map((c) => c.key)).toContain('overdue/proposals.window.closes');
  });

  it('its 1–2 operational initiatives are recorded without a budget and complete step 5; proposals follow them', () => {
    const s = freshV2({ segment: 'D' });
    expect(decide(s, { type: 'roadmapConfirmed', initiatives: ['Patch cadence'], budgetV1Usd: 5000 }, '2026-04-05T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-57' });
    expect(decide(s, { type: 'proposalSent', title: 'Backup upgrade' }, '2026-04-05T15:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-54', message: expect.stringContaining('operational initiatives') });
    expect(decide(s, { type: 'operationalInitiativesRecorded', initiatives: ['a', 'b', 'c'] }, '2026-04-05T15:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-57', details: { max: 2, received: 3 } });
    const fx = act(s, { type: 'operationalInitiativesRecorded', initiatives: ['Patch cadence', 'Replace failing NAS'] }, '2026-04-05T15:00:00.000Z');
    expect(eventsOf(fx, 'process.fact_recorded')[0]).toMatchObject({ ruleId: 'R-57', data: { fact: 'operationalInitiativesRecorded', details: { initiatives: ['Patch cadence', 'Replace failing NAS'], budgetUsd: null, formalRoadmap: false } } });
    expect(eventsOf(fx, 'step.completed').map((e) => e.data)).toEqual([{ step: 5, name: 'roadmapAndBudget' }]);
    expect(statusView(s, 'running').roadmap).toEqual({ confirmedAt: '2026-04-05T15:00:00.000Z', initiatives: ['Patch cadence', 'Replace failing NAS'], budgetV1Usd: null, formal: false });
    expect(decide(s, { type: 'operationalInitiativesRecorded', initiatives: ['x'] }, '2026-04-06T15:00:00.000Z')).toMatchObject({ status: 409 });
    expect(decide(s, { type: 'proposalSent', title: 'Backup upgrade' }, '2026-04-06T15:00:00.000Z')).toBeUndefined();
  });

  it('only D records operational initiatives, and only in version 2', () => {
    const op = { type: 'operationalInitiativesRecorded' as const, initiatives: ['x'] };
    expect(decide(freshV2({ segment: 'C' }), op, '2026-04-05T15:00:00.000Z')).toMatchObject({ status: 409, message: expect.stringContaining('Segment C confirms a roadmap') });
    expect(decide(fresh({ segment: 'D' }), op, '2026-04-05T15:00:00.000Z')).toMatchObject({ status: 409, message: expect.stringContaining('process version 1') });
    expect(decide(fresh({ segment: 'D' }), { type: 'roadmapConfirmed', initiatives: ['x'], budgetV1Usd: 1 }, '2026-04-05T15:00:00.000Z')).toBeUndefined();
  });

  it('a D closeout without them opens its exception for the TAM (§2.19 D roadmap line), citing R-57', () => {
    const s = freshV2({ segment: 'D' });
    act(s, kickoffHeld([]), KICKOFF_AT);
    const fx = act(s, { type: 'closeout', note: 'paused' }, '2026-05-29T20:00:00.000Z');
    expect(ctasOf(fx).find((c) => c.key === 'closeout/step-5')).toMatchObject({ ownerRole: 'TAM', title: 'Onboarding exception at closeout: operational initiatives not recorded (R-57)', why: { stepRule: 'R-57' } });
  });
});

describe('version 2: kickoff (A-26) and access record (R-49, R-124)', () => {
  it('kickoff CTAs count from the meeting\'s end, not from the report (A-26); the row gets heldAt and the decision count', () => {
    const s = freshV2();
    const lateReport = '2026-03-07T12:00:00.000Z'; // two days after the meeting ended
    const fx = act(s, kickoffHeld(), lateReport);
    const end = '2026-03-05T16:00:00.000Z';
    expect(ctasOf(fx).map((c) => c.key)).toEqual(['kickoff/decision-1', 'kickoff/decision-2', 'kickoff/access-requests']);
    expect(plusHours(end, 72)).toBe('2026-03-08T16:00:00.000Z');
    for (const c of ctasOf(fx)) expect(Date.parse(c.dueAt)).toBe(Date.parse(end) + 72 * HOUR);
    expect(ctasOf(fx)[0]!.why).toMatchObject({ from: end, fromRule: "A-26: the meeting's end" });
    expect(fx.find((e) => e.kind === 'meeting')).toMatchObject({ state: 'held', heldAt: '2026-03-05T15:00:00.000Z', decisionCount: 2 });
    // Version 1 counted from the report and left the row's columns to the activity's fallback.
    const v1 = fresh();
    const old = act(v1, kickoffHeld(), lateReport);
    for (const c of ctasOf(old)) expect(Date.parse(c.dueAt)).toBe(Date.parse(lateReport) + 72 * HOUR);
    expect(old.find((e) => e.kind === 'meeting')).not.toHaveProperty('heldAt');
  });

  it('the access record starts as the matrix and takes each fresh grant; version 1 kept none', () => {
    const s = freshV2({ accessSystems: ['tenants', 'rmm'] });
    const start = startEffects(s, { riskFlag: false, accessSystems: ['tenants', 'rmm'], processVersion: 2 });
    expect(eventsOf(start, 'process.started')[0]!.data).toMatchObject({ processVersion: 2 });
    expect(start.filter((e) => e.kind === 'accessRecord')).toEqual([{ kind: 'accessRecord', systems: [{ system: 'tenants', grantedAt: null }, { system: 'rmm', grantedAt: null }] }]);
    const fx = act(s, { type: 'accessGranted', systems: ['rmm'] }, '2026-03-06T15:00:00.000Z');
    expect(fx.filter((e) => e.kind === 'accessRecord')).toEqual([{ kind: 'accessRecord', systems: [{ system: 'rmm', grantedAt: '2026-03-06T15:00:00.000Z' }] }]);
    expect(act(s, { type: 'accessGranted', systems: ['rmm'] }, '2026-03-07T15:00:00.000Z').filter((e) => e.kind === 'accessRecord')).toEqual([]);
    const v1 = fresh({ accessSystems: ['tenants'] });
    expect([...startEffects(v1, { riskFlag: false, accessSystems: ['tenants'], processVersion: 1 }), ...act(v1, { type: 'accessGranted', systems: ['tenants'] }, '2026-03-06T15:00:00.000Z')].filter((e) => e.kind === 'accessRecord')).toEqual([]);
  });
});

describe('version 2: the Working Agreement at closeout (R-58)', () => {
  it('is due 30 days after the close, ROLLed back off a weekend (C-2), at close of business, owned by the CSM, and is not an exception', () => {
    const s = freshV2();
    act(s, kickoffHeld([]), KICKOFF_AT);
    // Closed Fri 29 May 2026; + 30 d = Sun 28 Jun → Fri 26 Jun, 17:00 CDT.
    const fx = act(s, { type: 'closeout', note: 'Handed to Engagement' }, '2026-05-29T20:00:00.000Z');
    const wa = ctasOf(fx).find((c) => c.key === 'closeout/working-agreement')!;
    expect(wa).toMatchObject({
      ctaKind: 'working-agreement', ruleId: 'R-58', ownerRole: 'CSM', dueAt: '2026-06-26T17:00:00.000-05:00',
      title: 'Publish the Working Agreement (response times, channels, escalation) by Fri 26 Jun 2026',
      why: { closedOn: '2026-05-29', days: 30, targetDate: '2026-06-28', localDate: '2026-06-26', rolled: true, rolledFrom: '2026-06-28', policyKeys: expect.arrayContaining(['onboarding.workingAgreementDaysAfterClose']) },
    });
    const completed = eventsOf(fx, 'process.completed')[0]!;
    expect(completed.data.openExceptions).toBe(ctasOf(fx).filter((c) => c.ctaKind === 'onboarding-exception').length);
    expect(fx.indexOf(wa)).toBeGreaterThan(fx.indexOf(completed));
  });

  it('a business-day target stays; a holiday rolls to the day before; version 1 opened none', () => {
    const s = freshV2();
    s.rules.calendar.holidays = ['2026-06-29'];
    act(s, kickoffHeld([]), KICKOFF_AT);
    // Closed Wed 27 May; + 30 d = Fri 26 Jun (a business day).
    expect(ctasOf(act(s, { type: 'closeout', note: 'x' }, '2026-05-27T20:00:00.000Z')).find((c) => c.key === 'closeout/working-agreement')).toMatchObject({ dueAt: '2026-06-26T17:00:00.000-05:00', why: { rolled: false } });
    const h = freshV2();
    h.rules.calendar.holidays = ['2026-06-29'];
    act(h, kickoffHeld([]), KICKOFF_AT);
    // Closed Sat 30 May; + 30 d = Mon 29 Jun (a holiday) → Fri 26 Jun.
    expect(ctasOf(act(h, { type: 'closeout', note: 'x' }, '2026-05-30T20:00:00.000Z')).find((c) => c.key === 'closeout/working-agreement')).toMatchObject({ dueAt: '2026-06-26T17:00:00.000-05:00', why: { rolledFrom: '2026-06-29' } });
    const v1 = fresh();
    act(v1, kickoffHeld([]), KICKOFF_AT);
    expect(ctasOf(act(v1, { type: 'closeout', note: 'x' }, '2026-05-29T20:00:00.000Z')).map((c) => c.ctaKind)).not.toContain('working-agreement');
  });
});

describe('a client imported mid-onboarding (issue 15, patch onboarding-import)', () => {
  it('starts at its step: earlier steps done, past deadlines not judged, the gate open past step 2, no CTA', () => {
    const s = { ...fresh(), version: 2 as const };
    const importedAt = new Date(Date.parse(s.signedAt) + 20 * 86_400_000).toISOString();
    const effects = resumeImported(s, 3, importedAt);
    expect(currentStep(s)).toBe(3);
    expect(s.gateOpen).toBe(true);
    expect(effects.filter((e) => e.kind === 'cta')).toEqual([]);
    for (const d of s.deadlines) {
      if (Date.parse(d.dueAt) <= Date.parse(importedAt) || ['handoff', 'kickoff', 'recap', 'access', 'documentation'].includes(d.step)) expect(d.status === 'skipped' || d.key.endsWith('.opens')).toBe(true);
    }
    expect(s.deadlines.find((d) => d.key === 'discovery.checkpoint')!.status).toBe('pending');
    // The next deadline is ahead of the import, and judging it later records at most that one miss.
    const next = nextDeadline(s)!;
    expect(Date.parse(next.dueAt)).toBeGreaterThan(Date.parse(importedAt));
    const types = effects.map((e) => (e.kind === 'event' ? e.type : e.kind));
    expect(types).toEqual(['process.fact_recorded', 'step.completed', 'step.completed', 'step.completed', 'accessRecord', 'gate.opened']);
  });

  it('at step 0 keeps everything ahead, and the gate shut', () => {
    const s = fresh();
    const effects = resumeImported(s, 0, s.signedAt);
    expect(currentStep(s)).toBe(0);
    expect(s.gateOpen).toBe(false);
    expect(effects.map((e) => (e.kind === 'event' ? e.type : e.kind))).toEqual(['process.fact_recorded']);
  });
});

// Version 4: the kickoff invite waits for a complete handoff packet (R-46: "handoff packet (R-44)
// complete before kickoff invite"). Runs started before keep accepting an early invite.
describe('version 4: the kickoff invite waits for the handoff packet (R-46)', () => {
  const freshV4 = (o: Parameters<typeof startInput>[0] = {}) => ({ ...freshV2(o), version: 4 as const });
  const invite: OnboardingAction = { type: 'kickoffScheduled', startsAt: '2026-03-05T15:00:00.000Z', endsAt: '2026-03-05T16:00:00.000Z' };
  const at = '2026-03-03T15:00:00.000Z';

  it('refuses the first invite with 409 naming every missing item, and accepts it once the packet is complete', () => {
    const s = freshV4();
    act(s, { type: 'handoffItemsReceived', items: ['discovery-one-pager', 'stakeholder-map'] }, '2026-03-02T21:00:00.000Z');
    const missing = rules.handoffPacketItems.filter((i) => !['discovery-one-pager', 'stakeholder-map'].includes(i));
    expect(missing.length).toBeGreaterThan(0);
    expect(decide(s, invite, at)).toMatchObject({ status: 409, ruleId: 'R-46', details: { missingItems: missing } });
    expect(decide(s, invite, at)!.message).toContain(missing.join(', '));
    act(s, { type: 'handoffItemsReceived', items: missing }, '2026-03-03T14:00:00.000Z');
    expect(currentStep(s)).toBe(1);
    act(s, invite, at);
    expect(s.kickoff.scheduled).toEqual({ startsAt: invite.startsAt, endsAt: invite.endsAt });
  });

  it('counts the items the sale\'s packet brought at the start (version 3 onwards)', () => {
    const s = freshV4();
    handoffPacketEffects(s, { saleWorkflowId: 'sale-1', present: rules.handoffPacketItems.slice(0, -1), missing: rules.handoffPacketItems.slice(-1) }, s.signedAt);
    expect(decide(s, invite, at)).toMatchObject({ status: 409, details: { missingItems: rules.handoffPacketItems.slice(-1) } });
    handoffPacketEffects(s, { saleWorkflowId: 'sale-1', present: [...rules.handoffPacketItems], missing: [] }, s.signedAt);
    expect(decide(s, invite, at)).toBeUndefined();
  });

  it('leaves a booked kickoff free to move, and an imported run (step 0 done before Baton) free to book', () => {
    const s = freshV4();
    act(s, { type: 'handoffItemsReceived', items: [...rules.handoffPacketItems] }, '2026-03-02T21:00:00.000Z');
    act(s, invite, at);
    expect(decide(s, { ...invite, startsAt: '2026-03-06T15:00:00.000Z', endsAt: '2026-03-06T16:00:00.000Z' }, at)).toBeUndefined();
    const imported = freshV4();
    resumeImported(imported, 1, imported.signedAt);
    expect(decide(imported, invite, at)).toBeUndefined();
  });

  it('checks the invite itself first: a time before the signature is still 422, not the packet\'s 409', () => {
    expect(decide(freshV4(), { ...invite, startsAt: '2026-03-01T15:00:00.000Z' }, at)).toMatchObject({ status: 422 });
  });

  it('does not apply to runs started before version 4 (they replay as they ran)', () => {
    for (const version of [1, 2, 3] as const) expect(decide({ ...freshV2(), version }, invite, at)).toBeUndefined();
  });
});
