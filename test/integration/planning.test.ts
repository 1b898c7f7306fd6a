import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, inject, it } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The planning loop end to end (issue 11, DOMAIN §2.11–§2.15), written as rehearsals on the
 * time-skipping server with exact instants. Start: Monday 2026-05-11 09:00 America/Chicago (CDT,
 * −05:00).
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
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, PM: { person: 'pat' }, 'CS Lead': { person: 'lee' } };
// B: maturity ≤2, appetite ≥3; MRR 12,000 = High tier.
const client = (ref: string, extra: Record<string, unknown> = {}) => ({ ref, name: `${ref} Inc`, mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments, ...extra });

type Step = Record<string, unknown>;
const step = (at: string, op: string, params: Record<string, string>, body?: unknown, extra: Step = {}): Step => ({ at, op, params, ...(body !== undefined ? { body } : {}), ...extra });

async function run(input: Record<string, unknown>, record?: Record<string, string>): Promise<RehearsalResult> {
  const written = new Set<string>();
  return rehearse(ScenarioSchema.parse({ timeZone: 'America/Chicago', start: START, people, ...input }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts).
    // Per process kind, the first workflow of the first client (initiatives and proposals in creation order).
    onHistory: (_ref, history, process_) => {
      const fixture = record?.[process_];
      if (!process.env.RECORD_HISTORIES || !fixture || written.has(fixture)) return;
      written.add(fixture);
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${fixture}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
}

const timeline = (r: RehearsalResult, ref: string, type?: string): LedgerEvent[] => r.timelines[r.refs[ref]!]!.filter((e) => !type || e.type === type);
const ctasOf = (r: RehearsalResult, ref: string, kind?: string) => r.states[r.refs[ref]!]!.ctas.filter((c) => !kind || c.kind === kind);
const body = (r: RehearsalResult, i: number) => r.steps[i]!.body as Record<string, any>;
/** An instant recorded after a timer: exact to the second (timers fire a few ms late). */
const atSecond = (isoSecond: string) => expect.stringMatching(new RegExp(`^${isoSecond.replace('.', '\\.')}\\.\\d{3}Z$`));

const card = (title: string, extra: Record<string, unknown> = {}) => ({ title, source: { kind: 'assessment', date: '2026-05-04' }, lane: 'Stability', quarter: '2026-Q3', costBand: { minUsd: 8000, maxUsd: 12000 }, spendType: 'OpEx', ...extra });

const eds = { problem: 'No MFA', whyNow: 'insurance renewal', options: [{ title: 'Rollout', minUsd: 8000, maxUsd: 12000, impact: 'MFA 100 %' }], scope: 'all users', owner: { role: 'AM' }, targetDate: '2026-09-30' };
const DAY = 86_400_000;
const plus = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

describe('the clocks of initiatives and proposals (R-75, R-78, R-79, R-83, R-124)', () => {
  let r: RehearsalResult;
  it('rehearses a proposal to expiry, a pre-approval to expiry and an initiative that never moves', async () => {
    r = await run({
      name: 'initiative and proposal clocks', end: '+145d', clients: [client('acme')],
      steps: [
        step('+0h', 'startCadence', { clientId: '$acme' }, {}, { expect: 201 }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, card('MFA rollout'), { expect: 201, capture: { mfa: 'id' } }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, card('Asset register', { lane: 'Efficiency', costBand: { minUsd: 2000, maxUsd: 3000 } }), { expect: 201, capture: { idle: 'id' } }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, card('Backup redesign', { quarter: '2026-Q4' }), { expect: 201, capture: { backup: 'id' } }),
        step('+1h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds }, { expect: 409, note: 'R-76: not PreApproved yet' }),
        step('+2h', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, outcome: 'viable' }, { expect: 201 }),
        step('+2h', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3' }, { expect: 422, note: 'R-74: band missing' }),
        step('+3h', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000 }, { expect: 201 }),
        step('+3h', 'createRoadmapVersion', { clientId: '$acme' }, { note: 'MFA in Q3, backup in Q4', items: [{ initiativeId: '$mfa', quarter: '2026-Q3', lane: 'Stability' }, { initiativeId: '$backup', quarter: '2026-Q4', lane: 'Stability' }] }, { expect: 201 }),
        step('+3h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds }, { expect: 409, note: 'R-76: no budget line' }),
        step('+3h', 'createBudgetVersion', { clientId: '$acme' }, { note: 'MFA and backup', lines: [{ initiativeId: '$mfa', quarter: '2026-Q3', amountUsd: 12000, spendType: 'OpEx' }, { initiativeId: '$backup', quarter: '2026-Q4', amountUsd: 9000, spendType: 'CapEx' }] }, { expect: 201 }),
        step('+4h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds }, { expect: 201, capture: { p1: 'id' } }),
        step('+1d', 'sendProposal', { clientId: '$acme', proposalId: '$p1' }, {}, { expect: 200 }),
        step('+2d', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$backup', owner: { role: 'AM' }, quarter: '2026-Q4', minUsd: 7000, maxUsd: 9000, outcome: 'viable' }, { expect: 201 }),
        step('+2d', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$backup', owner: { role: 'AM' }, quarter: '2026-Q4', minUsd: 7000, maxUsd: 9000 }, { expect: 201 }),
        step('+492h', 'getProposal', { clientId: '$acme', proposalId: '$p1' }, undefined, { expect: 200 }),
        step('+65d', 'acceptProposal', { clientId: '$acme', proposalId: '$p1' }, { optionIndex: 0 }, { expect: 409, idempotencyKey: 'late-1', note: 'R-124' }),
        step('+65d', 'acceptProposal', { clientId: '$acme', proposalId: '$p1' }, { optionIndex: 0 }, { expect: 409, idempotencyKey: 'late-1', note: 'C-6 repeat' }),
        step('+66d', 'captureProposalReason', { clientId: '$acme', proposalId: '$p1' }, { reason: 'because' }, { expect: 422, note: 'R-80' }),
        step('+66d', 'captureProposalReason', { clientId: '$acme', proposalId: '$p1' }, { reason: 'timing' }, { expect: 200 }),
      ],
    }, { proposal: 'proposal-expired', initiative: 'initiative-proposed-parked', 'planning-loop': 'planning-loop-clocks' });
    expect(r.failures).toEqual([]);
  }, 240_000);

  it('a proposal ages from sent: 15–30 at age 15, >30 with the re-engage play at 31 (R-78)', () => {
    const sentAt = timeline(r, 'acme', 'proposal.sent')[0]!.data.sentAt as string;
    expect(timeline(r, 'acme', 'proposal.aged').map((e) => [e.data.bucket, e.occurredAt])).toEqual([['15-30', plus(sentAt, 15)], ['>30', plus(sentAt, 31)]]);
    expect(body(r, 15)).toMatchObject({ status: 'sent', bucket: '15-30', ageDays: 19 });
    const reengage = ctasOf(r, 'acme', 'proposal-reengage');
    expect(reengage.map((c) => [c.ownerRole, c.createdAt, c.dueAt])).toEqual([['AM', plus(sentAt, 31), plus(sentAt, 34)]]);
    // the Alignment trigger "proposal >30 d undecided", as a signal the at-risk process consumes.
    const signal = timeline(r, 'acme', 'risk.signal_raised');
    expect(signal).toHaveLength(1);
    expect(signal[0]).toMatchObject({ ruleId: 'R-93', occurredAt: plus(sentAt, 31), data: { trigger: 'proposalUndecided', bucket: 'Strategic', evidence: { dimension: 'Alignment', ageDays: 31 }, firstActionCta: reengage[0]!.id } });
    // The 20-minute live reset "now vs next quarter", booked through the cadence within 7 days (A-30: 2 business days' notice).
    const fired = timeline(r, 'acme', 'trigger.fired').find((e) => e.data.trigger === 'proposalReset')!;
    expect(fired).toMatchObject({ ruleId: 'R-78', occurredAt: plus(sentAt, 31), data: { anchor: r.refs.p1, merged: false } });
    const booked = timeline(r, 'acme', 'meeting.scheduled').find((e) => e.data.meetingId === fired.data.meetingId)!;
    expect([booked.data.kind, booked.data.startsAt, (Date.parse(booked.data.endsAt as string) - Date.parse(booked.data.startsAt as string)) / 60_000]).toEqual(['Proposal Reset', '2026-06-16T10:00:00.000-05:00', 20]);
  });

  it('expires at age 61 with no client decision: decline-reason CTA 72h, initiative parked, roadmap and budget versioned (R-79)', () => {
    const sentAt = timeline(r, 'acme', 'proposal.sent')[0]!.data.sentAt as string;
    const decided = timeline(r, 'acme', 'proposal.decided')[0]!;
    expect(decided).toMatchObject({ ruleId: 'R-79', occurredAt: plus(sentAt, 61), data: { outcome: 'expired', ageDays: 61 } });
    expect(ctasOf(r, 'acme', 'decline-reason').map((c) => [c.ownerRole, c.dueAt, c.state])).toEqual([['AM', plus(sentAt, 64), 'done']]);
    const parked = timeline(r, 'acme', 'initiative.state_changed').filter((e) => e.data.initiativeId === r.refs.mfa && e.data.to === 'Parked');
    expect(parked.map((e) => [e.ruleId, e.occurredAt, e.data.quarter, e.data.reason])).toEqual([['R-79', plus(sentAt, 61), '2026-Q4', 'timing']]);
    const moved = timeline(r, 'acme', 'roadmap.versioned').filter((e) => e.data.source === 'park');
    expect(moved[0]).toMatchObject({ ruleId: 'R-79', occurredAt: plus(sentAt, 61), data: { version: 2, changed: true } });
    expect(timeline(r, 'acme', 'proposal.reason_captured').map((e) => e.data.reason)).toEqual(['timing']);
  });

  it('a late acceptance is "already finished", changes nothing and drafts the next version (R-124); its repeat is a duplicate (C-6)', () => {
    expect(body(r, 16)).toMatchObject({ ruleId: 'R-124', duplicate: false, nextVersion: { version: 2, status: 'draft' } });
    expect(body(r, 17)).toMatchObject({ ruleId: 'R-124', duplicate: true, nextVersion: { version: 2 } });
    expect(timeline(r, 'acme', 'signal.late')).toHaveLength(1);
    const props = r.states[r.refs.acme!]!.proposals;
    expect(props.map((p) => [p.version, p.status, p.previousId === props[0]!.id])).toEqual([[1, 'expired', false], [2, 'draft', true]]);
    expect(timeline(r, 'acme', 'proposal.created').map((e) => e.ruleId)).toEqual(['R-76', 'R-124']);
  });

  it('a pre-approval ages: re-engage CTA at age 31, expiry at 61 parks the initiative and versions roadmap and budget (R-83)', () => {
    const logged = timeline(r, 'acme', 'pre_approval.logged').find((e) => e.data.initiativeId === r.refs.backup)!;
    const at = logged.occurredAt;
    expect(timeline(r, 'acme', 'pre_approval.aged').map((e) => [e.data.initiativeId, e.occurredAt, e.data.ageDays])).toEqual([[r.refs.backup, plus(at, 31), 31]]);
    expect(ctasOf(r, 'acme', 'pre-approval-reengage').map((c) => [c.ownerRole, c.createdAt])).toEqual([['AM', plus(at, 31)]]);
    expect(timeline(r, 'acme', 'pre_approval.expired').map((e) => [e.data.initiativeId, e.occurredAt, e.data.ageDays])).toEqual([[r.refs.backup, plus(at, 61), 61]]);
    const parked = timeline(r, 'acme', 'initiative.state_changed').filter((e) => e.data.initiativeId === r.refs.backup && e.data.to === 'Parked');
    expect(parked.map((e) => [e.ruleId, e.occurredAt, e.data.quarter])).toEqual([['R-83', plus(at, 61), '2026-Q4']]);
    expect(timeline(r, 'acme', 'budget.versioned').map((e) => [e.data.source, e.ruleId])).toEqual([['manual', 'R-82'], ['park', 'R-79'], ['park', 'R-83']]);
    // Both come back in their quarter: a re-engage CTA on its first day, 09:00.
    expect(ctasOf(r, 'acme', 'parked-reengage').map((c) => c.createdAt)).toEqual(['2026-10-01T14:00:00.000Z', '2026-10-01T14:00:00.000Z']);
  });

  it('no state change for more than 45 days flags the initiative Stalled with a vCIO CTA; the next change clears it (R-75)', () => {
    const created = timeline(r, 'acme', 'initiative.created').find((e) => e.data.initiativeId === r.refs.idle)!.occurredAt;
    const flags = timeline(r, 'acme', 'initiative.flagged');
    expect(flags.filter((e) => e.data.initiativeId === r.refs.idle).map((e) => [e.data.set, e.occurredAt])).toEqual([[true, plus(created, 46)]]);
    expect(ctasOf(r, 'acme', 'initiative-stalled').filter((c) => c.createdAt === plus(created, 46)).map((c) => c.ownerRole)).toEqual(['vCIO']);
    // The proposed MFA rollout stalled too (sent, then nothing for 46 days) and was cleared when it was parked.
    const sentAt = timeline(r, 'acme', 'proposal.sent')[0]!.data.sentAt as string;
    expect(flags.filter((e) => e.data.initiativeId === r.refs.mfa).map((e) => [e.data.set, e.occurredAt])).toEqual([[true, plus(sentAt, 46)], [false, plus(sentAt, 61)]]);
  });
});

describe('from a QBR decision to the delivery kickoff; refusals, a decline with its reason and the assessment\'s roadmap review (R-15, R-16, R-32, R-74, R-76, R-80)', () => {
  let r: RehearsalResult;
  const QBR = '2026-07-14T10:00:00-05:00';
  const categories = ['Identity', 'Endpoints', 'Backup', 'Network', 'Email'].map((name, i) => ({ name, score: i === 0 ? 'AtRisk' : 'Satisfactory', publicComment: `${name} reviewed`, ...(i === 0 ? { privateComment: 'CFO unaware of the gap' } : {}) }));
  it('rehearses the loop around one QBR', async () => {
    r = await run({
      name: 'planning loop around a QBR', end: '2026-07-20T09:00:00-05:00', clients: [client('acme')],
      steps: [
        step('+0h', 'startCadence', { clientId: '$acme' }, {}, { expect: 201 }),
        { at: '+1h', op: 'getCadence', params: { clientId: '$acme' }, capture: { qbr: 'meetings[template=QBR].meetingId' }, expect: 200 },
        step('+1h', 'createInitiative', { clientId: '$acme' }, card('Firewall replacement', { costBand: { minUsd: 15000, maxUsd: 20000 } }), { expect: 201, capture: { fw: 'id' } }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, { title: 'Orphan idea', source: { kind: 'discovery' } }, { expect: 422, note: 'R-71: no lane, no quarter' }),
        step('+2h', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$fw', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 15000, maxUsd: 20000, outcome: 'viable' }, { expect: 201 }),
        step('+2h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$fw', eds }, { expect: 409, note: 'R-76: only Qualified' }),
        step('+3h', 'createInitiative', { clientId: '$acme' }, card('Wi-Fi refresh', { lane: 'Efficiency', costBand: { minUsd: 3000, maxUsd: 5000 } }), { expect: 201, capture: { wifi: 'id' } }),
        step('+3h', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$wifi', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 3000, maxUsd: 5000, outcome: 'viable' }, { expect: 201 }),
        step('+3h', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$wifi', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 3000, maxUsd: 5000 }, { expect: 201 }),
        step('+3h', 'createRoadmapVersion', { clientId: '$acme' }, { note: 'Q3 plan', items: [{ initiativeId: '$fw', quarter: '2026-Q3', lane: 'Stability' }, { initiativeId: '$wifi', quarter: '2026-Q3', lane: 'Efficiency' }, { initiativeId: '00000000-0000-4000-8000-000000000000', quarter: '2026-Q3', lane: 'Stability' }] }, { expect: 422, note: 'R-85: orphan item' }),
        step('+3h', 'createRoadmapVersion', { clientId: '$acme' }, { note: 'Q3 plan', items: [{ initiativeId: '$fw', quarter: '2026-Q3', lane: 'Stability' }, { initiativeId: '$wifi', quarter: '2026-Q3', lane: 'Efficiency' }] }, { expect: 201 }),
        step('+3h', 'createBudgetVersion', { clientId: '$acme' }, { note: 'Wi-Fi', lines: [{ initiativeId: '$wifi', quarter: '2026-Q3', amountUsd: 5000, spendType: 'OpEx' }] }, { expect: 201 }),
        step('+4h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$wifi', eds: { ...eds, problem: 'Dead spots', options: [{ title: 'Refresh', minUsd: 3000, maxUsd: 5000, impact: 'coverage' }] } }, { expect: 201, capture: { p: 'id' } }),
        step('+1d', 'sendProposal', { clientId: '$acme', proposalId: '$p' }, {}, { expect: 200 }),
        step('+25h', 'designAssessment', { clientId: '$acme' }, { template: 'Security baseline', scope: 'portfolio' }, { expect: 201, capture: { asmt: 'id' } }),
        step('+2d', 'completeAssessment', { clientId: '$acme', assessmentId: '$asmt' }, { categories: categories.slice(0, 4), findings: [] }, { expect: 422, note: 'R-70: 5–7 categories' }),
        step('+2d', 'completeAssessment', { clientId: '$acme', assessmentId: '$asmt' }, { categories, findings: [{ title: 'No conditional access', category: 'Identity', initiative: card('Conditional access', { source: undefined, costBand: { minUsd: 2000, maxUsd: 4000 } }) }], adoption: { mfaPct: 90, endpointPct: 95 } }, { expect: 200 }),
        step('+5d', 'declineProposal', { clientId: '$acme', proposalId: '$p' }, { reason: 'too busy' }, { expect: 422, note: 'R-80: not a listed reason' }),
        step('+5d', 'declineProposal', { clientId: '$acme', proposalId: '$p' }, { reason: 'price', note: 'budget frozen until Q4' }, { expect: 200 }),
        step('+5d', 'declineProposal', { clientId: '$acme', proposalId: '$p' }, { reason: 'price' }, { expect: 409, note: 'already decided' }),
        // The QBR's cycle (R-24..R-26): prep pack, sign-off, pre-read with the decision-maker confirmed.
        step('2026-07-06T10:05:00-05:00', 'attachPrepPack', { clientId: '$acme', meetingId: '$qbr' }, {}, { expect: 200, as: 'automation' }),
        step('2026-07-07T09:00:00-05:00', 'signOffPrepReview', { clientId: '$acme', meetingId: '$qbr' }, {}, { expect: 200, as: 'automation' }),
        step('2026-07-10T12:00:00-05:00', 'sendPreRead', { clientId: '$acme', meetingId: '$qbr' }, { decisionMakerConfirmed: true }, { expect: 200, as: 'automation' }),
        step('2026-07-14T11:00:00-05:00', 'recordMeetingHeld', { clientId: '$acme', meetingId: '$qbr' }, {
          attendees: ['CEO', 'CFO'], sponsorPresent: true, decisions: [
            { title: 'Approve the firewall replacement', ownerRole: 'vCIO', targetDate: '2026-08-31', budgetUsd: 18000, initiativeId: '$fw' },
            { title: 'Start the DR runbook', ownerRole: 'TAM', lane: 'Stability' },
          ],
        }, { expect: 200, as: 'automation' }),
        step('2026-07-16T09:00:00-05:00', 'recordRecapSentForMeeting', { clientId: '$acme', meetingId: '$qbr' }, {}, { expect: 200, as: 'automation' }),
      ],
    });
    expect(r.failures).toEqual([]);
  }, 240_000);

  const problem = (i: number) => r.steps[i]!.body as Record<string, any>;
  const init = (id: string) => r.states[r.refs.acme!]!.initiatives.find((x) => x.id === id)!;
  const changes = (id: string) => timeline(r, 'acme', 'initiative.state_changed').filter((e) => e.data.initiativeId === id).map((e) => [e.data.from, e.data.to, e.ruleId]);

  it('refuses an orphan card, a proposal for a Qualified initiative and an orphan roadmap item as problem+json naming the rule (R-71, R-76, R-85)', () => {
    expect(problem(3)).toMatchObject({ status: 422, type: 'urn:baton:problem:unprocessable', title: 'Orphan initiative refused', detail: expect.stringContaining('R-71') });
    expect(JSON.stringify(problem(3))).toContain('lane');
    expect(problem(5)).toMatchObject({ status: 409, ruleId: 'R-76', details: { initiativeState: 'Qualified' } });
    expect(problem(9)).toMatchObject({ status: 422 });
    expect(JSON.stringify(problem(9))).toContain('R-85');
    // Nothing was written by the refusals: one proposal (the Wi-Fi one), one roadmap version before the QBR.
    expect(r.states[r.refs.acme!]!.proposals.map((p) => p.initiativeId)).toEqual([r.refs.wifi]);
    expect(timeline(r, 'acme', 'proposal.created')).toHaveLength(1);
  });

  it('a price test qualifies, a pre-approval (owner + quarter + band) pre-approves, a sent proposal makes it Proposed (R-42, R-74, R-83)', () => {
    expect(changes(r.refs.wifi!)).toEqual([['Identified', 'Qualified', 'R-74'], ['Qualified', 'PreApproved', 'R-74'], ['PreApproved', 'Proposed', 'R-74'], ['Proposed', 'Declined', 'R-80']]);
    expect(timeline(r, 'acme', 'pre_approval.logged').find((e) => e.data.initiativeId === r.refs.wifi)).toMatchObject({ data: { ownerRole: 'AM', quarter: '2026-Q3', minUsd: 3000, maxUsd: 5000 } });
    expect(timeline(r, 'acme', 'price_test.logged').map((e) => e.data.initiativeId)).toEqual(expect.arrayContaining([r.refs.fw, r.refs.wifi]));
  });

  it('a decline needs a reason from the list (R-80); the reason is recorded and a repeat is refused', () => {
    expect(problem(17)).toMatchObject({ status: 422, ruleId: 'R-80' });
    expect(problem(19)).toMatchObject({ status: 409 });
    expect(timeline(r, 'acme', 'proposal.decided').map((e) => [e.data.outcome, e.data.reason, e.ruleId])).toEqual([['declined', 'price', 'R-80']]);
    expect(r.states[r.refs.acme!]!.proposals[0]).toMatchObject({ status: 'declined' });
    expect(init(r.refs.wifi!).state).toBe('Declined');
  });

  it('a completed assessment creates the findings\' initiatives and fires the cadence\'s roadmap review (R-15, R-70)', () => {
    expect(problem(15)).toMatchObject({ status: 422 });
    expect(body(r, 16)).toMatchObject({ status: 'completed', roadmapReview: 'told', initiatives: [expect.any(String)] });
    const done = timeline(r, 'acme', 'assessment.completed');
    expect(done.map((e) => [e.ruleId, e.data.categories, e.data.scores, e.data.findings])).toEqual([['R-70', 5, { AtRisk: 1, Satisfactory: 4 }, 1]]);
    const created = init(body(r, 16).initiatives[0]);
    expect(created).toMatchObject({ title: 'Conditional access', sourceKind: 'assessment', sourceRef: r.refs.asmt, state: 'Identified' });
    const fired = timeline(r, 'acme', 'trigger.fired').filter((e) => e.data.trigger === 'assessmentCompleted');
    expect(fired.map((e) => [e.ruleId, e.data.anchor])).toEqual([['R-15', r.refs.asmt]]);
  });

  it('a credited QBR decision approves its initiative and fires the delivery kickoff; an uncredited one creates a Qualified initiative and a capture-budget CTA (R-16, R-31, R-32)', () => {
    const held = body(r, 23);
    expect(held.planning.decisions).toEqual([
      expect.objectContaining({ decision: 1, initiativeId: r.refs.fw, created: false, outcome: 'accepted', state: 'Approved' }),
      expect.objectContaining({ decision: 2, created: true, outcome: 'accepted', state: 'Qualified' }),
    ]);
    expect(changes(r.refs.fw!)).toEqual([['Identified', 'Qualified', 'R-74'], ['Qualified', 'PreApproved', 'R-74'], ['PreApproved', 'Approved', 'R-74']]);
    const logged = timeline(r, 'acme', 'decision.logged');
    expect(logged.map((e) => [e.data.title, e.data.credited, e.data.initiativeId])).toEqual([
      ['Approve the firewall replacement', true, r.refs.fw], ['Start the DR runbook', false, held.planning.decisions[1].initiativeId],
    ]);
    // the approval reached the cadence: a delivery kickoff within 10 business days with its PM CTA.
    expect(timeline(r, 'acme', 'trigger.fired').filter((e) => e.data.trigger === 'initiativeApproved').map((e) => [e.ruleId, e.data.anchor])).toEqual([['R-16', r.refs.fw]]);
    // The decision without date and budget: created Qualified from the meeting, a capture-budget CTA to the AM due 72h after the end.
    const dr = init(held.planning.decisions[1].initiativeId);
    expect(dr).toMatchObject({ title: 'Start the DR runbook', state: 'Qualified', sourceKind: 'decision', sourceRef: r.refs.qbr });
    // The QBR was booked 10:00–10:45 CDT on Tue 14 Jul: 72h from 10:45.
    expect(r.states[r.refs.acme!]!.meetings.find((m) => m.id === r.refs.qbr)).toMatchObject({ startsAt: new Date(QBR).toISOString(), state: 'held' });
    expect(ctasOf(r, 'acme', 'capture-budget').map((c) => [c.ownerRole, c.ruleId, c.dueAt])).toEqual([['AM', 'R-32', '2026-07-17T15:45:00.000Z']]);
  });

  it('the recap versions the roadmap and the budget with the decisions (R-31, R-82)', () => {
    const roadmaps = timeline(r, 'acme', 'roadmap.versioned').map((e) => [e.data.version, e.data.source]);
    expect(roadmaps).toEqual([[1, 'manual'], [2, 'recap']]);
    const budgets = timeline(r, 'acme', 'budget.versioned').map((e) => [e.data.version, e.data.source, e.data.byQuarter]);
    expect(budgets).toEqual([[1, 'manual', { '2026-Q3': 5000 }], [2, 'recap', { '2026-Q3': 23000 }]]);
    expect(body(r, 24).planning).toEqual({ roadmapVersion: 2, budgetVersion: 2 });
  });
});

describe('the client\'s planning clocks: big rocks, the fix-first gate, unopened reports, roadmap freshness and the quarter close (R-57, R-61, R-84, R-86, R-88, R-121)', () => {
  let r: RehearsalResult;
  const big = (title: string) => card(title, { costBand: { minUsd: 15000, maxUsd: 20000 } });
  it('rehearses a client from May to the Q3 close', async () => {
    r = await run({
      name: 'planning clocks', end: '2026-10-02T12:00:00-05:00', clients: [client('acme')],
      steps: [
        step('+0h', 'startCadence', { clientId: '$acme' }, {}, { expect: 201 }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, big('Firewall'), { expect: 201, capture: { a: 'id' } }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, big('ERP upgrade'), { expect: 201, capture: { b: 'id' } }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, big('CRM'), { expect: 201, capture: { c: 'id' } }),
        step('+2h', 'createRoadmapVersion', { clientId: '$acme' }, { note: 'Three big rocks asked for Q3', items: ['$a', '$b', '$c'].map((id) => ({ initiativeId: id, quarter: '2026-Q3', lane: 'Stability' })) }, { expect: 201 }),
        step('+2h', 'createBudgetVersion', { clientId: '$acme' }, { note: 'Firewall in Q3', lines: [{ initiativeId: '$a', quarter: '2026-Q3', amountUsd: 18000, spendType: 'CapEx' }] }, { expect: 201 }),
        step('+2h', 'createBudgetVersion', { clientId: '$acme' }, { note: 'Orphan line', lines: [{ initiativeId: '$a', quarter: '2026-Q3', amountUsd: 18000 }] }, { expect: 422, note: 'R-81: B splits OpEx/CapEx' }),
        step('+3h', 'recordReportDelivered', { clientId: '$acme' }, { title: 'Q2 service review' }, { expect: 201, capture: { rep1: 'id' } }),
        step('+3h', 'recordReportDelivered', { clientId: '$acme' }, { title: 'Roadmap one-pager' }, { expect: 201, capture: { rep2: 'id' } }),
        step('+1d', 'recordReportOpened', { clientId: '$acme', reportId: '$rep2' }, {}, { expect: 200 }),
        step('+1d', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$a', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 15000, maxUsd: 20000, outcome: 'viable' }, { expect: 201 }),
        step('+1d', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$a', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 15000, maxUsd: 20000 }, { expect: 201 }),
        step('+2d', 'designAssessment', { clientId: '$acme' }, { template: 'Security baseline', scope: 'riskTargeted' }, { expect: 201, capture: { asmt: 'id' } }),
        step('+2d', 'completeAssessment', { clientId: '$acme', assessmentId: '$asmt' }, { categories: ['Identity', 'Endpoints', 'Backup', 'Network', 'Email', 'Awareness'].map((name) => ({ name, score: 'NeedsAttention' })), adoption: { mfaPct: 50, endpointPct: 85 } }, { expect: 200 }),
        step('+2d', 'createProposal', { clientId: '$acme' }, { initiativeId: '$a', eds }, { expect: 409, note: 'R-121: MFA 50 %' }),
        step('+2d', 'createInitiative', { clientId: '$acme' }, card('Zero trust', { tier: 2 }), { expect: 409, note: 'R-121: tier 2' }),
        step('+2d', 'createInitiative', { clientId: '$acme' }, card('MFA remediation', { remediation: true, tier: 2 }), { expect: 201, note: 'remediation passes' }),
        step('+3d', 'transitionInitiative', { clientId: '$acme', initiativeId: '$a' }, { to: 'Declined' }, { expect: 422, note: 'R-80: a reason' }),
        step('+3d', 'transitionInitiative', { clientId: '$acme', initiativeId: '$a' }, { to: 'Declined', reason: 'relevance' }, { expect: 200 }),
        step('2026-09-15T10:00:00-05:00', 'recordBudgetActuals', { clientId: '$acme' }, { quarter: '2026-Q3', actualUsd: 27000 }, { expect: 200 }),
        step('2026-09-15T10:00:00-05:00', 'getPlanningLoop', { clientId: '$acme' }, undefined, { expect: 200 }),
      ],
    });
    expect(r.failures).toEqual([]);
  }, 300_000);

  it('at most two big rocks a quarter: the third moves to the next quarter with a note (R-86)', () => {
    const v = timeline(r, 'acme', 'roadmap.versioned')[0]!;
    expect(v.data).toMatchObject({ version: 1, items: 3, changed: true, moved: [{ initiativeId: r.refs.c, from: '2026-Q3', to: '2026-Q4' }] });
    expect(body(r, 4).items.map((i: { initiativeId: string; quarter: string }) => [i.initiativeId, i.quarter])).toEqual([[r.refs.a, '2026-Q3'], [r.refs.b, '2026-Q3'], [r.refs.c, '2026-Q4']]);
    expect(body(r, 6)).toMatchObject({ status: 422 });
    expect(JSON.stringify(body(r, 6))).toContain('R-81');
  });

  it('fix first: with MFA at 50 % no non-remediation proposal and no tier-2 initiative, naming the figure; remediation passes (R-121)', () => {
    expect(body(r, 14)).toMatchObject({ status: 409, ruleId: 'R-121', details: { failing: { mfaPct: { value: 50, minPct: 60 } } } });
    expect(body(r, 14).detail).toContain('MFA 50 % < 60 %');
    expect(body(r, 15)).toMatchObject({ status: 409, ruleId: 'R-121' });
    expect(body(r, 16)).toMatchObject({ title: 'MFA remediation', remediation: true, tier: 2 });
    expect(timeline(r, 'acme', 'proposal.created')).toEqual([]);
    expect(body(r, 17)).toMatchObject({ status: 422, ruleId: 'R-80' });
  });

  it('an unopened report: a reminder to the contact and a management alert after 5 business days, an escalation 5 later; the opened one none (R-88)', () => {
    const delivered = timeline(r, 'acme', 'report.delivered').find((e) => e.data.reportId === r.refs.rep1)!.occurredAt;
    const unopened = timeline(r, 'acme', 'report.unopened');
    expect(unopened.map((e) => e.data.reportId)).toEqual([r.refs.rep1, r.refs.rep1]);
    // Delivered Mon 11 May 12:00 CDT: reminder Mon 18 May, escalation five business days after that, same time of day.
    expect(unopened.map((e) => [e.data.stage, e.ruleId])).toEqual([['reminder', 'R-88'], ['escalation', 'R-88']]);
    // Business days keep the local time of day to the minute (R-88 "5 bd").
    expect(unopened[0]!.occurredAt.slice(0, 16)).toBe(plus(delivered, 7).slice(0, 16));
    expect(unopened[1]!.occurredAt.slice(0, 16)).toBe('2026-05-25T17:00');
    // The reminder and the alert open at the same instant (their order in the list is by id).
    expect(ctasOf(r, 'acme').filter((c) => c.kind.startsWith('report-')).map((c) => [c.kind, c.ruleId, c.ownerRole, c.createdAt.slice(0, 16)]).sort()).toEqual([
      ['report-escalation', 'R-88', 'AM', '2026-05-25T17:00'], ['report-manager-alert', 'R-88', 'CS Lead', '2026-05-18T17:00'], ['report-reminder', 'R-88', 'vCIO', '2026-05-18T17:00'],
    ]);
  });

  it('a new client\'s first Discovery is asked for within 30 days (R-57); the roadmap not reviewed for 120 days (B) gets a freshness CTA (R-86)', () => {
    expect(ctasOf(r, 'acme', 'discovery-due').map((c) => [c.ruleId, c.ownerRole])).toEqual([['R-57', 'vCIO']]);
    const v1 = timeline(r, 'acme', 'roadmap.versioned')[0]!.occurredAt;
    const missed = timeline(r, 'acme', 'deadline.missed').filter((e) => e.ruleId === 'R-86');
    expect(missed.map((e) => e.data.deadline)).toEqual(['roadmap.review']);
    expect(new Date(missed[0]!.data.dueAt as string).toISOString()).toBe(plus(v1, 120));
    expect(ctasOf(r, 'acme', 'roadmap-review').map((c) => [c.ruleId, c.createdAt.slice(0, 19)])).toEqual([['R-86', plus(v1, 120).slice(0, 19)]]);
  });

  it('closes each quarter on its last business day at 17:00: decline-reason rate, variance +50 % → investigate CTA and an at-risk signal (R-61, R-84)', () => {
    const closed = timeline(r, 'acme', 'quarter.closed');
    expect(closed.map((e) => [e.data.quarter, e.occurredAt.slice(0, 19)])).toEqual([['2026-Q2', '2026-06-30T22:00:00'], ['2026-Q3', '2026-09-30T22:00:00']]);
    expect(closed[1]!.data).toMatchObject({ decisions: 0, variance: { forecastUsd: 18000, actualUsd: 27000, variancePct: 50, status: 'investigate' }, realization: { budgetedUsd: 18000, approvedUsd: 0, pct: 0, below: true } });
    expect(ctasOf(r, 'acme', 'budget-variance').map((c) => [c.ruleId, c.ownerRole])).toEqual([['R-84', 'vCIO']]);
    expect(timeline(r, 'acme', 'risk.signal_raised').map((e) => [e.ruleId, e.data.trigger, e.data.bucket])).toEqual([['R-84', 'budgetVariance', 'Strategic']]);
    // One quarter below 40 % realization is not yet a simplify-scope (two in a row are).
    expect(ctasOf(r, 'acme', 'simplify-scope')).toEqual([]);
    // Mid-September the loop shows the Q3 close as its next step.
    const loop = body(r, 20);
    expect(loop).toMatchObject({ phase: 'running', dues: [{ key: 'quarter-close/2026-Q3' }, ...loop.dues.slice(1)] });
    expect(new Date(loop.dues[0].at).toISOString()).toBe('2026-09-30T22:00:00.000Z');
  });
});
