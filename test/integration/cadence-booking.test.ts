import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { events, meetings } from '../../db/schema.js';
import type { BookingRequest } from '../../domain/cadence.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

/**
 * One booking batch is one transaction (activities/cadence.ts `bookMeetings`): the meetings of a
 * batch are placed around each other as when each was committed on its own, and a
 * retried batch lands once (C-6). Run against the real database through the activity itself.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
}, 60_000);
afterAll(() => h?.close());

const actor = { kind: 'system' as const };
const checkIn = (key: string, startsAt: string, endsAt: string): BookingRequest => ({
  key, kind: 'tactical', template: 'Check-in', strategic: false, mode: 'live', agenda: ['actions'], ruleId: 'R-10', why: { test: key },
  raci: { accountable: 'CSM', presenter: 'CSM', recorder: 'CSM', backup: 'AM' }, startsAt, endsAt, placement: 'forward',
});

describe('a booking batch', () => {
  it('places its own meetings around each other for one Accountable, writes each once, and a retry books nothing twice', async () => {
    const client = await h.call('POST', '/v1/clients', { role: 'ops', body: clientBody({ name: 'Batch Booking Co', timeZone: 'America/Chicago' }) });
    expect(client.status).toBe(201);
    const clientId = client.body.id as string;
    const person = await h.call('POST', '/v1/people', { role: 'admin', body: { name: 'Casey Batch', email: 'casey@batch.example', roles: ['CSM'] } });
    expect(person.status).toBe(201);
    expect((await h.call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { role: 'ops', body: { personId: person.body.id } })).status).toBe(200);

    const activities = createActivities({ db: h.database.db });
    const setup = await activities.prepareCadence({ clientId, lockedAt: '2026-03-02T15:00:00.000Z', policyVersion: 1 });
    // Three check-ins asked for the same Tuesday hour: the batch must see its own first booking.
    const requests = ['a', 'b', 'c'].map((k) => checkIn(`batch/${k}`, '2026-03-10T15:00:00.000Z', '2026-03-10T15:45:00.000Z'));
    const ctx = { clientId, workflowId: `client/${clientId}/cadence`, batchKey: 'batch-test', actor, at: '2026-03-02T15:00:00.000Z' };
    const booked = await activities.bookCadenceMeetings({ ...ctx, setup, requests });

    expect(booked.map((b) => b.state)).toEqual(['scheduled', 'scheduled', 'scheduled']);
    expect(new Set(booked.map((b) => b.meetingId)).size).toBe(3);
    const spans = booked.map((b) => [Date.parse(b.startsAt), Date.parse(b.endsAt)] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(booked[0]!.startsAt).toBe('2026-03-10T15:00:00.000Z');
    expect(booked[1]!.why).toMatchObject({ placement: { movedBecause: expect.arrayContaining(['doubleBooked']) }, accountable: { role: 'CSM', personId: person.body.id } });

    const rows = await h.database.db.select().from(meetings).where(eq(meetings.clientId, clientId));
    const instants = (list: { startsAt: string }[]) => list.map((m) => Date.parse(m.startsAt)).sort((x, y) => x - y);
    expect(instants(rows)).toEqual(instants(booked));
    const scheduledEvents = (await h.database.db.select().from(events).where(eq(events.clientId, clientId))).filter((e) => e.type === 'meeting.scheduled');
    expect(scheduledEvents).toHaveLength(3);

    // The activity retried (its first answer lost): the same rows come back, nothing is written again.
    const again = await activities.bookCadenceMeetings({ ...ctx, setup, requests });
    expect(again.map((b) => [b.meetingId, Date.parse(b.startsAt)])).toEqual(booked.map((b) => [b.meetingId, Date.parse(b.startsAt)]));
    expect(again.every((b) => (b.why as { retried?: boolean }).retried === true)).toBe(true);
    expect(await h.database.db.select().from(meetings).where(eq(meetings.clientId, clientId))).toHaveLength(3);
    expect((await h.database.db.select().from(events).where(eq(events.clientId, clientId))).filter((e) => e.type === 'meeting.scheduled')).toHaveLength(3);
  });
});
