import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Health and At Risk end to end through the HTTP API on the time-skipping server (DOMAIN §2.17,
 * §2.18): inputs → dimension scores with their why on the API and the timeline; two Red months
 * close the credit gate and the first snapshot without them lifts it; a High risk
 * opened by hand on a Friday afternoon runs its R-95..R-101 clocks at exact instants, takes a
 * repeat trigger as evidence and exits to green. Client zone America/Chicago (CDT,
 * −05:00 all summer); B segment.
 */
const START = '2026-06-01T09:00:00-05:00'; // Mon 1 Jun 2026
const people = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] }, { ref: 'avery', name: 'Avery AM', roles: ['AM'] }, { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, 'CS Lead': { person: 'lee' } };
const client = { ref: 'acme', name: 'Acme Inc', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', assignments };
const c = { clientId: '$acme' };
const r = { riskId: '$risk' };
const PLAN = {
  actions: [
    { horizon: 'H1', title: 'Fix the failing backup jobs', owner: 'Tori TAM', dueDate: '2026-06-24' },
    { horizon: 'H2', title: 'Replace the edge firewall', owner: 'Val vCIO', dueDate: '2026-07-31', budgetUsd: 8000 },
  ],
};

const steps = [
  // --- Health inputs on Mon 1 Jun (C-6 repeats, refusals).
  { at: '2026-06-01T10:00:00-05:00', op: 'recordHealthAlignment', params: c, body: { method: 'rubric', presence: 40, perception: 30, performance: 30 }, expect: 201, note: 'alignment' },
  { at: '2026-06-01T10:05:00-05:00', op: 'recordHealthPulse', params: c, as: 'automation', idempotencyKey: 'pulse-1', body: { invited: 4, responses: [{ valuable: 2, missing: 2 }, { valuable: 3, missing: 2 }] }, expect: 201, note: 'pulse' },
  { at: '2026-06-01T10:06:00-05:00', op: 'recordHealthPulse', params: c, as: 'automation', idempotencyKey: 'pulse-1', body: { invited: 4, responses: [{ valuable: 2, missing: 2 }, { valuable: 3, missing: 2 }] }, expect: 201, note: 'pulse repeat' },
  { at: '2026-06-01T10:10:00-05:00', op: 'recordServiceMetrics', params: c, as: 'automation', body: { slaResponsePct: 70, slaResolutionPct: 80, backupSuccessPct: 90 }, expect: 201, note: 'service' },
  { at: '2026-06-01T10:15:00-05:00', op: 'recordHealthComplaint', params: c, body: { tag: 'Quality', summary: 'The backup restore test failed again' }, expect: 201, note: 'complaint' },
  { at: '2026-06-01T10:16:00-05:00', op: 'recordHealthPulse', params: c, body: { invited: 2, responses: [{ valuable: 6, missing: 2 }] }, expect: 400, note: 'pulse out of range' },
  { at: '2026-06-01T10:16:00-05:00', op: 'recordHealthPulse', params: c, body: { invited: 1, responses: [{ valuable: 3, missing: 3 }, { valuable: 3, missing: 3 }] }, expect: 422, note: 'more responses than invited' },
  { at: '2026-06-01T10:16:00-05:00', op: 'recordServiceMetrics', params: c, body: { observedAt: '2026-06-01T09:00:00-05:00' }, expect: 422, note: 'no metric' },
  { at: '2026-06-01T10:17:00-05:00', op: 'recordServiceMetrics', params: c, body: { observedAt: '2026-06-02T10:00:00-05:00', slaResponsePct: 99 }, expect: 422, note: 'observed in the future' },
  { at: '2026-06-01T10:17:00-05:00', op: 'recordHealthAlignment', params: c, body: { method: 'rubric', presence: 40 }, expect: 400, note: 'rubric without its parts' },
  { at: '2026-06-01T10:18:00-05:00', op: 'recordHealthComplaint', params: { clientId: '00000000-0000-4000-8000-000000000000' }, body: { tag: 'Quality', summary: 'who?' }, expect: 404, note: 'unknown client' },
  { at: '2026-06-01T10:20:00-05:00', op: 'getClientHealth', params: c, as: 'manager', expect: 200, note: 'health after inputs' },
  { at: '2026-06-01T10:20:00-05:00', op: 'getClientHealth', params: { clientId: '00000000-0000-4000-8000-000000000000' }, as: 'manager', expect: 404, note: 'health of an unknown client' },

  // --- A High Service risk opened by hand on Friday 12 Jun 15:30 CDT.
  { at: '2026-06-12T15:30:00-05:00', op: 'openRisk', params: c, body: { bucket: 'Service', impact: 3, likelihood: 2, trigger: 'P1 outage twice this month', evidence: 'INC-1001, INC-1017' }, expect: 201, capture: { risk: 'riskId' }, note: 'opened' },
  { at: '2026-06-12T15:31:00-05:00', op: 'openRisk', params: c, body: { bucket: 'Service', impact: 4, trigger: 'x' }, expect: 400, note: 'bad open' },
  { at: '2026-06-13T10:00:00-05:00', op: 'openRisk', params: c, body: { bucket: 'Service', trigger: 'SLA missed again on Saturday', evidence: 'INC-1030' }, expect: 200, note: 'repeat trigger' },
  { at: '2026-06-15T12:00:00-05:00', op: 'acknowledgeRisk', params: r, body: { note: 'Called the office manager; war room tomorrow' }, expect: 200, note: 'acknowledged late' },
  { at: '2026-06-15T16:00:00-05:00', op: 'recordRiskWarRoom', params: r, body: { note: 'War room held, scope frozen, Snapshot sent' }, expect: 200, note: 'stabilised' },
  { at: '2026-06-17T12:00:00-05:00', op: 'recordRiskReengageHeld', params: r, as: 'automation', body: { heldAt: '2026-06-17T11:00:00-05:00', endedAt: '2026-06-17T11:45:00-05:00', decisions: ['Replace the firewall', 'Weekly backup review'] }, expect: 200, note: 'reengage' },
  { at: '2026-06-19T10:00:00-05:00', op: 'publishSavePlan', params: r, body: PLAN, expect: 200, note: 'save plan' },
  { at: '2026-06-23T10:00:00-05:00', op: 'recordRiskAction', params: r, body: { kind: 'action', title: 'Backup jobs fixed', actionId: 'h1-1' }, expect: 200, note: 'h1 done' },
  { at: '2026-06-23T10:01:00-05:00', op: 'recordRiskAction', params: r, body: { kind: 'action', title: 'x' }, expect: 400, note: 'bad action' },
  { at: '2026-06-24T10:00:00-05:00', op: 'getRisk', params: r, as: 'manager', expect: 200, note: 'risk mid-way' },

  // --- Health recovers in August: a green alignment and good pulses.
  { at: '2026-08-03T10:00:00-05:00', op: 'recordHealthAlignment', params: c, body: { method: 'rubric', presence: 90, perception: 90, performance: 90 }, expect: 201, note: 'alignment green' },
  { at: '2026-08-03T10:05:00-05:00', op: 'recordHealthPulse', params: c, as: 'automation', body: { invited: 4, responses: [{ valuable: 5, missing: 5 }, { valuable: 5, missing: 5 }, { valuable: 5, missing: 5 }, { valuable: 5, missing: 5 }] }, expect: 201, note: 'pulse green' },
  { at: '2026-08-03T10:10:00-05:00', op: 'getClientCredit', params: c, as: 'manager', expect: 200, note: 'credit in August' },
  { at: '2026-08-14T10:00:00-05:00', op: 'closeRisk', params: r, body: { note: 'Stable for two weeks' }, expect: 409, note: 'close refused' },
  { at: '2026-08-14T10:05:00-05:00', op: 'closeRisk', params: r, body: { note: 'Stable for two weeks', criteria: { healthAtBaseline: true, slaTrendNormal: true, roadmapBudgetReset: true, detractorsFollowedUp: true } }, expect: 200, note: 'closed' },
  { at: '2026-08-17T10:00:00-05:00', op: 'recordRiskAfterAction', params: r, body: { people: 'TAM rota thin', process: 'No backup review', tech: 'Old firewall', expectation: 'Restore times never agreed' }, expect: 200, note: 'after action' },
  { at: '2026-08-17T10:05:00-05:00', op: 'acknowledgeRisk', params: r, body: { note: 'too late' }, note: 'finished' },
  { at: '2026-08-17T10:06:00-05:00', op: 'listClientRisks', params: c, as: 'manager', expect: 200, note: 'list' },
  { at: '2026-08-20T10:00:00-05:00', op: 'openRisk', params: c, body: { bucket: 'Service', impact: 2, likelihood: 1, trigger: 'Backup failures are back' }, expect: 201, capture: { again: 'riskId' }, note: 'repeat risk' },
  { at: '2026-08-20T10:05:00-05:00', op: 'listRisks', query: { repeat: 'true' }, as: 'manager', expect: 200, note: 'repeats' },
  { at: '2026-08-20T10:05:00-05:00', op: 'listRisks', query: { status: 'open', limit: '1' }, as: 'manager', expect: 200, note: 'open page' },
  { at: '2026-08-20T10:05:00-05:00', op: 'listRisks', query: { severity: 'Critical' }, as: 'manager', expect: 400, note: 'bad filter' },
  { at: '2026-09-01T10:00:00-05:00', op: 'getClientCredit', params: c, as: 'manager', expect: 200, note: 'credit in September' },
  { at: '2026-09-01T10:00:00-05:00', op: 'getClientHealth', params: c, as: 'manager', expect: 200, note: 'health in September' },
];

let run: RehearsalResult;
let longestRisk = 0;
beforeAll(async () => {
  run = await rehearse(ScenarioSchema.parse({ name: 'health and at risk', timeZone: 'America/Chicago', start: START, end: '2026-09-01T12:00:00-05:00', people, clients: [client], steps }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts).
    // The health process and the longest risk history (the Friday High, run to its After-Action).
    onHistory: (_ref, history, kind) => {
      if (!process.env.RECORD_HISTORIES || (kind !== 'health' && kind !== 'risk')) return;
      if (kind === 'risk' && (history.events?.length ?? 0) <= longestRisk) return;
      if (kind === 'risk') longestRisk = history.events?.length ?? 0;
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${kind === 'health' ? 'health-red-months' : 'at-risk-friday-high'}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
  if (process.env.DUMP_REHEARSAL) fs.writeFileSync(process.env.DUMP_REHEARSAL, JSON.stringify(run, null, 1));
}, 600_000);

const step = (note: string) => run.steps.find((s) => s.note === note)!;
const events = (type?: string): LedgerEvent[] => run.timelines[run.refs.acme!]!.filter((e) => !type || e.type === type);
const data = (e: LedgerEvent | undefined) => e!.data as Record<string, any>;

const sec = (iso: string | null | undefined) => iso?.slice(0, 19) ?? null; // step instants carry a few ms of the server's skip
/** A risk's own timeline: the events its process wrote. */
const ofRisk = (riskId: string, type?: string) => events(type).filter((e) => e.workflowId === `risk/${riskId}`);
const riskIdOf = (bucket: string) => run.states[run.refs.acme!]!.risks.find((x) => x.row.bucket === bucket && x.row.ruleId === 'R-93' && x.row.trigger !== 'Backup failures are back')!.row.id;

describe('health inputs → scores with their why (R-104..R-109)', () => {
  it('runs every step as expected', () => {
    expect(run.failures).toEqual([]);
  });

  it('scores each dimension by hand and says why on the API', () => {
    const h = step('health after inputs').body as any;
    // CX = 20 × pulse 2.25 (2, 2, 3, 2) − 10 × 1 complaint = 35; Alignment 0.4·40 + 0.3·30 + 0.3·30 = 34;
    // Service Quality: SLA (70 + 80) ÷ 2 = 75, the only input it has. Composite over the three with data: (35 + 34 + 75) ÷ 3 = 48.
    expect(h.dimensions.cx).toMatchObject({ score: 35, colour: 'Red', inputs: { pulseAverage: 2.25, respondents: 2, invited: 4, responseRatePct: 50, complaints: 1, complaintTags: 'Quality' } });
    expect(h.dimensions.cx.reasons).toEqual(['pulse 2.25 → Red (G ≥ 4.5, Y ≥ 4)', 'sponsor seen 0 d ago → Green (healthy ≤ 120 d)', '1 complaint(s) in 30 d → Yellow (G ≤ 0, Y ≤ 1)']);
    expect(h.dimensions.alignment).toMatchObject({ score: 34, colour: 'Red', band: { greenMin: 80, yellowMin: 70 }, weights: { presence: 40, perception: 30, performance: 30 }, reasons: ['rubric 34 → Red (B: G ≥ 80, Y ≥ 70)'] });
    expect(h.dimensions.serviceQuality).toMatchObject({ score: 75, colour: 'Yellow', inputs: { slaPct: 75 } });
    expect(h.dimensions.adoption).toMatchObject({ score: null, reasons: ['no DMI measured yet'] });
    expect(h.composite).toMatchObject({ score: 48, colour: 'Red', band: { greenMin: 75, yellowMin: 60 } });
    expect(h.inputs.map((i: any) => i.kind).sort()).toEqual(['alignment', 'complaint', 'pulse', 'serviceMetrics']);
  });

  it('puts every score change on the timeline with inputs, weights, the band crossed and the previous value', () => {
    const alignment = events('health.score_changed').filter((e) => data(e).dimension === 'alignment');
    expect(alignment.map((e) => [sec(e.occurredAt), data(e).score, data(e).colour, data(e).previousScore])).toEqual([['2026-06-01T15:00:00', 34, 'Red', null], ['2026-08-03T15:00:00', 90, 'Green', 34]]);
    expect(alignment[1]!.why).toMatchObject({ crossed: 'Red → Green', previous: { score: 34, colour: 'Red' }, weightsPct: { presence: 40, perception: 30, performance: 30 }, inputs: { presence: 90, perception: 90, performance: 90 }, band: { greenMin: 80, yellowMin: 70 } });
    expect(events('health.score_changed').filter((e) => data(e).dimension === 'cx').map((e) => [sec(e.occurredAt), data(e).score])).toEqual([
      ['2026-06-01T15:00:00', null], ['2026-06-01T15:05:00', 45], ['2026-06-01T15:15:00', 35],
      ['2026-07-31T22:00:00', 45], // the complaint left the 30-day window by the July snapshot
      ['2026-08-03T15:05:00', 81.6], // pulse (9 + 40) ÷ 12 = 4.083 → 20 × 4.08 = 81.6
      ['2026-08-31T22:00:00', 100], // June's pulse left the 90-day window
    ]);
  });

  it('an input repeated with its Idempotency-Key is the same input, evaluated once (C-6)', () => {
    expect(step('pulse repeat').body).toEqual(step('pulse').body);
    expect(events('health.input_recorded').filter((e) => data(e).kind === 'pulse')).toHaveLength(2); // 1 Jun and 3 Aug
  });

  it('refuses bad inputs with precise problems', () => {
    expect(step('pulse out of range').body).toMatchObject({ type: 'urn:baton:problem:validation', errors: [{ location: 'body', path: 'responses.0.valuable' }] });
    expect(step('more responses than invited').body).toMatchObject({ type: 'urn:baton:problem:unprocessable', errors: [{ path: 'responses', message: 'more responses than people invited' }] });
    expect(step('no metric').body).toMatchObject({ type: 'urn:baton:problem:unprocessable', detail: 'Send at least one service metric besides observedAt.' });
    expect(step('observed in the future').body).toMatchObject({ type: 'urn:baton:problem:unprocessable', errors: [{ path: 'observedAt', message: 'in the future' }] });
    expect(step('rubric without its parts').body).toMatchObject({ type: 'urn:baton:problem:validation', errors: expect.arrayContaining([expect.objectContaining({ path: 'perception' }), expect.objectContaining({ path: 'performance' })]) });
    expect(step('unknown client').body).toMatchObject({ type: 'urn:baton:problem:not-found' });
    expect(step('health of an unknown client').body).toMatchObject({ type: 'urn:baton:problem:not-found' });
  });

  it('fires each play once with its owner and deadline from policy (R-111, R-112, R-114, R-116, R-119, R-104)', () => {
    const plays = events('play.fired').map((e) => [e.ruleId, data(e).play, data(e).ownerRole, data(e).dueAt]);
    expect(plays).toEqual([
      ['R-119', 'alignment/perception', 'CSM', '2026-06-09T00:00:00.000-05:00'],
      ['R-119', 'alignment/presence', 'TAM', expect.stringMatching(/^2026-06-11T10:00:00\.\d{3}-05:00$/)],
      ['R-111', 'cxRed', 'vCIO', expect.stringMatching(/^2026-06-08T10:05:00\.\d{3}-05:00$/)], // B: vCIO review ≤ 7 d
      ['R-112', 'negativePulse', 'CSM', expect.stringMatching(/^2026-06-03T10:05:00\.\d{3}-05:00$/)], // "we own the miss" ≤ 48h
      ['R-114', 'backupLow', 'TAM', expect.stringMatching(/^2026-06-04T10:10:00\.\d{3}-05:00$/)], // backup 90 % < 95 %
      ['R-116', 'slaRed', 'TAM', expect.stringMatching(/^2026-06-06T10:10:00\.\d{3}-05:00$/)],
      ['R-104', 'sponsorReminder/90', 'CSM', expect.stringMatching(/^2026-09-02T09:00:\d{2}\.\d{3}-05:00$/)], // 90 days without the sponsor seen
    ]);
    // The 14-day check-in that follows "we own the miss"; the second complaint-bearing evaluation added evidence, not a second call.
    expect(events('cta.opened').filter((e) => data(e).kind === 'play-check-in').map((e) => sec(data(e).dueAt))).toEqual(['2026-06-15T15:05:00']);
    expect(events('play.evidence_added').length).toBeGreaterThanOrEqual(1);
  });
});

describe('the monthly snapshot and the credit gate (R-32, R-120)', () => {
  it('snapshots on the last business day at 17:00 in the client\'s zone', () => {
    expect(events('health.snapshot').map((e) => [sec(e.occurredAt), data(e).month, data(e).colour, data(e).creditDeferred])).toEqual([
      ['2026-06-30T22:00:00', '2026-06', 'Red', false], // Tue 30 Jun 17:00 CDT: one Red month
      ['2026-07-31T22:00:00', '2026-07', 'Red', true], // Fri 31 Jul: the second
      ['2026-08-31T22:00:00', '2026-08', 'Green', false], // Mon 31 Aug
    ]);
  });

  it('two Red months close the credit gate with the reasons, and the first snapshot without them lifts it', () => {
    const closed = events('gate.closed').find((e) => e.ruleId === 'R-32')!;
    expect(sec(closed.occurredAt)).toBe('2026-07-31T22:00:00');
    expect(closed.why).toMatchObject({ month: '2026-07', reasons: ['CX Red 2 consecutive months (R-32, R-120)', 'Service Level Alignment Red 2 consecutive months (R-32, R-120)'], redStreaks: { cx: 2, alignment: 2 } });
    expect(step('credit in August').body).toMatchObject({ gate: { closed: true, reasons: closed.why!.reasons, since: closed.occurredAt } });
    const opened = events('gate.opened').find((e) => e.ruleId === 'R-32')!;
    expect(sec(opened.occurredAt)).toBe('2026-08-31T22:00:00');
    expect(step('credit in September').body).toMatchObject({ gate: { closed: false, reasons: [], since: null } });
    // Alignment Red two months pauses initiatives above $10,000 until a Roadmap Reset, whatever the next month says.
    expect(events('gate.closed').find((e) => e.ruleId === 'R-120')!.why).toMatchObject({ pauseThresholdUsd: 10000, roadmapResetAt: null });
    expect(step('credit in September').body).toMatchObject({ initiativePause: { closed: true } });
    const health = step('health in September').body as any;
    expect(health.history.items.map((x: any) => [x.month, x.composite.colour, x.credit.closed])).toEqual([['2026-08', 'Green', false], ['2026-07', 'Red', true], ['2026-06', 'Red', false]]);
  });
});

describe('At Risk: one durable process per risk (R-93..R-103)', () => {
  it('a health trigger opens a risk and a repeat signal appends evidence to it (R-93, A-19)', () => {
    const strategic = riskIdOf('Strategic');
    const raised = events('risk.signal_raised').filter((e) => e.process === 'health');
    expect(raised.map((e) => [sec(e.occurredAt), data(e).bucket])).toEqual([['2026-06-01T15:05:00', 'Strategic'], ['2026-06-01T15:15:00', 'Strategic']]);
    const opened = events('risk.opened').find((e) => data(e).riskId === strategic)!;
    expect(data(opened)).toMatchObject({ bucket: 'Strategic', severity: 'Medium', trigger: 'csatBelowForTheMonth' });
    expect(events('risk.evidence_added').filter((e) => data(e).riskId === strategic).map((e) => sec(e.occurredAt))).toEqual(['2026-06-01T15:15:00']);
  });

  it('a High risk opened on a Friday afternoon gets its clocks in the client\'s business time', () => {
    const id = riskIdOf('Service');
    expect(data(events('risk.opened').find((e) => data(e).riskId === id))).toMatchObject({ bucket: 'Service', severity: 'High', impact: 3, likelihood: 2, ownerRole: 'TAM' });
    const deadlines = (step('risk mid-way').body as any).process.deadlines as { key: string; dueAt: string; status: string }[];
    expect(deadlines.map((d) => [d.key, d.dueAt.replace(/\.\d{3}/, ''), d.status])).toEqual([
      ['acknowledge', '2026-06-15T11:30:00-05:00', 'missed'], // 1.5 bh on Friday + 2.5 bh on Monday
      ['stabilise', '2026-06-16T00:00:00-05:00', 'met'], // R-96 Day 3 (Mon 15 Jun) judged at 24:00
      ['reengage', '2026-06-18T00:00:00-05:00', 'met'], // Day 5 (Wed 17 Jun) before 5 bd (Fri 19 Jun)
      ['savePlan', '2026-06-19T11:45:00-05:00', 'met'], // 48h after the session ended Wed 11:45, before the 5 bd line
      ['h1', '2026-06-27T00:00:00-05:00', 'pending'], ['resolve', '2026-07-13T00:00:00-05:00', 'pending'],
      ['escalate', '2026-08-12T00:00:00-05:00', 'pending'], ['h2', '2026-08-12T00:00:00-05:00', 'pending'],
    ]);
    // Set at the opening (the 5 bd line), set again by the session's 48h line.
    expect(ofRisk(id, 'deadline.set').filter((e) => data(e).deadline === 'risk.savePlan').map((e) => [sec(e.occurredAt), data(e).dueAt.replace(/\.\d{3}/, '')])).toEqual([
      ['2026-06-12T20:30:00', '2026-06-20T00:00:00-05:00'], ['2026-06-17T17:00:00', '2026-06-19T11:45:00-05:00'],
    ]);
  });

  it('runs the clocks at their exact instants: late ack, weekly progress, no movement, Day 30, Day 60', () => {
    const id = riskIdOf('Service');
    const missed = ofRisk(id, 'deadline.missed').map((e) => [data(e).deadline, sec(e.occurredAt)]);
    expect(missed).toEqual([
      ['risk.acknowledge', '2026-06-15T16:30:00'],
      ['risk.progress.1', '2026-06-26T15:00:00'], // Save Plan + 7 d without a progress email
      ['risk.progress.2', '2026-07-03T15:00:00'], ['risk.progress.3', '2026-07-10T15:00:00'],
      ['risk.resolve', '2026-07-13T05:00:00'], // R-101 Day 30 → reclassify CTA
      ['risk.progress.4', '2026-07-17T15:00:00'], ['risk.progress.5', '2026-07-24T15:00:00'], ['risk.progress.6', '2026-07-31T15:00:00'], ['risk.progress.7', '2026-08-07T15:00:00'],
      ['risk.escalate', '2026-08-12T05:00:00'], ['risk.h2', '2026-08-12T05:00:00'], // Day 60; the H2 firewall action not done
    ]);
    // 14 days without movement after the H1 action on 23 Jun, then every 14 days after each reset.
    // (A reset counts from when it was judged, so the server's skip of a few hundred ms accumulates: compared to the minute.)
    expect(events('risk.stalled').filter((e) => data(e).riskId === id).map((e) => e.occurredAt.slice(0, 16))).toEqual(['2026-07-07T15:00', '2026-07-21T15:00', '2026-08-04T15:00']);
    const escalated = events('risk.escalated').find((e) => data(e).riskId === id)!;
    expect(data(escalated)).toMatchObject({ to: 'CS Lead', contractReview: true, openDays: 60 });
    const ctaKinds = run.states[run.refs.acme!]!.ctas.filter((c) => c.workflowId === `risk/${id}`).map((c) => c.kind);
    expect(new Set(ctaKinds)).toEqual(new Set(['risk-acknowledge', 'risk-book-reengage', 'risk-progress', 'risk-reset', 'risk-reclassify', 'risk-escalation', 'risk-overdue', 'risk-after-action']));
  });

  it('a second trigger on the open risk of the bucket appends evidence instead of opening another (A-19)', () => {
    const id = riskIdOf('Service');
    expect(step('repeat trigger').body).toEqual({ riskId: id, outcome: 'appended' });
    expect(events('risk.evidence_added').filter((e) => data(e).riskId === id).map((e) => sec(e.occurredAt))).toEqual(['2026-06-13T15:00:00']);
    expect(step('bad open').body).toMatchObject({ type: 'urn:baton:problem:validation', errors: expect.arrayContaining([expect.objectContaining({ path: 'impact' }), expect.objectContaining({ path: 'trigger' })]) });
  });

  it('exits to green only when every criterion of the bucket holds (R-102), then the After-Action; a finished risk refuses reports', () => {
    const id = riskIdOf('Service');
    expect(step('close refused').body).toMatchObject({ status: 409, ruleId: 'R-102', details: { applicable: ['healthAtBaseline', 'slaTrendNormal', 'detractorsFollowedUp'], criteria: { healthAtBaseline: true, slaTrendNormal: false, detractorsFollowedUp: false } } });
    const closed = events('risk.closed').find((e) => data(e).riskId === id)!;
    expect(sec(closed.occurredAt)).toBe('2026-08-14T15:05:00');
    expect(data(closed)).toMatchObject({ bucket: 'Service', outcome: 'green' });
    // The After-Action within 5 bd of the exit (Fri 14 Aug → end of Fri 21 Aug), recorded on Monday: on time.
    expect(ofRisk(id, 'risk.after_action_recorded').map((e) => e.why)).toEqual([expect.objectContaining({ dueAt: '2026-08-22T00:00:00.000-05:00', onTime: true })]);
    expect(step('finished').status).toBe(409);
    expect(step('finished').body).toMatchObject({ type: 'urn:baton:problem:already-finished', ruleId: 'R-124' });
    const row = run.states[run.refs.acme!]!.risks.find((x) => x.row.id === id)!;
    expect(row.row).toMatchObject({ status: 'closed', actionsTotal: 2, actionsDone: 1, actionsOnTime: 1 });
    expect(sec(row.row.afterActionAt)).toBe('2026-08-17T15:00:00');
  });

  it('a new risk within 120 days of a closure is flagged repeat (R-103) and found by the filter', () => {
    const id = riskIdOf('Service');
    const again = run.refs.again!;
    expect(step('repeat risk').body).toEqual({ riskId: again, outcome: 'opened' });
    const repeats = (step('repeats').body as any).items;
    expect(repeats.map((x: any) => [x.id, x.repeat, x.repeatOf, x.severity])).toEqual([[again, true, id, 'Low']]);
    const page = step('open page').body as any;
    expect(page.items).toHaveLength(1);
    expect(page.next).toEqual(expect.any(String));
    expect(step('bad filter').body).toMatchObject({ type: 'urn:baton:problem:validation' });
  });
});
