import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { eq } from 'drizzle-orm';
import { clients as clientsTable } from '../../db/schema.js';
import { rehearse, type RehearsalResult, type RehearsalOptions } from '../../rehearsal/run.js';
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

async function run(input: Record<string, unknown>, record?: { ref: string; fixture: string }, beforeStep?: RehearsalOptions['beforeStep']): Promise<RehearsalResult> {
  return rehearse(ScenarioSchema.parse({ timeZone: 'America/Chicago', start: LOCK, people, ...input }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(), ...(beforeStep ? { beforeStep } : {}),
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
/** An instant as recorded after a timer: exact to the second (timers fire a few ms late). */
const at = (isoSecond: string) => expect.stringMatching(new RegExp(`^${isoSecond.replace('.', '\\.')}\\.\\d{3}Z$`));
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

    // Tactical by touch tier on the one recurring slot: A/B VIP bi-weekly check-ins on the 2nd and 4th Tuesday,
    // C/D High monthly service reviews on the 2nd Tuesday; an occurrence a strategic meeting holds is skipped.
    const count = (ref: string, kind: string) => meetingsOf(r, ref).filter((m) => m.kind === kind).length;
    expect(meetingsOf(r, 'b').filter((m) => m.kind === 'Check-in').slice(0, 4).map((m) => local(m.startsAt))).toEqual(['2026-05-12 10:00', '2026-05-26 10:00', '2026-06-09 10:00', '2026-06-23 10:00']);
    expect(meetingsOf(r, 'b').some((m) => m.kind === 'Check-in' && local(m.startsAt) === '2026-07-14 10:00')).toBe(false); // the QBR's slot
    expect(count('a', 'Check-in')).toBeLessThan(count('b', 'Check-in')); // A's monthly strategic meetings hold most 2nd Tuesdays
    expect(meetingsOf(r, 'c').filter((m) => m.kind === 'Service Review').slice(0, 3).map((m) => local(m.startsAt))).toEqual(['2026-05-12 10:00', '2026-06-09 10:00', '2026-08-11 10:00']);
    expect(count('d', 'Service Review') - count('c', 'Service Review')).toBe(3); // C's three quarterly Reviews take the slot; D has none

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

describe('the meeting cycle of a strategic meeting (R-24..R-32)', () => {
  it('prep pack T-5 bd, sign-off, pre-read, two decisions (a third refused), recap within 48h, a CTA per decision, the Decision Log', async () => {
    const t = team('b');
    const held = { attendees: ['CEO', 'CFO'], sponsorPresent: true, decisions: [
      { title: 'Approve the firewall replacement', ownerRole: 'vCIO', targetDate: '2026-08-31', budgetUsd: 18000 },
      { title: 'Start the DR runbook', ownerRole: 'TAM' },
    ] };
    const r = await run({
      name: 'meeting cycle', end: '2026-07-20T09:00:00-05:00',
      people: [...people, ...t.people],
      clients: [client('acme', 'B', { assignments: t.assignments })],
      steps: [
        start('acme'),
        capture('acme', '+1h', { qbr: 'meetings[template=QBR].meetingId', checkin: 'meetings[template=Check-in].meetingId' }),
        meetingStep('acme', 'checkin', '+2h', 'attachPrepPack', {}, { expect: 422, note: 'prep packs belong to strategic meetings (R-24)' }),
        meetingStep('acme', 'qbr', '2026-07-06T10:00:00-05:00', 'signOffPrepReview', {}, { expect: 409, note: 'R-25: only once the prep pack is attached' }),
        meetingStep('acme', 'qbr', '2026-07-06T10:05:00-05:00', 'attachPrepPack', {}, { expect: 200 }),
        meetingStep('acme', 'qbr', '2026-07-07T09:00:00-05:00', 'signOffPrepReview', {}, { expect: 200 }),
        meetingStep('acme', 'qbr', '2026-07-10T12:00:00-05:00', 'sendPreRead', { decisionMakerConfirmed: true }, { expect: 200 }),
        meetingStep('acme', 'qbr', '2026-07-14T11:00:00-05:00', 'recordMeetingHeld', { ...held, decisions: [...held.decisions, { title: 'Replace all laptops', ownerRole: 'AM' }] }, { expect: 422, note: 'R-27: a third decision goes to the backlog' }),
        meetingStep('acme', 'qbr', '2026-07-14T11:01:00-05:00', 'recordMeetingHeld', held, { expect: 200, idempotencyKey: 'qbr-held-1' }),
        meetingStep('acme', 'qbr', '2026-07-14T11:02:00-05:00', 'recordMeetingHeld', held, { expect: 200, idempotencyKey: 'qbr-held-1', note: 'C-6 duplicate' }),
        meetingStep('acme', 'qbr', '2026-07-16T09:00:00-05:00', 'recordRecapSentForMeeting', {}, { expect: 200 }),
        meetingStep('acme', 'qbr', '2026-07-16T09:30:00-05:00', 'recordRecapSentForMeeting', {}, { expect: 409 }),
        { at: '2026-07-16T10:00:00-05:00', op: 'recordMeetingHeld', params: { clientId: '$acme', meetingId: '$lee' }, body: held, as: 'automation', expect: 404, note: 'not a meeting of this cadence' },
      ],
    }, { ref: 'acme', fixture: 'cadence-meeting-cycle' });
    expect(r.failures).toEqual([]);
    const third = r.steps.find((s) => s.status === 422 && s.op === 'recordMeetingHeld')!.body as { ruleId: string; details: { backlog: string[] } };
    expect(third.ruleId).toBe('R-27');
    expect(third.details.backlog).toEqual(['Replace all laptops']);
    expect((r.steps.filter((s) => s.op === 'recordMeetingHeld' && s.status === 200).map((s) => (s.body as { duplicate: boolean }).duplicate))).toEqual([false, true]);

    const qbr = r.refs.qbr!;
    // R-24, C-4: prep pack due T-5 bd 17:00 (Tue 14 Jul → Tue 7 Jul); its CTA opens 5 bd earlier at 09:00 and closes when
    // attached. A deliverable escalates only when its due passes undone: attached in time, it stayed with the CSM.
    const prep = ctasOf(r, 'acme', 'prep-pack');
    expect(prep).toHaveLength(1);
    expect(prep[0]).toMatchObject({ ruleId: 'R-24', ownerRole: 'CSM', ownerPersonId: r.refs['CSM-b'], escalationLevel: 'none', dueAt: '2026-07-07T22:00:00.000Z', firstActionDueAt: '2026-07-07T22:00:00.000Z', createdAt: at('2026-06-30T14:00:00'), state: 'done' });
    // recap due 48h after the end (10:45 → Thu 16 Jul 10:45), sent on time; R-30: one CTA per decision.
    expect(ctasOf(r, 'acme', 'recap')[0]).toMatchObject({ ruleId: 'R-29', ownerRole: 'CSM', dueAt: '2026-07-16T15:45:00.000Z', state: 'done' });
    expect(ctasOf(r, 'acme', 'decision').map((c) => [c.title, c.ownerRole, c.dueAt, c.firstActionDueAt]).sort()).toEqual([
      ['Approve the firewall replacement', 'vCIO', '2026-09-01T05:00:00.000Z', at('2026-07-17T16:01:00')],
      // 72h from the meeting's end (10:45), not from the report; the first-action clock runs from the CTA's opening (C-5).
      ['Start the DR runbook', 'TAM', '2026-07-17T15:45:00.000Z', at('2026-07-17T16:01:00')],
    ]);
    // the Decision Log, credit only with owner + date + budget in writing.
    expect(timeline(r, 'acme', 'decision.logged').map((e) => [e.data.title, e.data.credited])).toEqual([['Approve the firewall replacement', true], ['Start the DR runbook', false]]);
    // The meeting row feeds the radar: held, two decisions, sponsor seen, recap on time.
    const row = meetingsOf(r, 'acme').find((m) => m.id === qbr)!;
    expect(row).toMatchObject({ state: 'held', decisionCount: 2, sponsorPresent: true, heldAt: '2026-07-14T15:00:00.000Z', recapDueAt: '2026-07-16T15:45:00.000Z', recapSentAt: at('2026-07-16T14:00:00') });
    expect(timeline(r, 'acme', 'signal.duplicate')).toHaveLength(1);
    expect(timeline(r, 'acme', 'deadline.missed')).toEqual([]);
    const m = cadenceOf(r, 'acme').meetings.find((x) => x.meetingId === qbr)!;
    expect(m.preRead).toMatchObject({ dueAt: '2026-07-10T17:00:00.000-05:00', sentAt: at('2026-07-10T17:00:00'), decisionMakerConfirmed: true });
  }, 120_000);

  it('a pre-read without a confirmed decision-maker, or none by start − 48h, rescopes the meeting and books a decision call (R-26)', async () => {
    const t = team('b');
    const r = await run({
      name: 'pre-flight', end: '2026-07-14T09:00:00-05:00',
      people: [...people, ...t.people],
      clients: [client('acme', 'B', { assignments: t.assignments })],
      steps: [start('acme'), capture('acme', '+1h', { qbr: 'meetings[template=QBR].meetingId' })],
    });
    expect(r.failures).toEqual([]);
    // Nothing attached: the prep pack is missed at 17:00 on 7 Jul, the pre-read at the last business instant before start − 48h (Fri 10 Jul 17:00).
    expect(timeline(r, 'acme', 'deadline.missed').map((e) => [e.ruleId, e.data.dueAt])).toEqual([['R-24', '2026-07-07T17:00:00.000-05:00'], ['R-26', '2026-07-10T17:00:00.000-05:00']]);
    expect(ctasOf(r, 'acme', 'decision-call')).toEqual([expect.objectContaining({ ruleId: 'R-26', ownerRole: 'vCIO', createdAt: at('2026-07-10T22:00:00'), dueAt: at('2026-07-13T22:00:00') })]);
    // v2: the QBR becomes a 30-min short update and its asks move to a decision call, booked the day after it.
    const qbr = meetingsOf(r, 'acme').find((m) => m.id === r.refs.qbr)!;
    expect(qbr.data).toMatchObject({ rescoped: { shortUpdateMinutes: 30, decisionCall: 'decision-call/strategic/2026-07', asksMovedTo: 'decision-call/strategic/2026-07' } });
    expect([local(qbr.startsAt), local(qbr.endsAt)]).toEqual(['2026-07-14 10:00', '2026-07-14 10:30']);
    expect(meetingsOf(r, 'acme').filter((m) => m.kind === 'Decision Call').map((m) => [local(m.startsAt), m.accountableRole])).toEqual([['2026-07-15 10:00', 'vCIO']]);
    expect(cadenceOf(r, 'acme').meetings.find((m) => m.meetingId === r.refs.qbr)).toMatchObject({ endsAt: '2026-07-14T10:30:00.000-05:00' });
  }, 120_000);
});

describe('missed-cadence recovery (§2.5, R-33..R-35)', () => {
  it('1st miss rebooks +7 d, 2nd re-engages with At Risk and a reset, 3rd opens the cadence review and stops rebooking; a held meeting in between resets the count', async () => {
    const t1 = team('one');
    const t2 = team('two');
    const r = await run({
      name: 'misses', end: '2026-11-12T12:00:00-06:00',
      people: [...people, ...t1.people, ...t2.people],
      clients: [client('slipping', 'B', { assignments: t1.assignments }), client('recovering', 'B', { assignments: t2.assignments })],
      steps: [
        start('slipping'), start('recovering'),
        capture('slipping', '+1h', { qbr1: 'meetings[template=QBR].meetingId' }),
        capture('recovering', '+1h', { qbr2: 'meetings[template=QBR].meetingId' }),
        meetingStep('recovering', 'qbr2', '2026-07-14T10:30:00-05:00', 'recordMeetingNoShow', {}, { expect: 200 }),
        meetingStep('slipping', 'qbr1', '2026-07-14T13:00:00-05:00', 'recordMeetingHeld', { attendees: ['CEO'] }, { expect: 409, note: 'A-13: not marked held within 2h: already a miss' }),
        capture('recovering', '2026-07-15T09:00:00-05:00', { rebook2: 'meetings[kind=rebook].meetingId' }),
        meetingStep('recovering', 'rebook2', '2026-07-21T11:00:00-05:00', 'recordMeetingHeld', { attendees: ['CEO'] }, { expect: 200 }),
      ],
    }, { ref: 'slipping', fixture: 'cadence-misses' });
    expect(r.failures).toEqual([]);
    const missed = (ref: string) => timeline(r, ref, 'meeting.missed').map((e) => [local(e.occurredAt), e.data.reason, e.data.consecutiveMisses]);
    // Slipping: no pre-read, so each meeting is rescoped to a 30-min short update and judged missed 2h after 10:30.
    // QBR unmarked → rebook Tue 21 Jul → missed → re-engage + reset Thu 23 Jul, 2 bd after the miss
    // → missed → cadence review → M1 on 3 Nov missed: no further automatic rebooking.
    expect(missed('slipping')).toEqual([
      ['2026-07-14 12:30', 'notMarkedHeld', 1], ['2026-07-21 12:30', 'notMarkedHeld', 2], ['2026-07-23 12:30', 'notMarkedHeld', 3], ['2026-11-03 12:30', 'notMarkedHeld', 4],
    ]);
    expect(strategicAt(r, 'slipping')).toEqual(['2026-07-14 10:00 QBR', '2026-07-21 10:00 QBR', '2026-07-23 10:00 Reset Session', '2026-11-03 10:00 M1', '2026-12-01 10:00 M2', '2027-01-12 10:00 QBR', '2027-04-13 10:00 QBR',
      // the horizon rolled monthly: by November it reaches November 2027 (M1 = FY-end − 30 − 28 d, a Wednesday)
      '2027-07-13 10:00 QBR', '2027-11-03 10:00 M1']);
    const rows = meetingsOf(r, 'slipping');
    expect(rows.find((m) => m.id === r.refs.qbr1)!.supersededBy).toBe(rows.find((m) => local(m.startsAt) === '2026-07-21 10:00')!.id);
    expect(ctasOf(r, 'slipping', 'reengage-stakeholders')).toEqual([expect.objectContaining({ ruleId: 'R-34', ownerRole: 'CSM', dueAt: at('2026-07-24T17:30:00') })]);
    expect(timeline(r, 'slipping', 'risk.opened').map((e) => [e.ruleId, e.data.bucket, e.data.severity])).toEqual([['R-34', 'Strategic', 'Medium']]);
    // R-34 through the At Risk process (cadence v2): the re-engage CTA is the risk's first action, so no acknowledgement CTA of its own.
    const reengage = ctasOf(r, 'slipping', 'reengage-stakeholders')[0]!;
    expect(r.states[r.refs.slipping!]!.risks.map((x) => [x.row.ruleId, x.row.bucket, x.row.firstActionCtaId, x.row.status])).toEqual([['R-34', 'Strategic', reengage.id, 'open']]);
    expect(ctasOf(r, 'slipping', 'risk-acknowledge')).toEqual([]);
    // The risk asks the cadence for its executive re-engage session: merged into the R-17 reset already booked.
    expect(timeline(r, 'slipping', 'trigger.fired').map((e) => [e.ruleId, e.data.trigger, e.data.merged])).toEqual([['R-17', 'engagementDrop', false], ['R-97', 'riskReengage', true]]);
    // the review on the next Monthly Segment Review, first Tuesday of August, owned by the CS Lead.
    expect(ctasOf(r, 'slipping', 'cadence-review')).toEqual([expect.objectContaining({ ruleId: 'R-35', ownerRole: 'CS Lead', ownerPersonId: r.refs.lee, dueAt: '2026-08-04T14:00:00.000Z' })]);
    expect(cadenceOf(r, 'slipping')).toMatchObject({ consecutiveMisses: 4, autoRebookSuspended: true });

    // Recovering: a no-show is a miss and rebooks; the rebook held resets the count, so the M1 miss in November is a 1st
    // miss again (rebooked Tue 10 Nov), and the next one re-engages with a reset on Thu 12 Nov (2 bd on, A-30), still ahead
    // when the scenario ends.
    expect(missed('recovering')).toEqual([['2026-07-14 10:30', 'noShow', 1], ['2026-11-03 12:30', 'notMarkedHeld', 1], ['2026-11-10 12:30', 'notMarkedHeld', 2]]);
    expect(strategicAt(r, 'recovering').slice(0, 5)).toEqual(['2026-07-14 10:00 QBR', '2026-07-21 10:00 QBR', '2026-11-03 10:00 M1', '2026-11-10 10:00 M1', '2026-11-12 10:00 Reset Session']);
    expect(timeline(r, 'recovering', 'risk.opened').map((e) => local(e.occurredAt))).toEqual(['2026-11-10 12:30']);
  }, 180_000);
});

describe('the six triggers (R-13..R-19) with merge (R-21) and re-planning', () => {
  it('renewal merges into a QBR in range, a changed renewal date re-plans, FY-end learned late fires at once, assessment/adoption/initiative/stakeholder triggers book their meetings', async () => {
    const when = (w: string) => (w.startsWith('+') ? Date.parse(lock) + Number(w.slice(1, -1)) * 3_600_000 : Date.parse(w));
    const tm = team('m');
    const tr = team('r');
    const lock = '2026-12-01T09:00:00-06:00';
    const r = await run({
      name: 'triggers', start: lock, end: '2027-03-02T11:00:00-06:00',
      people: [...people, ...tm.people, ...tr.people],
      // Renewal 14 Apr 2027 → review on Thu 14 Jan (renewal − 90 d), firing Thu 31 Dec 09:00 (10 bd before): the QBR on Tue 12 Jan lies in range.
      clients: [client('merge', 'B', { assignments: tm.assignments, renewalDate: '2027-04-14' }), client('replan', 'B', { assignments: tr.assignments, renewalDate: '2027-04-14' })],
      steps: [
        start('merge'), start('replan'),
        // The strategic meetings are held, so no miss muddles the triggers (§2.5).
        ...['merge', 'replan'].flatMap((ref) => [
          capture(ref, '+1h', { [`${ref}Budget`]: 'meetings[template=Budget Session].meetingId', [`${ref}Qbr`]: 'meetings[template=QBR].meetingId' }),
          meetingStep(ref, `${ref}Budget`, '2026-12-03T11:00:00-06:00', 'recordMeetingHeld', { attendees: ['CFO'] }, { expect: 200 }),
          meetingStep(ref, `${ref}Qbr`, '2027-01-12T11:00:00-06:00', 'recordMeetingHeld', { attendees: ['CEO'] }, { expect: 200 }),
        ]),
        { at: '2026-12-02T10:00:00-06:00', op: 'recordAssessmentForCadence', params: { clientId: '$merge' }, body: { assessmentId: 'AS-1' }, as: 'automation', expect: 200 },
        { at: '2026-12-02T11:00:00-06:00', op: 'recordAdoption', params: { clientId: '$merge' }, body: { mfaPct: 50, endpointPct: 90 }, as: 'automation', expect: 200 },
        { at: '2026-12-03T11:00:00-06:00', op: 'recordAdoption', params: { clientId: '$merge' }, body: { mfaPct: 55 }, as: 'automation', expect: 200, note: 'one active trigger per (type, anchor): evidence appended' },
        { at: '2026-12-10T11:00:00-06:00', op: 'recordAdoption', params: { clientId: '$merge' }, body: { mfaPct: 72 }, as: 'automation', expect: 200 },
        { at: '2026-12-02T12:00:00-06:00', op: 'recordInitiativeApproved', params: { clientId: '$replan' }, body: { initiativeId: 'INI-7', title: 'Firewall replacement' }, as: 'automation', expect: 200 },
        { at: '2026-12-03T09:00:00-06:00', op: 'updateClient', params: { clientId: '$replan' }, body: { renewalDate: '2027-05-31' }, as: 'ops', expect: 200 },
        { at: '2026-12-04T09:00:00-06:00', op: 'recordStakeholderChange', params: { clientId: '$replan' }, body: { name: 'Dana CFO', stakeholderRole: 'executiveSponsor' }, as: 'automation', expect: 200 },
      ].map((step, i) => ({ step, i })).sort((a, b) => when(a.step.at) - when(b.step.at) || a.i - b.i).map((x) => x.step),
    });
    expect(r.failures).toEqual([]);
    const fired = (ref: string) => timeline(r, ref, 'trigger.fired').map((e) => [local(e.occurredAt), e.ruleId, e.data.trigger, e.data.targetDate, e.data.merged]);
    const bookedFor = (ref: string, kind: string) => meetingsOf(r, ref).filter((m) => m.kind === kind).map((m) => [local(m.startsAt), m.accountableRole]);

    // merge: FY-end 31 Dec learned at lock (its 17 Nov fire already past): fires now, meeting within 10 bd (R-14, by Tue 15 Dec)
    // from 2 bd on → Budget Session Thu 3 Dec. Assessment 2 Dec → roadmap review by Fri 11 Dec and MFA 50 % →
    // remediation sync by Mon 7 Dec both find that strategic meeting in range and merge into it.
    // Renewal fires 31 Dec and merges into the 12 Jan QBR.
    expect(fired('merge')).toEqual([
      ['2026-12-01 09:00', 'R-14', 'fiscalYearEnd', '2026-12-15', false],
      ['2026-12-02 10:00', 'R-15', 'assessmentCompleted', '2026-12-11', true],
      ['2026-12-02 11:00', 'R-18', 'adoptionBelowThreshold', '2026-12-07', true],
      ['2026-12-31 09:00', 'R-13', 'renewal', '2027-01-14', true],
    ]);
    expect(bookedFor('merge', 'Budget Session')).toEqual([['2026-12-03 10:00', 'vCIO']]);
    const budget = meetingsOf(r, 'merge').find((m) => m.kind === 'Budget Session')!;
    expect(budget.data).toMatchObject({ agendaBlocks: ['assessmentCompleted:AS-1', 'adoptionBelowThreshold:mfa'], agenda: ['budget', 'roadmap', 'adoption remediation'] });
    expect(bookedFor('merge', 'Roadmap Review')).toEqual([]);
    expect(bookedFor('merge', 'Remediation Sync')).toEqual([]);
    expect(bookedFor('merge', 'Renewal Review')).toEqual([]);
    const qbr = meetingsOf(r, 'merge').find((m) => m.kind === 'QBR')!;
    expect(qbr.data.agendaBlocks).toEqual(['renewal:2027-04-14']);
    expect(ctasOf(r, 'merge', 'trigger-renewal')).toEqual([expect.objectContaining({ ruleId: 'R-13', ownerRole: 'AM', dueAt: at('2027-01-03T15:00:00'), data: { meetingId: qbr.id } })]);
    // Adoption: a repeat appends evidence, back over 60 % clears the trigger and closes its CTA.
    expect(timeline(r, 'merge', 'process.fact_recorded').filter((e) => e.data.fact === 'triggerEvidence').map((e) => (e.data.details as { evidence: number }).evidence)).toEqual([2]);
    expect(timeline(r, 'merge', 'trigger.cleared').map((e) => [local(e.occurredAt), e.data.anchor])).toEqual([['2026-12-10 11:00', 'mfa']]);
    expect(ctasOf(r, 'merge', 'trigger-adoptionBelowThreshold')).toEqual([expect.objectContaining({ ownerRole: 'TAM', state: 'done' })]);

    // replan: the delivery kickoff (≤10 bd, R-16) merges into the Budget Session of 15 Dec, a strategic meeting in range;
    // renewal moved to 31 May → the planned 31 Dec fire is withdrawn and re-planned: review Tue 2 Mar, firing Tue 16 Feb
    // 09:00, with its own meeting (no strategic meeting in range).
    expect(bookedFor('replan', 'Delivery Kickoff')).toEqual([]);
    expect(meetingsOf(r, 'replan').find((m) => m.kind === 'Budget Session')!.data.agendaBlocks).toEqual(['initiativeApproved:INI-7']);
    expect(ctasOf(r, 'replan', 'trigger-initiativeApproved')).toEqual([expect.objectContaining({ ruleId: 'R-16', ownerRole: 'PM' })]);
    expect(timeline(r, 'replan', 'trigger.replanned').filter((e) => e.data.before).map((e) => [e.data.before, e.data.after])).toEqual([
      [{ anchor: '2027-04-14', fireAt: '2026-12-31T09:00:00.000-06:00' }, { anchor: '2027-05-31', fireAt: '2027-02-16T09:00:00.000-06:00' }],
    ]);
    expect(fired('replan')).toEqual([
      ['2026-12-01 09:00', 'R-14', 'fiscalYearEnd', '2026-12-15', false],
      ['2026-12-02 12:00', 'R-16', 'initiativeApproved', '2026-12-16', true],
      ['2026-12-04 09:00', 'R-19', 'stakeholderChange', '2026-12-14', false],
      ['2027-02-16 09:00', 'R-13', 'renewal', '2027-03-02', false],
    ]);
    expect(bookedFor('replan', 'Renewal Review')).toEqual([['2027-03-02 10:00', 'AM']]);
    // Within 10 d from 2 bd on: Tue 8 Dec, at 10:30 as the CSM's check-in holds 10:00 (A-25 slot).
    expect(bookedFor('replan', 'New-Sponsor Intro')).toEqual([['2026-12-08 10:30', 'CSM']]);
    expect(ctasOf(r, 'replan', 'trigger-stakeholderChange')).toEqual([expect.objectContaining({ ruleId: 'R-19', ownerRole: 'CSM', dueAt: at('2026-12-05T15:00:00') })]);
  }, 240_000);
});

describe('segment change mid-year (R-9)', () => {
  it('booked meetings keep their dates but switch template, mode and RACI; new types start in the first month ≥14 days after; unused types are cancelled', async () => {
    const t = team('s');
    const r = await run({
      name: 'segment change', end: '2026-06-02T09:00:00-05:00',
      people: [...people, ...t.people],
      clients: [client('acme', 'B', { assignments: t.assignments }), client('calm', 'C', { assignments: team('s').assignments })],
      steps: [
        start('acme'), start('calm'),
        // B → A (maturity 2 → 4, R-1) on Mon 1 Jun: the new rhythm starts in July (1 Jul ≥ 1 Jun + 14 d).
        { at: '2026-06-01T09:00:00-05:00', op: 'updateClient', params: { clientId: '$acme' }, body: { maturity: 4 }, as: 'ops', expect: 200 },
        // C → D (appetite stays 2, maturity 4 → 1): D has no strategic Reviews, so they are cancelled.
        { at: '2026-06-01T09:05:00-05:00', op: 'updateClient', params: { clientId: '$calm' }, body: { maturity: 1 }, as: 'ops', expect: 200 },
      ],
    });
    expect(r.failures).toEqual([]);
    expect(cadenceOf(r, 'acme')).toMatchObject({ segment: 'A', touchTier: 'VIP' });
    const live = (ref: string) => meetingsOf(r, ref).filter((m) => m.strategic && m.state !== 'cancelled').map((m) => `${local(m.startsAt)} ${(m.data as { template?: string }).template ?? m.kind}`);
    // B's QBRs and planning meetings keep their dates as A meetings (Executive QBR; B's M1/M2 = A's M2/M3, counted back from the
    // budget meeting), A's M1 and monthly strategic meetings are added from July.
    expect(live('acme')).toEqual([
      '2026-07-14 10:00 Executive QBR', '2026-08-11 10:00 Monthly Strategic', '2026-09-08 10:00 Monthly Strategic', '2026-10-06 10:00 M1', '2026-11-03 10:00 M2', '2026-12-01 10:00 M3',
      '2027-01-12 10:00 Executive QBR', '2027-02-09 10:00 Monthly Strategic', '2027-03-09 10:00 Monthly Strategic', '2027-04-13 10:00 Executive QBR', '2027-05-11 10:00 Monthly Strategic',
      '2027-06-08 10:00 Monthly Strategic',
    ]);
    const restyled = timeline(r, 'acme', 'meeting.restyled');
    expect(restyled.every((e) => e.ruleId === 'R-9')).toBe(true);
    expect(restyled.filter((e) => ['Executive QBR', 'M2', 'M3'].includes(e.data.template as string)).map((e) => e.data.template).sort()).toEqual(['Executive QBR', 'Executive QBR', 'Executive QBR', 'M2', 'M3']);
    expect(timeline(r, 'acme', 'meeting.scheduled').filter((e) => e.ruleId === 'R-62' || e.data.kind === 'Monthly Strategic').filter((e) => Date.parse(e.occurredAt) >= Date.parse('2026-06-01T14:00:00Z')).map((e) => e.data.kind))
      .toEqual(expect.arrayContaining(['M1', 'Monthly Strategic']));
    // C → D: the three Reviews and C's FY-anchored planning meeting are cancelled with their rule; D's Annual IT Strategy,
    // anchored on renewal − 90 d, is booked instead (async-first).
    expect(timeline(r, 'calm', 'meeting.cancelled').map((e) => [e.ruleId, e.data.reason])).toEqual(Array(4).fill(['R-9', 'type not used by segment D (R-9)']));
    expect(live('calm')).toEqual(['2027-04-01 10:00 Annual IT Strategy']);
    expect(meetingsOf(r, 'calm').find((m) => m.strategic && m.state !== 'cancelled')!.mode).toBe('async');
  }, 120_000);
});

describe('capacity guardrails (R-36, R-37)', () => {
  it('automatic booking never overbooks: the second client\'s QBR moves to the next allowed slot and says why; GET /v1/capacity reports the load', async () => {
    const r = await run({
      name: 'capacity', end: '+2h',
      policy: { capacity: { vcioMaxStrategicPerWeek: 1 } },
      clients: [client('first', 'B'), client('second', 'B')],
      steps: [start('first'), start('second'), { at: '+1h', op: 'getCapacity', as: 'manager', expect: 200 }],
    });
    expect(r.failures).toEqual([]);
    // Val is vCIO of both; with at most one strategic meeting a week, the second QBR cannot be Tue 14 Jul or any day that week.
    expect(strategicAt(r, 'first')[0]).toBe('2026-07-14 10:00 QBR');
    expect(strategicAt(r, 'second')[0]).toBe('2026-07-21 10:00 QBR');
    const moved = timeline(r, 'second', 'meeting.scheduled').find((e) => e.data.kind === 'QBR')!;
    // On the way: Tue 14 (Val is in the first QBR and the week is full), Wed/Thu (week cap), Fri (no slots), the weekend, Mon 20
    // (the CSM records the QBR, so it goes on a batch day: A-22) → Tue 21.
    expect(moved.why).toMatchObject({ placement: { movedFrom: '2026-07-14T10:00:00.000-05:00', movedBecause: ['notBusinessDay', 'noSlotWeekday', 'notBatchDay', 'doubleBooked', 'strategicWeekCap'] }, accountable: { role: 'vCIO', personId: r.refs.val }, capacityRules: ['R-36', 'R-37'] });
    // No week of Val's holds two strategic meetings.
    const capacity = r.steps.find((s) => s.op === 'getCapacity')!.body as { people: { personId: string; weeks: { week: string; strategicMeetings: number }[] }[] };
    const val = capacity.people.find((p) => p.personId === r.refs.val)!;
    expect(val.weeks.length).toBeGreaterThan(10);
    expect(Math.max(...val.weeks.map((w) => w.strategicMeetings))).toBe(1);
    // Check-ins (tactical, CSM Casey for both clients) on the same Tuesday slot: the second client's takes a later time.
    const firstCheckin = meetingsOf(r, 'first').find((m) => m.kind === 'Check-in')!;
    const secondCheckin = meetingsOf(r, 'second').find((m) => m.kind === 'Check-in')!;
    expect(firstCheckin.accountablePersonId).toBe(secondCheckin.accountablePersonId);
    expect(Date.parse(secondCheckin.startsAt)).toBeGreaterThan(Date.parse(firstCheckin.startsAt));
    // Across the two clients, nobody's scheduled meetings overlap; within one batch: cadence-booking.test.ts.
    const byPerson = new Map<string, { startsAt: string; endsAt: string }[]>();
    for (const m of [...meetingsOf(r, 'first'), ...meetingsOf(r, 'second')]) {
      if (m.state !== 'scheduled' || !m.accountablePersonId) continue;
      byPerson.set(m.accountablePersonId, [...(byPerson.get(m.accountablePersonId) ?? []), m]);
    }
    expect(byPerson.size).toBeGreaterThan(1);
    for (const list of byPerson.values()) {
      const sorted = list.sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
      for (let i = 1; i < sorted.length; i++) expect(Date.parse(sorted[i]!.startsAt)).toBeGreaterThanOrEqual(Date.parse(sorted[i - 1]!.endsAt));
    }
  }, 120_000);
});

describe('years of cadence (R-10 rolling horizon, continue-as-new)', () => {
  it('keeps a 12-month horizon rolling and continues as new each simulated year with bounded history', async () => {
    const t = team('y');
    const r = await run({
      name: 'two years', end: '2028-06-10T09:00:00-05:00',
      people: [...people, ...t.people],
      clients: [client('acme', 'A', { assignments: t.assignments })],
      steps: [start('acme'),
        // R-35's review after the 3rd miss resumes automatic rebooking once a year, so the run keeps working every month.
        { at: '2027-05-20T09:00:00-05:00', op: 'recordCadenceReview', params: { clientId: '$acme' }, body: { outcome: 'executiveReset', note: 'Sponsor re-engaged' }, as: 'ops', expect: 200 },
      ],
    }, { ref: 'acme', fixture: 'cadence-continued-as-new' });
    expect(r.failures).toEqual([]);
    const s = r.states[r.refs.acme!]!;
    // One run per simulated year: started at lock, continued after twelve monthly extensions (1 Jun … 1 May) each.
    expect(s.cadenceRuns.map((x) => local(x.startedAt).slice(0, 10))).toEqual(['2026-05-11', '2027-05-01', '2028-05-01']);
    // Events per simulated year stay far below Temporal's limits (50k events / 50 MB), and the carried state is small.
    for (const run of s.cadenceRuns.slice(0, 2)) expect(run.events).toBeLessThan(5_000);
    console.log(`cadence history events per simulated year (A, VIP, unattended): ${s.cadenceRuns.map((x) => x.events).join(', ')}`);
    // The horizon always reaches 12 months ahead: in June 2028 it is booked through June 2029.
    expect(cadenceOf(r, 'acme').bookedThrough).toBe('2029-06');
    expect(timeline(r, 'acme', 'process.started')).toHaveLength(1);
    // Each year's budget meeting on FY-end − 30 d; 1 Dec 2028 is a Friday, booked there all the same: an anchored date
    // is a preference-free date.
    expect(meetingsOf(r, 'acme').filter((m) => m.kind === 'M3').map((m) => local(m.startsAt))).toEqual(['2026-12-01 10:00', '2027-12-01 10:00', '2028-12-01 10:00']);
  }, 300_000);
});

describe('client changes the API could not deliver', () => {
  it('the monthly horizon roll re-reads the client and re-plans date triggers (R-13) and segment (R-9) it missed', async () => {
    const t = team('z');
    const lock = '2026-12-01T09:00:00-06:00';
    const r = await run({
      name: 'monthly client sync', start: lock, end: '2027-01-02T09:00:00-06:00',
      people: [...people, ...t.people],
      clients: [client('acme', 'B', { assignments: t.assignments, renewalDate: '2027-06-30' })],
      steps: [start('acme'), { at: '2026-12-10T09:00:00-06:00', op: 'getCadence', params: { clientId: '$acme' }, expect: 200, note: 'the row changes behind the API just before this step' }],
    }, { ref: 'acme', fixture: 'cadence-client-sync' }, async (index, db, refs) => {
      if (index !== 1) return;
      // As if the API's notification had been lost (Temporal unreachable): only the row changes.
      await db.update(clientsTable).set({ renewalDate: '2027-07-31', segment: 'A', goalLevel: 4 }).where(eq(clientsTable.id, refs.acme!));
    });
    expect(r.failures).toEqual([]);
    // 1 Jan 00:00, the monthly roll: renewal 30 Jun → 31 Jul re-planned (review Fri 30 Apr, ROLLed from Sun 2 May; fires Fri 16 Apr 09:00).
    const replanned = timeline(r, 'acme', 'trigger.replanned').filter((e) => e.data.before);
    expect(replanned.map((e) => [local(e.occurredAt), e.data.before, e.data.after])).toEqual([
      ['2027-01-01 00:00', { anchor: '2027-06-30', fireAt: '2027-03-18T09:00:00.000-05:00' }, { anchor: '2027-07-31', fireAt: '2027-04-16T09:00:00.000-05:00' }],
    ]);
    // …and B → A: the January QBR keeps its date as an Executive QBR, A's monthly rhythm starts in February (≥14 d later).
    const segment = timeline(r, 'acme', 'process.fact_recorded').filter((e) => e.data.fact === 'segmentChanged');
    expect(segment.map((e) => [local(e.occurredAt), e.ruleId, e.actor.kind])).toEqual([['2027-01-01 00:00', 'R-9', 'system']]);
    expect(cadenceOf(r, 'acme')).toMatchObject({ segment: 'A' });
    const restyled = timeline(r, 'acme', 'meeting.restyled').map((e) => e.data.template);
    expect(restyled).toContain('Executive QBR');
    expect(strategicAt(r, 'acme').filter((x) => x.includes('Monthly Strategic'))[0]).toBe('2027-02-09 10:00 Monthly Strategic');
  }, 120_000);
});
