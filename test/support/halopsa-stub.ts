import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A local HaloPSA (issue 15 contract stub), as its public API docs describe it:
 * - the Authorisation Server's `POST /auth/token[?tenant=]` takes a form-encoded OAuth2
 *   client-credentials request (`grant_type=client_credentials`, `client_id`, `client_secret`,
 *   `scope`) and answers `{access_token, token_type: "Bearer", expires_in, scope}`; a wrong client is
 *   401 `{error: "invalid_client", error_description}`, another grant 400 `unsupported_grant_type`,
 *   a wrong tenant 400 `invalid_request` (RFC 6749 §5.2 error shape);
 * - every `/api` call needs `Authorization: Bearer <a token it issued, not expired>`, else 401
 *   (`WWW-Authenticate: Bearer error="invalid_token"`, `{message}`);
 * - `GET /api/Tickets` filters by `search` (summary or details contain it) and `client_id`, and pages
 *   with `pageinate=true`, `page_size` (1..100, else 400) and `page_no` (1-based), answering
 *   `{page_no, page_size, record_count, tickets}` (without `pageinate`: every ticket);
 * - `POST /api/Tickets` takes an **array**: an item without `id` creates a ticket, with `id` updates
 *   it; a refused item is 400 `{message}`; an unknown ticket 404;
 * - `GET /api/Appointment` (`client_id`, same paging; `{record_count, appointments}`), `POST` an
 *   array (create, or update with `id`; end after start), `DELETE /api/Appointment/{id}`;
 * - the client import's reads: `GET /api/Client` (`{record_count, clients}`, inactive ones only with
 *   `includeinactive=true`), `/api/Users` and `/api/ClientContract` by `client_id` (`{record_count,
 *   users|contracts}`; a contract's `expired`, `periodchargeamount`, `billingperiod` and
 *   `billing_period_string`), `/api/Site` by `client_id` (`{record_count, sites}`: `timezone`,
 *   `country_code_name`, `region_code_name`), same paging, filled through `directory`;
 * - rate limit: 429 with `Retry-After` on cue.
 * It records every request (method, path, query, body, status; never the secret) so tests can
 * count duplicates, and can fail on cue: answer an error, or do the write and lose the answer.
 * `stop()`/`start()` take it down mid-run (same port).
 */
export interface HaloStubRequest { method: string; path: string; query: URLSearchParams; body: any; status: number; bearer?: string }
export interface HaloStubTicket { id: number; summary: string; details: string; client_id: number; status_id: number; agent_id?: number; tickettype_id?: number; deadlinedate?: string }

export interface HaloStubAppointment { id: number; subject: string; start_date: string; end_date: string; client_id: number; agent_id?: number; note: string }

/** What the client import reads (`GET /api/Client`, `/api/Users`, `/api/ClientContract`), in HaloPSA's field names. */
export interface HaloStubClient { id: number; name: string; inactive: boolean }
export interface HaloStubUser { id: number; name: string; client_id: number; emailaddress?: string; jobtitle?: string; isimportantcontact: boolean; inactive: boolean }
export interface HaloStubSite { id: number; name: string; client_id: number; inactive: boolean; timezone?: string; country_code_name?: string; region_code_name?: string }
export interface HaloStubContract { id: number; client_id: number; ref: string; start_date: string; end_date: string; expired?: boolean; periodchargeamount?: number; billingperiod?: number; billing_period_string?: string }

type Fault = { status: number; headers?: Record<string, string>; afterWrite?: boolean };

