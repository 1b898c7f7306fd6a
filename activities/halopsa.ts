/**
 * HaloPSA calls for the outbox (issue 15): one delivery = a token (cached), at most a lookup and
 * one write.
 *
 * Authentication: OAuth2 client credentials against the Authorisation Server. The access token is
 * kept in memory per connector (never stored, never logged) until shortly before its `expires_in`;
 * a 401 from the API (revoked or expired early) drops it, fetches a new one and repeats the call
 * once. A refused token request (`invalid_client`, …) is the connector's fault: retried, so its
 * breaker opens and deliveries queue until an admin fixes the credentials.
 *
 * Idempotency toward HaloPSA, which has no idempotency key: the ticket's details carry
 * `baton:cta:<ctaId>`. Create = (1) the link Baton stored on an earlier success, else (2)
 * `GET /api/Tickets?search=<marker>&client_id=…` (paged), else (3) `POST /api/Tickets`. A retry
 * after an answer that was lost finds the ticket at (2): never a second ticket.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { findLink, getConnector, openCredentials, saveLink, type ConnectorRow, type PsaDelivery } from '../db/connectors.js';
import { ctas, people } from '../db/schema.js';
import { isAppointmentDelivery, type AppointmentDelivery } from '../db/appointments.js';
import { parseRetryAfter, type AttemptOutcome, type DeliveryPolicy } from '../domain/delivery.js';
import { deliverMeetingRecord } from './meeting-records.js';
import { VendorError, vendorFailure, type FailedAttempt } from './vendor-failure.js';
import { dateOf, latestEnd, monthlyAmount, monthlyRecurring, zoneOf, type PsaCompany } from '../domain/psa-import.js';
import {
  agentIdOf, appointmentForMeeting, appointmentMarker, assignTicketBody, moveAppointmentBody, closeTicketBody, haloEndpoints, haloPsaCredentials, haloPsaSettings, markedTickets, ticketForCta, ticketMarker, tokenRequestBody, tokenUsableUntil,
  type HaloPsaCredentials, type HaloPsaSettings,
} from '../domain/halopsa.js';

const USER_AGENT = 'Baton-PSA/1';
/** Tickets per page of a lookup, and pages read at most (a marker matches one ticket; more is a HaloPSA search oddity). */
const PAGE_SIZE = 50;
const MAX_PAGES = 5;


/** Access tokens by connector, keyed also by the credentials' fingerprint (a PATCHed secret never reuses the old token). */
const tokens = new Map<string, { fingerprint: string; token: string; until: number }>();

/** Forget cached tokens (tests; a connector's credentials change is already caught by the fingerprint). */
export const forgetHaloTokens = () => tokens.clear();

