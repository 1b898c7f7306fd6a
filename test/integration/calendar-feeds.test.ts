import ical, { type VEvent } from 'node-ical';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '../../db/schema.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

/**
 * Calendar feeds: a person's Baton meetings and CTA due dates as a subscribable iCalendar feed,
 * read back with an iCalendar parser (node-ical). UIDs stay stable across changes, so calendar apps
 * update events instead of duplicating them; revoking a feed ends it at once.
 */
let h: ApiHarness;
const ids = {} as Record<'casey' | 'tori' | 'val' | 'client' | 'cta' | 'meeting', string>;

const fetchFeed = async (url: string) => {
  const res = await h.app.request(new URL(url).pathname);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
const vevents = (text: string) => Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === 'VEVENT') as VEvent[];

beforeAll(async () => {
  h = await apiHarness();
  for (const [ref, role] of [['casey', 'CSM'], ['tori', 'TAM'], ['val', 'vCIO']] as const) {
    ids[ref] = (await h.call('POST', '/v1/people', { role: 'ops', body: { name: `${ref} ${role}`, email: `${ref}@msp.example`, roles: [role] } })).body.id;
  }
  ids.client = (await h.call('POST', '/v1/clients', { role: 'ops', body: clientBody({ name: 'Feed Dental' }) })).body.id;
  expect((await h.call('PUT', `/v1/clients/${ids.client}/assignments/CSM`, { role: 'ops', body: { personId: ids.casey, backupPersonId: ids.tori } })).status).toBe(200);
  const cta = await h.call('POST', `/v1/clients/${ids.client}/ctas`, { role: 'ops', body: { kind: 'prep-pack', title: 'Attach the QBR prep pack', ruleId: 'R-24', ownerRole: 'CSM', dueAt: '2027-03-02T23:00:00.000Z' } });
  expect(cta.status).toBe(201);
  ids.cta = cta.body.id;
  // A booked meeting as the cadence scheduler writes it (meetings table).
  ids.meeting = '7d3c9a52-5a34-4f40-9b0f-4d6f1f0c2a11';
  await h.database.db.insert(meetings).values({
    id: ids.meeting, clientId: ids.client, process: 'cadence', kind: 'qbr', mode: 'live', state: 'scheduled',
    startsAt: '2027-03-09T16:00:00.000Z', endsAt: '2027-03-09T16:45:00.000Z', createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-01T00:00:00.000Z',
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('calendar feeds', () => {
  let url: string;
  let feedId: string;

  it('creates a feed with a secret URL, shown once', async () => {
    const res = await h.call('POST', `/v1/people/${ids.casey}/calendar-feeds`, { role: 'manager' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ personId: ids.casey, revokedAt: null, token: expect.stringMatching(/^batcal_/), url: expect.stringMatching(/\/calendar\/batcal_[A-Za-z0-9_-]{43}\.ics$/) });
    ({ url, id: feedId } = res.body);
    const list = await h.call('GET', `/v1/people/${ids.casey}/calendar-feeds`, { role: 'ops' });
    expect(list.body.items).toEqual([expect.objectContaining({ id: feedId, prefix: res.body.token.slice(0, 14) })]);
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
  });

  it('serves the person\'s meetings and open CTA due dates, parseable by an iCalendar parser', async () => {
    const feed = await fetchFeed(url);
    expect(feed.status).toBe(200);
    expect(feed.type).toBe('text/calendar; charset=utf-8');
    const events = vevents(feed.text);
    expect(events.map((e) => e.uid).sort()).toEqual([`cta-${ids.cta}@baton`, `meeting-${ids.meeting}@baton`].sort());
    const meeting = events.find((e) => e.uid === `meeting-${ids.meeting}@baton`)!;
    expect(meeting.start.toISOString()).toBe('2027-03-09T16:00:00.000Z');
    expect(meeting.end?.toISOString()).toBe('2027-03-09T16:45:00.000Z');
    expect(meeting.summary).toBe('Feed Dental: qbr (live)');
    expect(meeting.status).toBe('CONFIRMED');
    const cta = events.find((e) => e.uid === `cta-${ids.cta}@baton`)!;
    expect(cta.start.toISOString()).toBe('2027-03-02T23:00:00.000Z');
    expect(cta.summary).toBe('CTA due: Attach the QBR prep pack (Feed Dental)');
  });

  it('keeps UIDs stable when a meeting moves or is cancelled, so calendar apps update instead of duplicating', async () => {
    await h.database.db.update(meetings).set({ startsAt: '2027-03-16T16:00:00.000Z', endsAt: '2027-03-16T16:45:00.000Z', updatedAt: '2026-11-20T00:00:00.000Z' }).where(eq(meetings.id, ids.meeting));
    let events = vevents((await fetchFeed(url)).text);
    expect(events.filter((e) => e.uid === `meeting-${ids.meeting}@baton`).map((e) => e.start.toISOString())).toEqual(['2027-03-16T16:00:00.000Z']);
    expect(events.find((e) => e.uid === `meeting-${ids.meeting}@baton`)!.lastmodified!.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    await h.database.db.update(meetings).set({ state: 'cancelled', updatedAt: '2026-11-21T00:00:00.000Z' }).where(eq(meetings.id, ids.meeting));
    events = vevents((await fetchFeed(url)).text);
    expect(events.find((e) => e.uid === `meeting-${ids.meeting}@baton`)!.status).toBe('CANCELLED');
    expect(events).toHaveLength(2);
  });

  it('a CTA done leaves the feed; the named backup sees the client\'s meetings but not the owner\'s CTAs; others see nothing', async () => {
    const tori = (await h.call('POST', `/v1/people/${ids.tori}/calendar-feeds`, { role: 'ops' })).body.url;
    expect(vevents((await fetchFeed(tori)).text).map((e) => e.uid)).toEqual([`meeting-${ids.meeting}@baton`]);
    const val = (await h.call('POST', `/v1/people/${ids.val}/calendar-feeds`, { role: 'ops' })).body.url;
    expect(vevents((await fetchFeed(val)).text)).toEqual([]);
    expect((await h.call('POST', `/v1/ctas/${ids.cta}/complete`, { role: 'automation', body: {} })).status).toBe(200);
    expect(vevents((await fetchFeed(url)).text).map((e) => e.uid)).toEqual([`meeting-${ids.meeting}@baton`]);
  });

  it('revoking ends the feed at once; unknown and malformed tokens get the same 404', async () => {
    const revoked = await h.call('DELETE', `/v1/calendar-feeds/${feedId}`, { role: 'ops' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await fetchFeed(url)).status).toBe(404);
    expect((await h.call('DELETE', `/v1/calendar-feeds/${feedId}`, { role: 'ops' })).body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await h.app.request(`/calendar/batcal_${'x'.repeat(43)}.ics`)).status).toBe(404);
    expect((await h.app.request('/calendar/not-a-token.ics')).status).toBe(404);
    expect((await h.call('DELETE', '/v1/calendar-feeds/00000000-0000-4000-8000-000000000000', { role: 'ops' })).status).toBe(404);
    expect((await h.call('POST', '/v1/people/00000000-0000-4000-8000-000000000000/calendar-feeds', { role: 'ops' })).status).toBe(404);
  });
});
