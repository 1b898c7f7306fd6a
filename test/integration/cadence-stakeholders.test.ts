import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The client's people in the cadence (issue 9) and the cadence's non-meeting touches (§2.2, R-12),
 * through the API on the time-skipping server. Chicago, lock Mon 2026-05-11 09:00 (CDT −05:00).
 */
const LOCK = '2026-05-11T09:00:00-05:00';
const team = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] }, { ref: 'avery', name: 'Avery AM', roles: ['AM'] }, { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' }, 'CS Lead': { person: 'lee' } };
const people = [
  { name: 'Dana Diaz', email: 'dana@acme.test', roles: ['executiveSponsor'] },
  { name: 'Chris Cho', title: 'CFO', email: 'chris@acme.test', roles: ['decisionMaker', 'budgetHolder'] },
  { name: 'Ira Ito', email: 'ira@acme.test', roles: ['itOps'] },
];
const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).slice(0, 16);
const onMeeting = (at: string, op: string, meeting: string, body: unknown, expect = 200) => ({ at, op, params: { clientId: '$acme', meetingId: `$${meeting}` }, body, as: 'automation', expect });

async function run(name: string, client: Record<string, unknown>, end: string, steps: unknown[]): Promise<RehearsalResult> {
  return rehearse(ScenarioSchema.parse({
    name, timeZone: 'America/Chicago', start: LOCK, end, people: team,
    clients: [{ ref: 'acme', name: 'Acme Inc', mrr: 12000, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', assignments, ...client }],
    steps: [{ at: '+0h', op: 'startCadence', params: { clientId: '$acme' }, expect: 201 }, ...steps],
  }), { postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle() });
}

describe('the client\'s people in the cadence (issue 9: R-26, R-27, R-104, R-106, R-123)', () => {
  it('invites from the registry, books the decision call with the decision-maker who declined, and records attendance and a client-owned decision', async () => {
    const r = await run('stakeholders', { maturity: 2, appetite: 4, stakeholders: people }, '2026-07-16T09:00:00-05:00', [
      { at: '+1h', op: 'getCadence', params: { clientId: '$acme' }, capture: { qbr: 'meetings[template=QBR].meetingId' }, expect: 200 },
      { at: '+1h', op: 'listClientStakeholders', params: { clientId: '$acme' }, capture: { dana: 'items[name=Dana Diaz].id', chris: 'items[name=Chris Cho].id' }, expect: 200 },
      onMeeting('2026-07-06T10:00:00-05:00', 'attachPrepPack', 'qbr', {}),
      onMeeting('2026-07-07T10:00:00-05:00', 'signOffPrepReview', 'qbr', {}),
      onMeeting('2026-07-09T10:00:00-05:00', 'sendPreRead', 'qbr', { declinedStakeholderIds: ['00000000-0000-4000-8000-000000000000'] }, 422),
      onMeeting('2026-07-09T10:01:00-05:00', 'sendPreRead', 'qbr', { confirmedStakeholderIds: ['$dana'], declinedStakeholderIds: ['$chris'] }),
      { at: '2026-07-09T10:02:00-05:00', op: 'getCadence', params: { clientId: '$acme' }, capture: { call: 'meetings[template=Decision Call].meetingId' }, expect: 200 },
      onMeeting('2026-07-14T11:00:00-05:00', 'recordMeetingHeld', 'qbr', { attendeeStakeholderIds: ['$dana'], decisions: [{ title: 'Replace the firewall', ownerStakeholderId: '$chris' }] }, 409),
      onMeeting('2026-07-14T11:01:00-05:00', 'recordMeetingHeld', 'qbr', { attendeeStakeholderIds: ['$dana'] }),
      onMeeting('2026-07-15T11:00:00-05:00', 'recordMeetingHeld', 'call', { attendeeStakeholderIds: ['$chris'], decisions: [{ title: 'Replace the firewall', ownerStakeholderId: '$chris', targetDate: '2026-09-30', budgetUsd: 18000 }] }),
    ]);
    expect(r.failures).toEqual([]);
    const rows = r.states[r.refs.acme!]!.meetings;
    const qbr = rows.find((m) => m.id === r.refs.qbr)!;
    // Invited at booking from the registry: the decision-maker is required, the sponsor invited.
    expect((qbr.data.invitees as { name: string; required: boolean }[]).map((i) => [i.name, i.required])).toEqual([['Chris Cho', true], ['Dana Diaz', false]]);
    // An unknown id is a 422 naming the field; Chris declined → rescoped, the decision call booked with him the day after the QBR.
    expect(r.steps[5]!.body).toMatchObject({ status: 422, errors: [{ path: 'declinedStakeholderIds' }] });
    const call = rows.find((m) => m.id === r.refs.call)!;
    expect([local(call.startsAt), call.kind]).toEqual(['2026-07-15 10:00', 'Decision Call']);
    const decisionCallCta = r.states[r.refs.acme!]!.ctas.find((c) => c.kind === 'decision-call')!;
    expect(decisionCallCta.title).toBe('Confirm the decision call with Chris Cho: the QBR of Tue 14 Jul was rescoped to a short update');
    // The short update takes no decision (R-26: its asks moved to the call); attendance by id: the sponsor came, no decision-maker.
    expect(r.steps[8]!.body).toMatchObject({ status: 409, ruleId: 'R-26' });
    expect(qbr).toMatchObject({ state: 'held', sponsorPresent: true });
    expect(qbr.data).toMatchObject({ attendeeStakeholderIds: [r.refs.dana], decisionMakerPresent: false });
    // The decision on the call is Chris's (R-27 "owner CFO"); the MSP follows through under the role paired with him.
    const logged = r.timelines[r.refs.acme!]!.filter((e: LedgerEvent) => e.type === 'decision.logged');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.data).toMatchObject({ title: 'Replace the firewall', ownerStakeholderId: r.refs.chris, ownerName: 'Chris Cho', credited: true });
    expect(['AM', 'vCIO']).toContain(logged[0]!.data.ownerRole);
    expect(call.data).toMatchObject({ decisionMakerPresent: true });
  }, 180_000);

  it('D\'s monthly auto report and quarterly digital touch open as CTAs for their period and escalate when their due passes undone (§2.2, R-12, A-28)', async () => {
    const r = await run('touches', { maturity: 1, appetite: 1 }, '2026-07-02T09:00:00-05:00', []);
    expect(r.failures).toEqual([]);
    const touches = r.states[r.refs.acme!]!.ctas.filter((c) => c.kind.startsWith('deliverable-')).map((c) => [c.kind, local(c.createdAt), local(c.dueAt), c.ownerRole]);
    // D: Cadence Owner TAM (§2.19); due on the last business day of the period at 17:00 (Fri 29 May, Tue 30 Jun).
    expect(touches).toEqual([
      ['deliverable-autoReport', '2026-05-11 09:00', '2026-05-29 17:00', 'TAM'],
      ['deliverable-digitalTouch', '2026-05-11 09:00', '2026-06-30 17:00', 'TAM'],
      ['deliverable-autoReport', '2026-06-01 09:00', '2026-06-30 17:00', 'TAM'],
      ['deliverable-autoReport', '2026-07-01 09:00', '2026-07-31 17:00', 'TAM'],
      ['deliverable-digitalTouch', '2026-07-01 09:00', '2026-09-30 17:00', 'TAM'],
    ]);
    // Not delivered by its due: escalated at that instant, not on a 72h first-action clock.
    // Then on to the CS Lead after the escalation window (72h, R-122).
    const touch = new Map(r.states[r.refs.acme!]!.ctas.filter((c) => c.kind.startsWith('deliverable-')).map((c) => [c.id, `${c.kind} due ${local(c.dueAt)}`]));
    const escalated = r.timelines[r.refs.acme!]!.filter((e) => e.type === 'cta.escalated' && touch.has(String(e.data.ctaId))).map((e) => [touch.get(String(e.data.ctaId)), e.data.level, local(e.occurredAt)]).sort((a, b) => String(a[2]).localeCompare(String(b[2])) || String(a[0]).localeCompare(String(b[0])));
    expect(escalated).toEqual([
      ['deliverable-autoReport due 2026-05-29 17:00', 'backup', '2026-05-29 17:00'],
      ['deliverable-autoReport due 2026-05-29 17:00', 'csLead', '2026-06-01 17:00'],
      ['deliverable-autoReport due 2026-06-30 17:00', 'backup', '2026-06-30 17:00'],
      ['deliverable-digitalTouch due 2026-06-30 17:00', 'backup', '2026-06-30 17:00'],
    ]);
  }, 180_000);
});
