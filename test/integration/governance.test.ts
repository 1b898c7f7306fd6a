import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { clients, ctas } from '../../db/schema.js';
import { rehearse, type RehearsalOptions, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The governance routines end to end, as rehearsals on the time-skipping server: each
 * routine is a long-running process that meets at the policy's instants, assembles its agenda from
 * the data and waits for the report that it was held. The MSP works in Chicago
 * (`governance.timeZone`); lock Monday 2026-05-11 09:00 CDT (−05:00).
 */
const LOCK = '2026-05-11T09:00:00-05:00';
const people = [
  { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const team = (s: string) => ({
  people: [['CSM', 'CSM'], ['AM', 'AM'], ['TAM', 'TAM'], ['vCIO', 'vCIO']].map(([ref, role]) => ({ ref: `${ref}-${s}`, name: `${role} ${s}`, roles: [role] })),
  assignments: { CSM: { person: `CSM-${s}`, backup: `AM-${s}` }, AM: { person: `AM-${s}` }, TAM: { person: `TAM-${s}` }, vCIO: { person: `vCIO-${s}` }, 'CS Lead': { person: 'lee' } },
});
// B = maturity ≤2 and appetite ≥3; MRR 12,000 = High tier → VIP touch.
const bClient = (ref: string, assignments: Record<string, unknown>) => ({ ref, name: `${ref} Inc`, mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', fiscalYearEnd: '12-31', renewalDate: '2027-06-30', assignments });

async function run(input: Record<string, unknown>, opts: { record?: { routine: string; fixture: string }; beforeStep?: RehearsalOptions['beforeStep'] } = {}): Promise<RehearsalResult> {
  return rehearse(ScenarioSchema.parse({ timeZone: 'America/Chicago', start: LOCK, policy: { governance: { timeZone: 'America/Chicago' } }, ...input }), {
    postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(), ...(opts.beforeStep ? { beforeStep: opts.beforeStep } : {}),
    // `RECORD_HISTORIES=1` refreshes the replay fixture of the governance routine (test/unit/replay.test.ts).
    onHistory: (ref, history, process_) => {
      if (!process.env.RECORD_HISTORIES || process_ !== 'governance' || opts.record?.routine !== ref) return;
      fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${opts.record.fixture}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    },
  });
}

const stepBody = (r: RehearsalResult, op: string, n = 0) => r.steps.filter((s) => s.op === op)[n]!.body as any;

describe('the Monthly Segment Review (R-125, R-35)', () => {
  it('meets on the policy\'s first Tuesday, puts the R-35 cadence reviews due at it on its agenda (not later ones, not done ones), and records who held it; unreported sessions are missed', async () => {
    const t = team('one');
    const extra: Record<string, string> = {};
    const r = await run({
      name: 'monthly segment review', end: '2026-08-06T12:00:00-05:00', governance: ['monthlySegmentReview'],
      people: [...people, ...t.people], clients: [bClient('slipping', t.assignments)],
      steps: [
        { at: '+0h', op: 'startCadence', params: { clientId: '$slipping' }, expect: 201 },
        { at: '2026-08-03T09:00:00-05:00', op: 'getGovernanceRoutines', as: 'manager', expect: 200 },
        { at: '2026-08-04T12:00:00-05:00', op: 'getGovernanceSession', params: { sessionId: 'monthlySegmentReview-2026-08' }, as: 'manager', expect: 200 },
        {
          at: '2026-08-04T12:05:00-05:00', op: 'recordGovernanceSessionHeld', params: { sessionId: 'monthlySegmentReview-2026-08' }, as: 'manager', idempotencyKey: 'msr-2026-08-held',
          body: { attendeeIds: ['$lee', '$CSM-one'], notes: 'slipping: downgrade to semi-annual reviews' }, expect: 200,
        },
        {
          at: '2026-08-04T12:06:00-05:00', op: 'recordGovernanceSessionHeld', params: { sessionId: 'monthlySegmentReview-2026-08' }, as: 'manager', idempotencyKey: 'msr-2026-08-held',
          body: { attendeeIds: ['$lee', '$CSM-one'], notes: 'slipping: downgrade to semi-annual reviews' }, expect: 200, note: 'a repeat (C-6)',
        },
        { at: '2026-08-04T12:07:00-05:00', op: 'recordGovernanceSessionHeld', params: { sessionId: 'monthlySegmentReview-2026-09' }, as: 'manager', body: { attendeeIds: ['$lee'] }, expect: 404, note: 'has not met yet' },
      ],
    }, {
      record: { routine: 'monthlySegmentReview', fixture: 'governance-monthly-segment-review' },
      // The day before the review: another R-35 review due at September's, and one already done — neither belongs on August's agenda.
      beforeStep: async (i, db, refs) => {
        if (i !== 1) return;
        const [c] = await db.select().from(clients).where(eq(clients.id, refs.slipping!));
        for (const [key, dueAt, state] of [['later', '2026-09-01T14:00:00.000Z', 'open'], ['done', '2026-08-04T14:00:00.000Z', 'done']] as const) {
          extra[key] = randomUUID();
          await db.insert(ctas).values({
            id: extra[key]!, clientId: c!.id, process: 'cadence', kind: 'cadence-review', title: `review ${key}`, ruleId: 'R-35', ownerRole: 'CS Lead', ownerPersonId: refs.lee!,
            state, dueAt, firstActionDueAt: dueAt, createdAt: '2026-08-03T14:00:00.000Z', updatedAt: '2026-08-03T14:00:00.000Z',
          });
        }
      },
    });
    expect(r.failures).toEqual([]);
    const routines = stepBody(r, 'getGovernanceRoutines');
    const monthly = routines.routines.find((x: any) => x.routine === 'monthlySegmentReview');
    expect(monthly.next).toMatchObject({ sessionId: 'monthlySegmentReview-2026-08', localDate: '2026-08-04', scheduledFor: '2026-08-04T10:00:00.000-05:00' });
    expect(monthly.latest).toMatchObject({ id: 'monthlySegmentReview-2026-07', state: 'missed' });

    // The slipping client's QBR (14 Jul), its rebook (21 Jul) and the reset (23 Jul) were never held: R-35's review is due at
    // this Monthly Segment Review (09:00 CDT on Tue 4 Aug, the client's zone) — the only one on its agenda.
    const session = stepBody(r, 'getGovernanceSession');
    expect(session).toMatchObject({ id: 'monthlySegmentReview-2026-08', state: 'convened', scheduledFor: '2026-08-04T15:00:00.000Z', endsAt: '2026-08-04T16:00:00.000Z', heldBy: '2026-08-05T16:00:00.000Z' });
    const reviews = session.agenda.sections.cadenceReviews;
    expect(reviews).toMatchObject({ reviewDate: '2026-08-04', total: 1 });
    expect(reviews.items).toEqual([expect.objectContaining({ clientId: r.refs.slipping, dueAt: '2026-08-04T14:00:00.000Z', ownerPersonId: r.refs.lee })]);
    expect(reviews.items[0].ctaId).not.toBe(extra.later);
    expect(Object.keys(session.agenda.sections).sort()).toEqual(['aGate', 'cadenceReviews', 'campaigns', 'capacity', 'creditGate', 'defenseLoop', 'governanceKpis', 'heatmap', 'owners', 'triggers']);
    // R-32 checks on the agenda; the health gate waits for issue 12's health process.
    expect(session.agenda.sections.creditGate.healthGate).toEqual({ available: false, note: expect.stringContaining('issue 12') });
    expect(session.agenda.sections.heatmap).toMatchObject({ month: '2026-07', healthAvailable: false, segments: { B: { clients: 1, touchTiers: { VIP: 1 } } } });
    // The July meetings on the heatmap: three strategic meetings held-or-missed, none held → no decisions to count; none past due after their rebooks.
    expect(session.agenda.sections.triggers.smokeTest).toMatchObject({ month: '2026-07', passed: false });

    // Held, with who attended; the repeat is a duplicate (C-6); a session that has not met is a 404.
    expect(r.steps[3]!.body).toMatchObject({ accepted: true, sessionId: 'monthlySegmentReview-2026-08', duplicate: false, late: false });
    expect(r.steps[4]!.body).toMatchObject({ duplicate: true });
    const sessions = r.portfolio.sessions.map((s) => [s.id, s.state, s.attendees.map((a) => a.name)]);
    expect(sessions).toEqual([
      ['monthlySegmentReview-2026-06', 'missed', []], ['monthlySegmentReview-2026-07', 'missed', []], ['monthlySegmentReview-2026-08', 'held', ['Lee Lead', 'CSM one']],
    ]);
    const types = r.portfolio.timeline.filter((e) => e.process === 'governance').map((e) => `${e.type} ${(e.data as any).sessionId ?? ''}`.trim());
    expect(types).toEqual([
      'governance.session_convened monthlySegmentReview-2026-06', 'governance.session_missed monthlySegmentReview-2026-06',
      'governance.session_convened monthlySegmentReview-2026-07', 'governance.session_missed monthlySegmentReview-2026-07',
      'governance.session_convened monthlySegmentReview-2026-08', 'governance.session_held monthlySegmentReview-2026-08', 'signal.duplicate',
    ]);
    expect(r.portfolio.routines.monthlySegmentReview!.status).toMatchObject({ routine: 'monthlySegmentReview', next: { sessionId: 'monthlySegmentReview-2026-09', localDate: '2026-09-01' } });
  }, 180_000);
});

describe('R-37 month rule at the Weekly CS Ops (R-38)', () => {
  it('flags a quarter whose B QBRs all sit in July, proposes which to move, and closes the CTA once they are spread', async () => {
    const teams = ['b1', 'b2', 'b3'].map(team);
    const r = await run({
      name: 'month spread', end: '2026-05-18T13:00:00-05:00', governance: ['weeklyCsOps'],
      people: [...people, ...teams.flatMap((x) => x.people)],
      clients: teams.map((x, i) => bClient(`b${i + 1}`, x.assignments)),
      steps: [
        { at: '+0h', op: 'startCadence', params: { clientId: '$b1' }, expect: 201 },
        { at: '+0h', op: 'startCadence', params: { clientId: '$b2' }, expect: 201 },
        { at: '+0h', op: 'startCadence', params: { clientId: '$b3' }, expect: 201 },
        { at: '+3h', op: 'getGovernanceSession', params: { sessionId: 'weeklyCsOps-2026-W20' }, as: 'manager', expect: 200 },
        { at: '+3h', op: 'listCtas', query: { kind: 'month-spread', portfolio: 'true' }, as: 'manager', capture: { spread: 'items.0.id' }, expect: 200 },
        { at: '+1d', op: 'getCadence', params: { clientId: '$b2' }, capture: { qbr2: 'meetings[template=QBR].meetingId' }, expect: 200 },
        { at: '+1d', op: 'getCadence', params: { clientId: '$b3' }, capture: { qbr3: 'meetings[template=QBR].meetingId' }, expect: 200 },
        { at: '+1d', op: 'recordMeetingRescheduled', params: { clientId: '$b2', meetingId: '$qbr2' }, as: 'automation', body: { newStartsAt: '2026-08-11T10:00:00-05:00' }, expect: 200 },
        { at: '+1d', op: 'recordMeetingRescheduled', params: { clientId: '$b3', meetingId: '$qbr3' }, as: 'automation', body: { newStartsAt: '2026-09-08T10:00:00-05:00' }, expect: 200 },
        // Another client's meeting: 404 at the API, never a report without its end time (the length comes from the ledger).
        { at: '+1d', op: 'recordMeetingRescheduled', params: { clientId: '$b3', meetingId: '$qbr2' }, as: 'automation', body: { newStartsAt: '2026-09-08T10:00:00-05:00' }, expect: 404 },
        { at: '2026-05-18T12:00:00-05:00', op: 'getCta', params: { ctaId: '$spread' }, as: 'manager', expect: 200 },
        { at: '2026-05-18T12:00:00-05:00', op: 'getGovernanceSession', params: { sessionId: 'weeklyCsOps-2026-W21' }, as: 'manager', expect: 200 },
      ],
    }, { record: { routine: 'weeklyCsOps', fixture: 'governance-weekly-cs-ops' } });
    expect(r.failures).toEqual([]);
    const before = stepBody(r, 'getGovernanceSession', 0).agenda.sections.capacity.monthSpread.items;
    const q3 = before.find((q: any) => q.segment === 'B' && q.quarter === '2026-Q3');
    // Three B QBRs on the recurring slot of July (2nd Tuesday): 100 % in one month; ⌊3 × 40 %⌋ → 1 per month allowed.
    expect(q3).toMatchObject({ meetings: 3, allowedPerMonth: 1, over: true, months: [{ month: '2026-07', meetings: 3, sharePct: 100 }, { month: '2026-08', meetings: 0 }, { month: '2026-09', meetings: 0 }] });
    expect(q3.moves.map((m: any) => [m.fromMonth, m.toMonth])).toEqual([['2026-07', '2026-08'], ['2026-07', '2026-09']]);
    const cta = stepBody(r, 'listCtas').items;
    expect(cta).toEqual([expect.objectContaining({ kind: 'month-spread', ruleId: 'R-37', clientId: null, ownerRole: 'CS Lead', ownerPersonId: r.refs.lee, state: 'open' })]);
    expect(cta[0].data.spread.moves).toHaveLength(2);

    // Two QBRs moved (agreed more than 7 days ahead: a re-plan, A-29): the next Weekly CS Ops finds the quarter spread and closes the CTA.
    expect(stepBody(r, 'getCta')).toMatchObject({ state: 'done' });
    const after = stepBody(r, 'getGovernanceSession', 1).agenda.sections.capacity.monthSpread.items.find((q: any) => q.segment === 'B' && q.quarter === '2026-Q3');
    expect(after).toMatchObject({ over: false, months: [{ month: '2026-07', meetings: 1 }, { month: '2026-08', meetings: 1 }, { month: '2026-09', meetings: 1 }] });
    // The radar rides on the weekly: past due and 30-day load by role.
    expect(stepBody(r, 'getGovernanceSession', 0).agenda.sections.radar).toMatchObject({ pastDue: { total: 0 } });
    expect(r.portfolio.sessions.map((s) => [s.id, s.state])).toEqual([['weeklyCsOps-2026-W20', 'missed'], ['weeklyCsOps-2026-W21', 'convened']]);
  }, 180_000);
});
