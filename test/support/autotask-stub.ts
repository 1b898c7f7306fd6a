import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { hookSignature } from '../../domain/autotask.js';

/**
 * A local Autotask REST API v1.0 (issue 15 contract stub), as its public docs describe it:
 * - every call needs the `ApiIntegrationCode`, `UserName` and `Secret` headers, else 401
 *   `{errors: [..]}`;
 * - `POST <Entity>/query` takes `{filter: [{op, field, value} | {op: "and"|"or", items}], MaxRecords?, IncludeFields?}`
 *   (ops here: eq, contains, gte, exist, in; MaxRecords 1–500, else 400) and answers
 *   `{items, pageDetails: {count, requestCount, prevPageUrl, nextPageUrl}}`, at most `pageSize`
 *   (default 500) a page; `nextPageUrl` is fetched with GET;
 * - the client import's reads: `Companies/query` (`isActive`, `countryID`, `state`), `Countries/query`
 *   (`countryCode`, `name`), `Contacts/query` (`primaryContact`,
 *   `emailAddress`), `Contracts/query` (`status`, `endDate`), filled through `directory`;
 * - creates answer `{itemId}`; updates are `PATCH <Entity>` with the `id` in the body; child
 *   entities (CompanyToDos) are created and updated under their parent (`Companies/{id}/ToDos`);
 * - a refused write is 500 `{errors: ["…"]}` as Autotask answers business-rule refusals
 *   (our stub: unknown company or resource), an unknown route 404 `{errors}`;
 * - `Appointments` (a root entity): `POST Appointments` needs `resourceID` (an active resource),
 *   `startDateTime`, `endDateTime` (after the start), `title` (≤ 256) and takes `description`
 *   (≤ 8000), else 500 `{errors}`; `PATCH Appointments` with the `id`; `DELETE Appointments/{id}`
 *   (404 `{errors}` when there is none); `updateDateTime` is set by every write; queried like the rest;
 * - webhook callouts are signed `X-Hook-Signature: sha1=<base64 HMAC-SHA1(body, SecretKey)>`.
 * It records every request (method, path, body) so tests can count duplicates, and can fail on
 * cue: answer an error, or do the write and lose the answer.
 */
export interface StubRequest { method: string; path: string; body: any; status: number }
export interface StubTicket { id: number; companyID: number; title: string; description?: string; status: number; priority: number; externalID?: string; assignedResourceID?: number; assignedResourceRoleID?: number; dueDateTime?: string; queueID?: number; lastModifiedDate: string }
export interface StubToDo { id: number; companyID: number; actionType: number; assignedToResourceID: number; activityDescription: string; startDateTime: string; endDateTime: string; completedDate: string | null; lastModifiedDate: string }

export interface StubAppointment { id: number; resourceID: number; startDateTime: string; endDateTime: string; title: string; description?: string; createDateTime: string; updateDateTime: string }

/** What the client import reads (`Companies`, `Contacts`, `Contracts` queries), in Autotask's field names. */
export interface StubCompany { id: number; companyName: string; isActive: boolean; countryID?: number; state?: string }
/** Autotask's `Countries` entity (a company's `countryID` names one). */
export interface StubCountry { id: number; countryCode: string; name: string; displayName: string; isActive: boolean }
export interface StubContact { id: number; companyID: number; firstName: string; lastName: string; emailAddress?: string; title?: string; primaryContact: boolean; isActive: number }
export interface StubContract { id: number; companyID: number; contractName: string; startDate: string; endDate: string; status: number }

type Fault = { status: number; headers?: Record<string, string>; afterWrite?: boolean };
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

