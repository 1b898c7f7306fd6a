import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, inject, it } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The upsell play through the API (DOMAIN §2.16, R-89..R-92), rehearsed on the time-skipping
 * server with exact instants: one signal to a credited approval, one whose price test comes late
 * (the overdue step, the CTA escalated at its due) and is then re-sequenced with its reason.
 * Start: Monday 2026-05-11 09:00 America/Chicago (CDT, −05:00); a B client (High tier: monthly
 * tactical check-ins on the 2nd Thursday at 10:00, R-11).
 */
const START = '2026-05-11T09:00:00-05:00';
const people = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] },
  { ref: 'avery', name: 'Avery AM', roles: ['AM'] },
  { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] },
  { ref: 'pat', name: 'Pat PM', roles: ['PM'] },
  { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery', backup: 'casey' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, PM: { person: 'pat' }, 'CS Lead': { person: 'lee' } };
const client = { ref: 'acme', name: 'acme Inc', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments };

type Step = Record<string, unknown>;
const step = (at: string, op: string, params: Record<string, string>, body?: unknown, extra: Step = {}): Step => ({ at, op, params, ...(body !== undefined ? { body } : {}), ...extra });
const u = (id: string) => ({ clientId: '$acme', signalId: id });

const timeline = (r: RehearsalResult, type?: string): LedgerEvent[] => r.timelines[r.refs.acme!]!.filter((e) => !type || e.type === type);
const ctasOf = (r: RehearsalResult, kind: string) => r.states[r.refs.acme!]!.ctas.filter((c) => c.kind === kind);
const body = (r: RehearsalResult, i: number) => r.steps[i]!.body as Record<string, any>;
const ofSignal = (r: RehearsalResult, type: string, ref: string) => timeline(r, type).filter((e) => e.data.signalId === r.refs[ref]);
const utc = (iso: string) => new Date(iso).toISOString();

const eds = { problem: 'Insurer asks for EDR', whyNow: 'renewal in Q3', options: [{ title: 'EDR rollout', minUsd: 8000, maxUsd: 12000, impact: 'every endpoint covered' }], scope: 'all endpoints', owner: { role: 'AM' }, targetDate: '2026-09-30' };
const signal = (title: string, signalDate: string, extra: Record<string, unknown> = {}) => ({
  kind: 'insuranceAsk', source: 'cyber-insurance renewal questionnaire', signalDate, lane: 'CapEx', urgency: 'high', dependency: 'MFA rollout', title, roadmapLane: 'Stability', quarter: '2026-Q3', ...extra,
});

describe('the upsell play through the API (R-89..R-92)', () => {
  let r: RehearsalResult;
  it('rehearses one upsell to a credited approval and one late, then re-sequenced', async () => {
    const written = new Set<string>();
    r = await rehearse(ScenarioSchema.parse({
      name: 'upsell play', timeZone: 'America/Chicago', start: START, people, end: '+21d', clients: [client],
      steps: [
        step('+0h', 'startCadence', { clientId: '$acme' }, {}, { expect: 201 }),
        // 0–1: two signals; the second seen on a Thursday, so its due rolls back from Sunday to Friday (R-90, C-2).
        step('+1h', 'logUpsellSignal', { clientId: '$acme' }, signal('EDR for all endpoints', '2026-05-11'), { expect: 201, capture: { u1: 'id', i1: 'initiativeId' } }),
        step('+1h', 'logUpsellSignal', { clientId: '$acme' }, signal('Firewall refresh', '2026-05-14', { kind: 'eol', lane: 'OpEx', urgency: 'medium', dependency: undefined }), { expect: 201, capture: { u2: 'id', i2: 'initiativeId' } }),
        // 3: out of order — a proposal before the price test.
        step('+2h', 'presentUpsellProposal', u('$u2'), { proposalId: '$i2' }, { expect: 422 }),
        step('+2h', 'recordUpsellRecap', u('$u2'), {}, { expect: 409 }),
        // 5–6: price test in time, pre-approval with the same-day roadmap card and budget line.
        step('+1d', 'logUpsellPriceTest', u('$u1'), { owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, outcome: 'viable', appetite: 4 }, { expect: 200 }),
        step('+1d+2h', 'logUpsellPreApproval', u('$u1'), { owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000 }, { expect: 200 }),
        // 7–8: the proposal, through the planning loop's own route (R-76: PreApproved, slot and line exist).
        step('+1d+3h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$i1', eds }, { expect: 201, capture: { p1: 'id' } }),
        step('+1d+3h', 'sendProposal', { clientId: '$acme', proposalId: '$p1' }, {}, { expect: 200 }),
        // 9–11: the second signal's price test comes three days late; then "not now" with its reason; a later report finds it finished.
        step('2026-05-18T11:00:00-05:00', 'logUpsellPriceTest', u('$u2'), { owner: { role: 'AM' }, quarter: '2026-Q4', minUsd: 4000, maxUsd: 6000, outcome: 'viable' }, { expect: 200 }),
        step('2026-05-18T11:30:00-05:00', 'resequenceUpsell', u('$u2'), { reason: 'dependency', quarter: '2027-Q1', note: 'after the MFA rollout' }, { expect: 200 }),
        step('2026-05-18T11:31:00-05:00', 'logUpsellPreApproval', u('$u2'), { owner: { role: 'AM' }, quarter: '2027-Q1', minUsd: 4000, maxUsd: 6000 }, { expect: 409 }),
        // 12–15: the first presented at its touch (the Check-in of Tuesday 26 May 10:00), recap next morning, approval and its repeat (its answer lost).
        step('2026-05-26T10:45:00-05:00', 'presentUpsellProposal', u('$u1'), { proposalId: '$p1', presentedAt: '2026-05-26T10:45:00-05:00' }, { expect: 200 }),
        step('2026-05-27T09:00:00-05:00', 'recordUpsellRecap', u('$u1'), { sentAt: '2026-05-27T09:00:00-05:00' }, { expect: 200 }),
        step('2026-05-27T14:00:00-05:00', 'approveUpsell', u('$u1'), { optionIndex: 0, decidedAt: '2026-05-27T14:00:00-05:00', poRef: 'PO-7781', projectRef: 'PRJ-42' }, { expect: 200, idempotencyKey: 'approve-u1' }),
        step('2026-05-27T14:05:00-05:00', 'approveUpsell', u('$u1'), { optionIndex: 0, decidedAt: '2026-05-27T14:00:00-05:00', poRef: 'PO-7781', projectRef: 'PRJ-42' }, { expect: 200, idempotencyKey: 'approve-u1' }),
        step('+20d', 'getUpsell', u('$u1'), undefined, { expect: 200 }),
        step('+20d', 'listUpsells', { clientId: '$acme' }, undefined, { expect: 200 }),
        step('+20d', 'getBudget', { clientId: '$acme' }, undefined, { expect: 200 }),
      ],
    }), {
      postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
      // `RECORD_HISTORIES=1` records the replay fixture of the upsell workflow (test/unit/replay.test.ts): the credited play.
      onHistory: (_ref, history, kind) => {
        if (!process.env.RECORD_HISTORIES || kind !== 'upsell' || written.size) return;
        written.add(kind);
        fs.writeFileSync(path.join(import.meta.dirname, '../fixtures/histories/upsell-credited.json'), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      },
    });
    expect(r.failures).toEqual([]);
  }, 240_000);

  it('logs each signal as an Initiative Card with its price test due signal + 3 d, ROLL (R-89, R-90)', () => {
    const logged = timeline(r, 'upsell.signal_logged');
    expect(logged.map((e) => [e.data.signalId, e.ruleId, e.data.kind, e.data.lane, e.data.urgency, utc(e.data.priceTestDueAt as string)])).toEqual([
      [r.refs.u1, 'R-89', 'insuranceAsk', 'CapEx', 'high', '2026-05-14T22:00:00.000Z'],
      [r.refs.u2, 'R-89', 'eol', 'OpEx', 'medium', '2026-05-15T22:00:00.000Z'],
    ]);
    expect(logged[0]!.why).toMatchObject({ laneFitsSegment: true });
    expect(logged[1]!.why).toMatchObject({ laneFitsSegment: false });
    const created = timeline(r, 'initiative.created').find((e) => e.data.initiativeId === r.refs.i1)!;
    expect(created.data).toMatchObject({ state: 'Identified', source: { kind: 'signal', date: '2026-05-11' } });
    // The AM's price-test CTA, due at 17:00 on the rolled day, closed by the price test.
    expect(ctasOf(r, 'upsell-price-test').map((c) => [c.ownerRole, utc(c.dueAt), c.state])).toEqual([
      ['AM', '2026-05-14T22:00:00.000Z', 'done'], ['AM', '2026-05-15T22:00:00.000Z', 'done'],
    ]);
    expect([body(r, 3).ruleId, body(r, 4).ruleId]).toEqual(['R-92', 'R-92']);
  });

  it('pre-approved: the roadmap card and budget line with band, decision flag and version note the same day (R-91)', () => {
    const planned = ofSignal(r, 'upsell.planned', 'u1')[0]!;
    expect(planned).toMatchObject({ ruleId: 'R-91', data: { quarter: '2026-Q3', band: { minUsd: 8000, maxUsd: 12000 }, decisionFlag: true, roadmapVersion: 1, budgetVersion: 1 } });
    const pa = timeline(r, 'pre_approval.logged').find((e) => e.data.initiativeId === r.refs.i1)!;
    const [roadmap, budget] = [timeline(r, 'roadmap.versioned')[0]!, timeline(r, 'budget.versioned')[0]!];
    expect([roadmap.ruleId, budget.ruleId]).toEqual(['R-91', 'R-91']);
    expect(roadmap.occurredAt.slice(0, 10)).toBe(pa.occurredAt.slice(0, 10));
    expect(budget.data).toMatchObject({ note: planned.data.versionNote, totalUsd: 12000 });
    expect(body(r, 18).lines).toEqual([expect.objectContaining({ initiativeId: r.refs.i1, quarter: '2026-Q3', amountUsd: 12000, spendType: 'CapEx', decisionFlag: true, label: 'band $8000–$12000 (upsell)' })]);
    // The proposal is due at the next touch: the tactical check-in, with its CTA to the vCIO (B, R-92).
    expect(planned.data.nextTouch).toMatchObject({ kind: 'Check-in' });
    const touchAt = (planned.data.nextTouch as { startsAt: string }).startsAt;
    expect(utc(touchAt)).toBe('2026-05-26T15:00:00.000Z');
    expect(ctasOf(r, 'upsell-proposal').map((c) => [c.ownerRole, utc(c.dueAt), c.state])).toEqual([['vCIO', '2026-05-26T22:00:00.000Z', 'done']]);
  });

  it('presented at the touch: recap 48h, acceptance / PO / kickoff prep 72h; approval credited and linked (R-92, R-32)', () => {
    const proposed = ofSignal(r, 'upsell.proposed', 'u1')[0]!;
    expect(proposed).toMatchObject({ ruleId: 'R-92', data: { proposalId: r.refs.p1, late: false, presentedAt: '2026-05-26T15:45:00.000Z' } });
    expect(ctasOf(r, 'upsell-recap').map((c) => [c.ownerRole, utc(c.dueAt), c.state])).toEqual([['CSM', '2026-05-28T15:45:00.000Z', 'done']]);
    expect(ctasOf(r, 'upsell-close').map((c) => [c.ownerRole, utc(c.dueAt), c.state])).toEqual([['vCIO', '2026-05-29T15:45:00.000Z', 'done']]);
    expect(ofSignal(r, 'upsell.recap_sent', 'u1').map((e) => e.data.late)).toEqual([false]);
    const approved = ofSignal(r, 'upsell.approved', 'u1');
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({
      ruleId: 'R-92',
      data: { decidedAt: '2026-05-27T19:00:00.000Z', initiativeId: r.refs.i1, proposalId: r.refs.p1, projectRef: 'PRJ-42', poRef: 'PO-7781', creditVerdict: 'counted', reasons: [], ownerRole: 'AM', budgetUsd: 12000, targetDate: '2026-09-30' },
      why: { creditRule: 'R-32', creditGate: { consulted: ['R-32 client gate (health)', 'R-60 owner × segment gate'], governance: [] } },
    });
    // The proposal was accepted through its own process: the initiative Approved at the logged approval.
    expect(timeline(r, 'proposal.decided').map((e) => [e.data.proposalId, e.data.outcome])).toEqual([[r.refs.p1, 'accepted']]);
    expect(timeline(r, 'initiative.state_changed').filter((e) => e.data.initiativeId === r.refs.i1).map((e) => e.data.to)).toEqual(['Qualified', 'PreApproved', 'Proposed', 'Approved']);
    // The approval finished the play; its repeat (the answer lost) is the duplicate it is, read from the closed run's
    // history (C-6): the first answer, `duplicate: true`, once on the timeline, no second credit or acceptance, nothing late.
    expect(body(r, 14).duplicate).toBe(false);
    expect(body(r, 15)).toEqual({ ...(body(r, 14) as object), duplicate: true });
    expect(timeline(r, 'signal.duplicate').filter((e) => e.workflowId === `upsell/${r.refs.u1}`).map((e) => e.data.idempotencyKey)).toEqual(['approve-u1']);
    expect(timeline(r, 'signal.late').filter((e) => e.workflowId === `upsell/${r.refs.u1}`)).toHaveLength(0);
    const status = body(r, 16);
    expect(status).toMatchObject({ state: 'approved', progress: { creditVerdict: 'counted', proposalId: r.refs.p1, projectRef: 'PRJ-42' }, status: { phase: 'finished', state: 'approved', overdue: [] } });
  });

  it('a late price test: the step overdue at its due, the CTA escalated, then taken late and re-sequenced with its reason (R-90, R-91, A-28)', () => {
    const overdue = ofSignal(r, 'upsell.step_overdue', 'u2');
    expect(overdue.map((e) => [e.ruleId, e.data.step, utc(e.occurredAt)])).toEqual([['R-90', 'priceTest', '2026-05-15T22:00:00.000Z']]);
    const cta = ctasOf(r, 'upsell-price-test')[1]!;
    const escalated = timeline(r, 'cta.escalated').filter((e) => e.data.ctaId === cta.id);
    expect(escalated.length).toBeGreaterThan(0);
    expect(utc(escalated[0]!.occurredAt)).toBe('2026-05-15T22:00:00.000Z');
    expect(ofSignal(r, 'upsell.price_tested', 'u2').map((e) => [e.data.late, e.data.outcome])).toEqual([[true, 'viable']]);
    expect(ofSignal(r, 'upsell.resequenced', 'u2').map((e) => [e.ruleId, e.data.reason, e.data.quarter])).toEqual([['R-91', 'dependency', '2027-Q1']]);
    expect(timeline(r, 'initiative.state_changed').filter((e) => e.data.initiativeId === r.refs.i2).map((e) => [e.data.to, e.data.reason ?? null])).toEqual([['Qualified', null], ['Parked', 'dependency']]);
    // Finished: a later report is "already finished".
    expect(body(r, 11)).toMatchObject({ ruleId: 'R-124' });
    expect(body(r, 17).items.map((x: { id: string; state: string }) => [x.id, x.state]).sort()).toEqual([[r.refs.u1, 'approved'], [r.refs.u2, 'resequenced']].sort());
  });
});