export async function haloPsaStub(opts: { clientId: string; clientSecret: string; tenant?: string; clients: number[]; agents: number[]; tokenLifetimeSeconds?: number; pageCap?: number }) {
  const requests: HaloStubRequest[] = [];
  const directory: { clients: HaloStubClient[]; users: HaloStubUser[]; contracts: HaloStubContract[]; sites: HaloStubSite[] } = { clients: [], users: [], contracts: [], sites: [] };
  const tickets: HaloStubTicket[] = [];
  const issued = new Map<string, number>(); // token → expiry (ms)
  const faults: { match: (m: string, p: string) => boolean; fault: Fault }[] = [];
  let nextId = 5000;
  const appointments: HaloStubAppointment[] = [];
  const deletedAppointments: HaloStubAppointment[] = [];
  let nextAppointmentId = 800;
  const lifetime = opts.tokenLifetimeSeconds ?? 3600;

  function tokenEndpoint(url: URL, headers: http.IncomingHttpHeaders, raw: string): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (!String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { error: 'invalid_request', error_description: 'The request must be form-encoded.' } };
    if (opts.tenant && url.searchParams.get('tenant') !== opts.tenant) return { status: 400, body: { error: 'invalid_request', error_description: 'Unknown tenant.' } };
    const f = new URLSearchParams(raw);
    if (f.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only client_credentials is enabled for this application.' } };
    if (f.get('client_id') !== opts.clientId || f.get('client_secret') !== opts.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'The client credentials are invalid.' } };
    if (f.get('scope') !== 'all') return { status: 400, body: { error: 'invalid_scope', error_description: 'The application was granted the scope all.' } };
    const token = randomBytes(24).toString('base64url');
    issued.set(token, Date.now() + lifetime * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope: 'all' } };
  }

  function api(method: string, url: URL, body: any): { status: number; body?: unknown; headers?: Record<string, string> } {
    const path = url.pathname.slice('/api'.length);
    const lists: Record<string, [string, () => object[]]> = {
      '/Client': ['clients', () => directory.clients.filter((c) => url.searchParams.get('includeinactive') === 'true' || !c.inactive)],
      '/Users': ['users', () => directory.users.filter((u) => !url.searchParams.get('client_id') || u.client_id === Number(url.searchParams.get('client_id')))],
      '/ClientContract': ['contracts', () => directory.contracts.filter((k) => !url.searchParams.get('client_id') || k.client_id === Number(url.searchParams.get('client_id')))],
      '/Site': ['sites', () => directory.sites.filter((k) => !url.searchParams.get('client_id') || k.client_id === Number(url.searchParams.get('client_id')))],
    };
    if (method === 'GET' && lists[path]) {
      const [key, read] = lists[path]!;
      const all = read();
      if (url.searchParams.get('pageinate') !== 'true') return { status: 200, body: { record_count: all.length, [key]: all } };
      const size = Number(url.searchParams.get('page_size') ?? 50);
      const no = Number(url.searchParams.get('page_no') ?? 1);
      if (!Number.isInteger(size) || size < 1 || size > 100) return { status: 400, body: { message: 'page_size must be between 1 and 100' } };
      if (!Number.isInteger(no) || no < 1) return { status: 400, body: { message: 'page_no must be 1 or more' } };
      // `pageCap`: fewer records a page than asked (tests see paging with a few records); the client reads until `record_count`.
      const per = Math.min(size, opts.pageCap ?? size);
      return { status: 200, body: { page_no: no, page_size: per, record_count: all.length, [key]: all.slice((no - 1) * per, no * per) } };
    }
    if (method === 'GET' && path === '/Tickets') {
      const search = url.searchParams.get('search');
      const clientId = url.searchParams.get('client_id');
      const all = tickets.filter((t) => (!search || t.summary.includes(search) || t.details.includes(search)) && (!clientId || t.client_id === Number(clientId)));
      if (url.searchParams.get('pageinate') !== 'true') return { status: 200, body: { record_count: all.length, tickets: all } };
      const size = Number(url.searchParams.get('page_size') ?? 50);
      const no = Number(url.searchParams.get('page_no') ?? 1);
      if (!Number.isInteger(size) || size < 1 || size > 100) return { status: 400, body: { message: 'page_size must be between 1 and 100' } };
      if (!Number.isInteger(no) || no < 1) return { status: 400, body: { message: 'page_no must be 1 or more' } };
      return { status: 200, body: { page_no: no, page_size: size, record_count: all.length, tickets: all.slice((no - 1) * size, no * size) } };
    }
    const one = /^\/Tickets\/(\d+)$/.exec(path);
    if (method === 'GET' && one) {
      const t = tickets.find((x) => x.id === Number(one[1]));
      return t ? { status: 200, body: t } : { status: 404, body: { message: `Ticket ${one[1]} not found` } };
    }
    if (method === 'POST' && path === '/Tickets') {
      if (!Array.isArray(body) || body.length === 0) return { status: 400, body: { message: 'The request body must be an array of tickets.' } };
      const saved: HaloStubTicket[] = [];
      for (const item of body) {
        if (item?.agent_id !== undefined && !opts.agents.includes(item.agent_id)) return { status: 400, body: { message: `Agent ${item.agent_id} not found.` } };
        if (item?.id !== undefined) {
          const t = tickets.find((x) => x.id === item.id);
          if (!t) return { status: 404, body: { message: `Ticket ${item.id} not found` } };
          Object.assign(t, item);
          saved.push(t);
          continue;
        }
        if (typeof item?.summary !== 'string' || !item.summary) return { status: 400, body: { message: 'Summary is required.' } };
        if (!opts.clients.includes(item.client_id)) return { status: 400, body: { message: `Client ${item.client_id} not found.` } };
        const t: HaloStubTicket = { details: '', status_id: 1, ...item, id: nextId++ };
        tickets.push(t);
        saved.push(t);
      }
      return { status: 201, body: saved.length === 1 ? saved[0] : saved };
    }
    if (method === 'GET' && path === '/Appointment') {
      const clientId = url.searchParams.get('client_id');
      const all = appointments.filter((a) => !clientId || a.client_id === Number(clientId));
      if (url.searchParams.get('pageinate') !== 'true') return { status: 200, body: all };
      const size = Number(url.searchParams.get('page_size') ?? 50);
      const no = Number(url.searchParams.get('page_no') ?? 1);
      if (!Number.isInteger(size) || size < 1 || size > 100) return { status: 400, body: { message: 'page_size must be between 1 and 100' } };
      return { status: 200, body: { page_no: no, page_size: size, record_count: all.length, appointments: all.slice((no - 1) * size, no * size) } };
    }
    if (method === 'POST' && path === '/Appointment') {
      if (!Array.isArray(body) || body.length === 0) return { status: 400, body: { message: 'The request body must be an array of appointments.' } };
      const saved: HaloStubAppointment[] = [];
      for (const item of body) {
        if (item?.agent_id !== undefined && !opts.agents.includes(item.agent_id)) return { status: 400, body: { message: `Agent ${item.agent_id} not found.` } };
        if (item?.id !== undefined) {
          const a = appointments.find((x) => x.id === item.id);
          if (!a) return { status: 404, body: { message: `Appointment ${item.id} not found` } };
          Object.assign(a, item);
          saved.push(a);
          continue;
        }
        if (typeof item?.subject !== 'string' || !item.subject) return { status: 400, body: { message: 'Subject is required.' } };
        if (!(Date.parse(item.start_date) < Date.parse(item.end_date))) return { status: 400, body: { message: 'The end date must be after the start date.' } };
        if (!opts.clients.includes(item.client_id)) return { status: 400, body: { message: `Client ${item.client_id} not found.` } };
        const a: HaloStubAppointment = { note: '', ...item, id: nextAppointmentId++ };
        appointments.push(a);
        saved.push(a);
      }
      return { status: 201, body: saved.length === 1 ? saved[0] : saved };
    }
    const appt = /^\/Appointment\/(\d+)$/.exec(path);
    if (method === 'DELETE' && appt) {
      const i = appointments.findIndex((x) => x.id === Number(appt[1]));
      if (i < 0) return { status: 404, body: { message: `Appointment ${appt[1]} not found` } };
      deletedAppointments.push(...appointments.splice(i, 1));
      return { status: 200 };
    }
    return { status: 404, body: { message: `No route ${method} /api${path}` } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const raw = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const isToken = method === 'POST' && url.pathname === '/auth/token';
      let body: any;
      try {
        body = raw && !isToken ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      let answer: { status: number; body?: unknown; headers?: Record<string, string> };
      const i = faults.findIndex((f) => f.match(method, url.pathname));
      const fault = i >= 0 ? faults.splice(i, 1)[0]!.fault : undefined;
      if (fault && !fault.afterWrite) {
        answer = { status: fault.status, body: { message: 'injected failure' }, headers: fault.headers };
      } else if (isToken) {
        answer = tokenEndpoint(url, req.headers, raw);
      } else if (!url.pathname.startsWith('/api/')) {
        answer = { status: 404, body: { message: 'Not found' } };
      } else if (!bearer || !issued.has(bearer) || issued.get(bearer)! <= Date.now()) {
        answer = { status: 401, body: { message: 'Authorization has been denied for this request.' }, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
      } else {
        answer = api(method, url, body);
        if (fault?.afterWrite) answer = { status: fault.status, body: { message: 'the write happened; the answer was lost' }, headers: fault.headers };
      }
      requests.push({ method, path: url.pathname, query: url.searchParams, body: isToken ? { grant_type: new URLSearchParams(raw).get('grant_type') } : body, status: answer.status, ...(bearer ? { bearer } : {}) });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  let port = 0;
  const start = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); }));
  await start();
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    requests,
    tickets,
    appointments,
    deletedAppointments,
    /** The next request matching method and path fails with `status`; `afterWrite`: it is carried out, then answered with the failure. */
    fail(method: string, pathEnd: string | RegExp, fault: Fault) {
      faults.push({ match: (m, p) => m === method && (typeof pathEnd === 'string' ? p.endsWith(pathEnd) : pathEnd.test(p)), fault });
    },
    /**
     * An agent changes an appointment in HaloPSA itself (drags it to a new time, sets its status):
     * the record changes, nothing is logged as an API request. Answers the appointment as it now is.
     */
    changeAppointment(id: number, changes: Partial<Omit<HaloStubAppointment, 'id'>>): HaloStubAppointment {
      const a = appointments.find((x) => x.id === id);
      if (!a) throw new Error(`no appointment ${id} in the stub`);
      return Object.assign(a, changes);
    },
    /** An agent deletes an appointment in HaloPSA (kept among the deleted ones, as `includedeleted` shows). */
    deleteAppointment(id: number): HaloStubAppointment {
      const i = appointments.findIndex((x) => x.id === id);
      if (i < 0) throw new Error(`no appointment ${id} in the stub`);
      const [a] = appointments.splice(i, 1);
      deletedAppointments.push(a!);
      return a!;
    },
    /** Every token issued so far expires now (as if `expires_in` had passed, or the token was revoked). */
    expireTokens() {
      for (const k of issued.keys()) issued.set(k, 0);
    },
    /** Clients, users and client contracts the client import reads; tests fill them. */
    directory,
    tokenRequests: () => requests.filter((r) => r.path === '/auth/token'),
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    start,
  };
}

