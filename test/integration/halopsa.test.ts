import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { connectors, idempotencyRecords, meetings } from '../../db/schema.js';
import { appointmentMarker, ticketMarker } from '../../domain/halopsa.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { haloAppointmentWebhook, haloPsaStub, haloWebhook, type HaloStubTicket } from '../support/halopsa-stub.js';
import { defaultPolicy } from '../../domain/policy.js';
import { apiCaller, clientBody, eventually, fastDeliveryPolicy, openFollowUpCta, workerHarness, type WorkerHarness } from '../support/harness.js';

/**
 * The HaloPSA connector (issue 15) on the real Temporal dev server and PostgreSQL, against a
 * contract stub of HaloPSA that enforces OAuth2 client credentials (token endpoint, bearer on every
 * call, expiry → 401), paging and error shapes, and records every request: CTAs as tickets exactly
 * once through a lost answer and an outage, a token that expires mid-run, a connector with a wrong
 * client secret that blocks nothing else, and authenticated webhooks (forged → 401, replay → once)
 * that complete the CTA or record its first action as the API would.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CREDS = { clientId: 'c9534241-dde9-4d04-9d45-32b1fbff22ed', clientSecret: 'halo-SECRET-14c0c9af-2db1', webhook: { username: 'halo-hook', password: 'hook-PASSWORD-7f3a9' } };
const POLICY = fastDeliveryPolicy();

let h: WorkerHarness;
let db: WorkerHarness['database'];
let call: ReturnType<typeof apiCaller>;
let stub: Awaited<ReturnType<typeof haloPsaStub>>;
let clientId: string;
let otherClientId: string;
let meetClientId: string;
let casey: string;
let connectorId: string;

beforeAll(async () => {
  h = await workerHarness({ policy: POLICY, policyNote: 'fast delivery retries for the test' });
  db = h.database;
  call = h.call;
  stub = await haloPsaStub({ clientId: CREDS.clientId, clientSecret: CREDS.clientSecret, tenant: 'msp', clients: [12, 13, 14], agents: [4, 5] });

  casey = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] } })).body.id;
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Halo Dental' }) })).body.id;
  otherClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Other Halo Ltd' }) })).body.id;
  meetClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Meeting Halo Co' }) })).body.id;
  for (const id of [clientId, otherClientId, meetClientId]) expect((await call('PUT', `/v1/clients/${id}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
});
afterAll(async () => {
  await stub?.stop();
  await h?.close();
});

const openCta = (title: string, forClient = clientId) => openFollowUpCta(call, forClient, title);
const psaLog = async (id = connectorId) => (await call('GET', `/v1/deliveries?connector=psa:${id}`, { role: 'ops' })).body.items as any[];
const ticketsOf = (ctaId: string) => stub.tickets.filter((t) => t.details.includes(ticketMarker(ctaId)));
const creates = (ctaId: string) => stub.requests.filter((r) => r.method === 'POST' && r.path === '/api/Tickets' && r.body?.[0]?.id === undefined && String(r.body?.[0]?.details).includes(ticketMarker(ctaId)));
const ticketOf = async (ctaId: string) => (await eventually(async () => ticketsOf(ctaId), (l) => l.length > 0))[0]!;
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const postWebhook = (body: string, headers: Record<string, string> = { authorization: basic(CREDS.webhook.username, CREDS.webhook.password) }, id = connectorId) =>
  call('POST', `/inbound/halopsa/${id}`, { role: null, rawBody: body, headers });

describe('HaloPSA connector configuration (admin API)', () => {
  it('keeps the client secret and webhook password sealed and never returns them; refuses bad input', async () => {
    const body = {
      type: 'halopsa', name: 'HaloPSA (prod)', baseUrl: stub.origin, credentials: CREDS, settings: { tenant: 'msp' },
      mappings: { people: [{ personId: casey, member: '4' }], clients: [{ clientId, companyId: 12 }] },
    };
    const res = await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'halo-1' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    connectorId = res.body.id;
    expect(res.body).toMatchObject({ type: 'halopsa', settings: { tenant: 'msp', scope: 'all', newStatusId: 1, closedStatusId: 9 }, inboundPath: `/inbound/halopsa/${connectorId}`, active: true });
    for (const shown of [res.body, (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body, (await call('GET', '/v1/connectors')).body]) {
      expect(JSON.stringify(shown)).not.toContain(CREDS.clientSecret);
      expect(JSON.stringify(shown)).not.toContain(CREDS.webhook.password);
    }
    const [row] = await db.db.select().from(connectors).where(eq(connectors.id, connectorId));
    expect(row!.credentialsSealed).not.toContain(CREDS.clientSecret);
    expect(JSON.stringify(await db.db.select().from(idempotencyRecords))).not.toContain(CREDS.clientSecret);
    for (const bad of [{ ...body, credentials: { ...CREDS, webhook: undefined } }, { ...body, credentials: { ...CREDS, webhook: { username: 'x', password: 'short' } } },
      { ...body, settings: { closedStatusId: 0 } }, { ...body, credentials: { companyId: 'x', publicKey: 'y', privateKey: 'z', clientId: 'w' } }]) {
      const r = await call('POST', '/v1/connectors', { body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const agentName = await call('POST', '/v1/connectors', { body: { ...body, mappings: { people: [{ personId: casey, member: 'ccsm' }], clients: [] } } });
    // HaloPSA agents are numeric ids (the mapping's `member`): a name is refused with its place (HaloMappings).
    expect(agentName.status).toBe(400);
    expect(JSON.stringify(agentName.body.errors)).toContain('a HaloPSA agent id (digits)');
    // A PATCH's credentials must be this connector type's, as for every type (api/routes/connectors.ts TYPE_SCHEMAS).
    const wrongType = await call('PATCH', `/v1/connectors/${connectorId}`, { body: { credentials: { companyId: 'x', publicKey: 'y', privateKey: 'z', clientId: 'w' } } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors[0].path).toMatch(/^credentials/);
  });
});

describe('CTAs as HaloPSA tickets', () => {
  it('creates exactly one ticket even when HaloPSA created it but the answer was lost, with a bearer token on every call, and closes it', async () => {
    stub.fail('POST', '/api/Tickets', { status: 503, afterWrite: true });
    const ctaId = await openCta('Review the <backup> report');
    const [d] = await eventually(() => psaLog(), (l) => l.length === 1 && l[0].state === 'delivered');
    expect(d).toMatchObject({ channel: 'psa', eventType: 'cta.opened', attempts: 2, clientId });
    expect(ticketsOf(ctaId)).toHaveLength(1);
    expect(creates(ctaId)).toHaveLength(1);
    expect(ticketsOf(ctaId)[0]).toMatchObject({ summary: 'Review the <backup> report', client_id: 12, agent_id: 4, status_id: 1 });
    // The retry looked the ticket up by its marker, paged, narrowed to the client.
    const lookup = stub.requests.find((r) => r.method === 'GET' && r.query.get('search') === ticketMarker(ctaId))!;
    expect(Object.fromEntries(lookup.query)).toMatchObject({ pageinate: 'true', page_no: '1', client_id: '12' });
    // One token for the whole run so far (cached until shortly before expires_in), a bearer on every API call, the tenant on the token request.
    expect(stub.tokenRequests()).toHaveLength(1);
    expect(stub.tokenRequests()[0]!.query.get('tenant')).toBe('msp');
    expect(stub.requests.filter((r) => r.path.startsWith('/api/')).every((r) => r.bearer && r.status !== 401)).toBe(true);

    expect((await call('POST', `/v1/ctas/${ctaId}/complete`, { body: { note: 'done in Baton' } })).status).toBe(200);
    await eventually(async () => ticketsOf(ctaId)[0]!.status_id, (s) => s === 9);
    await eventually(() => psaLog(), (l) => l.length === 2 && l.every((x) => x.state === 'delivered'));
  });

  it('refreshes an expired token once and repeats the call', async () => {
    const tokensBefore = stub.tokenRequests().length;
    stub.expireTokens();
    const ctaId = await openCta('After the token expired');
    await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));
    expect(stub.tokenRequests().length).toBe(tokensBefore + 1);
    // The first call after expiry met a 401; the same call with the new token succeeded; nothing was counted as failed.
    const rejected = stub.requests.filter((r) => r.status === 401);
    expect(rejected).toHaveLength(1);
    expect(ticketsOf(ctaId)).toHaveLength(1);
    const d = (await psaLog()).find((x) => x.eventType === 'cta.opened' && x.state === 'delivered' && x.attempts === 1);
    expect(d).toBeDefined();
  });

  it('hands the ticket to the new owner\'s agent when the CTA is reassigned', async () => {
    const avery = (await call('POST', '/v1/people', { body: { name: 'Avery AM', email: 'avery@msp.example', roles: ['AM'] } })).body.id;
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { mappings: { people: [{ personId: casey, member: '4' }, { personId: avery, member: '5' }], clients: [{ clientId, companyId: 12 }] } } })).status).toBe(200);
    const ctaId = await openCta('Changes hands');
    await ticketOf(ctaId);
    expect((await call('POST', `/v1/ctas/${ctaId}/reassign`, { body: { personId: avery, reason: 'Avery takes the account' } })).status).toBe(200);
    await eventually(async () => ticketsOf(ctaId)[0]!.agent_id, (a) => a === 5);
  });

  it('queues through a HaloPSA outage and drains on recovery with no duplicate ticket', async () => {
    await stub.stop();
    const during = [await openCta('Chase the renewal quote'), await openCta('Book the QBR'), await openCta('Send the roadmap')];
    await eventually(() => psaLog(), (l) => l.filter((d) => d.state === 'retrying' && d.attempts >= 1).length === 3);
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.status, (s) => s.breaker.state === 'open');
    expect(status.lastError).toMatch(/HaloPSA unreachable/);
    await stub.start();
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'), 30_000);
    for (const ctaId of during) {
      expect(ticketsOf(ctaId)).toHaveLength(1);
      expect(creates(ctaId)).toHaveLength(1);
    }
    // 0 duplicates over the whole run: one ticket per marker.
    const markers = stub.tickets.map((t) => /baton:cta:[0-9a-f-]+/.exec(t.details)?.[0]);
    expect(new Set(markers).size).toBe(markers.length);
  });

  it('shows a wrong client secret on the connector\'s status and blocks nothing else', async () => {
    const bad = await call('POST', '/v1/connectors', {
      body: { type: 'halopsa', name: 'Wrong secret', baseUrl: stub.origin, credentials: { ...CREDS, clientSecret: 'stale-secret' }, settings: { tenant: 'msp' }, mappings: { people: [], clients: [{ clientId: otherClientId, companyId: 13 }] } },
    });
    expect(bad.status).toBe(201);
    await openCta('Goes to the broken connector', otherClientId);
    const good = await openCta('Goes to the working connector');
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${bad.body.id}`, { role: 'manager' })).body.status, (s) => s.lastError !== null);
    expect(status.lastError).toMatch(/^HaloPSA refused the connector's client credentials \(401\) at POST \/auth\/token: invalid_client: The client credentials are invalid/);
    expect(status.lastError).not.toContain('stale-secret');
    await ticketOf(good);
    expect(ticketsOf(good)).toHaveLength(1);
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { credentials: CREDS } })).status).toBe(200);
    await eventually(() => psaLog(bad.body.id), (l) => l.length === 1 && l[0].state === 'delivered', 30_000);
    expect(stub.tickets.filter((t) => t.client_id === 13)).toHaveLength(1);
  });
});

describe('Meetings as HaloPSA appointments', () => {
  it('books one appointment per booked meeting even after a lost answer, moves and cancels them', async () => {
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { mappings: { people: [{ personId: casey, member: '4' }], clients: [{ clientId, companyId: 12 }, { clientId: meetClientId, companyId: 14 }] } } })).status).toBe(200);
    stub.fail('POST', '/api/Appointment', { status: 502, afterWrite: true });
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence`, { body: {} })).status).toBe(201);
    const mine = () => stub.appointments.filter((a) => a.client_id === 14);
    const bookedNow = async () => clientTimeline(db.db, meetClientId, { types: ['meeting.scheduled'] });
    // The whole horizon booked and every booking delivered (the count is read again after a pause: booking comes in batches).
    const settled = async () => {
      const booked = await bookedNow();
      const log = (await call('GET', `/v1/deliveries?connector=psa:${connectorId}&clientId=${meetClientId}&limit=100`, { role: 'ops' })).body.items.filter((d: any) => d.eventType === 'meeting.scheduled') as any[];
      return { booked, n: booked.length, appts: mine().length, delivered: log.length === booked.length && log.every((d) => d.state === 'delivered'), states: log.map((d) => d.state).join() };
    };
    await eventually(settled, (x) => x.n > 0 && x.appts === x.n && x.delivered, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const { booked } = await eventually(settled, (x) => x.n > 0 && x.appts === x.n && x.delivered, 60_000);
    // Exactly one appointment per meeting: the lost answer's retry found it by its marker.
    const markers = mine().map((a) => /baton:meeting:[^\s]+/.exec(a.note)?.[0]);
    expect(new Set(markers).size).toBe(mine().length);
    expect(mine()).toHaveLength(booked.length);
    const first = booked.map((e) => e.data as { meetingId: string; startsAt: string; endsAt: string; kind: string }).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    const target = first.find((m) => Date.parse(m.startsAt) > Date.now() + 3 * 86_400_000)!;
    const appt = mine().find((a) => a.note.includes(target.meetingId))!;
    expect(appt).toMatchObject({ start_date: new Date(target.startsAt).toISOString(), end_date: new Date(target.endsAt).toISOString(), client_id: 14 });
    expect(appt.subject).toContain('Meeting Halo Co');

    // Moved (agreed ≥24 h ahead) → the appointment moves.
    const newStart = new Date(Date.parse(target.startsAt) + 86_400_000).toISOString();
    const newEnd = new Date(Date.parse(target.endsAt) + 86_400_000).toISOString();
    const moved = await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${target.meetingId}/rescheduled`, { role: 'automation', body: { newStartsAt: newStart, newEndsAt: newEnd } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await eventually(async () => mine().find((a) => a.id === appt.id)?.start_date, (d) => d === newStart, 30_000);
    expect(mine().find((a) => a.id === appt.id)?.end_date).toBe(newEnd);

    // Cancelled → the appointment is deleted.
    const other = first.filter((m) => m.meetingId !== target.meetingId && Date.parse(m.startsAt) > Date.now() + 3 * 86_400_000)[0]!;
    const otherAppt = mine().find((a) => a.note.includes(other.meetingId))!;
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${other.meetingId}/cancelled`, { role: 'automation', body: { reason: 'the client asked' } })).status).toBe(200);
    await eventually(async () => stub.deletedAppointments.some((a) => a.id === otherAppt.id), (x) => x, 30_000);
    expect(stub.appointments.some((a) => a.id === otherAppt.id)).toBe(false);

    // An appointment completed in HaloPSA → the meeting-held report, through the cadence process; a replay once.
    const third = first.filter((m) => ![target.meetingId, other.meetingId].includes(m.meetingId))[0]!;
    const thirdAppt = mine().find((a) => a.note.includes(third.meetingId))!;
    const heldAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const endedAt = new Date(Date.now() - 3_600_000).toISOString();
    const completed = JSON.stringify({ id: crypto.randomUUID(), event: 'Appointment Completed', appointment: { id: thirdAppt.id, complete_status: 1, complete_date: endedAt, agent_name: 'Casey CSM', start_date: heldAt, end_date: endedAt } });
    const first1 = await postWebhook(completed);
    expect(first1.status, JSON.stringify(first1.body)).toBe(200);
    expect(first1.body).toMatchObject({ duplicate: false, outcome: 'meetingHeld' });
    expect(await postWebhook(completed)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    const held = (await clientTimeline(db.db, meetClientId, { types: ['meeting.held'] })).filter((e) => (e.data as any).meetingId === third.meetingId);
    expect(held).toHaveLength(1);
    expect(held[0]!.actor).toMatchObject({ kind: 'system', id: `psa:${connectorId}` });
    // Not completed, or not Baton's: acknowledged, nothing changes.
    expect(await postWebhook(JSON.stringify({ id: crypto.randomUUID(), appointment: { id: thirdAppt.id, complete_status: 0 } }))).toMatchObject({ status: 200, body: { outcome: 'no-report: the appointment is not completed' } });
    expect(await postWebhook(JSON.stringify({ id: crypto.randomUUID(), appointment: { id: 123_456, complete_status: 1 } }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-appointment' } });
  });
});

describe('HaloPSA appointment changes (inbound)', () => {
  const cadenceMeeting = async (meetingId: string) => ((await call('GET', `/v1/clients/${meetClientId}/cadence`, { role: 'ops' })).body.meetings as any[]).find((m) => m.meetingId === meetingId);
  const meetingRow = async (id: string) => (await db.db.select().from(meetings).where(eq(meetings.id, id)))[0]!;
  const apptOf = (meetingId: string) => stub.appointments.find((a) => a.note.includes(appointmentMarker(meetingId)));
  const writesTo = (apptId: number) => stub.requests.filter((r) => (r.method === 'POST' && r.path === '/api/Appointment' && r.body?.[0]?.id === apptId) || (r.method === 'DELETE' && r.path === `/api/Appointment/${apptId}`));
  const timeline = async (meetingId: string, types: string[]) => (await clientTimeline(db.db, meetClientId, { types })).filter((e) => (e.data as any).meetingId === meetingId);
  /** What HaloPSA (the connector) reported on the meeting's timeline. */
  const fromHalo = async (meetingId: string, types: string[]) => (await timeline(meetingId, types)).filter((e) => e.actor.kind === 'system' && e.actor.id === `psa:${connectorId}`);

  it('reports a move, a delete and a "did not attend" made in HaloPSA to the cadence once, sends nothing back, and ignores Baton\'s own writes echoed', async () => {
    // The cadence booked earlier in this file: its meetings still scheduled well ahead, each with its appointment.
    const ahead = (await db.db.select().from(meetings).where(and(eq(meetings.clientId, meetClientId), eq(meetings.state, 'scheduled'), eq(meetings.process, 'cadence'))))
      .filter((m) => Date.parse(m.startsAt) > Date.now() + 4 * 86_400_000 && apptOf(m.id))
      .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    expect(ahead.length).toBeGreaterThanOrEqual(5);
    const [toMove, toDelete, batonMoves, batonCancels, missed] = ahead;
    const writesBefore = new Map(ahead.map((m) => [apptOf(m.id)!.id, writesTo(apptOf(m.id)!.id).length]));

    // 1. An agent drags the appointment two days later in HaloPSA → the meeting is rescheduled there.
    const a1 = apptOf(toMove!.id)!;
    const start = new Date(Date.parse(toMove!.startsAt) + 2 * 86_400_000).toISOString();
    const end = new Date(Date.parse(toMove!.endsAt) + 2 * 86_400_000 + 30 * 60_000).toISOString();
    const moved = haloAppointmentWebhook(stub.changeAppointment(a1.id, { start_date: start, end_date: end }));
    const res = await postWebhook(moved);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ duplicate: false, outcome: 'meetingRescheduled' });
    expect(Date.parse((await cadenceMeeting(toMove!.id)).startsAt)).toBe(Date.parse(start));
    expect(Date.parse((await meetingRow(toMove!.id)).endsAt)).toBe(Date.parse(end));
    expect((await fromHalo(toMove!.id, ['meeting.moved'])).map((e) => [Date.parse((e.data as any).startsAt), Date.parse((e.data as any).endsAt)])).toEqual([[Date.parse(start), Date.parse(end)]]);
    // HaloPSA redelivers the same event: acknowledged once, nothing changes.
    expect(await postWebhook(moved)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    // A later update of the same appointment at the times Baton now has (e.g. a note edited) reports nothing.
    expect(await postWebhook(haloAppointmentWebhook(apptOf(toMove!.id)!))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'no-report: the appointment matches the meeting' } });
    expect(await fromHalo(toMove!.id, ['meeting.moved'])).toHaveLength(1);

    // 2. An agent deletes the appointment in HaloPSA → the meeting is cancelled; a replay once.
    const a2 = stub.deleteAppointment(apptOf(toDelete!.id)!.id);
    const deleted = haloAppointmentWebhook(a2, { deleted: true });
    expect(await postWebhook(deleted)).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'meetingCancelled' } });
    expect(await postWebhook(deleted)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect((await meetingRow(toDelete!.id)).state).toBe('cancelled');
    expect((await cadenceMeeting(toDelete!.id)).status).toBe('cancelled');
    expect(await timeline(toDelete!.id, ['meeting.cancelled'])).toHaveLength(1);
    expect(await fromHalo(toDelete!.id, ['meeting.cancelled'])).toHaveLength(1);

    // What HaloPSA reported is not sent back to HaloPSA (no move, no delete of those appointments).
    await new Promise((r) => setTimeout(r, 1000));
    await eventually(async () => (await call('GET', `/v1/deliveries?connector=psa:${connectorId}&clientId=${meetClientId}&limit=100`, { role: 'ops' })).body.items as any[], (l) => l.every((d) => d.state === 'delivered'), 30_000);
    expect(writesTo(a1.id)).toHaveLength(writesBefore.get(a1.id)!);
    expect(writesTo(a2.id)).toHaveLength(writesBefore.get(a2.id)!);

    // 3. Baton's own move, echoed back by HaloPSA's webhook once the appointment moved → no report.
    const a3 = apptOf(batonMoves!.id)!;
    const s3 = new Date(Date.parse(batonMoves!.startsAt) + 86_400_000).toISOString();
    const e3 = new Date(Date.parse(batonMoves!.endsAt) + 86_400_000).toISOString();
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${batonMoves!.id}/rescheduled`, { role: 'automation', body: { newStartsAt: s3, newEndsAt: e3 } })).status).toBe(200);
    await eventually(async () => apptOf(batonMoves!.id)?.start_date, (d) => d === s3, 30_000);
    expect(await postWebhook(haloAppointmentWebhook(apptOf(batonMoves!.id)!))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'no-report: the appointment matches the meeting' } });
    expect(await fromHalo(batonMoves!.id, ['meeting.moved'])).toEqual([]);
    expect(writesTo(a3.id)).toHaveLength(writesBefore.get(a3.id)! + 1);

    // 4. Baton's own cancel, echoed back as HaloPSA's delete → no report (the meeting is no longer booked).
    const a4 = apptOf(batonCancels!.id)!;
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${batonCancels!.id}/cancelled`, { role: 'automation', body: { reason: 'the client asked' } })).status).toBe(200);
    await eventually(async () => stub.deletedAppointments.some((a) => a.id === a4.id), (x) => x, 30_000);
    expect(await postWebhook(haloAppointmentWebhook(a4, { deleted: true }))).toMatchObject({ status: 200, body: { outcome: 'no-report: the meeting is cancelled in Baton' } });
    expect(await timeline(batonCancels!.id, ['meeting.cancelled'])).toHaveLength(1);
    expect(await fromHalo(batonCancels!.id, ['meeting.cancelled'])).toEqual([]);

    // 5. "Did not attend" is a completion status the MSP defines: once the connector names it, such a completion is the meeting's no-show.
    const a5 = apptOf(missed!.id)!;
    const completed = (over: Record<string, unknown>) => haloAppointmentWebhook(a5, { event: 'Appointment Completed', appointment: { complete_status: 3, complete_date: new Date().toISOString().replace(/Z$/, ''), ...over } });
    // Until then a completion is "held" (here refused by the cadence: the appointment's time is still ahead).
    expect(await postWebhook(completed({}))).toMatchObject({ status: 200, body: { outcome: expect.stringMatching(/^refused: heldAt \S+ is in the future/) } });
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { settings: { tenant: 'msp', noShowCompleteStatusId: 3 } } })).status).toBe(200);
    expect(await postWebhook(completed({}))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'meetingNoShow' } });
    expect((await meetingRow(missed!.id)).state).toBe('missed');
    expect(await fromHalo(missed!.id, ['meeting.missed'])).toHaveLength(1);

    // 6. An appointment Baton did not book: acknowledged, nothing changes.
    const foreign = { ...a1, id: 987_654 };
    expect(await postWebhook(haloAppointmentWebhook(foreign))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'not-a-baton-appointment' } });
    expect(await postWebhook(haloAppointmentWebhook(foreign, { deleted: true }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-appointment' } });
  });
});

