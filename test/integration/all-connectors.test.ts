import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { autotaskMarker } from '../../domain/autotask.js';
import { ticketXRef } from '../../domain/connectwise.js';
import { ticketMarker } from '../../domain/halopsa.js';
import { configureMailer } from '../../runtime/mailer.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { autotaskStub } from '../support/autotask-stub.js';
import { connectWiseStub } from '../support/connectwise-stub.js';
import { haloPsaStub } from '../support/halopsa-stub.js';
import { apiCaller, clientBody, eventually, fastDeliveryPolicy, openFollowUpCta, workerHarness, type WorkerHarness } from '../support/harness.js';
import { smtpSink } from '../support/smtp-sink.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

/**
 * Every outbound connector of issue 15 at once, for the same client and CSM, on the real Temporal
 * dev server and PostgreSQL: ConnectWise, Autotask and HaloPSA (each against its contract stub),
 * email over SMTP (a real SMTP server, messages parsed back) and a Standard Webhooks receiver that
 * verifies every signature. A CTA is one ticket in each PSA, one email and one webhook even when
 * every channel's first attempt fails; a PSA outage queues its deliveries without holding up the
 * others and drains with no duplicate; a ticket closed in one PSA completes the CTA as the API
 * report would and closes the other PSAs' tickets. The stubs' request logs are the evidence.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CW = { companyId: 'msp', publicKey: 'pubKEY123', privateKey: 'privSECRET-4f1c9', clientId: '11111111-2222-3333-4444-555555555555' };
const AT = { apiIntegrationCode: 'TRACKINGID27CHARACTERSXXXXX', userName: 'baton-api@msp.example', secret: 'S3cret-9a8b7c', webhookSecret: 'hook-secret-0123456789' };
const HALO = { clientId: 'c9534241-dde9-4d04-9d45-32b1fbff22ed', clientSecret: 'halo-SECRET-14c0c9af-2db1', webhook: { username: 'halo-hook', password: 'hook-PASSWORD-7f3a9' } };

let h: WorkerHarness;
let call: ReturnType<typeof apiCaller>;
let cw: Awaited<ReturnType<typeof connectWiseStub>>;
let at: Awaited<ReturnType<typeof autotaskStub>>;
let halo: Awaited<ReturnType<typeof haloPsaStub>>;
let sink: Awaited<ReturnType<typeof smtpSink>>;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
let clientId: string;
const ids = { cw: '', at: '', halo: '', subscription: '' };

beforeAll(async () => {
  h = await workerHarness({ policy: fastDeliveryPolicy(), policyNote: 'fast delivery retries for the test' });
  call = h.call;
  [cw, at, halo, sink, receiver] = await Promise.all([
    connectWiseStub({ ...CW, companies: [250], members: ['ccsm'], boards: [7] }),
    autotaskStub({ ...AT, companies: [300], resources: [29682885] }),
    haloPsaStub({ clientId: HALO.clientId, clientSecret: HALO.clientSecret, tenant: 'msp', clients: [12], agents: [4] }),
    smtpSink(),
    webhookReceiver(),
  ]);
  configureMailer(sink.url, 'Baton <baton@msp.example>');

  const casey = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] } })).body.id;
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Everywhere Dental' }) })).body.id;
  expect((await call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
  const configure = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/v1/connectors', { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  ids.cw = await configure({ type: 'connectwise', name: 'ConnectWise', baseUrl: cw.baseUrl, credentials: CW, settings: { boardId: 7 }, mappings: { people: [{ personId: casey, member: 'ccsm' }], clients: [{ clientId, companyId: 250 }] } });
  ids.at = await configure({ type: 'autotask', name: 'Autotask', baseUrl: at.baseUrl, credentials: AT, settings: { queueId: 8 }, mappings: { people: [{ personId: casey, resourceId: 29682885, roleId: 29683461 }], clients: [{ clientId, companyId: 300 }] } });
  ids.halo = await configure({ type: 'halopsa', name: 'HaloPSA', baseUrl: halo.origin, credentials: HALO, settings: { tenant: 'msp' }, mappings: { people: [{ personId: casey, member: '4' }], clients: [{ clientId, companyId: 12 }] } });
  const sub = await call('POST', '/v1/webhook-subscriptions', { body: { url: receiver.url, eventTypes: ['cta.opened', 'cta.completed'], description: 'CS tooling' } });
  expect(sub.status).toBe(201);
  receiver.setSecret(sub.body.secret);
  ids.subscription = sub.body.id;
});
afterAll(async () => {
  configureMailer(undefined, undefined);
  await Promise.all([cw?.stop(), at?.stop(), halo?.stop(), sink?.stop(), receiver?.stop()]);
  await h?.close();
});

/**
 * What each channel received for a CTA: tickets held by each PSA, create calls it carried out (a lost answer's
 * write counts; Autotask's 429 refuses before writing, so only its answered creates count), emails, webhooks.
 */
