import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Database } from '../../db/client.js';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Issue 10: a process that cannot record what it did never diverges silently from its timeline.
 * The database is made to refuse one event type (a trigger raising SQLSTATE 22023, a permanent
 * "data exception" like PostgreSQL's refusal of a NUL byte), behind the API's back:
 *  - a report whose effects cannot be recorded is refused (422), changes nothing, and shows on the
 *    timeline as `process.failed`; the same report succeeds once the database takes it again;
 *  - a deadline that cannot be recorded stalls the process (its status says so, `process.failed`
 *    once), and is judged when the retry after the backoff succeeds.
 */
const START = '2026-03-02T09:00:00-06:00';
const people = [{ ref: 'casey', name: 'Casey CSM', roles: ['CSM'] }, { ref: 'avery', name: 'Avery AM', roles: ['AM'] }, { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] }, { ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' } };
const onb = (at: string, op: string, body: unknown, extra: Record<string, unknown> = {}) => ({ at, op, params: { clientId: '$acme' }, body, ...extra });

async function refuse(db: Database['db'], type: string) {
  await db.execute(sql.raw(`
    create or replace function baton_test_refuse() returns trigger language plpgsql as $$
    begin raise exception 'refused by the test' using errcode = '22023'; end $$;
    drop trigger if exists baton_test_refuse on events;
    create trigger baton_test_refuse before insert on events for each row when (new.type = '${type}') execute function baton_test_refuse();
  `));
}
async function allow(db: Database['db']) {
  await db.execute(sql.raw('drop trigger if exists baton_test_refuse on events'));
}

describe('a process that cannot record what it did (issue 10)', () => {
  it('refuses the report with nothing changed, stalls a deadline until it can be recorded, and says so on the timeline', async () => {
    const kickoff = { heldAt: '2026-03-04T10:00:00-06:00', endedAt: '2026-03-04T11:00:00-06:00', attendees: ['CEO'], decisions: [] };
    const steps = [
      onb('+0h', 'startOnboarding', { signedAt: START }, { expect: 201 }),
      /* 1 */ onb('2026-03-04T12:00:00-06:00', 'recordKickoffHeld', kickoff, { as: 'automation', expect: 422 }),
      /* 2 */ onb('2026-03-04T12:05:00-06:00', 'getOnboarding', undefined, { expect: 200, capture: { step: 'currentStep.name' } }),
      /* 3 */ onb('2026-03-04T12:10:00-06:00', 'recordKickoffHeld', kickoff, { as: 'automation', expect: 200 }),
      /* 4 */ onb('2026-03-05T09:00:00-06:00', 'recordRecapSent', {}, { as: 'automation', expect: 200 }),
      // Day 14 (judged 17 Mar 00:00, R-49): access is not granted, and its miss cannot be recorded.
      /* 5 */ onb('2026-03-17T00:02:00-05:00', 'getOnboarding', undefined, { expect: 200 }),
      /* 6 */ onb('2026-03-17T00:03:00-05:00', 'getOnboarding', undefined, { expect: 200 }),
      /* 7 */ onb('2026-03-17T00:10:00-05:00', 'getOnboarding', undefined, { expect: 200 }),
    ];
    const r: RehearsalResult = await rehearse(ScenarioSchema.parse({
      name: 'process failures', timeZone: 'America/Chicago', start: START, end: '2026-03-17T00:15:00-05:00', people,
      clients: [{ ref: 'acme', name: 'Acme Inc', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', assignments }], steps,
    }), {
      postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle(),
      beforeStep: async (i, db) => {
        if (i === 1) await refuse(db, 'meeting.held');
        if (i === 3) await refuse(db, 'deadline.missed'); // the kickoff may be recorded again; the Day 14 miss may not
        if (i === 6) await allow(db);
      },
    });
    expect(r.failures).toEqual([]);
    const timeline: LedgerEvent[] = r.timelines[r.refs.acme!]!;
    const failed = timeline.filter((e) => e.type === 'process.failed');

    // The refused report: 422 naming the failure, no kickoff on the timeline from it, the step unchanged.
    expect(r.steps[1]!.body).toMatchObject({ type: 'urn:baton:problem:onboarding-report-failed', status: 422, action: 'kickoffHeld' });
    expect(failed[0]).toMatchObject({ process: 'onboarding', data: { stage: 'report', action: 'kickoffHeld', retryable: false } });
    expect(r.refs.step).toBe('handoff'); // step 0 still: nothing of the refused kickoff stands
    // Sent again once the database takes it: accepted as new, nothing was kept of the refused one.
    expect(r.steps[3]!.body).toMatchObject({ accepted: true, duplicate: false });
    expect(timeline.filter((e) => e.type === 'meeting.held')).toHaveLength(1);

    // The Day 14 deadline stalls: status says so, process.failed once, nothing judged yet.
    const stalled = (r.steps[5]!.body as { stalled?: Record<string, unknown> }).stalled;
    expect(stalled).toMatchObject({ due: 'access.checkpoint', attempts: 1, retryAt: expect.stringMatching(/^2026-03-17T05:05:00/) });
    expect((r.steps[7]!.body as { stalled?: unknown }).stalled).toBeUndefined();
    expect(failed[1]).toMatchObject({ data: { stage: 'due', due: 'access.checkpoint', retryable: false } });
    // Allowed again: the retry after the 5-minute backoff (00:05) records the miss and the stall clears.
    const missed = timeline.filter((e) => e.type === 'deadline.missed' && e.data.deadline === 'access.checkpoint');
    expect(missed).toHaveLength(1);
    expect((r.states[r.refs.acme!]!.onboarding as { stalled?: unknown }).stalled).toBeUndefined();
  }, 180_000);
});
