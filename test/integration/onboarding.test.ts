import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalOptions, type RehearsalResult } from '../../rehearsal/run.js';
import { clientAccess } from '../../db/schema.js';
import { eq } from 'drizzle-orm';
import { resolveWhen, scenarioCalendar, ScenarioSchema, type Scenario } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Onboarding Day 0–90 end to end (DOMAIN §2.8, R-46..R-57), written as rehearsals: the real API
 * handlers and worker on the time-skipping server started at the scenario's instant, so every due
 * instant below is exact. Signature: Monday 2026-03-02 09:00 America/Chicago (CST, −06:00); US
 * daylight saving starts Sunday 2026-03-08, so later deadlines carry −05:00.
 */
const START = '2026-03-02T09:00:00-06:00';
const HANDOFF_ITEMS = ['discovery-one-pager', 'initiative-cards', 'pre-approval-log', 'roadmap-budget-snapshot', 'stakeholder-map', 'cadence-invites'];
const SYSTEMS = ['tenants', 'rmm', 'psa', 'identity', 'backup', 'security-portals'];
// R-1 placement: A maturity ≥3 & appetite ≥3; B maturity ≤2 & appetite ≥3; C maturity ≥3 & appetite ≤2; D both ≤2.
const SCORES = { A: { maturity: 4, appetite: 4 }, B: { maturity: 2, appetite: 4 }, C: { maturity: 4, appetite: 2 }, D: { maturity: 1, appetite: 1 } } as const;