/** What HaloPSA's webhook would post for a ticket change (the ticket and action objects), with a fresh event id. */
export function haloWebhook(ticket: Partial<HaloStubTicket> & { id: number }, over: { event?: string; action?: Record<string, unknown>; id?: string } = {}) {
  return JSON.stringify({
    id: over.id ?? crypto.randomUUID(), event: over.event ?? 'Ticket Status Changed',
    ticket: { id: ticket.id, status_id: ticket.status_id, summary: ticket.summary, client_id: ticket.client_id },
    ...(over.action ? { action: { ticket_id: ticket.id, ...over.action } } : {}),
  });
}

/** A date as HaloPSA's API writes it: UTC, without an offset. */
const haloDate = (iso: string) => new Date(iso).toISOString().replace(/Z$/, '');

/**
 * What HaloPSA's webhook would post for an appointment change (the appointment object), with a
 * fresh event id: its times as HaloPSA writes them, and `deleted: true` for a deleted one.
 */
export function haloAppointmentWebhook(a: HaloStubAppointment, over: { event?: string; id?: string; deleted?: boolean; appointment?: Record<string, unknown> } = {}) {
  return JSON.stringify({
    id: over.id ?? crypto.randomUUID(), event: over.event ?? (over.deleted ? 'Appointment Deleted' : 'Appointment Updated'),
    appointment: {
      id: a.id, subject: a.subject, client_id: a.client_id, start_date: haloDate(a.start_date), end_date: haloDate(a.end_date), complete_status: 0,
      ...(a.agent_id ? { agent_id: a.agent_id } : {}), ...(over.deleted ? { deleted: true } : {}), ...over.appointment,
    },
  });
}
