import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { connectors, idempotencyRecords, meetings, msgraphSubscriptions } from '../../db/schema.js';
import { transactionIdFor } from '../../domain/msgraph.js';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { msgraphSubscriptionsWorkflowId } from '../../workflows/contracts.js';
import { msGraphStub, type GraphEvent } from '../support/msgraph-stub.js';
import { apiCaller, clientBody, eventually, fastDeliveryPolicy, workerHarness, type WorkerHarness } from '../support/harness.js';
import { testDataConverter } from '../support/temporal.js';

/**
 * The Microsoft Graph calendar connector (issue 15) on the real Temporal dev server and PostgreSQL,
 * against a contract stub of the identity platform and Graph that enforces bearer tokens from its
 * own token endpoint, Graph's error shape, transactionId semantics, the validation handshake and
 * clientState, and records every request: booked meetings as events on the Accountable's calendar
 * exactly once through a lost answer and an outage, moves and cancels, change notifications
 * (forged clientState → 401, replay → once) mapped to the cadence's reports, and subscriptions
 * renewed before they expire.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CREDS = { tenantId: 'contoso.onmicrosoft.com', clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', clientSecret: 'sEcReT~graph-9f2c' };
const MAILBOX = 'casey@msp.example';
// Subscriptions live 15 s and are renewed 9 s before they expire: a renewal every ~6 s.
const POLICY = fastDeliveryPolicy({ msgraphSubscriptionMinutes: 0.25, msgraphRenewalMarginMinutes: 0.15 });

let h: WorkerHarness;
let db: WorkerHarness['database'];
let temporalClient: Client;
let server: ServerType;
let batonUrl: string;
let call: ReturnType<typeof apiCaller>;
let stub: Awaited<ReturnType<typeof msGraphStub>>;
let casey: string;
let clientId: string;
let connectorId: string;

beforeAll(async () => {
  h = await workerHarness({ policy: POLICY, policyNote: 'fast delivery retries and short subscriptions for the test' });
  db = h.database;
  call = h.call;
  temporalClient = h.client;
  const app = h.app;
  // Graph reaches Baton over HTTP (the validation handshake, notifications): the API listens on a local port.
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  batonUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub = await msGraphStub({ ...CREDS, mailboxes: [MAILBOX] });

  casey = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: MAILBOX, roles: ['CSM', 'AM', 'TAM', 'vCIO', 'CS Lead'] } })).body.id;
  // B (maturity 2, appetite 4), low MRR → Mid touch: a handful of meetings in the first year (R-1..R-3, §2.2).
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Calendared Co', mrr: 1000, maturity: 2, appetite: 4 }) })).body.id;
  for (const role of ['CSM', 'AM', 'TAM', 'vCIO', 'CS Lead']) expect((await call('PUT', `/v1/clients/${clientId}/assignments/${role}`, { body: { personId: casey } })).status).toBe(200);
  for (const s of [{ name: 'Dana Director', email: 'dana@calendared.example', roles: ['executiveSponsor', 'decisionMaker'] }, { name: 'Ira IT', email: 'ira@calendared.example', roles: ['itOps', 'champion'] }, { name: 'No Mail', roles: ['budgetHolder'] }]) {
    expect((await call('POST', `/v1/clients/${clientId}/stakeholders`, { body: s })).status).toBe(201);
  }
}, 60_000);
afterAll(async () => {
  if (connectorId) await call('PATCH', `/v1/connectors/${connectorId}`, { body: { active: false } }).catch(() => undefined);
  await stub?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

const calendarLog = async () => (await call('GET', `/v1/deliveries?connector=psa:${connectorId}`, { role: 'ops' })).body.items as any[];
const allDelivered = (l: any[]) => l.length > 0 && l.every((d) => d.state === 'delivered');
const bookedMeetings = async () => (await db.db.select().from(meetings).where(eq(meetings.clientId, clientId))).filter((m) => m.state !== 'unbooked');
const eventOf = (meetingId: string): GraphEvent | undefined => stub.events.find((e) => e.transactionId === transactionIdFor(connectorId, meetingId));
const eventCreates = (meetingId: string) => stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events') && r.body?.transactionId === transactionIdFor(connectorId, meetingId));
const cadenceMeeting = async (meetingId: string) => ((await call('GET', `/v1/clients/${clientId}/cadence`, { role: 'ops' })).body.meetings as any[]).find((m) => m.meetingId === meetingId);
const meetingRow = async (id: string) => (await db.db.select().from(meetings).where(eq(meetings.id, id)))[0]!;
const noDuplicateEvents = () => {
  const ids = stub.events.map((e) => e.transactionId);
  expect(new Set(ids).size).toBe(ids.length);
};
const postInbound = (body: string, query = '') => fetch(`${batonUrl}/inbound/msgraph/${connectorId}${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('Microsoft Graph connector configuration (admin API)', () => {
  it('keeps the client secret sealed, refuses bad input, and subscribes the mapped mailbox after the validation handshake', async () => {
    const body = {
      type: 'msgraph', name: 'Microsoft 365', baseUrl: stub.baseUrl, credentials: CREDS,
      // Teams meetings, their attendance first looked for ~1 s after a meeting's end and again every 3 s (defaults: 10 and 15 minutes).
      settings: { authorityUrl: stub.authorityUrl, notificationBaseUrl: batonUrl, onlineMeetings: true, attendanceAfterMinutes: 0.02, attendanceEveryMinutes: 0.05 }, mappings: { people: [{ personId: casey, member: MAILBOX }] },
    };
    for (const bad of [{ ...body, credentials: { ...CREDS, clientSecret: '' } }, { ...body, settings: { notificationBaseUrl: 'ftp://x' } }, { ...body, credentials: { companyId: 'x', publicKey: 'y', privateKey: 'z', clientId: 'w' } }, { ...body, extra: true }]) {
      expect((await call('POST', '/v1/connectors', { body: bad })).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await call('POST', '/v1/connectors', { role: 'ops', body })).status).toBe(403);
    // People → mailboxes only: a client mapped to a calendar connector would receive tickets.
    const withClients = await call('POST', '/v1/connectors', { body: { ...body, mappings: { people: [], clients: [{ clientId, companyId: 1 }] } } });
    expect(withClients.status).toBe(400);
    expect(JSON.stringify(withClients.body.errors)).toContain('maps people to mailboxes, not clients');
    const res = await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'graph-1' } });
    expect(res.status).toBe(201);
    connectorId = res.body.id;
    expect(res.body).toMatchObject({ type: 'msgraph', settings: { authorityUrl: stub.authorityUrl, notificationBaseUrl: batonUrl, subscribe: true, onlineMeetings: true, attendanceForHours: 2 }, inboundPath: `/inbound/msgraph/${connectorId}` });
    for (const shown of [res.body, (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body, (await call('GET', '/v1/connectors')).body]) expect(JSON.stringify(shown)).not.toContain(CREDS.clientSecret);
    const [row] = await db.db.select().from(connectors).where(eq(connectors.id, connectorId));
    expect(row!.credentialsSealed).not.toContain(CREDS.clientSecret);
    expect(JSON.stringify(await db.db.select().from(idempotencyRecords))).not.toContain(CREDS.clientSecret);
    // ConnectWise credentials do not fit a Graph connector.
    const wrongType = await call('PATCH', `/v1/connectors/${connectorId}`, { body: { credentials: { companyId: 'x', publicKey: 'y', privateKey: 'z', clientId: 'w' } } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors[0].path).toMatch(/^credentials/);

    // The subscription workflow subscribes the mailbox; Graph validated the notificationUrl first (the echo).
    const sub = await eventually(async () => stub.subscriptions, (l) => l.length === 1, 20_000);
    expect(sub[0]).toMatchObject({ resource: `/users/${MAILBOX}/events`, notificationUrl: `${batonUrl}/inbound/msgraph/${connectorId}` });
    expect(sub[0]!.clientState!.length).toBeGreaterThan(20);
    expect(stub.validations).toEqual([{ url: `${batonUrl}/inbound/msgraph/${connectorId}`, ok: true }]);
    // The handshake itself: the token echoed as text/plain.
    const echo = await postInbound('', `?validationToken=${encodeURIComponent('Validation: Testing client application reachability <x>&y')}`);
    expect(echo.status).toBe(200);
    expect(echo.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await echo.text()).toBe('Validation: Testing client application reachability <x>&y');
  });
});

describe('meetings as events on the Accountable\'s calendar', () => {
  it('creates exactly one event per booked meeting, with the client\'s stakeholders invited, even when Graph created it but the answer was lost', async () => {
    // The first create is carried out by Graph, then answered 503: the retry carries the same transactionId, so Graph answers the same event.
    stub.fail('POST', /\/users\/[^/]+\/events$/, { status: 503, afterWrite: true });
    expect((await call('POST', `/v1/clients/${clientId}/cadence`, { body: {} })).status).toBe(201);
    const [booked] = await eventually(async () => [await bookedMeetings(), await calendarLog()] as const, ([b, l]) => b.length > 0 && l.length === b.length && allDelivered(l), 30_000);
    expect(booked.length).toBeGreaterThan(2);
    for (const m of booked) expect(eventOf(m.id), m.id).toBeDefined();
    expect(stub.events).toHaveLength(booked.length);
    noDuplicateEvents();
    // One meeting was posted twice (the lost answer) and still has one event.
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events') && r.status === 503)).toHaveLength(1);
    const retried = booked.find((m) => eventCreates(m.id).length === 2);
    expect(retried).toBeDefined();
    const e = eventOf(booked[0]!.id)!;
    expect(e.mailbox).toBe(MAILBOX);
    expect(e.subject).toContain('Calendared Co');
    expect(new Date(`${e.start.dateTime}Z`).toISOString()).toBe(new Date(booked[0]!.startsAt).toISOString());
    // Teams meetings (the connector says so): one online meeting per event, with the join link on the event.
    expect(eventCreates(booked[0]!.id)[0]!.body).toMatchObject({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' });
    expect(e.onlineMeeting?.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    expect(stub.onlineMeetings).toHaveLength(booked.length);
    // Invitees: stakeholders with an email address only.
    const invited = new Set(stub.events.flatMap((x) => x.attendees.map((a) => a.emailAddress.address)));
    expect([...invited].every((a) => ['dana@calendared.example', 'ira@calendared.example'].includes(a))).toBe(true);
    expect(invited.size).toBeGreaterThan(0);
    // Tokens come from the stub's token endpoint and are cached: far fewer token requests than calls.
    expect(stub.tokenRequests.every((t) => t.ok)).toBe(true);
    expect(stub.tokenRequests.length).toBeLessThanOrEqual(2);
    const delivered = (await clientTimeline(db.db, clientId, { types: ['delivery.delivered'] })).filter((x) => (x.data as any).channel === 'calendar');
    expect(delivered).toHaveLength(booked.length);
  });

  it('moves the event when the meeting is rescheduled and cancels it when the meeting is cancelled', async () => {
    const ahead = (await bookedMeetings()).filter((m) => m.state === 'scheduled' && Date.parse(m.startsAt) > Date.now() + 10 * 86_400_000).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    const [moved, cancelled] = ahead;
    const newStartsAt = new Date(Date.parse(moved!.startsAt) + 86_400_000).toISOString();
    const newEndsAt = new Date(Date.parse(moved!.endsAt) + 86_400_000).toISOString();
    expect((await call('POST', `/v1/clients/${clientId}/cadence/meetings/${moved!.id}/rescheduled`, { role: 'automation', body: { newStartsAt, newEndsAt } })).status).toBe(200);
    await eventually(async () => eventOf(moved!.id)!.start.dateTime, (d) => new Date(`${d}Z`).toISOString() === newStartsAt);
    expect((await call('POST', `/v1/clients/${clientId}/cadence/meetings/${cancelled!.id}/cancelled`, { role: 'automation', body: { reason: 'the client asked to skip this quarter' } })).status).toBe(200);
    await eventually(async () => eventOf(cancelled!.id)!.isCancelled, (c) => c === true);
    await eventually(calendarLog, allDelivered);
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/events/'))).toHaveLength(1);
    const cancels = stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.body.comment).toContain('the client asked to skip this quarter');
    noDuplicateEvents();
  });

  it('queues through a Graph outage and drains on recovery with no duplicate event; honours 429 Retry-After', async () => {
    const ahead = (await bookedMeetings()).filter((m) => m.state === 'scheduled' && Date.parse(m.startsAt) > Date.now() + 10 * 86_400_000 && !eventOf(m.id)!.isCancelled);
    const target = ahead.at(-1)!;
    const before = (await calendarLog()).length;
    await stub.stop();
    const newStartsAt = new Date(Date.parse(target.startsAt) + 2 * 86_400_000).toISOString();
    const newEndsAt = new Date(Date.parse(target.endsAt) + 2 * 86_400_000).toISOString();
    expect((await call('POST', `/v1/clients/${clientId}/cadence/meetings/${target.id}/rescheduled`, { role: 'automation', body: { newStartsAt, newEndsAt } })).status).toBe(200);
    await eventually(calendarLog, (l) => l.length === before + 1 && l.some((d) => d.state === 'retrying'));
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.status, (s) => s.breaker.state === 'open', 20_000);
    expect(status.lastError).toMatch(/unreachable/);
    stub.fail('PATCH', /\/events\//, { status: 429, headers: { 'retry-after': '1' } });
    await stub.start();
    await eventually(calendarLog, allDelivered, 30_000);
    expect(new Date(`${eventOf(target.id)!.start.dateTime}Z`).toISOString()).toBe(newStartsAt);
    const patches = stub.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/events/'));
    expect(patches.filter((r) => r.status === 429)).toHaveLength(1);
    const [throttled, ok] = patches.slice(-2);
    expect(ok!.at - throttled!.at).toBeGreaterThanOrEqual(900); // Retry-After: 1 s
    noDuplicateEvents();
  });
});

describe('change notifications (inbound)', () => {
  const scheduled = async () => (await bookedMeetings()).filter((m) => m.state === 'scheduled' && Date.parse(m.startsAt) > Date.now() + 10 * 86_400_000 && eventOf(m.id) && !eventOf(m.id)!.isCancelled);

  it('refuses a forged clientState with 401 and changes nothing', async () => {
    const m = (await scheduled()).at(-1);
    const e = eventOf(m!.id)!;
    for (const body of [stub.notificationFor(e, 'updated', 'forged-state').body, stub.notificationFor(e, 'updated', '').body, '{"value":[]}', 'not json']) {
      const res = await postInbound(body);
      expect(res.status, body.slice(0, 60)).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await meetingRow(m!.id)).state).toBe('scheduled');
  });

  it('reports an organiser\'s move and cancel in Outlook to the cadence, a replay acknowledged once, nothing sent back', async () => {
    const [toMove, toCancel, untouched] = await scheduled();
    const patchesBefore = stub.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/events/')).length;
    const cancelsBefore = stub.requests.filter((r) => r.path.endsWith('/cancel')).length;
    const e = eventOf(toMove!.id)!;
    const start = new Date(Date.parse(toMove!.startsAt) + 3 * 86_400_000).toISOString();
    const end = new Date(Date.parse(toMove!.endsAt) + 3 * 86_400_000).toISOString();
    const moved = await stub.organiserChange(e, { start, end });
    expect(moved).toMatchObject({ status: 202, body: { received: true, results: [{ duplicate: false, outcome: 'meetingRescheduled' }] } });
    expect(Date.parse((await cadenceMeeting(toMove!.id)).startsAt)).toBe(Date.parse(start));
    // Graph redelivers the same notification: acknowledged, nothing changes.
    expect(await stub.post(stub.notificationFor(e, 'updated'))).toMatchObject({ status: 202, body: { results: [{ duplicate: true, outcome: 'already-received' }] } });

    const cancelled = await stub.organiserChange(eventOf(toCancel!.id)!, { cancel: true });
    expect(cancelled).toMatchObject({ status: 202, body: { results: [{ duplicate: false, outcome: 'meetingCancelled' }] } });
    expect((await meetingRow(toCancel!.id)).state).toBe('cancelled');
    expect((await cadenceMeeting(toCancel!.id)).status).toBe('cancelled');

    const events = (await clientTimeline(db.db, clientId, { types: ['meeting.moved', 'meeting.cancelled'] })).filter((x) => [toMove!.id, toCancel!.id].includes((x.data as any).meetingId) && x.actor.kind === 'system');
    expect(events.map((x) => [x.type, x.actor])).toEqual([
      ['meeting.moved', { kind: 'system', id: `psa:${connectorId}`, name: 'Microsoft 365: Microsoft 365' }],
      ['meeting.cancelled', { kind: 'system', id: `psa:${connectorId}`, name: 'Microsoft 365: Microsoft 365' }],
    ]);
    // What Outlook reported is not sent back to Outlook.
    await new Promise((r) => setTimeout(r, 500));
    await eventually(calendarLog, allDelivered);
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/events/')).length).toBe(patchesBefore);
    expect(stub.requests.filter((r) => r.path.endsWith('/cancel')).length).toBe(cancelsBefore);
    // A change that leaves the event as Baton booked it (e.g. Baton's own write echoed back) reports nothing.
    expect(await stub.post(stub.notificationFor(eventOf(untouched!.id)!, 'updated')))
      .toMatchObject({ status: 202, body: { results: [{ duplicate: false, outcome: 'no-report: the event matches the meeting' }] } });
    // A notification about an event Baton did not create is acknowledged and changes nothing.
    const foreign = { ...eventOf(untouched!.id)!, id: 'AAMkforeign', changeKey: 'x' };
    expect(await stub.post(stub.notificationFor(foreign, 'updated'))).toMatchObject({ status: 202, body: { results: [{ outcome: 'not-a-baton-event' }] } });
  });
});

describe('Teams attendance → held', () => {
  const teamsMeetings = async () => (await bookedMeetings()).filter((m) => m.state === 'scheduled' && Date.parse(m.startsAt) > Date.now() + 10 * 86_400_000 && eventOf(m.id)?.isOnlineMeeting && !eventOf(m.id)!.isCancelled);
  const joinUrl = (meetingId: string) => eventOf(meetingId)!.onlineMeeting!.joinUrl;
  const onlineMeetingOf = (meetingId: string) => stub.onlineMeetings.find((x) => x.joinWebUrl === joinUrl(meetingId))!;
  const reads = (meetingId: string, what: 'attendanceReports' | 'attendanceRecords') =>
    stub.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/users/${encodeURIComponent(MAILBOX)}/onlineMeetings/${onlineMeetingOf(meetingId).id}/`) && r.path.endsWith(`/${what}`));
  const heldEvents = async (meetingId: string) => (await clientTimeline(db.db, clientId, { types: ['meeting.held'] })).filter((x) => (x.data as any).meetingId === meetingId);
  const record = (email: string | null, name: string, role: 'Organizer' | 'Attendee' = 'Attendee', seconds = 1_500) => ({ emailAddress: email, identity: { displayName: name }, role, totalAttendanceInSeconds: seconds });
  const organiser = record(MAILBOX, 'Casey CSM', 'Organizer', 1_800);
  /** The organiser moves the meeting in Outlook to the next seconds (the cadence takes the reschedule), so it ends while the test runs. */
  const endSoon = async (m: { id: string }) => {
    const start = new Date(Math.ceil((Date.now() + 3_000) / 1000) * 1000).toISOString();
    const end = new Date(Date.parse(start) + 2_000).toISOString();
    expect(await stub.organiserChange(eventOf(m.id)!, { start, end })).toMatchObject({ status: 202, body: { results: [{ outcome: 'meetingRescheduled' }] } });
    return { start, end };
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('reports a Teams meeting the client attended held, once, at the session\'s times, even when it is checked twice', async () => {
    const [m] = await teamsMeetings();
    const { start, end } = await endSoon(m!);
    // The report is there once the meeting ends; its records span two pages; the first read of them fails (Graph 503): the next round reads again.
    stub.addAttendanceReport(joinUrl(m!.id), { start, end, records: [organiser, record('dana@calendared.example', 'Dana Director'), record(null, 'Guest (unverified)')] });
    stub.fail('GET', /\/attendanceRecords$/, { status: 503 });
    await eventually(async () => (await cadenceMeeting(m!.id)).status, (x) => x === 'held', 30_000);
    // The ledger follows the cadence's state.
    const held = await eventually(() => heldEvents(m!.id), (l) => l.length > 0);
    expect(held).toHaveLength(1);
    expect(held[0]!.actor).toMatchObject({ kind: 'system', id: `psa:${connectorId}` });
    expect((held[0]!.data as any).attendees[0]).toContain('Dana Director');
    expect(Date.parse((await meetingRow(m!.id)).heldAt!)).toBe(Date.parse(start));
    // The join URL looked up by $filter, the records read through the nextLink, after the failed first try.
    expect(stub.requests.some((r) => r.path === `/users/${encodeURIComponent(MAILBOX)}/onlineMeetings` && decodeURIComponent(r.query).includes(`JoinWebUrl eq '${joinUrl(m!.id)}'`) && r.status === 200)).toBe(true);
    const records = reads(m!.id, 'attendanceRecords');
    expect(records.map((r) => r.status)).toEqual([503, 200, 200]);
    expect(records[2]!.query).toBe('?$skiptoken=2');
    // Woken again (a connector change) and a few rounds later: nothing more is read or reported for it.
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { name: 'Microsoft 365' } })).status).toBe(200);
    await pause(4_000);
    expect(reads(m!.id, 'attendanceRecords')).toHaveLength(3);
    expect(await heldEvents(m!.id)).toHaveLength(1);
  });

  it('reports nothing when only the organiser\'s side attended (the not-marked-held rule decides), and stops looking', async () => {
    const [m] = await teamsMeetings();
    const { start, end } = await endSoon(m!);
    stub.addAttendanceReport(joinUrl(m!.id), { start, end, records: [organiser, record('tori@msp.example', 'Tori Colleague'), record('dana@calendared.example', 'Dana Director', 'Attendee', 0)] });
    await eventually(async () => reads(m!.id, 'attendanceRecords').filter((r) => r.status === 200).length, (n) => n === 2, 30_000);
    await pause(4_000);
    expect(reads(m!.id, 'attendanceRecords')).toHaveLength(2);
    expect(await heldEvents(m!.id)).toEqual([]);
    expect((await meetingRow(m!.id)).state).toBe('scheduled');
    expect((await cadenceMeeting(m!.id)).status).not.toBe('held');
  });

  it('looks again while no report has appeared, then reports held when it does', async () => {
    const [m] = await teamsMeetings();
    const { start, end } = await endSoon(m!);
    await eventually(async () => reads(m!.id, 'attendanceReports').filter((r) => r.status === 200).length, (n) => n >= 2, 30_000);
    expect(reads(m!.id, 'attendanceRecords')).toEqual([]);
    expect(await heldEvents(m!.id)).toEqual([]);
    stub.addAttendanceReport(joinUrl(m!.id), { start, end, records: [record('ira@calendared.example', 'Ira IT'), organiser] });
    await eventually(async () => (await cadenceMeeting(m!.id)).status, (x) => x === 'held', 30_000);
    expect(await eventually(() => heldEvents(m!.id), (l) => l.length > 0)).toHaveLength(1);
    expect(((await heldEvents(m!.id))[0]!.data as any).attendees).toEqual(['Ira IT, Casey CSM']);
  });
});