describe('The onboarding kickoff as a HaloPSA appointment', () => {
  it('reports the kickoff held (R-47) from its completed appointment, and a move in HaloPSA as the kickoff booked again; a cancel is recorded only', async () => {
    const kickoffClient = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Kickoff Halo plc' }) })).body.id as string;
    expect((await call('PUT', `/v1/clients/${kickoffClient}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
    const current = (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.mappings;
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { mappings: { ...current, clients: [...current.clients, { clientId: kickoffClient, companyId: 13 }] } } })).status).toBe(200);
    expect((await call('POST', `/v1/clients/${kickoffClient}/onboarding`, { body: { signedAt: new Date(Date.now() - 2 * 86_400_000).toISOString() } })).status).toBe(201);
    // R-46: the kickoff invite waits for the handoff packet.
    expect((await call('POST', `/v1/clients/${kickoffClient}/onboarding/handoff-items`, { role: 'automation', body: { items: [...defaultPolicy.onboarding.handoffPacketItems] } })).status).toBe(200);
    const startsAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const endsAt = new Date(Date.parse(startsAt) + 3_600_000).toISOString();
    expect((await call('POST', `/v1/clients/${kickoffClient}/onboarding/kickoff-scheduled`, { role: 'automation', body: { startsAt, endsAt } })).status).toBe(200);
    const [kickoff] = await eventually(() => db.db.select().from(meetings).where(and(eq(meetings.clientId, kickoffClient), eq(meetings.kind, 'kickoff'))), (l) => l.length === 1);
    const appt = await eventually(async () => stub.appointments.find((a) => a.note.includes(appointmentMarker(kickoff!.id))), (a) => a !== undefined, 30_000);
    const onboarding = async () => (await call('GET', `/v1/clients/${kickoffClient}/onboarding`, { role: 'ops' })).body;

    // Moved in HaloPSA → the kickoff booked again at the new time (the onboarding's kickoff-scheduled report).
    const movedStart = new Date(Date.parse(startsAt) + 86_400_000).toISOString();
    const movedEnd = new Date(Date.parse(endsAt) + 86_400_000).toISOString();
    const moved = await postWebhook(haloAppointmentWebhook(stub.changeAppointment(appt!.id, { start_date: movedStart, end_date: movedEnd })));
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ duplicate: false, outcome: 'kickoffScheduled' });
    expect((await onboarding()).kickoff?.scheduled).toEqual({ startsAt: movedStart, endsAt: movedEnd });

    // Deleted in HaloPSA: the onboarding has no cancel report, so it is recorded and the kickoff stays booked (R-47's deadline judges it).
    const deleted = await postWebhook(haloAppointmentWebhook(appt!, { deleted: true }));
    expect(deleted.body).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^recorded: cancelled \(the onboarding takes no such report/) });
    expect((await onboarding()).kickoff?.scheduled).toEqual({ startsAt: movedStart, endsAt: movedEnd });

    // Completed in HaloPSA → the kickoff held, as POST …/onboarding/kickoff-held would: its recap deadline (R-29) follows; a replay once.
    const heldAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const endedAt = new Date(Date.now() - 3_600_000).toISOString();
    const completed = JSON.stringify({ id: crypto.randomUUID(), event: 'Appointment Completed', appointment: { id: appt!.id, complete_status: 1, complete_date: endedAt, agent_name: 'Casey CSM', start_date: heldAt, end_date: endedAt } });
    const held = await postWebhook(completed);
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body).toMatchObject({ duplicate: false, outcome: 'kickoffHeld' });
    expect(await postWebhook(completed)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect((await onboarding()).kickoff).toMatchObject({ heldAt, endedAt, attendees: ['Casey CSM'], decisions: 0 });
    const heldEvents = (await clientTimeline(db.db, kickoffClient, { types: ['meeting.held'] })).filter((e) => (e.data as any).meetingId === kickoff!.id);
    expect(heldEvents).toHaveLength(1);
    expect(heldEvents[0]!.actor).toMatchObject({ kind: 'system', id: `psa:${connectorId}` });
    const recap = (await clientTimeline(db.db, kickoffClient, { types: ['deadline.set'] })).filter((e) => (e.data as any).deadline === 'recap.sent');
    expect(recap).toHaveLength(1);
  });
});

describe('HaloPSA webhooks (inbound)', () => {
  const ctaState = async (ctaId: string) => (await call('GET', `/v1/ctas/${ctaId}`, { role: 'ops' })).body;

  it('refuses unauthenticated and forged webhooks with 401 and changes nothing', async () => {
    const ctaId = await openCta('Webhook target');
    const ticket = await ticketOf(ctaId);
    const closed = haloWebhook({ ...ticket, status_id: 9 });
    for (const headers of [{}, { authorization: basic(CREDS.webhook.username, 'not-the-password') }, { authorization: basic('someone', CREDS.webhook.password) }, { authorization: 'Bearer x' }, { authorization: basic(CREDS.webhook.username, `${CREDS.webhook.password}x`) }] as Record<string, string>[]) {
      const res = await postWebhook(closed, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await ctaState(ctaId)).toMatchObject({ state: 'open', firstActionAt: null });
    expect((await clientTimeline(db.db, clientId, { types: ['cta.completed', 'cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId)).toEqual([]);
    expect((await postWebhook(closed, undefined, crypto.randomUUID())).status).toBe(404);
  });

  it('records the first action from a note and completes the CTA when the ticket closes; a replay is acknowledged once', async () => {
    const ctaId = await openCta('Worked in HaloPSA');
    const ticket: HaloStubTicket = await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));

    const note = haloWebhook(ticket, { event: 'Action Added', action: { id: 77, note: '<p>Called the client about it</p>', who: 'Casey' } });
    expect(await postWebhook(note)).toMatchObject({ status: 200, body: { received: true, duplicate: false, outcome: 'firstAction' } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'first_action' });

    const closed = haloWebhook({ ...ticket, status_id: 9 }, { event: 'Closed' });
    expect(await postWebhook(closed)).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'complete' } });
    expect(await postWebhook(closed)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect(await postWebhook(note)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'done' });
    const events = (await clientTimeline(db.db, clientId, { types: ['cta.completed', 'cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId);
    expect(events.map((e) => [e.type, (e.data as any).note, (e.actor as any).id])).toEqual(expect.arrayContaining([
      ['cta.first_action', `HaloPSA ticket #${ticket.id}: note by Casey: Called the client about it`, `psa:${connectorId}`],
      ['cta.completed', `HaloPSA ticket #${ticket.id} closed (status 9)`, `psa:${connectorId}`],
    ]));
    expect(events).toHaveLength(2);
    // The completion came from HaloPSA: no close is sent back to it.
    expect(stub.requests.filter((r) => r.method === 'POST' && r.body?.[0]?.id === ticket.id && r.body?.[0]?.status_id === 9)).toHaveLength(0);

    // A status change alone is the first action too; a ticket Baton did not create changes nothing.
    const other = await openCta('Taken by a technician');
    const t2 = await ticketOf(other);
    expect(await postWebhook(haloWebhook({ ...t2, status_id: 2 }))).toMatchObject({ status: 200, body: { outcome: 'firstAction' } });
    expect(await postWebhook(haloWebhook({ ...t2, id: 999_999, status_id: 9 }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-ticket' } });
  });
});
