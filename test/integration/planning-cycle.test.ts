import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Annual planning cycles as processes (R-62..R-66), rehearsed through the API on the time-skipping
 * server with exact dates: an A, a B and a D client locked Thu 20 Aug 2026 09:00 in Chicago
 * (CDT −05:00), FY-end 31 Dec. One rehearsal for the three (one environment for the file).
 *  - A: M3 = 31 Dec − 30 d = Tue 1 Dec, M2 = Tue 3 Nov, M1 = Tue 6 Oct; discovery window
 *    Tue 25 Aug … Tue 8 Sep; M1 held → cycle 2027 booked; FY trigger on M3; 9.0 h.
 *  - B: M1 Tue 3 Nov, M2 Tue 1 Dec; M2 held without an output → back to prep with a CTA.
 *  - D: renewal Fri 29 Jan 2027 → Annual IT Strategy on renewal − 90 d = Sat 31 Oct → ROLL Fri 30 Oct,
 *    merged with the renewal review: the trigger fires Fri 16 Oct 09:00 and sends the async pack.
 */
const LOCK = '2026-08-20T09:00:00-05:00';
const END = '2026-12-04T12:00:00-06:00';
const team = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] }, { ref: 'avery', name: 'Avery AM', roles: ['AM'] }, { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'vic', name: 'Vic vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = (vcio: string) => ({ CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: vcio }, 'CS Lead': { person: 'lee' } });
// A maturity ≥3 & appetite ≥3; B maturity ≤2 & appetite ≥3; D both ≤2 (MRR 12,000 = High tier, R-2).
const clients = [
  { ref: 'alpha', name: 'Alpha Inc', mrr: 12000, maturity: 4, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments: assignments('val') },
  { ref: 'bravo', name: 'Bravo Inc', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments: assignments('vic') },
  { ref: 'delta', name: 'Delta Inc', mrr: 12000, maturity: 1, appetite: 1, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-01-29', assignments: assignments('val') },
];
const report = (at: string, ref: string, fy: number, slug: 'discovery' | 'assessments' | 'steps' | 'outputs', body: unknown, expect = 200) => ({
  at, op: { discovery: 'recordPlanningDiscovery', assessments: 'recordPlanningAssessment', steps: 'recordPlanningStep', outputs: 'recordPlanningOutput' }[slug],
  params: { clientId: `$${ref}`, fiscalYear: String(fy) }, body, as: 'automation', expect, note: `${ref} ${slug}`,
});
const held = (at: string, ref: string, meeting: string) => ({ at, op: 'recordMeetingHeld', params: { clientId: `$${ref}`, meetingId: `$${meeting}` }, body: { attendees: ['CEO'] }, as: 'automation', expect: 200 });
const cycle = (at: string, ref: string, fy: number, expect = 200) => ({ at, op: 'getPlanningCycle', params: { clientId: `$${ref}`, fiscalYear: String(fy) }, as: 'manager', expect, note: `${ref} ${fy} ${at}` });

let r: RehearsalResult;
const started = Date.now();
beforeAll(async () => {
  r = await rehearse(ScenarioSchema.parse({
    name: 'planning cycles A, B, D', timeZone: 'America/Chicago', start: LOCK, end: END, people: team, clients,
    steps: [
      ...clients.map((c) => ({ at: '+0h', op: 'startCadence', params: { clientId: `$${c.ref}` }, expect: 201 })),
      { at: '+1h', op: 'getCadence', params: { clientId: '$alpha' }, capture: { aM1: 'meetings[template=M1].meetingId', aM2: 'meetings[template=M2].meetingId', aM3: 'meetings[template=M3].meetingId' }, expect: 200 },
      { at: '+1h', op: 'getCadence', params: { clientId: '$bravo' }, capture: { bM1: 'meetings[template=M1].meetingId', bM2: 'meetings[template=M2].meetingId' }, expect: 200 },
      { at: '+1h', op: 'getCadence', params: { clientId: '$delta' }, capture: { dIT: 'meetings[template=Annual IT Strategy].meetingId' }, expect: 200 },
      cycle('+2h', 'alpha', 2026),
      report('+2h', 'alpha', 2026, 'steps', { step: 'trigger', actualHours: 0.5 }),
      // Hours for a meeting step before its meeting: refused.
      report('+2h', 'alpha', 2026, 'steps', { step: 'm2', actualHours: 1.5 }, 409),
      // Nobody can start a cycle the cadence does not plan (its meetings would be before the lock, R-63).
      { at: '+3h', op: 'startPlanningCycle', params: { clientId: '$alpha' }, body: { fiscalYear: 2025 }, as: 'ops', expect: 409 },
      { at: '+3h', op: 'startPlanningCycle', params: { clientId: '$alpha' }, body: { fiscalYear: 2026 }, as: 'ops', expect: 200 },
      cycle('2026-08-25T09:30:00-05:00', 'alpha', 2026),
      report('2026-09-01T10:00:00-05:00', 'alpha', 2026, 'discovery', { unclearTopics: ['backup strategy'], actualHours: 1 }),
      report('2026-09-15T10:00:00-05:00', 'alpha', 2026, 'assessments', { topic: 'backup strategy' }),
      report('2026-09-30T10:00:00-05:00', 'alpha', 2026, 'steps', { step: 'prep', actualHours: 1.5 }),
      held('2026-10-06T11:45:00-05:00', 'alpha', 'aM1'),
      cycle('2026-10-06T12:00:00-05:00', 'alpha', 2027),
      report('2026-10-07T10:00:00-05:00', 'alpha', 2026, 'steps', { step: 'followUp', actualHours: 0.5 }),
      report('2026-10-07T10:05:00-05:00', 'alpha', 2026, 'steps', { step: 'm1', actualHours: 1.5 }),
      report('2026-10-20T10:00:00-05:00', 'bravo', 2026, 'steps', { step: 'prep', actualHours: 1.5 }),
      report('2026-10-20T10:00:00-05:00', 'delta', 2027, 'steps', { step: 'survey', actualHours: 0.25 }),
      report('2026-10-22T10:00:00-05:00', 'delta', 2027, 'outputs', { kind: 'amendment', reference: 'Renewal amendment 2027' }),
      held('2026-10-30T11:00:00-05:00', 'delta', 'dIT'),
      held('2026-11-03T11:00:00-06:00', 'alpha', 'aM2'),
      held('2026-11-03T11:00:00-06:00', 'bravo', 'bM1'),
      report('2026-11-04T10:00:00-06:00', 'alpha', 2026, 'steps', { step: 'm2', actualHours: 1.5 }),
      report('2026-11-04T10:00:00-06:00', 'bravo', 2026, 'steps', { step: 'followUp', actualHours: 0.5 }),
      report('2026-11-20T10:00:00-06:00', 'alpha', 2026, 'outputs', { kind: 'roadmap', reference: 'Roadmap v2' }),
      report('2026-11-20T10:01:00-06:00', 'alpha', 2026, 'outputs', { kind: 'initiative', reference: 'INI-7', title: 'Backup modernisation', owner: 'CFO', targetDate: '2027-03-31' }),
      report('2026-11-20T10:02:00-06:00', 'alpha', 2026, 'outputs', { kind: 'initiative', reference: 'INI-8', title: 'Identity consolidation' }, 422),
      report('2026-11-20T10:03:00-06:00', 'alpha', 2026, 'outputs', { kind: 'budgetVersion', reference: 'Budget v2' }),
      held('2026-12-01T11:00:00-06:00', 'alpha', 'aM3'),
      held('2026-12-01T11:00:00-06:00', 'bravo', 'bM2'),
      cycle('2026-12-01T11:30:00-06:00', 'bravo', 2026),
      report('2026-12-01T14:00:00-06:00', 'alpha', 2026, 'steps', { step: 'budgeting', actualHours: 1.5 }),
      report('2026-12-02T10:00:00-06:00', 'alpha', 2026, 'steps', { step: 'sow', actualHours: 1 }),
      report('2026-12-02T10:00:00-06:00', 'bravo', 2026, 'outputs', { kind: 'sow', reference: 'SOW 2027' }),
      report('2026-12-02T10:05:00-06:00', 'bravo', 2026, 'steps', { step: 'prep', actualHours: 0.5 }),
      report('2026-12-02T10:10:00-06:00', 'bravo', 2026, 'steps', { step: 'sow', actualHours: 0.5 }),
      // A closed cycle takes no more reports (C-6 "already finished").
      report('2026-12-03T10:00:00-06:00', 'alpha', 2026, 'outputs', { kind: 'sow', reference: 'late SOW' }, 409),
      cycle('2026-12-03T10:00:00-06:00', 'alpha', 2026),
      { at: '2026-12-03T10:00:00-06:00', op: 'listPlanningCycles', query: { limit: '20' }, as: 'ops', expect: 200 },
    ],
  }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` records the planning cycle's replay fixture (test/unit/replay.test.ts): D's, the shortest.
    onHistory: (ref, history, process_) => {
      if (!process.env.RECORD_HISTORIES || process_ !== 'planning-cycle' || ref !== 'delta') return;
      fs.writeFileSync(path.join(import.meta.dirname, '../fixtures/histories/planning-cycle-d-renewal.json'), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
  console.log(`planning-cycle rehearsal: ${Date.now() - started} ms`);
}, 600_000);

const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).slice(0, 16);
const timeline = (ref: string, type: string): LedgerEvent[] => r.timelines[r.refs[ref]!]!.filter((e) => e.type === type);
const cycleEvents = (ref: string, fy: number, type: string) => timeline(ref, type).filter((e) => e.data.fiscalYear === fy);
const body = (note: string) => r.steps.find((s) => s.note === note)!.body as any;

describe('planning cycles rehearsed (R-62..R-66)', () => {
  it('runs every step as planned', () => {
    expect(r.failures).toEqual([]);
  });

  it('A: the cycle starts when the cadence books it, on R-62 anchors, with a 9.0 h plan (R-65) and its discovery window (R-64)', () => {
    const b = body(`alpha 2026 +2h`);
    expect(b).toMatchObject({ stage: 'booked', plannedHours: 9, segment: 'A' });
    expect(b.process.startedBy).toBe('cadence');
    expect(b.process.meetings.map((m: any) => [m.template, local(m.startsAt)])).toEqual([['M1', '2026-10-06 10:00'], ['M2', '2026-11-03 10:00'], ['M3', '2026-12-01 10:00']]);
    expect([local(b.process.discovery.opensAt), local(b.process.discovery.dueAt), b.process.discovery.ownerRole]).toEqual(['2026-08-25 09:00', '2026-09-08 17:00', 'vCIO']);
    expect(body('alpha 2026 2026-08-25T09:30:00-05:00').stage).toBe('discovery');
    const state = r.states[r.refs.alpha!]!;
    const discovery = state.ctas.find((c) => c.kind === 'planning-discovery')!;
    expect([local(discovery.createdAt), local(discovery.dueAt), discovery.ownerRole]).toEqual(['2026-08-25 09:00', '2026-09-08 17:00', 'vCIO']);
    expect(discovery.state).toBe('done');
    // the unclear topic got an assessment CTA due at M1, done since.
    const assessment = state.ctas.find((c) => c.kind === 'planning-assessment')!;
    expect([local(assessment.dueAt), assessment.ownerRole, assessment.state]).toEqual(['2026-10-06 10:00', 'vCIO', 'done']);
  });

  it('A: cycle 2027 is booked a year ahead, the rest of it when M1 is held (R-63); its process starts with the first booking', () => {
    const next = body('alpha 2027 2026-10-06T12:00:00-05:00');
    expect(next.process).toMatchObject({ fiscalYear: 2027, startedBy: 'cadence', stage: 'booked' });
    expect(next.process.meetings.map((m: any) => [m.template, local(m.startsAt), m.status])).toEqual([
      ['M1', '2027-10-06 10:00', 'scheduled'], ['M2', '2027-11-03 10:00', 'scheduled'], ['M3', '2027-12-01 10:00', 'scheduled'],
    ]);
    // The rolling horizon reached Oct 2027 on 1 Oct 2026 and booked M1 (its booking started the cycle); M1 of 2026 held
    // on 6 Oct booked the rest of cycle 2027 at once.
    const booked = timeline('alpha', 'meeting.scheduled').filter((e) => String(e.id).includes('ap/2027/'));
    expect(booked.map((e) => [String(e.id).split('/meeting/')[1], local(e.occurredAt)])).toEqual([
      ['ap/2027/M1/booked', '2026-10-01 00:00'], ['ap/2027/M2/booked', '2026-10-06 11:45'], ['ap/2027/M3/booked', '2026-10-06 11:45'],
    ]);
    expect(cycleEvents('alpha', 2027, 'planning_cycle.started').map((e) => [e.data.startedBy, local(e.occurredAt)])).toEqual([['cadence', '2026-10-01 00:00']]);
  });

  it('A: the FY budget trigger attaches to M3 — no extra meeting (R-14, R-21) — and the cycle closes with its outputs at 9.0 h planned and actual', () => {
    expect(cycleEvents('alpha', 2026, 'planning_cycle.trigger_attached').map((e) => [e.data.trigger, e.data.template, e.data.final, local(e.occurredAt)])).toEqual([['fiscalYearEnd', 'M3', true, '2026-11-17 09:00']]);
    expect(r.states[r.refs.alpha!]!.meetings.filter((m) => m.kind === 'Budget Session')).toEqual([]);
    expect(cycleEvents('alpha', 2026, 'planning_cycle.step_done').map((e) => [e.data.step, e.data.source, local(e.occurredAt)])).toEqual([
      ['trigger', 'start', '2026-08-20 09:00'], ['prep', 'report', '2026-09-30 10:00'], ['m1', 'meeting', '2026-10-06 11:45'], ['followUp', 'report', '2026-10-07 10:00'],
      ['m2', 'meeting', '2026-11-03 11:00'], ['budgeting', 'meeting', '2026-12-01 11:00'], ['sow', 'report', '2026-12-02 10:00'],
    ]);
    expect(cycleEvents('alpha', 2026, 'planning_cycle.closed').map((e) => [e.data, local(e.occurredAt)])).toEqual([[
      { fiscalYear: 2026, outputs: ['roadmap', 'initiative', 'budgetVersion'], plannedHours: 9, actualHours: 9, gaps: 0 }, '2026-12-02 10:00',
    ]]);
    const closed = body('alpha 2026 2026-12-03T10:00:00-06:00');
    expect(closed).toMatchObject({ stage: 'closed', plannedHours: 9, actualHours: 9, outputs: ['roadmap', 'initiative', 'budgetVersion'] });
  });

  it('B: two meetings; M2 held without an output loops back to prep with a CTA, and the SOW closes it (R-66)', () => {
    expect(cycleEvents('bravo', 2026, 'planning_cycle.started')[0]!.data).toMatchObject({ plannedHours: 5, meetings: [{ template: 'M1' }, { template: 'M2' }] });
    expect(cycleEvents('bravo', 2026, 'planning_cycle.gap').map((e) => [e.data.loop, local(e.occurredAt)])).toEqual([[1, '2026-12-01 11:00']]);
    expect(body('bravo 2026 2026-12-01T11:30:00-06:00')).toMatchObject({ stage: 'gap', currentStep: 'prep' });
    const gapCta = r.states[r.refs.bravo!]!.ctas.find((c) => c.kind === 'planning-gap')!;
    expect([gapCta.ownerRole, gapCta.state, local(gapCta.createdAt)]).toEqual(['vCIO', 'done', '2026-12-01 11:00']);
    expect(cycleEvents('bravo', 2026, 'planning_cycle.trigger_attached').map((e) => [e.data.trigger, e.data.template, e.data.final])).toEqual([['fiscalYearEnd', 'M2', true]]);
    expect(cycleEvents('bravo', 2026, 'planning_cycle.closed').map((e) => [e.data.gaps, e.data.actualHours, local(e.occurredAt)])).toEqual([[1, 3, '2026-12-02 10:10']]);
  });

  it('D: the Annual IT Strategy check-in is the renewal review; the trigger sends the async pack; TAM Accountable, AM owns the renewal CTA (R-62, R-13, R-21, R-66)', () => {
    const state = r.states[r.refs.delta!]!;
    const checkIn = state.meetings.find((m) => m.kind === 'Annual IT Strategy')!;
    expect([local(checkIn.startsAt), checkIn.accountableRole, checkIn.mode]).toEqual(['2026-10-30 10:00', 'TAM', 'async']);
    expect(state.meetings.filter((m) => m.kind === 'Renewal Review')).toEqual([]);
    const renewal = state.ctas.find((c) => c.kind === 'trigger-renewal')!;
    expect(renewal.ownerRole).toBe('AM');
    expect(cycleEvents('delta', 2027, 'planning_cycle.pack_sent').map((e) => [local(e.occurredAt), e.data.meetingId, e.data.trigger])).toEqual([['2026-10-16 09:00', checkIn.id, 'renewal']]);
    expect(cycleEvents('delta', 2027, 'planning_cycle.closed').map((e) => [e.data.outputs, e.data.plannedHours, local(e.occurredAt)])).toEqual([[['amendment'], 1.5, '2026-10-30 11:00']]);
  });

  it('lists where each client is in its cycle', () => {
    const list = r.steps.find((s) => s.op === 'listPlanningCycles')!.body as any;
    const byRef = (ref: string, fy: number) => list.items.find((i: any) => i.clientId === r.refs[ref] && i.fiscalYear === fy);
    expect([byRef('alpha', 2026).stage, byRef('alpha', 2027).stage, byRef('bravo', 2026).stage, byRef('delta', 2027).stage]).toEqual(['closed', 'booked', 'closed', 'closed']);
  });
});