const seen = (ctaId: string) => ({
  tickets: {
    cw: cw.tickets.filter((t) => t.externalXRef === ticketXRef(ctaId)),
    at: at.tickets.filter((t) => t.externalID === autotaskMarker(ctaId)),
    halo: halo.tickets.filter((t) => t.details.includes(ticketMarker(ctaId))),
  },
  creates: {
    cw: cw.requests.filter((r) => r.method === 'POST' && r.body?.externalXRef === ticketXRef(ctaId)).length,
    at: at.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Tickets') && r.status !== 429 && r.body?.externalID === autotaskMarker(ctaId)).length,
    halo: halo.requests.filter((r) => r.method === 'POST' && r.path === '/api/Tickets' && r.body?.[0]?.id === undefined && String(r.body?.[0]?.details).includes(ticketMarker(ctaId))).length,
  },
  emails: sink.messages.filter((m) => m.text?.includes(ctaId)),
  webhooks: receiver.requests.filter((r) => r.body.data?.data?.ctaId === ctaId),
});
/** The delivery log (public API) of one of the CTA's ledger events, by connector. */
async function deliveriesOf(ctaId: string, type: 'cta.opened' | 'cta.completed') {
  const event = (await clientTimeline(h.database.db, clientId, { types: [type] })).find((e) => (e.data as any).ctaId === ctaId);
  if (!event) return [];
  const log = (await call('GET', `/v1/deliveries?clientId=${clientId}&limit=100`, { role: 'ops' })).body.items as any[];
  return log.filter((d) => d.eventId === event.id);
}
const connectorKeys = () => [`psa:${ids.cw}`, `psa:${ids.at}`, `psa:${ids.halo}`, 'smtp', `webhook:${ids.subscription}`];
const allDelivered = (l: any[], n: number) => l.length === n && l.every((d) => d.state === 'delivered');
const connectorStatus = async (id: string) => (await call('GET', `/v1/connectors/${id}`, { role: 'ops' })).body.status;

