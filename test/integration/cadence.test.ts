import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import type { CadenceStatus } from '../../domain/cadence.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The engagement cadence end to end (DOMAIN §2.2–§2.6, R-9..R-37), written as rehearsals: the real
 * API and worker on the time-skipping server started at the scenario's instant. Lock: Monday
 * 2026-05-11 09:00 America/Chicago (CDT, −05:00); US daylight saving ends 2026-11-01, so meetings
 * from November to mid-March carry −06:00.
 */
const LOCK = '2026-05-11T09:00:00-05:00';
const people = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] },
  { ref: 'avery', name: 'Avery AM', roles: ['AM'] },
  { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] },
  { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, 'CS Lead': { person: 'lee' } };
// A maturity ≥3 & appetite ≥3; B maturity ≤2 & appetite ≥3; C maturity ≥3 & appetite ≤2; D both ≤2. MRR 12,000 = High tier.
const SCORES = { A: { maturity: 4, appetite: 4 }, B: { maturity: 2, appetite: 4 }, C: { maturity: 4, appetite: 2 }, D: { maturity: 1, appetite: 1 } } as const;
/** A team of its own per client (people `<role>-<suffix>`), so no two clients compete for one person's week. */
const team = (suffix: string) => ({
  people: [['CSM', 'CSM'], ['AM', 'AM'], ['TAM', 'TAM'], ['vCIO', 'vCIO']].map(([ref, role]) => ({ ref: `${ref}-${suffix}`, name: `${role} ${suffix}`, roles: [role] })),
  assignments: { CSM: { person: `CSM-${suffix}`, backup: `AM-${suffix}` }, AM: { person: `AM-${suffix}` }, TAM: { person: `TAM-${suffix}` }, vCIO: { person: `vCIO-${suffix}` }, 'CS Lead': { person: 'lee' } },
});
const client = (ref: string, seg: keyof typeof SCORES, extra: Record<string, unknown> = {}) => ({
  ref, name: `${ref} Inc`, mrr: 12000, ...SCORES[seg], timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments, ...extra,
});
const start = (ref: string, at = '+0h') => ({ at, op: 'startCadence', params: { clientId: `$${ref}` }, expect: 201 });
const meetingStep = (ref: string, meeting: string, at: string, op: string, body: unknown = {}, extra: Record<string, unknown> = {}) => ({
  at, op, params: { clientId: `$${ref}`, meetingId: `$${meeting}` }, body, as: 'automation', ...extra,
});
const capture = (ref: string, at: string, captures: Record<string, string>) => ({ at, op: 'getCadence', params: { clientId: `$${ref}` }, capture: captures, expect: 200 });