export async function deliverToHaloPsa(db: Db, connector: ConnectorRow, deliveryId: string, p: PsaDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  let creds: HaloPsaCredentials;
  let settings: HaloPsaSettings;
  try {
    creds = haloPsaCredentials.parse(openCredentials(connector));
    settings = haloPsaSettings.parse(connector.settings);
  } catch (err) {
    return { outcome: 'failed', error: `the connector's configuration cannot be used: ${(err as Error).name === 'ZodError' ? 'invalid settings' : (err as Error).message}` };
  }
  const halo = haloClient(connector, creds, settings, deliveryId, policy);
  if (isAppointmentDelivery(p)) return deliverAppointment(db, connector, halo, p);

  try {
    const lookup = async (): Promise<number | undefined> => {
      const marker = ticketMarker(p.ctaId);
      const haloClientId = connector.mappings.clients.find((c) => c.clientId === p.clientId)?.companyId;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const q = new URLSearchParams({ search: marker, pageinate: 'true', page_size: String(PAGE_SIZE), page_no: String(page), ...(haloClientId ? { client_id: String(haloClientId) } : {}) });
        const res = await halo.call('GET', `/Tickets?${q}`) as { record_count?: number; tickets?: { id: number; details?: string; summary?: string }[] };
        const found = markedTickets(res.tickets ?? [], marker);
        if (found.length > 0) return found[0]!.id;
        if ((res.tickets ?? []).length < PAGE_SIZE || page * PAGE_SIZE >= (res.record_count ?? 0)) return undefined;
      }
      return undefined;
    };

    if (p.op === 'ticket.create') {
      if (await findLink(db, connector.id, 'ticket', p.ctaId)) return { outcome: 'delivered' };
      const existing = await lookup();
      if (existing !== undefined) {
        await saveLink(db, connector.id, 'ticket', p.ctaId, String(existing));
        return { outcome: 'delivered', status: 200 };
      }
      const haloClientId = connector.mappings.clients.find((c) => c.clientId === p.clientId)?.companyId;
      if (haloClientId === undefined) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to a HaloPSA client` };
      const [owner] = p.ownerPersonId ? await db.select({ id: people.id }).from(people).where(eq(people.id, p.ownerPersonId)) : [];
      const agentId = owner ? agentIdOf(connector.mappings.people.find((m) => m.personId === owner.id)?.member) : undefined;
      const created = await halo.call('POST', '/Tickets', [ticketForCta({ ...p, haloClientId, ...(agentId ? { agentId } : {}) }, settings)]);
      const id = (Array.isArray(created) ? created[0] : created as { id?: number } | undefined)?.id;
      if (typeof id !== 'number') return { outcome: 'failed', error: 'HaloPSA answered the ticket create without an id' };
      await saveLink(db, connector.id, 'ticket', p.ctaId, String(id));
      return { outcome: 'delivered', status: 201 };
    }

    let ticketId = Number(await findLink(db, connector.id, 'ticket', p.ctaId)) || undefined;
    if (!ticketId) {
      ticketId = await lookup();
      // The create has not landed yet (its delivery is retrying): wait for it, without blaming the connector.
      if (ticketId === undefined) return { outcome: 'failed', error: 'the CTA\'s ticket is not created yet', messageFault: true };
      await saveLink(db, connector.id, 'ticket', p.ctaId, String(ticketId));
    }
    if (p.op === 'ticket.assign') {
      // The CTA's owner now, not the event's: two hand-overs delivered out of order still end with the right agent.
      const [now] = await db.select({ ownerPersonId: ctas.ownerPersonId }).from(ctas).where(eq(ctas.id, p.ctaId));
      const agentId = agentIdOf(connector.mappings.people.find((m) => m.personId === now?.ownerPersonId)?.member);
      if (!agentId) return { outcome: 'delivered' };
      await halo.call('POST', '/Tickets', assignTicketBody(ticketId, agentId));
      return { outcome: 'delivered', status: 201 };
    }
    await halo.call('POST', '/Tickets', closeTicketBody(ticketId, settings));
    return { outcome: 'delivered', status: 201 };
  } catch (err) {
    if (err instanceof VendorError) return err.outcome;
    throw err;
  }
}

/**
 * A meeting → a HaloPSA appointment: book = link, else `GET /api/Appointment?client_id=…` (paged)
 * keeping the one whose note carries `baton:meeting:<id>`, else `POST /api/Appointment`; move =
 * `POST /api/Appointment` `[{id, start_date, end_date}]` with the meeting's time now; cancel =
 * `DELETE /api/Appointment/{id}` (a 404 is an appointment already gone: done).
 */
async function deliverAppointment(db: Db, connector: ConnectorRow, halo: ReturnType<typeof haloClient>, p: AppointmentDelivery): Promise<AttemptOutcome> {
  const haloClientId = connector.mappings.clients.find((c) => c.clientId === p.clientId)?.companyId;
  const marker = appointmentMarker(p.meetingId);
  return deliverMeetingRecord(db, connector.id, p, {
    linkKind: 'appointment', recordName: 'appointment',
    findByMarker: async () => {
      for (let page = 1; page <= MAX_PAGES; page++) {
        const q = new URLSearchParams({ pageinate: 'true', page_size: '100', page_no: String(page), ...(haloClientId ? { client_id: String(haloClientId) } : {}) });
        const res = await halo.call('GET', `/Appointment?${q}`) as { record_count?: number; appointments?: { id: number; note?: string }[] } | { id: number; note?: string }[];
        const list = Array.isArray(res) ? res : res.appointments ?? [];
        const found = list.find((a) => (a.note ?? '').includes(marker));
        if (found) return String(found.id);
        if (list.length < 100 || (!Array.isArray(res) && page * 100 >= (res.record_count ?? 0))) return undefined;
      }
      return undefined;
    },
    create: async (m) => {
      if (haloClientId === undefined) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to a HaloPSA client` };
      const agentId = agentIdOf(connector.mappings.people.find((x) => x.personId === m.accountablePersonId)?.member);
      const created = await halo.call('POST', '/Appointment', [appointmentForMeeting({ ...m, haloClientId, ...(agentId ? { agentId } : {}) })]);
      const id = (Array.isArray(created) ? created[0] : created as { id?: number } | undefined)?.id;
      if (typeof id !== 'number') return { outcome: 'failed', error: 'HaloPSA answered the appointment create without an id' };
      return { id: String(id), status: 201 };
    },
    move: async (id, m) => {
      await halo.call('POST', '/Appointment', moveAppointmentBody(Number(id), m.startsAt, m.endsAt));
      return 201;
    },
    remove: async (id) => {
      await halo.call('DELETE', `/Appointment/${id}`);
    },
  });
}

