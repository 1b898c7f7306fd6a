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
  return rehearse(ScenarioSchema.parse({ timeZone: 'America/Chicago', start: START, people, ...input }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts).
    onHistory: (_ref, history, process_, workflowId) => {
      const fixture = record?.[process_];
      if (!process.env.RECORD_HISTORIES || !fixture || (process_ !== 'planning-loop' && fixture.includes('@') && !workflowId?.endsWith(fixture.split('@')[1]!))) return;
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${fixture.split('@')[0]}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
}

const timeline = (r: RehearsalResult, ref: string, type?: string): LedgerEvent[] => r.timelines[r.refs[ref]!]!.filter((e) => !type || e.type === type);
const ctasOf = (r: RehearsalResult, ref: string, kind?: string) => r.states[r.refs[ref]!]!.ctas.filter((c) => !kind || c.kind === kind);
const body = (r: RehearsalResult, i: number) => r.steps[i]!.body as Record<string, any>;
/** An instant recorded after a timer: exact to the second (timers fire a few ms late). */
const atSecond = (isoSecond: string) => expect.stringMatching(new RegExp(`^${isoSecond.replace('.', '\\.')}\\.\\d{3}Z$`));

const card = (title: string, extra: Record<string, unknown> = {}) => ({ title, source: { kind: 'assessment', date: '2026-05-04' }, lane: 'Stability', quarter: '2026-Q3', costBand: { minUsd: 8000, maxUsd: 12000 }, spendType: 'OpEx', ...extra });

describe('a proposal\'s clock: buckets 15/31, re-engage at 31, expiry at 61, late acceptance (R-76..R-80, R-124)', () => {
  let r: RehearsalResult;
  it('rehearses the lifecycle', async () => {
    r = await run({
      name: 'proposal lifecycle', end: '+70d', clients: [client('acme')],
      steps: [
        step('+0h', 'startCadence', { clientId: '$acme' }, {}, { expect: 201 }),
        step('+1h', 'createInitiative', { clientId: '$acme' }, card('MFA rollout'), { expect: 201, capture: { mfa: 'id' } }),
        step('+1h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds: { problem: 'No MFA', whyNow: 'insurance renewal', options: [{ title: 'Rollout', minUsd: 8000, maxUsd: 12000, impact: 'MFA 100 %' }], scope: 'all users', owner: { role: 'AM' }, targetDate: '2026-09-30' } }, { expect: 409, note: 'R-76: not PreApproved yet' }),
        step('+2h', 'logPriceTest', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, outcome: 'viable' }, { expect: 201 }),
        step('+2h', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3' }, { expect: 422, note: 'R-74: band missing' }),
        step('+3h', 'logPreApproval', { clientId: '$acme' }, { initiativeId: '$mfa', owner: { role: 'AM' }, quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000 }, { expect: 201 }),
        step('+3h', 'createRoadmapVersion', { clientId: '$acme' }, { note: 'MFA in Q3', items: [{ initiativeId: '$mfa', quarter: '2026-Q3', lane: 'Stability' }] }, { expect: 201 }),
        step('+3h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds: { problem: 'No MFA', whyNow: 'insurance renewal', options: [{ title: 'Rollout', minUsd: 8000, maxUsd: 12000, impact: 'MFA 100 %' }], scope: 'all users', owner: { role: 'AM' }, targetDate: '2026-09-30' } }, { expect: 409, note: 'R-76: no budget line' }),
        step('+3h', 'createBudgetVersion', { clientId: '$acme' }, { note: 'MFA budget', lines: [{ initiativeId: '$mfa', quarter: '2026-Q3', amountUsd: 12000, spendType: 'OpEx' }] }, { expect: 201 }),
        step('+4h', 'createProposal', { clientId: '$acme' }, { initiativeId: '$mfa', eds: { problem: 'No MFA', whyNow: 'insurance renewal', options: [{ title: 'Rollout', minUsd: 8000, maxUsd: 12000, impact: 'MFA 100 %' }], scope: 'all users', owner: { role: 'AM' }, targetDate: '2026-09-30' } }, { expect: 201, capture: { p1: 'id' } }),
        step('+1d', 'sendProposal', { clientId: '$acme', proposalId: '$p1' }, {}, { expect: 200 }),
        step('+20d', 'getProposal', { clientId: '$acme', proposalId: '$p1' }, undefined, { expect: 200 }),
        step('+65d', 'acceptProposal', { clientId: '$acme', proposalId: '$p1' }, { optionIndex: 0 }, { expect: 409, idempotencyKey: 'late-1', note: 'R-124' }),
      ],
    }, { proposal: 'proposal-expired@' });
    expect(r.failures).toEqual([]);
  }, 180_000);

  it('ages from sent: 15–30 at age 15, >30 with the re-engage play at 31, expired at 61', () => {
    const sent = timeline(r, 'acme', 'proposal.sent')[0]!;
    const sentAt = Date.parse(sent.data.sentAt as string);
    const day = 86_400_000;
    expect(timeline(r, 'acme', 'proposal.aged').map((e) => [e.data.bucket, e.occurredAt])).toEqual([
      ['15-30', new Date(sentAt + 15 * day).toISOString()], ['>30', new Date(sentAt + 31 * day).toISOString()],
    ]);
    expect(body(r, 11).bucket).toBe('15-30');
    expect(body(r, 11).ageDays).toBe(19);
    const reengage = ctasOf(r, 'acme', 'proposal-reengage');
    expect(reengage).toHaveLength(1);
    expect(reengage[0]!.ownerRole).toBe('AM');
    const signal = timeline(r, 'acme', 'risk.signal_raised')[0]!;
    expect(signal).toMatchObject({ ruleId: 'R-93', data: { trigger: 'proposalUndecided', bucket: 'Strategic', evidence: { dimension: 'Alignment', ageDays: 31 } } });
    expect(signal.occurredAt).toBe(new Date(sentAt + 31 * day).toISOString());
    // the 20-min reset booked through the cadence within 7 days.
    const fired = timeline(r, 'acme', 'trigger.fired').find((e) => e.data.trigger === 'proposalReset')!;
    expect(fired.ruleId).toBe('R-78');
    const decided = timeline(r, 'acme', 'proposal.decided')[0]!;
    expect(decided).toMatchObject({ ruleId: 'R-79', data: { outcome: 'expired', ageDays: 61 } });
    expect(decided.occurredAt).toBe(new Date(sentAt + 61 * day).toISOString());
    expect(ctasOf(r, 'acme', 'decline-reason')).toHaveLength(1);
    const parked = timeline(r, 'acme', 'initiative.state_changed').find((e) => e.data.to === 'Parked')!;
    expect(parked.ruleId).toBe('R-79');
    expect(timeline(r, 'acme', 'roadmap.versioned').map((e) => e.data.source)).toEqual(['manual', 'park']);
    expect(timeline(r, 'acme', 'budget.versioned').map((e) => e.data.source)).toEqual(['manual', 'park']);
  });

  it('a late acceptance is "already finished", changes nothing and drafts the next version (R-124)', () => {
    const late = body(r, 12);
    expect(late).toMatchObject({ ruleId: 'R-124', nextVersion: { version: 2, status: 'draft' } });
    expect(timeline(r, 'acme', 'signal.late')).toHaveLength(1);
    const props = r.states[r.refs.acme!]!.proposals;
    expect(props.map((p) => [p.version, p.status])).toEqual([[1, 'expired'], [2, 'draft']]);
  });
});