const people = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] },
  { ref: 'avery', name: 'Avery AM', roles: ['AM'] },
  { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] },
  { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' } };
const client = (ref: string, seg: keyof typeof SCORES, extra: Record<string, unknown> = {}) => ({
  ref, name: `${ref} Inc`, mrr: 12000, ...SCORES[seg], timeZone: 'America/Chicago', assignments, ...extra,
});

type Step = Scenario['steps'][number];
const step = (ref: string, at: string, op: string, body?: unknown, extra: Partial<Step> = {}) => ({ at, op, params: { clientId: `$${ref}` }, ...(body !== undefined ? { body } : {}), ...extra });

/** Every step inside its window (offsets from START). D records its operational initiatives instead of a roadmap. */
function happyPath(ref: string, opts: { skipAssessment?: boolean; segmentD?: boolean } = {}) {
  return [
    step(ref, '+0h', 'startOnboarding', { signedAt: START }, { expect: 201 }),
    step(ref, '+1h', 'recordHandoffItems', { items: HANDOFF_ITEMS }, { as: 'automation', expect: 200 }),
    step(ref, '+3bd+2h', 'recordKickoffHeld', { heldAt: '2026-03-05T10:00:00-06:00', endedAt: '2026-03-05T11:00:00-06:00', attendees: ['CEO'], decisions: [{ title: 'Approve MFA rollout', ownerRole: 'TAM' }] }, { as: 'automation', expect: 200 }),
    step(ref, '+4bd', 'recordRecapSent', {}, { as: 'automation', expect: 200 }),
    step(ref, '+5d', 'recordAccessGranted', { systems: SYSTEMS }, { expect: 200 }),
    step(ref, '+8d', 'recordControlVerified', { control: 'mfa' }, { expect: 200 }),
    step(ref, '+8d+1h', 'recordControlVerified', { control: 'backupMonitoring' }, { expect: 200 }),
    step(ref, '+15d', 'recordDocumentationBaselined', { sections: ['topology'] }, { expect: 200 }),
    ...(opts.skipAssessment ? [] : [step(ref, '+20d', 'recordAssessmentCompleted', { findings: [{ title: 'Aging firewall', score: 4 }] }, { expect: 200 })]),
    step(ref, '+22d', 'recordQuickWin', { title: 'Enforce MFA for admins', systems: ['identity'] }, { expect: 200 }),
    step(ref, '+24d', 'recordQuickWin', { title: 'Fix failing backup job', systems: ['backup'] }, { expect: 200 }),
    step(ref, '+26d', 'publishEarlyWinsReport', {}, { expect: 200 }),
    step(ref, '+27d', 'requestProjectKickoff', { project: 'Firewall replacement' }, { expect: 200 }),
    opts.segmentD
      ? step(ref, '+35d', 'recordOperationalInitiatives', { initiatives: ['Firewall replacement', 'Patch cadence'] }, { expect: 200 })
      : step(ref, '+35d', 'confirmRoadmap', { initiatives: ['Firewall replacement'], budgetV1Usd: 48000 }, { expect: 200 }),
    step(ref, '+40d', 'recordProposalSent', { title: 'Firewall proposal' }, { expect: 200 }),
    step(ref, '+50d', 'recordHealthBaseline', { scores: { cx: 80, adoption: 70, engagement: 75, serviceQuality: 85, alignment: 65 } }, { expect: 200 }),
    step(ref, '+52d', 'lockCadence', {}, { expect: 200 }),
    step(ref, '+60d', 'recordDay60Review', { nps: 40, csat: 4.6 }, { expect: 200 }),
    step(ref, '+86d', 'closeOnboarding', { note: 'Handed to engagement' }, { expect: 200 }),
  ];
}

/** Steps of several clients merged in time order (rehearse() requires it); ties keep their listed order. */
const byTime = (steps: ReturnType<typeof step>[]) => {
  const cal = scenarioCalendar({ timeZone: 'America/Chicago', holidays: [] });
  const at = (w: string) => resolveWhen(w, START, cal);
  return steps.map((s, i) => ({ s, i })).sort((x, y) => at(x.s.at) - at(y.s.at) || x.i - y.i).map((x) => x.s);
};

async function run(input: Record<string, unknown>, record: Record<string, string> = {}, beforeStep?: RehearsalOptions['beforeStep']): Promise<RehearsalResult> {
  const scenario = ScenarioSchema.parse(input);
  return rehearse(scenario, {
    ...(beforeStep ? { beforeStep } : {}),
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts).
    onHistory: (ref, history, process_) => {
      if (!process.env.RECORD_HISTORIES || !record[ref] || process_ !== 'onboarding') return;
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${record[ref]}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
}

/** The onboarding's part of a client's timeline and CTAs (the cadence it starts at lock has its own tests, cadence.test.ts). */
const of = (r: RehearsalResult, ref: string) => {
  const id = r.refs[ref]!;
  const state = r.states[id]!;
  // The onboarding's own timeline; the processes it leads to (cadence, At Risk) are looked at apart.
  const others = ['cadence', 'risk', 'health', 'planning-cycle'];
  return {
    id, events: r.timelines[id]!.filter((e) => !others.includes(e.process)), state: { ...state, ctas: state.ctas.filter((c) => !others.includes(c.process)) },
    cadenceEvents: r.timelines[id]!.filter((e) => e.process === 'cadence'), riskEvents: r.timelines[id]!.filter((e) => e.process === 'risk'),
  };
};
const typed = (events: LedgerEvent[], type: string) => events.filter((e) => e.type === type);
const deadlineSet = (events: LedgerEvent[], key: string) => typed(events, 'deadline.set').find((e) => (e.data as { deadline: string }).deadline === key);
const data = (e: LedgerEvent | undefined) => e?.data as Record<string, any>;

describe('onboarding happy paths for segments A, B, C and D (R-46..R-57)', () => {
  let r: RehearsalResult;
  beforeAll(async () => {
    r = await run({
      name: 'four segments', timeZone: 'America/Chicago', start: START, end: '+95d', people,
      clients: [client('alpha', 'A'), client('bravo', 'B'), client('charlie', 'C'), client('delta', 'D')],
      steps: byTime([
        ...happyPath('alpha'), ...happyPath('bravo'), ...happyPath('charlie'), ...happyPath('delta', { skipAssessment: true, segmentD: true }),
        step('delta', '+35d+1h', 'confirmRoadmap', { initiatives: ['Firewall replacement'], budgetV1Usd: 5000 }, { expect: 409, note: 'D has no formal roadmap' }),
        step('alpha', '+35d+1h', 'recordOperationalInitiatives', { initiatives: ['Patch cadence'] }, { expect: 409, note: 'only D records operational initiatives' }),
        step('delta', '+35d+2h', 'recordOperationalInitiatives', { initiatives: ['x'] }, { as: 'manager', expect: 403 }),
        ...['alpha', 'delta'].map((ref) => step(ref, '+87d', 'getClientAccess', undefined, { note: `access record of ${ref}` })),
      ]),
    }, { alpha: 'onboarding-full-a', delta: 'onboarding-full-d' });
  }, 240_000);

  it('every step is accepted', () => {
    expect(r.failures).toEqual([]);
  });

  it.each(['alpha', 'bravo', 'charlie', 'delta'])('%s closes with all KPIs met, nothing missed and no open exceptions (R-56, R-57)', (ref) => {
    const { events, state } = of(r, ref);
    expect(typed(events, 'deadline.missed')).toEqual([]);
    expect(data(typed(events, 'process.completed')[0])).toEqual({ outcome: 'closed', openExceptions: 0 });
    expect(state.onboarding).toMatchObject({ phase: 'completed', currentStep: null, kpis: { kickoffWithinBusinessDays: true, accessByCheckpoint: true, earlyWinsByCheckpoint: true } });
    expect(typed(events, 'step.completed').map((e) => data(e).step as number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(typed(events, 'gate.opened')).toHaveLength(1);
  });

  it('the cadence lock (R-55) starts the engagement cadence, which books the year from the lock (R-10)', () => {
    for (const ref of ['alpha', 'bravo', 'charlie', 'delta']) {
      const { state, cadenceEvents } = of(r, ref);
      const started = typed(cadenceEvents, 'process.started')[0]!;
      // Locked on Day 52 (Thu 23 Apr 2026), through the onboarding's own report.
      expect(data(started).inputs).toMatchObject({ lockedAt: expect.stringMatching(/^2026-04-23T14:00:0\d\.\d{3}Z$/), segment: ['A', 'B', 'C', 'D'][['alpha', 'bravo', 'charlie', 'delta'].indexOf(ref)] });
      // Lock month + 12 (through Apr 2027), rolled on 1 May and 1 Jun by the rehearsal's end.
      expect(state.cadence).toMatchObject({ phase: 'running', bookedThrough: '2027-06' });
      expect(typed(cadenceEvents, 'meeting.scheduled').length).toBeGreaterThan(10);
    }
  });

  it('the segment is the one R-1 places the client in', () => {
    expect(['alpha', 'bravo', 'charlie', 'delta'].map((ref) => data(typed(of(r, ref).events, 'client.registered')[0]).segment)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('kickoff is due at the end of Day 0 + 5 business days in the client zone, across the DST change (R-47, C-1)', () => {
    // Mon 2 Mar + 5 bd = Mon 9 Mar (3,4,5,6,9); judged at 24:00 local, after DST began on 8 Mar.
    for (const ref of ['alpha', 'bravo', 'charlie', 'delta']) {
      expect(data(deadlineSet(of(r, ref).events, 'kickoff.held'))).toEqual({ deadline: 'kickoff.held', dueAt: '2026-03-10T00:00:00.000-05:00', clock: 'businessDays' });
    }
  });

  it('the CHECKPOINTs are 24:00 local at the end of Day 14, 21, 28 and 30 (R-49, R-51, R-52, C-3)', () => {
    const { events } = of(r, 'alpha');
    expect(data(deadlineSet(events, 'handoff.complete')).dueAt).toBe('2026-03-03T00:00:00.000-06:00');
    expect(data(deadlineSet(events, 'access.checkpoint')).dueAt).toBe('2026-03-17T00:00:00.000-05:00');
    expect(data(deadlineSet(events, 'documentation.checkpoint')).dueAt).toBe('2026-03-24T00:00:00.000-05:00');
    expect(data(deadlineSet(events, 'discovery.checkpoint')).dueAt).toBe('2026-03-31T00:00:00.000-05:00');
    expect(data(deadlineSet(events, 'quickWins.checkpoint')).dueAt).toBe('2026-04-02T00:00:00.000-05:00');
    // Day 60 = Fri 1 May; Day 90 = Sun 31 May → rolls to Fri 29 May; due 17:00 local (R-56, A-21, C-2).
    expect(data(deadlineSet(events, 'day60Review.held')).dueAt).toBe('2026-05-01T17:00:00.000-05:00');
    expect(data(deadlineSet(events, 'closeout.held')).dueAt).toBe('2026-05-29T17:00:00.000-05:00');
  });

  it('owners follow the segment: kickoff presenter vCIO for A/B, CSM for C, TAM for D (R-47); onboarding Accountable TAM for D (R-46, A-11)', () => {
    const owner = (ref: string) => deadlineSet(of(r, ref).events, 'kickoff.held')!.why as { ownerRole: string };
    expect(['alpha', 'bravo', 'charlie', 'delta'].map((ref) => owner(ref).ownerRole)).toEqual(['vCIO', 'vCIO', 'CSM', 'TAM']);
    const accountable = (ref: string) => (deadlineSet(of(r, ref).events, 'handoff.complete')!.why as { onboardingAccountable: { role: string } }).onboardingAccountable.role;
    expect(['alpha', 'delta'].map(accountable)).toEqual(['CSM', 'TAM']);
  });

  it('D skips discovery and assessment unless a risk is flagged (R-51)', () => {
    const { events } = of(r, 'delta');
    const skipped = typed(events, 'step.completed').find((e) => data(e).step === 3)!;
    expect(skipped.ruleId).toBe('R-51');
    expect(skipped.why).toMatchObject({ skipped: true });
    expect(deadlineSet(events, 'discovery.checkpoint')!.why).toMatchObject({ skipped: true });
  });

  it('the kickoff sets the recap 48h after its end and opens a CTA per decision plus the access requests, 72h from the meeting\'s end (R-29, R-30, R-47, A-26)', () => {
    const { events, state } = of(r, 'alpha');
    expect(data(deadlineSet(events, 'recap.sent'))).toEqual({ deadline: 'recap.sent', dueAt: '2026-03-07T11:00:00.000-06:00', clock: 'elapsed' });
    const opened = typed(events, 'cta.opened').filter((e) => ['decision', 'access-request'].includes(data(e).kind));
    // Access is still ungranted at the kickoff (+3 bd), so the access requests get their CTA too. Ended Thu 5 Mar 11:00 CST + 72h.
    expect(opened.map((e) => [data(e).kind, data(e).ownerRole, data(e).dueAt])).toEqual([['decision', 'TAM', '2026-03-08T17:00:00.000Z'], ['access-request', 'TAM', '2026-03-08T17:00:00.000Z']]);
    expect(opened.map((e) => e.why)).toEqual([expect.objectContaining({ from: '2026-03-05T17:00:00.000Z' }), expect.objectContaining({ from: '2026-03-05T17:00:00.000Z' })]);
    expect(typed(events, 'meeting.held').map((e) => data(e).decisions)).toEqual([1]);
    // The kickoff's meeting row records when it was held and its decisions.
    expect(state.meetings.filter((m) => m.kind === 'kickoff').map((m) => [m.state, m.heldAt, m.decisionCount])).toEqual([['held', '2026-03-05T16:00:00.000Z', 1]]);
  });

  it('D has no formal roadmap: no roadmap/Budget v1 deadline, its operational initiatives recorded without a budget complete step 5 (R-57)', () => {
    const { events, state } = of(r, 'delta');
    expect(typed(events, 'deadline.set').map((e) => data(e).deadline).filter((k: string) => k.startsWith('roadmap'))).toEqual([]);
    expect(typed(of(r, 'charlie').events, 'deadline.set').map((e) => data(e).deadline).filter((k: string) => k.startsWith('roadmap'))).toEqual(['roadmap.window.opens', 'roadmap.window.closes']);
    const fact = typed(events, 'process.fact_recorded').find((e) => data(e).fact === 'operationalInitiativesRecorded')!;
    expect(fact.ruleId).toBe('R-57');
    expect(data(fact).details).toEqual({ initiatives: ['Firewall replacement', 'Patch cadence'], budgetUsd: null, formalRoadmap: false });
    expect(state.onboarding).toMatchObject({ roadmap: { initiatives: ['Firewall replacement', 'Patch cadence'], budgetV1Usd: null, formal: false } });
    expect(state.ctas.map((c) => c.title).filter((t) => /roadmap/i.test(t))).toEqual([]);
    expect(r.steps.find((x) => x.note === 'D has no formal roadmap')!.body).toMatchObject({ status: 409, ruleId: 'R-57' });
    expect(r.steps.find((x) => x.note === 'only D records operational initiatives')!.body).toMatchObject({ status: 409, ruleId: 'R-57' });
  });

  it('closeout opens the Working Agreement CTA: close + 30 d, ROLLed, 17:00 local, CSM (R-58, C-2)', () => {
    for (const ref of ['alpha', 'delta']) {
      const { events, state } = of(r, ref);
      // Closed Wed 27 May 2026 (+86 d); + 30 d = Fri 26 Jun.
      const wa = typed(events, 'cta.opened').filter((e) => data(e).kind === 'working-agreement');
      expect(wa.map((e) => [e.ruleId, data(e).ownerRole, data(e).ownerId, data(e).dueAt])).toEqual([['R-58', 'CSM', r.refs.casey, '2026-06-26T22:00:00.000Z']]);
      expect(state.ctas.find((c) => c.kind === 'working-agreement')).toMatchObject({ title: 'Publish the Working Agreement (response times, channels, escalation) by Fri 26 Jun 2026' });
    }
  });

  it('the client\'s access record follows the onboarding\'s grants (R-49)', () => {
    const alpha = r.steps.find((x) => x.note === 'access record of alpha')!.body as { percent: number; thresholdPct: number; items: { system: string; grantedAt: string | null; source: string }[] };
    expect(alpha).toMatchObject({ percent: 100, thresholdPct: 95 });
    expect(alpha.items.map((i) => i.system).sort()).toEqual([...SYSTEMS].sort());
    for (const i of alpha.items) expect(i).toMatchObject({ grantedAt: expect.stringMatching(/^2026-03-07T15:00:0/), source: 'onboarding' });
  });

  it('the R-48 gate shuts at start and opens exactly once, when access ≥95 %, documentation, MFA and backup monitoring all hold', () => {
    const { events } = of(r, 'alpha');
    const closed = typed(events, 'gate.closed')[0]!;
    expect(data(closed)).toEqual({ gate: 'delivery', conditions: { accessAtThreshold: false, documentationBaselined: false, mfaVerified: false, backupMonitoringVerified: false } });
    const opened = typed(events, 'gate.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.occurredAt.startsWith('2026-03-17T14:00:00')).toBe(true); // documentation baselined, +15d 09:00 CDT
  });

  it('a full onboarding stays far below Temporal\'s history limits', () => {
    const counts = ['alpha', 'bravo', 'charlie', 'delta'].map((ref) => of(r, ref).state.onboardingHistoryEvents!);
    console.info(`history events of a full onboarding (A, B, C, D): ${counts.join(', ')}`);
    for (const n of counts) expect(n).toBeGreaterThan(50);
    for (const n of counts) expect(n).toBeLessThan(1_000);
  });

  it('records the policy version in force and the process definition version', () => {
    const started = typed(of(r, 'alpha').events, 'process.started')[0]!;
    expect(data(started)).toMatchObject({ policyVersion: 1, processVersion: 4, inputs: { signedAt: '2026-03-02T09:00:00.000-06:00', segment: 'A', timeZone: 'America/Chicago' } });
    expect(of(r, 'alpha').state.onboarding).toMatchObject({ policyVersion: 1, processVersion: 4 });
  });
});

describe('onboarding misses, refusals and late or duplicate signals', () => {
  let r: RehearsalResult;
  beforeAll(async () => {
    const s = (ref: string, at: string, op: string, body?: unknown, extra: Partial<Step> = {}) => step(ref, at, op, body, extra);
    const steps = byTime([
        ...['late', 'noaccess', 'nodocs', 'signals'].map((ref) => s(ref, '+0h', 'startOnboarding', { signedAt: START }, { expect: 201 })),
        s('signals', '+1h', 'startOnboarding', { signedAt: START }, { expect: 409, note: 'a client is onboarded once' }),
        s('idle', '+1h', 'getOnboarding', undefined, { expect: 404 }),
        s('idle', '+1h', 'recordRecapSent', {}, { expect: 404 }),
        s('idle', '+1h', 'startOnboarding', { signedAt: '2026-03-09T09:00:00-05:00' }, { expect: 422, note: 'a signature in the future' }),
        s('idle', '+1h', 'startOnboarding', { signedAt: 'last monday' }, { expect: 400 }),
        { at: '+1h', op: 'startOnboarding', params: { clientId: '00000000-0000-4000-8000-000000000000' }, body: { signedAt: START }, expect: 404 },
        s('signals', '+1h', 'recordKickoffHeld', { attendees: ['CEO'] }, { as: 'manager', expect: 403, note: 'managers read; ops and automations report' }),
        // Kickoff late: held Wed 11 Mar, after the end of Mon 9 Mar.
        s('late', '+9d', 'recordKickoffHeld', { attendees: ['CEO'], decisions: [] }, { expect: 200 }),
        // Access 3 of 6 at Day 14 (R-49 → R-50).
        s('noaccess', '+2d', 'recordAccessGranted', { systems: ['tenants', 'rmm', 'psa'] }, { expect: 200 }),
        s('noaccess', '+2d+1h', 'recordAccessGranted', { systems: ['crm'] }, { expect: 422, note: 'unknown access-matrix system' }),
        s('noaccess', '+16d', 'requestProjectKickoff', { project: 'Firewall replacement' }, { expect: 409, note: 'gate shut (R-48)' }),
        s('noaccess', '+16d+1h', 'requestProjectKickoff', { project: 'MFA for admins', quickWin: true }, { expect: 200, note: 'quick wins may run (R-48)' }),
        // Closed with access still at 50 %; the rest is granted after closeout.
        s('noaccess', '+3bd', 'recordKickoffHeld', { attendees: ['CEO'], decisions: [] }, { expect: 200 }),
        s('noaccess', '+20d', 'closeOnboarding', { note: 'Client paused the engagement' }, { expect: 200 }),
        s('noaccess', '+21d', 'recordAccessGranted', { systems: ['rmm', 'identity', 'backup', 'security-portals'] }, { idempotencyKey: 'psa-access-noaccess', expect: 200, note: 'access completed after closeout' }),
        s('noaccess', '+21d+1h', 'getClientAccess', undefined, { expect: 200, note: 'access record after the late grant' }),
        // Documentation not baselined by Day 21 (R-49 → R-50); access granted in time.
        s('nodocs', '+3d', 'recordAccessGranted', { systems: SYSTEMS }, { expect: 200 }),
        // The kickoff invite waits for the whole handoff packet (R-46, process version 4).
        s('nodocs', '+1d', 'scheduleKickoff', { startsAt: '2026-03-05T10:00:00-06:00', endsAt: '2026-03-05T11:00:00-06:00' }, { as: 'automation', expect: 409, note: 'invite before the packet' }),
        s('nodocs', '+1d+1h', 'recordHandoffItems', { items: HANDOFF_ITEMS.slice(0, 4) }, { as: 'automation', expect: 200 }),
        s('nodocs', '+1d+2h', 'scheduleKickoff', { startsAt: '2026-03-05T10:00:00-06:00', endsAt: '2026-03-05T11:00:00-06:00' }, { as: 'automation', expect: 409, note: 'invite with two items missing' }),
        s('nodocs', '+1d+3h', 'recordHandoffItems', { items: HANDOFF_ITEMS.slice(4) }, { as: 'automation', expect: 200 }),
        s('nodocs', '+1d+4h', 'scheduleKickoff', { startsAt: '2026-03-05T10:00:00-06:00', endsAt: '2026-03-05T11:00:00-06:00' }, { as: 'automation', expect: 200, note: 'invite once the packet is complete' }),
        // Decisions, duplicates and a signal after closeout (R-27, C-6, R-124).
        s('signals', '+2bd', 'recordKickoffHeld', { attendees: ['CEO'], decisions: [{ title: 'One', ownerRole: 'TAM' }, { title: 'Two', ownerRole: 'vCIO' }, { title: 'Three', ownerRole: 'CSM' }] }, { expect: 422, note: 'a third decision goes to the backlog' }),
        s('signals', '+2bd+1h', 'recordKickoffHeld', { attendees: ['CEO'], decisions: [{ title: 'One', ownerRole: 'TAM' }] }, { expect: 200, idempotencyKey: 'psa-kickoff-1', note: 'first delivery', capture: { decisionCta: 'ctasOpened.0' } }),
        { at: '+2bd+90m', op: 'recordCtaFirstAction', params: { ctaId: '$decisionCta' }, body: { note: 'Booked the MFA rollout call' }, as: 'automation', expect: 200 },
        s('signals', '+2bd+2h', 'recordKickoffHeld', { attendees: ['CEO'], decisions: [{ title: 'One', ownerRole: 'TAM' }] }, { expect: 200, idempotencyKey: 'psa-kickoff-1', note: 'the automation retried' }),
        s('signals', '+2bd+3h', 'recordKickoffHeld', { attendees: ['CFO'], decisions: [] }, { expect: 422, idempotencyKey: 'psa-kickoff-1', note: 'same key, another body' }),
        s('signals', '+3bd', 'closeOnboarding', { note: 'Client paused the engagement' }, { expect: 200, idempotencyKey: 'ops-close-signals', note: 'closeout' }),
        s('signals', '+4bd', 'recordRecapSent', {}, { expect: 409, as: 'automation', note: 'after closeout' }),
        s('signals', '+4bd+1h', 'recordRecapSent', {}, { expect: 409, as: 'automation', idempotencyKey: 'psa-recap-late', note: 'late recap, first' }),
        s('signals', '+4bd+2h', 'recordRecapSent', {}, { expect: 409, as: 'automation', idempotencyKey: 'psa-recap-late', note: 'late recap, repeated' }),
        s('signals', '+4bd+3h', 'recordRecapSent', { sentAt: '2026-03-05T10:00:00-06:00' }, { expect: 422, as: 'automation', idempotencyKey: 'psa-recap-late', note: 'late recap, key reused' }),
        // The closeout's answer was lost; the caller repeats it once the process has finished (C-6).
        s('signals', '+4bd+4h', 'closeOnboarding', { note: 'Client paused the engagement' }, { expect: 200, idempotencyKey: 'ops-close-signals', note: 'closeout repeated after it finished' }),
        s('signals', '+4bd+5h', 'closeOnboarding', { note: 'Client paused the engagement' }, { expect: 200, idempotencyKey: 'ops-close-signals', note: 'closeout repeated twice' }),
        s('signals', '+4bd+6h', 'closeOnboarding', { note: 'Paused after all' }, { expect: 422, idempotencyKey: 'ops-close-signals', note: 'closeout key, another body' }),
        s('signals', '+5bd', 'getOnboarding', undefined, { expect: 200 }),
        s('signals', '+5bd+1h', 'recordAccessGranted', { systems: ['tenants', 'rmm'] }, { idempotencyKey: 'psa-access-late', expect: 200, note: 'late grant on a run that kept no access record' }),
        s('signals', '+5bd+2h', 'recordAccessGranted', { systems: ['tenants', 'rmm'] }, { idempotencyKey: 'psa-access-late', expect: 200, note: 'late grant repeated' }),
        s('signals', '+5bd+3h', 'recordAccessGranted', { systems: ['crm'] }, { expect: 422, note: 'late grant of an unknown system' }),
      ]);
    // Runs started before the access record existed kept none: take the rows away before the late grant.
    const bare = steps.findIndex((x) => x.note === 'late grant on a run that kept no access record');
    r = await run({
      name: 'misses and refusals', timeZone: 'America/Chicago', start: START, end: '+40d', people,
      clients: [client('late', 'A'), client('noaccess', 'B'), client('nodocs', 'C'), client('signals', 'A'), client('idle', 'D')],
      steps,
    }, { noaccess: 'onboarding-access-missed', signals: 'onboarding-refusals-duplicate-closeout', nodocs: 'onboarding-v4-handoff-gate' }, async (i, db, refs) => {
      if (i === bare) await db.delete(clientAccess).where(eq(clientAccess.clientId, refs.signals!));
    });
  }, 240_000);

  it('every step got the expected status', () => {
    expect(r.failures).toEqual([]);
  });

  it('a late kickoff is missed at its instant, opens an overdue CTA for the presenter, and completes its step late (R-47, R-57)', () => {
    const { events, state } = of(r, 'late');
    const missed = typed(events, 'deadline.missed').filter((e) => data(e).deadline === 'kickoff.held');
    expect(missed).toHaveLength(1);
    expect(missed[0]!.occurredAt).toBe('2026-03-10T05:00:00.000Z');
    const overdue = typed(events, 'cta.opened').find((e) => (e.why as { deadline?: string }).deadline === 'kickoff.held')!;
    expect(data(overdue)).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-03-13T05:00:00.000Z' });
    expect(typed(events, 'step.completed').find((e) => data(e).step === 1)!.why).toMatchObject({ late: true });
    // The late work closes its overdue CTA.
    expect(typed(events, 'cta.completed').map((e) => data(e).ctaId)).toContain(data(overdue).ctaId);
    expect(state.onboarding).toMatchObject({ kpis: { kickoffWithinBusinessDays: false } });
  });

  it('access below 95 % at Day 14 escalates exactly as R-50 says and the gate stays shut', () => {
    const { events, state, riskEvents } = of(r, 'noaccess');
    const missed = typed(events, 'deadline.missed').find((e) => data(e).deadline === 'access.checkpoint')!;
    expect(missed.occurredAt).toBe('2026-03-17T05:00:00.000Z');
    expect(missed.why).toMatchObject({ accessPercent: 50, thresholdPct: 95, notGranted: ['identity', 'backup', 'security-portals'] });
    const escalation = typed(events, 'cta.opened').find((e) => data(e).kind === 'onboarding-escalation')!;
    expect(escalation.ruleId).toBe('R-50');
    expect(data(escalation)).toMatchObject({ ownerRole: 'AM', dueAt: '2026-03-20T05:00:00.000Z' });
    // R-50 through the At Risk process (onboarding v2): the signal on the onboarding's timeline, the risk opened by its own process at the checkpoint.
    expect(typed(events, 'risk.signal_raised').map((e) => [e.ruleId, data(e).bucket, e.occurredAt])).toEqual([['R-50', 'Delivery', '2026-03-17T05:00:00.000Z']]);
    const risk = typed(riskEvents, 'risk.opened')[0]!;
    expect(data(risk)).toMatchObject({ bucket: 'Delivery', severity: 'Medium', impact: 2, likelihood: 2, ownerRole: 'CSM' });
    expect(risk.ruleId).toBe('R-50');
    expect(risk.occurredAt).toBe('2026-03-17T05:00:00.000Z');
    expect(typed(events, 'gate.closed').map((e) => e.ruleId)).toContain('R-50');
    expect(typed(events, 'gate.opened')).toEqual([]);
    expect(state.onboarding).toMatchObject({ kpis: { accessByCheckpoint: false }, access: { percent: 50 } });
  });

  it('a project kickoff while the gate is shut is refused with the failing conditions; a quick win is not (R-48)', () => {
    const refused = r.steps.find((s) => s.op === 'requestProjectKickoff' && s.status === 409)!;
    expect(refused.body).toMatchObject({ status: 409, ruleId: 'R-48', details: { gate: 'delivery', conditions: { accessAtThreshold: false } } });
    const unknown = r.steps.find((s) => s.op === 'recordAccessGranted' && s.status === 422)!;
    expect(unknown.body).toMatchObject({ ruleId: 'R-49', details: { unknown: ['crm'], known: SYSTEMS } });
    const facts = typed(of(r, 'noaccess').events, 'process.fact_recorded').filter((e) => data(e).fact === 'projectKickoff');
    expect(facts.map((e) => data(e).details.project)).toEqual(['MFA for admins']);
  });

  it('the kickoff invite is refused with 409 until the handoff packet is complete, naming what is missing, and nothing is booked meanwhile (R-46)', () => {
    const refused = r.steps.filter((s) => s.op === 'scheduleKickoff' && s.status === 409);
    expect(refused.map((s) => (s.body as { ruleId?: string }).ruleId)).toEqual(['R-46', 'R-46']);
    expect(refused[0]!.body).toMatchObject({ status: 409, details: { missingItems: HANDOFF_ITEMS } });
    expect(refused[1]!.body).toMatchObject({ status: 409, details: { missingItems: HANDOFF_ITEMS.slice(4) } });
    expect((refused[1]!.body as { detail: string }).detail).toContain(HANDOFF_ITEMS.slice(4).join(', '));
    const { events, state } = of(r, 'nodocs');
    // One invite recorded: the one after the packet, after step 0 completed.
    const booked = events.filter((e) => e.type === 'meeting.scheduled' && data(e).kind === 'kickoff');
    expect(booked).toHaveLength(1);
    const handoffDone = typed(events, 'step.completed').find((e) => data(e).step === 0)!;
    expect(Date.parse(handoffDone.occurredAt)).toBeLessThanOrEqual(Date.parse(booked[0]!.occurredAt));
    expect(state.onboarding).toMatchObject({ processVersion: 4 });
  });

  it('documentation missing at Day 21 escalates per R-50 too', () => {
    const { events, riskEvents } = of(r, 'nodocs');
    const missed = typed(events, 'deadline.missed').find((e) => data(e).deadline === 'documentation.checkpoint')!;
    expect(missed.occurredAt).toBe('2026-03-24T05:00:00.000Z');
    expect(typed(events, 'cta.opened').filter((e) => data(e).kind === 'onboarding-escalation')).toHaveLength(1);
    expect(data(typed(riskEvents, 'risk.opened')[0])).toMatchObject({ bucket: 'Delivery', severity: 'Medium', trigger: 'documentation not baselined at Day 21' });
    expect(typed(events, 'deadline.missed').map((e) => data(e).deadline)).not.toContain('access.checkpoint');
  });

  it('a third decision is refused with 422 and nothing is recorded for it (R-27)', () => {
    const third = r.steps.find((s) => s.op === 'recordKickoffHeld' && s.status === 422 && (s.body as { ruleId?: string }).ruleId === 'R-27')!;
    expect(third.body).toMatchObject({ ruleId: 'R-27', details: { maxDecisions: 2, received: 3, backlog: ['Three'] } });
    expect(typed(of(r, 'signals').events, 'meeting.held')).toHaveLength(1);
  });

  it('a duplicate signal has no second effect, gets the first result and is logged; another body under the key is refused (C-6)', () => {
    const [first, second, third] = ['first delivery', 'the automation retried', 'same key, another body'].map((note) => r.steps.find((s) => s.note === note));
    expect(second!.body).toEqual({ ...(first!.body as object), duplicate: true });
    expect(third!.status).toBe(422);
    const { events } = of(r, 'signals');
    expect(typed(events, 'meeting.held')).toHaveLength(1);
    expect(data(typed(events, 'signal.duplicate')[0])).toMatchObject({ signal: 'kickoffHeld', idempotencyKey: 'psa-kickoff-1' });
  });

  it('the report that finished the process, repeated with its key, gets the first result as a duplicate, once on the timeline (C-6)', () => {
    const byNote = (note: string) => r.steps.find((x) => x.note === note)!;
    const [first, repeated, again, reused] = [byNote('closeout'), byNote('closeout repeated after it finished'), byNote('closeout repeated twice'), byNote('closeout key, another body')];
    expect((first.body as { duplicate: boolean }).duplicate).toBe(false);
    expect(repeated.body).toEqual({ ...(first.body as object), duplicate: true });
    expect(again.body).toEqual(repeated.body);
    expect(reused.body).toMatchObject({ status: 422, ruleId: 'C-6' });
    const { events, state } = of(r, 'signals');
    expect(typed(events, 'signal.duplicate').filter((e) => data(e).idempotencyKey === 'ops-close-signals').map((e) => data(e).signal)).toEqual(['closeout']);
    expect(typed(events, 'signal.late').filter((e) => data(e).signal === 'closeout')).toHaveLength(0);
    expect(typed(events, 'process.completed')).toHaveLength(1);
    expect(state.onboarding).toMatchObject({ phase: 'completed' });
  });

  it('a CTA captured from a response takes its first action in time, so its clock never escalates (C-5, R-122)', () => {
    const ctaId = r.refs.decisionCta!;
    const { events } = of(r, 'signals');
    expect(typed(events, 'cta.first_action').map((e) => data(e).ctaId)).toEqual([ctaId]);
    expect(typed(events, 'cta.escalated').map((e) => data(e).ctaId)).not.toContain(ctaId);
  });

  it('a signal after closeout answers "already finished", changes nothing and is logged as late (C-6, R-124)', () => {
    const after = r.steps.find((s) => s.note === 'after closeout')!;
    expect(after.body).toMatchObject({ status: 409, type: 'urn:baton:problem:already-finished', ruleId: 'R-124' });
    const { events, state } = of(r, 'signals');
    expect(data(typed(events, 'signal.late')[0])).toMatchObject({ signal: 'recapSent' });
    expect(typed(events, 'process.fact_recorded').map((e) => data(e).fact)).not.toContain('recapSent');
    expect(state.onboarding).toMatchObject({ phase: 'completed' });
  });

  it('a repeated late signal with the same Idempotency-Key is a duplicate: answered `duplicate`, one signal.late (C-6, R-124)', () => {
    const byNote = (note: string) => r.steps.find((x) => x.note === note)!;
    const [first, repeated, reused] = [byNote('late recap, first'), byNote('late recap, repeated'), byNote('late recap, key reused')];
    expect(first.body).toMatchObject({ status: 409, type: 'urn:baton:problem:already-finished', ruleId: 'R-124', duplicate: false });
    expect(repeated.body).toMatchObject({ status: 409, type: 'urn:baton:problem:already-finished', ruleId: 'R-124', duplicate: true });
    expect(reused.body).toMatchObject({ status: 422, type: 'urn:baton:problem:idempotency-key-reused' });
    const late = typed(of(r, 'signals').events, 'signal.late');
    expect(late.filter((e) => data(e).idempotencyKey === 'psa-recap-late')).toHaveLength(1);
    // Reports without a key of their own cannot be told apart: each is logged.
    expect(late.filter((e) => data(e).signal === 'recapSent' && !data(e).idempotencyKey)).toHaveLength(1);
  });

  it('access completed after closeout updates the client\'s access record and clears the open Delivery risk, not the closed onboarding (R-124)', () => {
    const done = r.steps.find((x) => x.note === 'access completed after closeout')!;
    // The Delivery risk R-50 opened at Day 14 is a process of its own (onboarding v2): the evidence goes through it.
    const risk = r.states[r.refs.noaccess!]!.risks.find((x) => x.row.bucket === 'Delivery')!.row.id;
    expect(done.body).toMatchObject({
      accepted: true, action: 'accessGranted', late: true, appliedTo: 'accessRecord', ruleId: 'R-124', duplicate: false,
      granted: ['identity', 'backup', 'security-portals'], alreadyGranted: ['rmm'], access: { percent: 100, thresholdPct: 95 },
      risksUpdated: [{ riskId: risk, conditionCleared: true }],
    });
    const { events, state, riskEvents } = of(r, 'noaccess');
    expect(typed(events, 'access.updated').map((e) => [e.ruleId, data(e)])).toEqual([['R-124', { granted: ['identity', 'backup', 'security-portals'], alreadyGranted: ['rmm'], accessPercent: 100, thresholdPct: 95 }]]);
    expect(typed(riskEvents, 'risk.evidence_added').map((e) => [data(e).riskId, data(e).conditionCleared, e.ruleId])).toEqual([[risk, true, 'R-124']]);
    expect(typed(events, 'signal.late').map((e) => data(e).signal)).toEqual(['accessGranted']);
    // The closed onboarding is untouched: still 50 % in its own state, no fact recorded after the close.
    expect(state.onboarding).toMatchObject({ phase: 'completed', access: { percent: 50 } });
    const closedAt = typed(events, 'process.completed')[0]!.occurredAt;
    expect(typed(events, 'process.fact_recorded').filter((e) => e.occurredAt > closedAt)).toEqual([]);
    const record = r.steps.find((x) => x.note === 'access record after the late grant')!.body as { percent: number; items: { system: string; source: string }[] };
    expect(record.percent).toBe(100);
    expect(Object.fromEntries(record.items.map((i) => [i.system, i.source]))).toEqual({ tenants: 'onboarding', rmm: 'onboarding', psa: 'onboarding', identity: 'late-report', backup: 'late-report', 'security-portals': 'late-report' });
  });

  it('a late grant on a run that kept no access record rebuilds it from the onboarding\'s facts; its repeat is a duplicate; an unknown system is a 422', () => {
    const byNote = (note: string) => r.steps.find((x) => x.note === note)!;
    const [first, repeated, unknown] = [byNote('late grant on a run that kept no access record'), byNote('late grant repeated'), byNote('late grant of an unknown system')];
    expect(first.body).toMatchObject({ duplicate: false, granted: ['tenants', 'rmm'], alreadyGranted: [], access: { percent: 33.33 }, risksUpdated: [] });
    const items = (first.body as { access: { items: { system: string; source: string; grantedAt: string | null }[] } }).access.items;
    expect(items).toHaveLength(SYSTEMS.length);
    expect(items.filter((i) => i.source === 'ledger').map((i) => i.grantedAt)).toEqual([null, null, null, null]);
    expect(repeated.body).toMatchObject({ duplicate: true, granted: [], access: { percent: 33.33 } });
    expect(unknown.body).toMatchObject({ status: 422, ruleId: 'R-49', details: { unknown: ['crm'] } });
    const { events } = of(r, 'signals');
    expect(typed(events, 'access.updated')).toHaveLength(1);
    expect(typed(events, 'signal.late').filter((e) => data(e).signal === 'accessGranted')).toHaveLength(1);
  });

  it('closeout turns what is still open into CTAs (R-56)', () => {
    const { events } = of(r, 'signals');
    const completed = data(typed(events, 'process.completed')[0]);
    const exceptions = typed(events, 'cta.opened').filter((e) => data(e).kind === 'onboarding-exception');
    expect(exceptions.length).toBeGreaterThan(0);
    expect(completed).toEqual({ outcome: 'closed', openExceptions: exceptions.length });
  });

  it('unknown clients, missing onboardings, bad and future signatures and the wrong role are refused precisely', () => {
    const statusOf = (op: string, want: number) => r.steps.filter((x) => x.op === op && x.status === want);
    expect(statusOf('getOnboarding', 404)[0]!.body).toMatchObject({ title: 'Onboarding not found', detail: expect.stringContaining('has no onboarding') });
    expect(statusOf('recordRecapSent', 404)[0]!.body).toMatchObject({ title: 'Onboarding not found' });
    expect(statusOf('startOnboarding', 404)[0]!.body).toMatchObject({ title: 'Client not found' });
    expect(statusOf('startOnboarding', 422)[0]!.body).toMatchObject({ errors: [{ location: 'body', path: 'signedAt', message: 'must not be in the future' }] });
    expect(statusOf('startOnboarding', 400)[0]!.body).toMatchObject({ type: 'urn:baton:problem:validation', errors: [expect.objectContaining({ path: 'signedAt' })] });
    expect(statusOf('recordKickoffHeld', 403)[0]!.body).toMatchObject({ type: 'urn:baton:problem:forbidden', allowedRoles: ['admin', 'ops', 'automation'] });
    expect(typed(of(r, 'idle').events, 'process.started')).toEqual([]);
  });

  it('GET onboarding shows the step, the gate, every deadline in the client zone with its rule, the KPIs and the policy version', () => {
    const status = r.steps.find((x) => x.op === 'getOnboarding' && x.status === 200)!.body as Record<string, any>;
    expect(status).toMatchObject({ phase: 'completed', segment: 'A', timeZone: 'America/Chicago', policyVersion: 1, signedAt: '2026-03-02T09:00:00.000-06:00' });
    expect(status.gates).toEqual([{ gate: 'delivery', ruleId: 'R-48', open: false, conditions: { accessAtThreshold: false, documentationBaselined: false, mfaVerified: false, backupMonitoringVerified: false } }]);
    const kickoff = status.deadlines.find((d: { key: string }) => d.key === 'kickoff.held');
    expect(kickoff).toMatchObject({ dueAt: '2026-03-10T00:00:00.000-05:00', ruleId: 'R-47', clock: 'businessDays', ownerRole: 'vCIO', status: 'met', why: { businessDays: 5, zone: 'America/Chicago' } });
    expect(status.kpis).toEqual({ kickoffWithinBusinessDays: true, accessByCheckpoint: null, earlyWinsByCheckpoint: null });
  });

  it('a second start for the client is a 409 naming the workflow', () => {
    const dup = r.steps.find((s) => s.op === 'startOnboarding' && s.status === 409)!;
    expect(dup.body).toMatchObject({ status: 409, workflowId: `client/${r.refs.signals}/onboarding` });
  });
});

describe('onboarding calendar rolling and a signature in the past (C-2, C-3, A-21)', () => {
  let r: RehearsalResult;
  beforeAll(async () => {
    r = await run({
      name: 'rolling', timeZone: 'America/Chicago', start: '2026-04-06T09:00:00-05:00', end: '+1d', people,
      clients: [
        // Client holidays: Fri 10 Apr, Fri 5 Jun, Fri 3 Jul (Independence Day observed).
        client('roller', 'B', { holidays: ['2026-04-10', '2026-06-05', '2026-07-03'] }),
        client('past', 'C'),
      ],
      steps: [
        step('roller', '+0h', 'startOnboarding', { signedAt: '2026-04-06' }, { expect: 201 }),
        // Signed 20 days ago: the handoff, kickoff and Day 14 checkpoint have already passed.
        step('past', '+0h', 'startOnboarding', { signedAt: '2026-03-17T09:00:00-05:00' }, { expect: 201 }),
      ],
    });
  }, 240_000);

  it('a date-only signature is Day 0 at the calendar\'s dayStart in the client zone', () => {
    expect(r.failures).toEqual([]);
    expect(r.steps[0]!.body).toMatchObject({ signedAt: '2026-04-06T09:00:00.000-05:00' });
  });

  it('business days skip weekends and holidays: Mon 6 Apr + 5 bd with Fri 10 Apr off = Tue 14 Apr (R-47, C-1)', () => {
    expect(data(deadlineSet(of(r, 'roller').events, 'kickoff.held')).dueAt).toBe('2026-04-15T00:00:00.000-05:00');
  });

  it('Day 60 and Day 90 roll back to the previous business day past weekends and holidays (R-56, A-21, C-2)', () => {
    const { events } = of(r, 'roller');
    // Day 60 = Fri 5 Jun (holiday) → Thu 4 Jun; Day 90 = Sun 5 Jul → Sat, Fri 3 Jul (holiday) → Thu 2 Jul.
    expect(data(deadlineSet(events, 'day60Review.held')).dueAt).toBe('2026-06-04T17:00:00.000-05:00');
    const closeout = deadlineSet(events, 'closeout.held')!;
    expect(data(closeout).dueAt).toBe('2026-07-02T17:00:00.000-05:00');
    expect(closeout.why).toMatchObject({ rolled: true, rolledFrom: '2026-07-05', holidaysApplied: ['2026-07-03'] });
  });

  it('deadlines already passed at start fire at once, marked late (R-46..R-50)', () => {
    const { events, state } = of(r, 'past');
    const missed = typed(events, 'deadline.missed');
    expect(missed.map((e) => data(e).deadline)).toEqual(['handoff.complete', 'kickoff.held', 'access.checkpoint']);
    for (const e of missed) {
      expect(data(e).lateByMs).toBeGreaterThan(0);
      expect(e.why).toMatchObject({ noticedLate: true });
    }
    // Day 14 of a 17 Mar signature ended at 24:00 on 31 Mar (passed, escalated ); Day 21 is still ahead.
    expect(data(deadlineSet(events, 'access.checkpoint')).dueAt).toBe('2026-04-01T00:00:00.000-05:00');
    expect(typed(of(r, 'past').riskEvents, 'risk.opened')).toHaveLength(1);
    expect(data(deadlineSet(events, 'documentation.checkpoint')).dueAt).toBe('2026-04-08T00:00:00.000-05:00');
    expect(state.onboarding).toMatchObject({ phase: 'running', currentStep: { number: 0, name: 'handoff' } });
  });
});