/** A HaloPSA API client for one attempt: bearer on every call, one refresh on a 401. */
function haloClient(connector: ConnectorRow, creds: HaloPsaCredentials, settings: HaloPsaSettings, deliveryId: string, policy: DeliveryPolicy) {
  const { api, token: tokenUrl } = haloEndpoints(connector.baseUrl, settings);
  const fingerprint = createHash('sha256').update(`${tokenUrl}\n${settings.scope}\n${creds.clientId}\n${creds.clientSecret}`).digest('hex');
  const timeout = () => AbortSignal.timeout(policy.requestTimeoutSeconds * 1000);
  const unreachable = (err: unknown, what: string): never => {
    const e = err as Error & { cause?: { code?: string } };
    throw new VendorError({ outcome: 'failed', error: e.name === 'TimeoutError' ? `HaloPSA did not answer within ${policy.requestTimeoutSeconds} s (${what})` : `HaloPSA unreachable: ${e.cause?.code ?? e.name} (${what})` });
  };

  async function token(fresh: boolean): Promise<string> {
    const cached = tokens.get(connector.id);
    if (!fresh && cached && cached.fingerprint === fingerprint && cached.until > Date.now()) return cached.token;
    tokens.delete(connector.id);
    let res: Response;
    const issuedAt = Date.now();
    try {
      res = await fetch(tokenUrl, {
        method: 'POST', redirect: 'manual', signal: timeout(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': USER_AGENT },
        body: tokenRequestBody(creds, settings),
      });
    } catch (err) {
      return unreachable(err, 'token');
    }
    const text = await res.text();
    if (res.ok) {
      let body: { access_token?: unknown; expires_in?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        body = {};
      }
      if (typeof body.access_token !== 'string' || !body.access_token) throw new VendorError({ outcome: 'failed', status: res.status, error: 'HaloPSA\'s token endpoint answered without an access_token' });
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600;
      tokens.set(connector.id, { fingerprint, token: body.access_token, until: tokenUsableUntil(issuedAt, expiresIn) });
      return body.access_token;
    }
    // RFC 6749 §5.2: {error, error_description}. 400/401 from the token endpoint is the connector's credentials: retried (the breaker opens), never dead-lettered.
    const detail = errorDetail(text);
    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    const base = { outcome: 'failed' as const, status: res.status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    if (res.status === 400 || res.status === 401 || res.status === 403) throw new VendorError({ ...base, error: `HaloPSA refused the connector's client credentials (${res.status}) at POST /auth/token: ${detail}`.slice(0, 500) });
    throw new VendorError({ ...base, error: `HaloPSA ${res.status} at POST /auth/token: ${detail}`.slice(0, 500) });
  }

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const bearer = await token(attempt > 0);
      let res: Response;
      try {
        res = await fetch(`${api}${path}`, {
          method, redirect: 'manual', signal: timeout(),
          headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', 'user-agent': USER_AGENT, 'x-baton-delivery': deliveryId, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (err) {
        return unreachable(err, `${method} /api${path.split('?')[0]}`);
      }
      const text = await res.text();
      if (res.status === 401 && attempt === 0) continue; // the token expired or was revoked early: one refresh, one repeat
      if (res.status >= 200 && res.status < 300) return text ? JSON.parse(text) : undefined;
      throw new VendorError(failureOf(method, path, res, text));
    }
  }

  return { call };
}

/** The readable part of a HaloPSA error body (OAuth2 `{error, error_description}`, or the API's `{message}` / `{ClassName, Message}`), else its start. */
function errorDetail(text: string): string {
  try {
    const b = JSON.parse(text) as Record<string, unknown>;
    const parts = [b.error, b.error_description, b.title, b.message, b.Message, b.ExceptionMessage].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (parts.length) return parts.join(': ');
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || '(no body)';
}

/**
 * A HaloPSA API error → the outcome. 401 (after the one refresh) and 403 are the connector's
 * credentials or the application's permissions: retried, so the breaker opens and deliveries queue
 * until an admin fixes the connector. 429 (HaloPSA's rate limit) and 5xx retry with Retry-After;
 * another 4xx refuses this message (dead at once, HaloPSA's message in `lastError`).
 */
function failureOf(method: string, path: string, res: Response, text: string): FailedAttempt {
  const where = `${method} /api${path.split('?')[0]}`;
  const detail = errorDetail(text);
  return vendorFailure('HaloPSA', 'access token', where, res, detail);
}

/** Records per page of the client import's reads (HaloPSA takes `page_size` up to 100). */
const IMPORT_PAGE_SIZE = 100;

/**
 * The client import's read (issue 15, "Getting clients in"): active clients (`GET /api/Client`),
 * each one's important contact (`GET /api/Users?client_id=`, `isimportantcontact`, not inactive)
 * and contracts (`GET /api/ClientContract?client_id=`: the latest `end_date` is the renewal, R-13),
 * every list paged with `pageinate=true`, `page_size`, `page_no` until `record_count` is read.
 * The contracts still running today (not `expired`, no `end_date` past) sum to the client's MRR:
 * `periodchargeamount` per `billing_period_string` (domain/psa-import.ts `monthlyAmount`; the
 * numeric `billingperiod` code alone is not guessed). The client's active sites (`GET /api/Site?client_id=`)
 * give its zone (`timezone`) and region (`country_code_name`, `region_code_name`) only when they
 * all agree (`zoneOf`, `regionOf`): a client with sites in two zones keeps the request's.
 * Read-only; a vendor failure throws VendorError.
 */
export async function readHaloPsaCompanies(connector: ConnectorRow, timeoutSeconds: number, maxCompanies: number): Promise<PsaCompany[]> {
  const creds = haloPsaCredentials.parse(openCredentials(connector));
  const settings = haloPsaSettings.parse(connector.settings);
  // The caller reads only the request timeout of the policy.
  const halo = haloClient(connector, creds, settings, 'client-import', { requestTimeoutSeconds: timeoutSeconds } as DeliveryPolicy);
  const all = async (path: string, key: string, query: Record<string, string>, limit = Infinity): Promise<any[]> => {
    const out: any[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const qs = new URLSearchParams({ ...query, pageinate: 'true', page_size: String(IMPORT_PAGE_SIZE), page_no: String(pageNo) });
      const body = await halo.call('GET', `${path}?${qs}`) as Record<string, unknown> | unknown[];
      const items = Array.isArray(body) ? body : Array.isArray(body?.[key]) ? body[key] as unknown[] : undefined;
      if (!items) throw new VendorError({ outcome: 'failed', permanent: true, error: `HaloPSA answered GET /api${path} without a ${key} list` });
      out.push(...items);
      const total = Array.isArray(body) ? undefined : Number(body.record_count);
      if (items.length === 0 || out.length > limit || (total !== undefined && Number.isFinite(total) ? out.length >= total : items.length < IMPORT_PAGE_SIZE)) return out;
    }
  };
  const clients = (await all('/Client', 'clients', { includeinactive: 'false' }, maxCompanies))
    .filter((c) => Number.isInteger(c?.id) && typeof c?.name === 'string' && !c.inactive)
    .sort((a, b) => a.id - b.id);
  if (clients.length > maxCompanies) return clients.map((c) => ({ id: String(c.id), name: c.name, renewalDate: null }));
  const today = new Date().toISOString().slice(0, 10);
  const result: PsaCompany[] = [];
  for (const c of clients) {
    const users = await all('/Users', 'users', { client_id: String(c.id) });
    const contracts = await all('/ClientContract', 'contracts', { client_id: String(c.id) });
    const sites = (await all('/Site', 'sites', { client_id: String(c.id) })).filter((x) => x && !x.inactive && (x.client_id ?? c.id) === c.id);
    const one = (values: unknown[]) => { const set = new Set(values.map((v) => (typeof v === 'string' && v.trim() ? v.trim() : null))); return set.size === 1 ? [...set][0]! : null; };
    const timeZone = zoneOf(one(sites.map((x) => x.timezone)));
    const country = one(sites.map((x) => x.country_code_name));
    const state = country ? one(sites.map((x) => x.region_code_name)) : null;
    const contact = users.find((u) => u?.isimportantcontact === true && !u.inactive && typeof u.name === 'string' && u.name.trim());
    const own = contracts.filter((k) => (k?.client_id ?? c.id) === c.id);
    // HaloPSA writes 1899/1900 for "no date".
    const running = own.filter((k) => { const end = dateOf(k?.end_date); return k?.expired !== true && (!end || end < '1901' || end >= today); });
    const mrr = monthlyRecurring(running.map((k) => monthlyAmount(k?.periodchargeamount, k?.billing_period_string)));
    result.push({
      id: String(c.id), name: c.name,
      ...(contact ? { primaryContact: { name: contact.name.trim(), email: typeof contact.emailaddress === 'string' && contact.emailaddress ? contact.emailaddress : null, title: typeof contact.jobtitle === 'string' && contact.jobtitle ? contact.jobtitle : null } } : {}),
      renewalDate: latestEnd(own.map((k) => dateOf(k?.end_date))),
      ...(mrr !== undefined ? { mrr } : {}),
      ...(timeZone ? { timeZone } : {}),
      ...(country ? { address: { country, state } } : {}),
    });
  }
  return result;
}