async function run(input: Record<string, unknown>, record?: { ref: string; fixture: string }): Promise<RehearsalResult> {
  return rehearse(ScenarioSchema.parse({ timeZone: 'America/Chicago', start: LOCK, people, ...input }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
    // `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts).
    onHistory: (ref, history, process_) => {
      if (!process.env.RECORD_HISTORIES || process_ !== 'cadence' || record?.ref !== ref) return;
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${record.fixture}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
}

const cadenceOf = (r: RehearsalResult, ref: string) => r.states[r.refs[ref]!]!.cadence as CadenceStatus;
const meetingsOf = (r: RehearsalResult, ref: string) => r.states[r.refs[ref]!]!.meetings;
const timeline = (r: RehearsalResult, ref: string, type?: string): LedgerEvent[] => r.timelines[r.refs[ref]!]!.filter((e) => !type || e.type === type);
const ctasOf = (r: RehearsalResult, ref: string, kind?: string) => r.states[r.refs[ref]!]!.ctas.filter((c) => !kind || c.kind === kind);
const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).slice(0, 16);
const strategicAt = (r: RehearsalResult, ref: string) => meetingsOf(r, ref).filter((m) => m.strategic).map((m) => `${local(m.startsAt)} ${m.kind}`);

describe('each segment\'s first year is booked from the cadence matrix at lock (R-10, R-11, R-62, §2.2)', () => {
  let r: RehearsalResult;
  it('books twelve months ahead for A, B, C and D and plans the date triggers', async () => {
    const teams = ['a', 'b', 'c', 'd'].map(team);
    r = await run({
      name: 'first year by segment', end: '+1h',
      people: [...people, ...teams.flatMap((t) => t.people)],
      clients: (['A', 'B', 'C', 'D'] as const).map((seg, i) => client(seg.toLowerCase(), seg, { assignments: teams[i]!.assignments })),
      steps: [start('a'), start('b'), start('c'), start('d')],
    });
    expect(r.failures).toEqual([]);

    // A: M1/M2/M3 28 days apart ending FY-end − 30 (Tue 1 Dec); monthly strategic on the 2nd Tuesday in the other months
    // (the lock month's, tomorrow, included: its prep pack is booked late, C-4), an Executive QBR the first of each
    // non-planning quarter (Q2 2026's was April, before the lock).
    expect(strategicAt(r, 'a')).toEqual([
      '2026-05-12 10:00 Monthly Strategic', '2026-06-09 10:00 Monthly Strategic', '2026-07-14 10:00 Executive QBR', '2026-08-11 10:00 Monthly Strategic', '2026-09-08 10:00 Monthly Strategic',
      '2026-10-06 10:00 M1', '2026-11-03 10:00 M2', '2026-12-01 10:00 M3',
      '2027-01-12 10:00 Executive QBR', '2027-02-09 10:00 Monthly Strategic', '2027-03-09 10:00 Monthly Strategic', '2027-04-13 10:00 Executive QBR', '2027-05-11 10:00 Monthly Strategic',
    ]);
    // B: M1/M2, a QBR each non-planning quarter.
    expect(strategicAt(r, 'b')).toEqual(['2026-07-14 10:00 QBR', '2026-11-03 10:00 M1', '2026-12-01 10:00 M2', '2027-01-12 10:00 QBR', '2027-04-13 10:00 QBR']);
    // C: one planning meeting (hybrid), a Review each non-planning quarter.
    expect(strategicAt(r, 'c')).toEqual(['2026-07-14 10:00 Review', '2026-12-01 10:00 Annual Planning', '2027-01-12 10:00 Review', '2027-04-13 10:00 Review']);
    expect(meetingsOf(r, 'c').find((m) => m.kind === 'Annual Planning')!.mode).toBe('hybrid');
    // D: no strategic meetings but the Annual IT Strategy on renewal − 90 d (Thu 1 Apr 2027), async-first.
    expect(strategicAt(r, 'd')).toEqual(['2027-04-01 10:00 Annual IT Strategy']);
    expect(meetingsOf(r, 'd').find((m) => m.kind === 'Annual IT Strategy')!.mode).toBe('async');

    // Tactical by touch tier: A/B VIP bi-weekly check-ins (1st and 3rd Thursday), C/D High monthly service reviews (2nd Thursday).
    const count = (ref: string, kind: string) => meetingsOf(r, ref).filter((m) => m.kind === kind).length;
    expect(count('a', 'Check-in')).toBe(count('b', 'Check-in'));
    expect(meetingsOf(r, 'b').filter((m) => m.kind === 'Check-in').slice(0, 3).map((m) => local(m.startsAt))).toEqual(['2026-05-21 10:00', '2026-06-04 10:00', '2026-06-18 10:00']);
    expect(meetingsOf(r, 'c').filter((m) => m.kind === 'Service Review').slice(0, 2).map((m) => local(m.startsAt))).toEqual(['2026-05-14 10:00', '2026-06-11 10:00']);
    expect(count('d', 'Service Review')).toBe(count('c', 'Service Review'));

    // Every meeting carries its Accountable (§2.19): B QBR vCIO, C Review CSM, service reviews TAM.
    const accountable = (ref: string, kind: string) => meetingsOf(r, ref).find((m) => m.kind === kind)!.accountableRole;
    expect(accountable('b', 'QBR')).toBe('vCIO');
    expect(accountable('c', 'Review')).toBe('CSM');
    expect(accountable('c', 'Service Review')).toBe('TAM');
    expect(accountable('a', 'Check-in')).toBe('CSM');

    // Horizon: the lock month plus 12, every booking on the ledger with its rule.
    const b = cadenceOf(r, 'b');
    expect(b.bookedThrough).toBe('2027-05');
    expect(timeline(r, 'b', 'meeting.scheduled')).toHaveLength(meetingsOf(r, 'b').length);
    // Date triggers: fire 09:00, 10 business days before renewal − 90 d and FY-end − 30 d.
    expect(timeline(r, 'b', 'deadline.set').map((e) => [e.ruleId, e.data.deadline, e.data.dueAt])).toEqual([
      ['R-14', 'trigger.fiscalYearEnd.fires', '2026-11-17T09:00:00.000-06:00'],
      ['R-13', 'trigger.renewal.fires', '2027-03-18T09:00:00.000-05:00'],
    ]);
  }, 120_000);
});