/** 0 duplicates over the whole run, in every stub's own records: one ticket per Baton marker, one create call per ticket, one accepted webhook per webhook-id. */
function expectNoDuplicates() {
  const unique = (l: unknown[]) => expect(new Set(l).size).toBe(l.length);
  unique(cw.tickets.map((t) => t.externalXRef));
  unique(at.tickets.map((t) => t.externalID));
  unique(halo.tickets.map((t) => /baton:cta:[0-9a-f-]+/.exec(t.details)?.[0]));
  unique(cw.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/service/tickets') && r.status === 201).map((r) => r.body.externalXRef));
  unique(cw.scheduleEntries.map((e) => e.name)); // meetings as schedule entries: one per meeting (the marker is in the name)
  unique(at.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Tickets') && r.status === 200).map((r) => r.body.externalID));
  unique(receiver.requests.filter((r) => r.status === 204).map((r) => r.id));
  unique(sink.messages.map((m) => m.messageId));
}

describe('all connectors at once for one client', () => {
  it('turns one CTA into one ticket in each PSA, one email and one signed webhook, though every first attempt fails', async () => {
    // Each channel's first attempt fails: ConnectWise and HaloPSA carry out the create and lose the answer,
    // Autotask rate-limits with Retry-After, the SMTP server refuses temporarily, the receiver answers 503.
    cw.fail('POST', '/service/tickets', { status: 503, afterWrite: true });
    at.fail('POST', '/V1.0/Tickets', { status: 429, headers: { 'retry-after': '1' } });
    halo.fail('POST', '/api/Tickets', { status: 503, afterWrite: true });
    sink.refuseNext(451);
    let refusedOnce = false;
    receiver.setResponder(() => (refusedOnce ? { status: 204 } : ((refusedOnce = true), { status: 503 })));

    const ctaId = await openFollowUpCta(call, clientId, 'Review the <backup> report');
    const log = await eventually(() => deliveriesOf(ctaId, 'cta.opened'), (l) => allDelivered(l, 5), 30_000);
    // Every delivery was retried once (the activity ran twice) and still had one effect.
    expect(log.map((d) => [d.channel, d.attempts]).sort()).toEqual([['email', 2], ['psa', 2], ['psa', 2], ['psa', 2], ['webhook', 2]]);
    expect(log.map((d) => d.connector).sort()).toEqual(connectorKeys().sort());

    const s = seen(ctaId);
    expect([s.tickets.cw.length, s.tickets.at.length, s.tickets.halo.length]).toEqual([1, 1, 1]);
    expect(s.creates).toEqual({ cw: 1, at: 1, halo: 1 });
    expect(s.tickets.cw[0]).toMatchObject({ summary: 'Review the <backup> report', company: { id: 250 }, owner: { identifier: 'ccsm' } });
    expect(s.tickets.at[0]).toMatchObject({ title: 'Review the <backup> report', companyID: 300, assignedResourceID: 29682885 });
    expect(s.tickets.halo[0]).toMatchObject({ summary: 'Review the <backup> report', client_id: 12, agent_id: 4 });
    // The retries recovered through each vendor's lookup, not a second create.
    expect(cw.requests.some((r) => r.method === 'GET' && r.query.get('conditions') === `externalXRef="${ticketXRef(ctaId)}"`)).toBe(true);
    expect(halo.requests.some((r) => r.method === 'GET' && r.query.get('search') === ticketMarker(ctaId))).toBe(true);
    expect(at.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Tickets')).map((r) => r.status)).toEqual([429, 200]);

    // One email, parsed back from the SMTP server, identified by its delivery.
    expect(s.emails).toHaveLength(1);
    expect(s.emails[0]).toMatchObject({ subject: 'New CTA for Everywhere Dental: Review the <backup> report', to: { value: [{ address: 'casey@msp.example', name: 'Casey CSM' }] } });
    expect(s.emails[0]!.messageId).toBe(`<${log.find((d) => d.channel === 'email').id}@baton>`);
    expect(s.emails[0]!.html).toContain('Review the &lt;backup&gt; report');
    // One webhook message: two attempts, the same webhook-id (the delivery id), both signatures verified by the receiver.
    expect(s.webhooks.map((r) => [r.id, r.verified, r.status, r.body.type])).toEqual([
      [log.find((d) => d.channel === 'webhook').id, true, 503, 'cta.opened'],
      [log.find((d) => d.channel === 'webhook').id, true, 204, 'cta.opened'],
    ]);
    expectNoDuplicates();
  });

  it('queues an Autotask outage\'s deliveries without holding up the other channels, and drains them with no duplicate', async () => {
    await at.stop();
    const during = [await openFollowUpCta(call, clientId, 'Chase the renewal quote'), await openFollowUpCta(call, clientId, 'Book the QBR')];
    // The other channels deliver while Autotask is down.
    for (const ctaId of during) {
      // Each delivery is a workflow of its own: on a loaded machine the other four may all be delivered before
      // Autotask's has made its first attempt (still pending), so wait for that attempt to have failed too.
      const log = await eventually(() => deliveriesOf(ctaId, 'cta.opened'), (l) => l.length === 5 && l.filter((d) => d.state === 'delivered').length === 4 && !l.some((d) => d.state === 'pending'), 30_000);
      expect(log.find((d) => d.state !== 'delivered')).toMatchObject({ connector: `psa:${ids.at}`, state: 'retrying' });
      const s = seen(ctaId);
      expect([s.tickets.cw.length, s.tickets.halo.length, s.tickets.at.length, s.emails.length, s.webhooks.length]).toEqual([1, 1, 0, 1, 1]);
    }
    // The outage is visible: the breaker opens, the queued deliveries are counted on the connector's status.
    const down = await eventually(() => connectorStatus(ids.at), (st) => st.breaker.state === 'open' && st.deliveries.retrying === 2, 30_000);
    expect(down.lastError).toMatch(/Autotask/);
    for (const id of [ids.cw, ids.halo]) expect((await connectorStatus(id)).breaker.state).toBe('closed');

    await at.start();
    const delivered = async () => (await clientTimeline(h.database.db, clientId, { types: ['delivery.delivered'] })).map((e) => (e.data as any).deliveryId);
    for (const ctaId of during) {
      const log = await eventually(() => deliveriesOf(ctaId, 'cta.opened'), (l) => allDelivered(l, 5), 30_000);
      // On the client's timeline too, once each.
      expect((await delivered()).filter((id) => id === log.find((d) => d.connector === `psa:${ids.at}`).id)).toHaveLength(1);
      expect(seen(ctaId).tickets.at).toHaveLength(1);
      expect(seen(ctaId).creates).toEqual({ cw: 1, at: 1, halo: 1 });
    }
    expect(await eventually(() => connectorStatus(ids.at), (st) => st.breaker.state === 'closed')).toMatchObject({ breaker: { consecutiveFailures: 0 }, deliveries: { retrying: 0 } });
    expectNoDuplicates();
  });

  it('completes the CTA from a ticket closed in ConnectWise as the API report would, closing the other PSAs\' tickets and nothing sent back', async () => {
    // The API report, for comparison: every PSA closes its ticket, the webhook announces it.
    const viaApi = await openFollowUpCta(call, clientId, 'Closed in Baton');
    await eventually(() => deliveriesOf(viaApi, 'cta.opened'), (l) => allDelivered(l, 5), 30_000);
    expect((await call('POST', `/v1/ctas/${viaApi}/complete`, { body: { note: 'done' } })).status).toBe(200);
    const apiLog = await eventually(() => deliveriesOf(viaApi, 'cta.completed'), (l) => allDelivered(l, 4), 30_000);
    expect(apiLog.map((d) => d.connector).sort()).toEqual(connectorKeys().filter((k) => k !== 'smtp').sort());

    // The same CTA outcome from ConnectWise's signed callback: the ticket closed there.
    const viaVendor = await openFollowUpCta(call, clientId, 'Closed in ConnectWise');
    await eventually(() => deliveriesOf(viaVendor, 'cta.opened'), (l) => allDelivered(l, 5), 30_000);
    const ticket = seen(viaVendor).tickets.cw[0]!;
    const callback = cw.callback({ ...ticket, status: { name: 'Closed' }, closedFlag: true });
    const posted = await call('POST', `/inbound/connectwise/${ids.cw}`, { role: null, rawBody: callback.body, headers: { 'x-content-signature': callback.signature } });
    expect(posted).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'complete' } });
    // A forged one is refused and a replay acknowledged once.
    const forged = cw.callback({ ...ticket, status: { name: 'Closed' }, closedFlag: true }, 'updated', { key: 'not-the-key' });
    expect((await call('POST', `/inbound/connectwise/${ids.cw}`, { role: null, rawBody: forged.body, headers: { 'x-content-signature': forged.signature } })).status).toBe(401);
    expect(await call('POST', `/inbound/connectwise/${ids.cw}`, { role: null, rawBody: callback.body, headers: { 'x-content-signature': callback.signature } })).toMatchObject({ status: 200, body: { duplicate: true } });

    for (const ctaId of [viaApi, viaVendor]) expect((await call('GET', `/v1/ctas/${ctaId}`, { role: 'ops' })).body).toMatchObject({ state: 'done' });
    const completed = (await clientTimeline(h.database.db, clientId, { types: ['cta.completed'] })).filter((e) => [viaApi, viaVendor].includes((e.data as any).ctaId));
    expect(completed.map((e) => [(e.data as any).ctaId, e.actor.kind]).sort()).toEqual([[viaApi, 'api-key'], [viaVendor, 'system']].sort());
    // The other PSAs and the webhook hear of it as they do of the API report; ConnectWise, where it came from, is not told again.
    const vendorLog = await eventually(() => deliveriesOf(viaVendor, 'cta.completed'), (l) => allDelivered(l, 3), 30_000);
    expect(vendorLog.map((d) => d.connector).sort()).toEqual(apiLog.map((d) => d.connector).filter((c) => c !== `psa:${ids.cw}`).sort());
    for (const ctaId of [viaApi, viaVendor]) {
      const s = seen(ctaId);
      expect(s.tickets.at[0]!.status).toBe(5);
      expect(s.tickets.halo[0]!.status_id).toBe(9);
      expect(s.webhooks.filter((r) => r.status === 204 && r.verified).map((r) => r.body.type)).toEqual(['cta.opened', 'cta.completed']);
    }
    expect(seen(viaApi).tickets.cw[0]!.status.name).toBe('Closed');
    expect(cw.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/service/tickets/${ticket.id}`))).toEqual([]);
    expectNoDuplicates();
  });

  it('records a meeting held from HaloPSA\'s "appointment completed" webhook as the API\'s held report would', async () => {
    // The cadence books its meetings; HaloPSA and Autotask get an appointment and ConnectWise a schedule entry per meeting.
    expect((await call('POST', `/v1/clients/${clientId}/cadence`, { body: {} })).status).toBe(201);
    const booked = async () => (await clientTimeline(h.database.db, clientId, { types: ['meeting.scheduled'] })).map((e) => e.data as { meetingId: string; startsAt: string; endsAt: string });
    const appointmentOf = (meetingId: string) => halo.appointments.find((a) => a.note.includes(meetingId));
    const meetings = await eventually(booked, (l) => l.length >= 2 && l.every((m) => appointmentOf(m.meetingId)), 60_000);
    const [viaApi, viaVendor] = [...meetings].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    const heldAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const endedAt = new Date(Date.now() - 3_600_000).toISOString();

    const reported = await call('POST', `/v1/clients/${clientId}/cadence/meetings/${viaApi!.meetingId}/held`, { role: 'automation', body: { heldAt, endedAt, attendees: ['Casey CSM'] } });
    expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    const completed = JSON.stringify({ id: crypto.randomUUID(), event: 'Appointment Completed', appointment: { id: appointmentOf(viaVendor!.meetingId)!.id, complete_status: 1, complete_date: endedAt, agent_name: 'Casey CSM', start_date: heldAt, end_date: endedAt } });
    const basic = `Basic ${Buffer.from(`${HALO.webhook.username}:${HALO.webhook.password}`).toString('base64')}`;
    const posted = await call('POST', `/inbound/halopsa/${ids.halo}`, { role: null, rawBody: completed, headers: { authorization: basic } });
    expect(posted).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'meetingHeld' } });
    expect(await call('POST', `/inbound/halopsa/${ids.halo}`, { role: null, rawBody: completed, headers: { authorization: basic } })).toMatchObject({ status: 200, body: { duplicate: true } });

    // The same ledger fact and the same meeting state either way; only the actor says where the report came from.
    const held = (await clientTimeline(h.database.db, clientId, { types: ['meeting.held'] }));
    const fromApi = held.filter((e) => (e.data as any).meetingId === viaApi!.meetingId);
    const fromVendor = held.filter((e) => (e.data as any).meetingId === viaVendor!.meetingId);
    expect([fromApi.length, fromVendor.length]).toEqual([1, 1]);
    expect({ ...fromVendor[0]!.data, meetingId: 'm' }).toEqual({ ...fromApi[0]!.data, meetingId: 'm' });
    expect(fromApi[0]!.data).toMatchObject({ attendees: ['Casey CSM'], decisions: 0 });
    expect(fromVendor[0]!.actor).toMatchObject({ kind: 'system', id: `psa:${ids.halo}` });
    const cadence = (await call('GET', `/v1/clients/${clientId}/cadence`, { role: 'ops' })).body;
    const statusOf = (meetingId: string) => cadence.meetings.find((m: any) => m.meetingId === meetingId)?.status;
    expect([statusOf(viaApi!.meetingId), statusOf(viaVendor!.meetingId)]).toEqual(['held', 'held']);
    expectNoDuplicates();
    const markers = halo.appointments.map((a) => /baton:meeting:[^\s]+/.exec(a.note)?.[0]);
    expect(new Set(markers).size).toBe(markers.length);
  });
});
