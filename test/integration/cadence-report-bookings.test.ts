import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Issue 9's durability bug: a meeting booked as the consequence of a report (the R-33 rebook after a
 * no-show, a trigger meeting booked from a report) must have its timers armed at once. Each
 * rehearsal sends the report and then nothing else: every deadline of the booked meeting must still
 * fire at its instant. Chicago, lock Mon 2026-05-11 09:00 (CDT −05:00).
 */
const LOCK = '2026-05-11T09:00:00-05:00';
const team = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] }, { ref: 'avery', name: 'Avery AM', roles: ['AM'] }, { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, 'CS Lead': { person: 'lee' } };
// B: maturity ≤2, appetite ≥3; MRR 12,000 → High tier, B → VIP touch.
const client = { ref: 'acme', name: 'Acme Inc', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments };

async function run(name: string, end: string, steps: unknown[]): Promise<RehearsalResult> {
  return rehearse(ScenarioSchema.parse({ name, timeZone: 'America/Chicago', start: LOCK, end, people: team, clients: [client], steps: [{ at: '+0h', op: 'startCadence', params: { clientId: '$acme' }, expect: 201 }, ...steps] }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
  });
}

const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).slice(0, 16);
const events = (r: RehearsalResult, type: string): LedgerEvent[] => r.timelines[r.refs.acme!]!.filter((e) => e.type === type);
const meetings = (r: RehearsalResult) => r.states[r.refs.acme!]!.meetings;

describe('timers of a meeting booked by a report are armed at once (issue 9)', () => {
  it('the R-33 rebook after a no-show: its prep pack, pre-read and miss grace fire at their instants with no later report', async () => {
    const r = await run('rebook, then silence', '2026-07-24T12:00:00-05:00', [
      { at: '+1h', op: 'getCadence', params: { clientId: '$acme' }, capture: { qbr: 'meetings[template=QBR].meetingId' }, expect: 200 },
      { at: '2026-07-14T10:30:00-05:00', op: 'recordMeetingNoShow', params: { clientId: '$acme', meetingId: '$qbr' }, body: {}, as: 'automation', expect: 200 },
    ]);
    expect(r.failures).toEqual([]);
    // the QBR of Tue 14 Jul is rebooked on Tue 21 Jul 10:00, booked at 10:30 on the 14th — on its T-5 bd date, so at short
    // notice: the pack is due Mon 20 Jul 17:00 and its CTA opens at once.
    const rebook = meetings(r).find((m) => local(m.startsAt) === '2026-07-21 10:00')!;
    expect(rebook).toMatchObject({ kind: 'QBR', strategic: true });
    const prepCta = r.states[r.refs.acme!]!.ctas.find((c) => c.kind === 'prep-pack' && (c.data as { meetingId?: string }).meetingId === rebook.id)!;
    expect(local(prepCta.createdAt)).toBe('2026-07-14 10:30');
    expect(local(prepCta.dueAt)).toBe('2026-07-20 17:00');
    const missed = events(r, 'deadline.missed').filter((e) => String(e.data.deadline).endsWith(rebook.id)).map((e) => [e.ruleId, local(e.occurredAt)]);
    // pre-read due start − 48h = Sun 19 Jul 10:00 → the last business instant before it, Fri 17 Jul 17:00; R-24: the pack Mon 20 Jul 17:00.
    expect(missed).toEqual([['R-26', '2026-07-17 17:00'], ['R-24', '2026-07-20 17:00']]);
    // Rescoped to a 30-min short update, so its grace ends 12:30; not marked held → the second consecutive miss.
    // The reset the second miss booked (a due step) has its timers too: unmarked by 12:30 on Thu 23 Jul, the third miss.
    expect(events(r, 'meeting.missed').map((e) => [local(e.occurredAt), e.data.consecutiveMisses])).toEqual([['2026-07-14 10:30', 1], ['2026-07-21 12:30', 2], ['2026-07-23 12:30', 3]]);
    expect(events(r, 'risk.opened').map((e) => e.ruleId)).toEqual(['R-34']);
    // The decision calls the two rescopes booked (the QBR's own, before its no-show, and the rebook's) and the R-17 reset the
    // second miss booked (both by the due loop) are on the calendar.
    expect(meetings(r).filter((m) => m.kind === 'Decision Call' || m.kind === 'Reset Session').map((m) => `${local(m.startsAt)} ${m.kind}`)).toEqual([
      '2026-07-15 10:00 Decision Call', '2026-07-22 10:00 Decision Call', '2026-07-23 10:00 Reset Session',
    ]);
  }, 180_000);

  it('a Roadmap Review booked by an assessment report (R-15, strategic: A-27): its deadlines fire with nothing else reported', async () => {
    const r = await run('assessment, then silence', '2026-06-20T12:00:00-05:00', [
      { at: '2026-06-10T15:00:00-05:00', op: 'recordAssessmentForCadence', params: { clientId: '$acme' }, body: { assessmentId: 'AS-1' }, as: 'automation', expect: 200 },
    ]);
    expect(r.failures).toEqual([]);
    // Completed Wed 10 Jun + 10 d = Sat 20 Jun → ROLL → Fri 19 Jun 10:00, strategic, booked for 45 min — then rescoped to a 30-min
    // short update when its pre-read did not come.
    const review = meetings(r).find((m) => m.kind === 'Roadmap Review')!;
    expect([local(review.startsAt), local(review.endsAt), review.strategic]).toEqual(['2026-06-19 10:00', '2026-06-19 10:30', true]);
    expect(local(String(events(r, 'meeting.scheduled').find((e) => e.data.meetingId === review.id)!.data.endsAt))).toBe('2026-06-19 10:45');
    const missed = events(r, 'deadline.missed').filter((e) => String(e.data.deadline).endsWith(review.id)).map((e) => [e.ruleId, local(e.occurredAt)]);
    // T-5 bd = Fri 12 Jun 17:00 (R-24, C-4); pre-read start − 48h = Wed 17 Jun 10:00.
    expect(missed).toEqual([['R-24', '2026-06-12 17:00'], ['R-26', '2026-06-17 10:00']]);
    expect(events(r, 'meeting.missed').map((e) => [local(e.occurredAt), e.data.meetingId])).toEqual([['2026-06-19 12:30', review.id]]);
  }, 180_000);
});