describe('subscription renewal', () => {
  it('renews the subscription before it expires, again and again', async () => {
    const [s] = stub.subscriptions;
    const firstExpiry = s!.created + 15_000;
    const renewals = stub.requests.filter((r) => r.method === 'PATCH' && r.path === `/subscriptions/${s!.id}`);
    if (renewals.length < 2) await eventually(async () => stub.requests.filter((r) => r.method === 'PATCH' && r.path === `/subscriptions/${s!.id}` && r.status === 200).length, (n) => n >= 2, 30_000);
    const ok = stub.requests.filter((r) => r.method === 'PATCH' && r.path === `/subscriptions/${s!.id}` && r.status === 200);
    expect(ok[0]!.at).toBeLessThan(firstExpiry);
    // The mailbox's subscription is alive now.
    expect(stub.subscriptions.some((x) => x.resource === `/users/${MAILBOX}/events` && Date.parse(x.expirationDateTime) > Date.now())).toBe(true);
    const [stored] = await db.db.select().from(msgraphSubscriptions);
    expect(stub.subscriptions.find((x) => x.id === stored!.subscriptionId)).toBeDefined();
  });
});

describe('a misconfigured connector', () => {
  it('shows the identity platform\'s refusal on its status, never the secret, and blocks nothing else', async () => {
    const bad = await call('POST', '/v1/connectors', {
      body: { type: 'msgraph', name: 'Stale secret', baseUrl: stub.baseUrl, credentials: { ...CREDS, clientSecret: 'expired-secret' }, settings: { authorityUrl: stub.authorityUrl, notificationBaseUrl: batonUrl }, mappings: { people: [{ personId: casey, member: MAILBOX }] } },
    });
    expect(bad.status).toBe(201);
    // A calendar delivery refused the same way may show first (the status falls back to the last failed
    // delivery); the subscription round's error, kept on the connector's breaker, then takes its place.
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${bad.body.id}`, { role: 'manager' })).body.status, (x) => typeof x.lastError === 'string' && x.lastError.startsWith('subscription: '), 20_000);
    expect(status.lastError).toMatch(/^subscription: casey@msp\.example: the Microsoft identity platform refused the connector's client credentials \(401\): invalid_client/);
    expect(status.lastError).not.toContain('expired-secret');
    // The working connector's subscription is untouched.
    expect(stub.subscriptions.some((x) => Date.parse(x.expirationDateTime) > Date.now())).toBe(true);
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { active: false } })).body.active).toBe(false);
  });
});

describe('the subscription workflow ends with its connector', () => {
  it('deletes the subscription at Graph and stops when the connector is deactivated', async () => {
    const handle = temporalClient.workflow.getHandle(msgraphSubscriptionsWorkflowId(connectorId));
    const late = stub.notificationFor(stub.events[0]!, 'updated');
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { active: false } })).body.active).toBe(false);
    expect(await handle.result()).toMatchObject({ connectorId, outcome: 'stopped' });
    expect(stub.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/subscriptions/') && r.status === 204)).toBe(true);
    expect(await db.db.select().from(msgraphSubscriptions)).toEqual([]);
    // A deactivated connector's address answers nothing.
    expect((await postInbound(late.body)).status).toBe(404);
    // `RECORD_HISTORIES=1` refreshes the replay fixture of the subscription workflow (test/unit/replay.test.ts).
    if (process.env.RECORD_HISTORIES) {
      const history = await handle.fetchHistory();
      await openHistoryPayloads(history, testDataConverter.payloadCodecs![0]!);
      fs.writeFileSync(path.join(import.meta.dirname, '../fixtures/histories/msgraph-subscriptions-renewed.json'), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    }
  });
});

/** Fixtures are kept unencrypted (test/unit/replay.test.ts seals them itself with a key of its own). */
