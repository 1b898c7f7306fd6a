import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctasAwaitingFirstAction, openCta, settledCtaIds } from '../../db/ctas.js';
import { pendingWorkflowStarts } from '../../db/outbox.js';
import { freshDatabase } from '../support/harness.js';

/**
 * Which CTAs get a first-action clock (C-5, R-122, A-28), as the database decides it for the outbox,
 * the start-up reconcile and the clock's own checks: an action CTA until its first action, a
 * deliverable until it is done, an optional item never.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.close());

const opened = (key: string, clock?: 'due' | 'none') => openCta(db.db, {
  key, clientId: null, process: 'manual', kind: 'follow-up', title: key, ruleId: 'R-12', ownerRole: 'CSM', dueAt: '2027-03-02T17:00:00.000Z',
  firstActionHours: 72, openedAt: '2027-03-01T09:00:00.000Z', actor: { kind: 'system' }, ...(clock ? { clock } : {}),
});

describe('CTA clocks by kind', () => {
  it('an optional item (clock none) gets no clock: no outbox start, not reconciled, settled for any keeper asked', async () => {
    const [action, deliverable, optional] = [await opened('action'), await opened('deliverable', 'due'), await opened('optional', 'none')];
    const starts = (await pendingWorkflowStarts(db.db)).filter((s) => s.kind === 'cta-clock').map((s) => s.subjectId);
    expect(starts.sort()).toEqual([action.id, deliverable.id].sort());
    expect((await ctasAwaitingFirstAction(db.db)).map((c) => c.id).sort()).toEqual([action.id, deliverable.id].sort());
    expect(await settledCtaIds(db.db, [action.id, deliverable.id, optional.id])).toEqual([optional.id]);
    // It stays an open CTA like any other, with its kind of clock on record.
    const [row] = await db.db.execute<{ state: string; clock: string }>(sql`select state, data->>'clock' as clock from ctas where id = ${optional.id}`);
    expect(row).toEqual({ state: 'open', clock: 'none' });
  });
});