export async function autotaskStub(opts: { apiIntegrationCode: string; userName: string; secret: string; webhookSecret: string; companies: number[]; resources: number[]; pageSize?: number }) {
  const requests: StubRequest[] = [];
  const directory: { companies: StubCompany[]; contacts: StubContact[]; contracts: StubContract[]; countries: StubCountry[] } = { companies: [], contacts: [], contracts: [], countries: [] };
  const tickets: StubTicket[] = [];
  const toDos: StubToDo[] = [];
  const appointments: StubAppointment[] = [];
  const deletedAppointments: StubAppointment[] = [];
  const faults: { match: (m: string, p: string) => boolean; fault: Fault }[] = [];
  const pages = new Map<string, unknown[]>();
  const pageSize = opts.pageSize ?? 500;
  let nextId = 5000;
  let sequence = 1;
  const webhookGuid = randomUUID();
  const now = () => new Date().toISOString();
  const err = (status: number, ...errors: string[]): Answer => ({ status, body: { errors } });

  const field = (o: any, name: string) => o[Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
  function matches(o: any, f: any): boolean {
    const op = String(f.op).toLowerCase();
    if (op === 'and') return (f.items as any[]).every((i) => matches(o, i));
    if (op === 'or') return (f.items as any[]).some((i) => matches(o, i));
    const v = field(o, f.field);
    if (op === 'eq') return v === f.value;
    if (op === 'contains') return typeof v === 'string' && v.includes(String(f.value));
    if (op === 'gte') return v != null && Date.parse(v) >= Date.parse(f.value);
    if (op === 'exist') return v != null;
    if (op === 'in') return Array.isArray(f.value) && f.value.includes(v);
    throw new Error(`unsupported filter op ${f.op}`);
  }

  function page(origin: string, all: any[], includeFields?: string[]): Answer {
    const project = (x: any) => (includeFields?.length ? Object.fromEntries(includeFields.map((k) => [k, field(x, k)])) : x);
    const first = all.slice(0, pageSize).map(project);
    let nextPageUrl: string | null = null;
    if (all.length > pageSize) {
      const token = randomUUID();
      pages.set(token, all.slice(pageSize).map(project));
      nextPageUrl = `${origin}/ATServicesRest/V1.0/query/next?paging=${token}`;
    }
    return { status: 200, body: { items: first, pageDetails: { count: first.length, requestCount: 500, prevPageUrl: null, nextPageUrl } } };
  }

  function handle(method: string, url: URL, headers: http.IncomingHttpHeaders, body: any): Answer {
    if (headers.apiintegrationcode !== opts.apiIntegrationCode || headers.username !== opts.userName || headers.secret !== opts.secret) {
      return err(401, 'User authentication failed: the ApiIntegrationCode, UserName or Secret is not valid.');
    }
    const root = '/ATServicesRest/V1.0';
    if (!url.pathname.startsWith(root)) return err(404, `No route ${url.pathname}`);
    const path = url.pathname.slice(root.length);
    if (method === 'GET' && path === '/query/next') {
      const rest = pages.get(url.searchParams.get('paging') ?? '');
      if (!rest) return err(404, 'The page is no longer available.');
      pages.delete(url.searchParams.get('paging')!);
      const chunk = rest.splice(0, pageSize);
      let nextPageUrl: string | null = null;
      if (rest.length) {
        const token = randomUUID();
        pages.set(token, rest);
        nextPageUrl = `${url.origin}${root}/query/next?paging=${token}`;
      }
      return { status: 200, body: { items: chunk, pageDetails: { count: chunk.length, requestCount: 500, prevPageUrl: null, nextPageUrl } } };
    }
    const query = /^\/(Tickets|CompanyToDos|Companies|Contacts|Contracts|Appointments)\/query$/.exec(path);
    if (query && method === 'POST') {
      if (!Array.isArray(body?.filter) || body.filter.length === 0) return err(500, 'A filter is required.');
      if (body.MaxRecords !== undefined && (!Number.isInteger(body.MaxRecords) || body.MaxRecords < 1 || body.MaxRecords > 500)) return err(400, 'MaxRecords must be between 1 and 500.');
      let all: any[];
      try {
        const entities: Record<string, any[]> = { Tickets: tickets, CompanyToDos: toDos, Companies: directory.companies, Contacts: directory.contacts, Contracts: directory.contracts, Appointments: appointments };
        all = entities[query[1]!]!.filter((t) => body.filter.every((f: any) => matches(t, f)));
      } catch (e) {
        return err(500, (e as Error).message);
      }
      return page(url.origin, body.MaxRecords ? all.slice(0, body.MaxRecords) : all, body.IncludeFields);
    }
    if (path === '/Countries/query' && method === 'POST') {
      // The client import's country lookup: the same query rules (a filter required, IncludeFields, paging).
      if (!Array.isArray(body?.filter) || body.filter.length === 0) return err(500, 'A filter is required.');
      try {
        return page(url.origin, directory.countries.filter((t) => body.filter.every((f: any) => matches(t, f))), body.IncludeFields);
      } catch (e) {
        return err(500, (e as Error).message);
      }
    }
    if (path === '/Tickets' && method === 'POST') {
      const errors: string[] = [];
      if (typeof body?.title !== 'string' || !body.title || body.title.length > 255) errors.push('Title is required and may not exceed 255 characters.');
      if (!opts.companies.includes(body?.companyID)) errors.push(`companyID ${body?.companyID} does not exist.`);
      if (!Number.isInteger(body?.status) || !Number.isInteger(body?.priority)) errors.push('status and priority are required.');
      if (body?.assignedResourceID !== undefined && (!opts.resources.includes(body.assignedResourceID) || !Number.isInteger(body.assignedResourceRoleID))) errors.push('assignedResourceID requires a valid resource and assignedResourceRoleID.');
      if (body?.externalID !== undefined && String(body.externalID).length > 50) errors.push('externalID may not exceed 50 characters.');
      if (errors.length) return err(500, ...errors);
      const t: StubTicket = { ...body, id: nextId++, lastModifiedDate: now() };
      tickets.push(t);
      return { status: 200, body: { itemId: t.id } };
    }
    if (path === '/Tickets' && method === 'PATCH') {
      const t = tickets.find((x) => x.id === body?.id);
      if (!t) return err(404, `Ticket ${body?.id} not found.`);
      if (body.assignedResourceID !== undefined && !opts.resources.includes(body.assignedResourceID)) return err(500, 'assignedResourceID does not exist.');
      Object.assign(t, body, { lastModifiedDate: now() });
      return { status: 200, body: { itemId: t.id } };
    }
    const todo = /^\/Companies\/(\d+)\/ToDos$/.exec(path);
    if (todo && method === 'POST') {
      const companyID = Number(todo[1]);
      if (!opts.companies.includes(companyID)) return err(500, `Company ${companyID} does not exist.`);
      if (!opts.resources.includes(body?.assignedToResourceID)) return err(500, 'assignedToResourceID is required and must be an active resource.');
      if (!Number.isInteger(body?.actionType)) return err(500, 'actionType is required.');
      const t: StubToDo = { ...body, companyID, id: nextId++, completedDate: null, lastModifiedDate: now() };
      toDos.push(t);
      return { status: 200, body: { itemId: t.id } };
    }
    if (todo && method === 'PATCH') {
      const t = toDos.find((x) => x.id === body?.id && x.companyID === Number(todo[1]));
      if (!t) return err(404, `To-do ${body?.id} not found.`);
      Object.assign(t, body, { lastModifiedDate: now() });
      return { status: 200, body: { itemId: t.id } };
    }
    if (path === '/Appointments' && (method === 'POST' || method === 'PATCH')) {
      const existing = method === 'PATCH' ? appointments.find((x) => x.id === body?.id) : undefined;
      if (method === 'PATCH' && !existing) return err(404, `Appointment ${body?.id} not found.`);
      const next = { ...(existing ?? {}), ...body };
      const errors: string[] = [];
      if (!opts.resources.includes(next.resourceID)) errors.push('resourceID is required and must be an active resource.');
      if (typeof next.title !== 'string' || !next.title || next.title.length > 256) errors.push('title is required and may not exceed 256 characters.');
      if (next.description !== undefined && String(next.description).length > 8000) errors.push('description may not exceed 8000 characters.');
      if (!(Date.parse(next.startDateTime) < Date.parse(next.endDateTime))) errors.push('startDateTime and endDateTime are required; the end must be after the start.');
      if (method === 'POST' && (body?.id !== undefined || body?.updateDateTime !== undefined)) errors.push('id and updateDateTime are read-only.');
      if (errors.length) return err(500, ...errors);
      if (existing) {
        Object.assign(existing, body, { updateDateTime: now() });
        return { status: 200, body: { itemId: existing.id } };
      }
      const a: StubAppointment = { ...body, id: nextId++, createDateTime: now(), updateDateTime: now() };
      appointments.push(a);
      return { status: 200, body: { itemId: a.id } };
    }
    const appt = /^\/Appointments\/(\d+)$/.exec(path);
    if (appt && method === 'DELETE') {
      const i = appointments.findIndex((x) => x.id === Number(appt[1]));
      if (i < 0) return err(404, `Appointment ${appt[1]} not found.`);
      deletedAppointments.push(...appointments.splice(i, 1));
      return { status: 200, body: { itemId: Number(appt[1]) } };
    }
    return err(404, `No route ${method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? JSON.parse(raw) : undefined;
      const method = req.method ?? 'GET';
      const i = faults.findIndex((f) => f.match(method, url.pathname));
      const fault = i >= 0 ? faults.splice(i, 1)[0]!.fault : undefined;
      let answer: Answer = fault && !fault.afterWrite ? err(fault.status, 'injected failure') : handle(method, url, req.headers, body);
      if (fault?.afterWrite) answer = err(fault.status, 'the write happened; the answer was lost');
      if (fault?.headers) answer = { ...answer, headers: fault.headers };
      requests.push({ method, path: url.pathname, body, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  let port = 0;
  const start = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); }));
  await start();
  const origin = `http://127.0.0.1:${port}`;

  /** A signed callout as Autotask posts it (`key`: sign with another key, for a forgery). */
  const callout = (entityType: string, action: string, id: number, fields: Record<string, unknown>, key = opts.webhookSecret) => {
    const body = JSON.stringify({ Action: action, Guid: webhookGuid, EntityType: entityType, Id: id, Fields: fields, EventTime: now(), SequenceNumber: sequence++, PersonID: 29682885 });
    return { body, signature: hookSignature(key, body) };
  };

  return {
    origin,
    /** The zone URL an admin configures (Baton adds `/V1.0`). */
    baseUrl: `${origin}/ATServicesRest`,
    requests,
    tickets,
    toDos,
    appointments,
    deletedAppointments,
    /** Companies, contacts and contracts the client import reads; tests fill them. */
    directory,
    /** The next request matching method and path fails with `status`; `afterWrite`: it is carried out, then answered with the failure. */
    fail(method: string, pathEnd: string | RegExp, fault: Fault) {
      faults.push({ match: (m, p) => m === method && (typeof pathEnd === 'string' ? p.endsWith(pathEnd) : pathEnd.test(p)), fault });
    },
    /** A ticket changed in Autotask (a technician's status change): its callout. */
    ticketCallout(ticket: StubTicket, fields: Record<string, unknown>, key?: string) {
      Object.assign(ticket, fields, { lastModifiedDate: now() });
      return callout('Ticket', 'Update', ticket.id, fields, key);
    },
    noteCallout(ticketId: number, key?: string) {
      return callout('TicketNote', 'Create', nextId++, { TicketID: ticketId, Title: 'Called the client' }, key);
    },
    /** A technician completes a to-do in Autotask (no webhook: the poller must find it). */
    completeToDo(t: StubToDo) {
      t.completedDate = now();
      t.lastModifiedDate = now();
    },
    /** A technician drags an appointment to other times in Autotask (no webhook: the poller must find it). */
    moveAppointment(a: StubAppointment, startDateTime: string, endDateTime: string) {
      Object.assign(a, { startDateTime, endDateTime, updateDateTime: now() });
    },
    /** A technician deletes an appointment in Autotask. */
    deleteAppointment(a: StubAppointment) {
      const i = appointments.indexOf(a);
      if (i >= 0) deletedAppointments.push(...appointments.splice(i, 1));
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    start,
  };
}
