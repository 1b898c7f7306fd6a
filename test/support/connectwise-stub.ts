import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { callbackSignature } from '../../domain/connectwise.js';

/**
 * A local ConnectWise PSA REST API 3.0 (issue 15 contract stub), as its public docs describe it:
 * - every call needs `Authorization: Basic base64(companyId+publicKey:privateKey)` and a `clientId`
 *   header, else 401 `{code: "Unauthorized", message}`;
 * - lists page with `page` (1-based) and `pageSize` (default 25, at most 1000, else 400) and
 *   answer a `Link` header with `rel="next"` while more remain; `conditions` filters (here:
 *   `field="text"`, `field=number`, `field=true|false` and `field in (1,2)`, joined by `and`);
 * - the client import's reads: `GET /company/companies` (`country` {id, identifier, name}, `state`,
 *   `timeZoneSetup` {id, name}), `/company/contacts` (primary contact: `defaultFlag`, email among
 *   `communicationItems`), `/finance/agreements` (`endDate`, `noEndingDateFlag`, `cancelledFlag`,
 *   `billAmount`, `billingCycle` {id, name}, `billOneTimeFlag`), filled through `directory`;
 * - a refused write is 400 `{code: "InvalidObject", message, errors: [{code, message, resource, field}]}`;
 *   an unknown record 404 `{code: "NotFound", message}`;
 * - updates are JSON Patch arrays (PATCH);
 * - schedule entries (`/schedule/entries`): a create needs a known `member`, a `type`, `dateStart`
 *   before `dateEnd` and a `name` ≤ 250 characters (else 400 `InvalidObject` with field errors); a
 *   list pages and filters like any other (`name contains "…"` included); PATCH takes JSON Patch
 *   of `dateStart`, `dateEnd`, `doneFlag`, `name`, `status`; DELETE answers 204, 404 when gone;
 * - ticket notes (`/service/tickets/{id}/notes`, ConnectWise's `ServiceNote`: `text`, the section
 *   flags `detailDescriptionFlag`/`internalAnalysisFlag`/`resolutionFlag`, `member` or `contact`,
 *   `dateCreated`, `createdBy`): a ticket's `initialDescription` is its first Discussion note,
 *   written by the API member; the list pages and filters like any other and sorts by `orderBy`
 *   (`field asc|desc`, else 400); an unknown ticket is 404;
 * - callbacks are signed: `x-content-signature` = base64 HMAC-SHA256 of the body keyed with the
 *   SHA-256 of the signing key served at the payload's `Metadata.key_url`.
 * It records every request (method, path, body) so tests can count duplicates, and can fail on
 * cue: answer an error, or do the write and lose the answer (the case idempotency is for).
 */
export interface StubRequest { method: string; path: string; query: URLSearchParams; body: any; status: number }
export interface StubTicket { id: number; summary: string; board: { id: number }; company: { id: number }; externalXRef?: string; owner?: { identifier: string }; status: { name: string }; closedFlag: boolean; requiredDate?: string; initialDescription?: string }

export interface StubScheduleEntry { id: number; name: string; member: { identifier: string; name?: string }; type: { identifier: string }; dateStart: string; dateEnd: string; doneFlag: boolean; objectId?: number; status?: { name: string }; allowScheduleConflictsFlag?: boolean }

export interface StubNote { id: number; ticketId: number; text: string; detailDescriptionFlag: boolean; internalAnalysisFlag: boolean; resolutionFlag: boolean; member?: { id: number; identifier: string; name: string }; contact?: { id: number; name: string }; customerUpdatedFlag?: boolean; dateCreated: string; createdBy: string }

/** The API member the stub's integration keys belong to (the author of what Baton writes). */
export const STUB_API_MEMBER = 'BatonAPI';

type Fault = { status: number; headers?: Record<string, string>; afterWrite?: boolean };

/** The records the client import reads (GET /company/companies, /company/contacts, /finance/agreements), in ConnectWise's shapes. */
export interface StubCompany { id: number; identifier: string; name: string; deletedFlag?: boolean; country?: { id: number; identifier?: string; name: string }; state?: string; timeZoneSetup?: { id: number; name: string } }
export interface StubContact { id: number; firstName: string; lastName?: string; title?: string; company: { id: number }; defaultFlag: boolean; communicationItems?: { type: { id: number; name: string }; value: string; defaultFlag: boolean; communicationType: 'Email' | 'Phone' | 'Fax' }[] }
export interface StubAgreement { id: number; name: string; company: { id: number }; startDate: string; endDate?: string; noEndingDateFlag: boolean; cancelledFlag: boolean; billAmount?: number; billingCycle?: { id: number; name: string }; billOneTimeFlag?: boolean }

export async function connectWiseStub(opts: { companyId: string; publicKey: string; privateKey: string; clientId: string; companies: number[]; members: string[]; boards: number[]; pageCap?: number }) {
  const requests: StubRequest[] = [];
  const directory: { companies: StubCompany[]; contacts: StubContact[]; agreements: StubAgreement[] } = { companies: [], contacts: [], agreements: [] };
  const tickets: StubTicket[] = [];
  const scheduleEntries: StubScheduleEntry[] = [];
  const notes: StubNote[] = [];
  const deletedEntries: StubScheduleEntry[] = [];
  const signingKey = randomBytes(24).toString('base64');
  const faults: { match: (m: string, p: string) => boolean; fault: Fault }[] = [];
  let nextId = 1000;
  const expectedAuth = `Basic ${Buffer.from(`${opts.companyId}+${opts.publicKey}:${opts.privateKey}`).toString('base64')}`;
  const err = (status: number, code: string, message: string, errors?: unknown[]) => ({ status, body: { code, message, ...(errors ? { errors } : {}) } });

  /** `conditions`: `field="text"`, `field contains "text"`, `field=number`, `field=true|false`, `field in (1,2)`, joined by `and`; an unsupported one is a 400. */
  function matches(t: object, conditions: string | null): boolean {
    if (!conditions) return true;
    return conditions.split(/\s+and\s+/i).every((c) => {
      const m = /^\s*([\w/]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|(\d+)|(true|false))|\s+in\s+\(([\d,\s]+)\)|\s+contains\s+"((?:[^"\\]|\\.)*)")\s*$/i.exec(c);
      if (!m) throw new Error(`unsupported condition ${c}`);
      const value = m[1]!.split('/').reduce<any>((o, k) => o?.[k], t);
      if (m[6] !== undefined) return typeof value === 'string' && value.toLowerCase().includes(m[6].toLowerCase());
      if (m[2] !== undefined) return value === m[2];
      if (m[3] !== undefined) return value === Number(m[3]);
      if (m[4] !== undefined) return (value ?? false) === (m[4].toLowerCase() === 'true');
      return m[5]!.split(',').map((x) => Number(x.trim())).includes(value);
    });
  }

  /** A list read as ConnectWise answers it: filtered by `conditions`, one `page` of `pageSize` (≤ 1000), `Link: rel="next"` while more remain, `fields` picked. */
  function list(url: URL, records: object[]): { status: number; body?: unknown; headers?: Record<string, string> } {
    const pageSize = Number(url.searchParams.get('pageSize') ?? 25);
    const pageNo = Number(url.searchParams.get('page') ?? 1);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return err(400, 'InvalidObject', 'pageSize must be between 1 and 1000');
    if (!Number.isInteger(pageNo) || pageNo < 1) return err(400, 'InvalidObject', 'page must be 1 or more');
    let all: object[];
    try {
      all = records.filter((t) => matches(t, url.searchParams.get('conditions')));
    } catch (e) {
      return err(400, 'InvalidObject', (e as Error).message);
    }
    // `pageCap`: a server answering fewer than asked per page (tests see paging with a few records); the client follows `Link`, never its own count.
    const size = Math.min(pageSize, opts.pageCap ?? pageSize);
    const slice = all.slice((pageNo - 1) * size, pageNo * size);
    const next: Record<string, string> = all.length > pageNo * size ? { link: `<${url.origin}${url.pathname}?pageSize=${pageSize}&page=${pageNo + 1}>; rel="next"` } : {};
    const fields = url.searchParams.get('fields');
    const items = fields ? slice.map((t) => Object.fromEntries(fields.split(',').map((f) => [f, (t as any)[f]]))) : slice;
    return { status: 200, body: items, headers: next };
  }

  function handle(method: string, url: URL, headers: http.IncomingHttpHeaders, body: any): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (method === 'GET' && url.pathname === '/callback-key') return { status: 200, body: { signing_key: signingKey } };
    if (headers.authorization !== expectedAuth) return err(401, 'Unauthorized', 'The API member credentials are invalid.');
    if (headers.clientid !== opts.clientId) return err(401, 'Unauthorized', 'A valid clientId header is required (developer.connectwise.com/ClientID).');
    const api = '/v4_6_release/apis/3.0';
    if (!url.pathname.startsWith(api)) return err(404, 'NotFound', 'Not found');
    const path = url.pathname.slice(api.length);
    if (method === 'GET' && path === '/service/tickets') return list(url, tickets);
    if (method === 'GET' && path === '/company/companies') return list(url, directory.companies);
    if (method === 'GET' && path === '/company/contacts') return list(url, directory.contacts);
    if (method === 'GET' && path === '/finance/agreements') return list(url, directory.agreements);
    if (method === 'GET' && path === '/schedule/entries') return list(url, scheduleEntries);
    if (method === 'POST' && path === '/schedule/entries') {
      const errors: { code: string; message: string; resource: string; field: string }[] = [];
      const bad = (field: string, message: string, code = 'InvalidField') => errors.push({ code, message, resource: 'scheduleEntry', field });
      if (!body?.member || !opts.members.includes(body.member.identifier)) bad('member', 'Member not found.', 'InvalidObject');
      if (typeof body?.type?.identifier !== 'string' && typeof body?.type?.id !== 'number') bad('type', 'Type is required.', 'NullObject');
      const start = Date.parse(body?.dateStart ?? '');
      const end = Date.parse(body?.dateEnd ?? '');
      if (!Number.isFinite(start)) bad('dateStart', 'dateStart is required.', 'NullObject');
      if (!Number.isFinite(end)) bad('dateEnd', 'dateEnd is required.', 'NullObject');
      if (Number.isFinite(start) && Number.isFinite(end) && end <= start) bad('dateEnd', 'dateEnd must be after dateStart.');
      if (body?.name !== undefined && (typeof body.name !== 'string' || body.name.length > 250)) bad('name', 'Name may not exceed 250 characters.');
      if (errors.length) return err(400, 'InvalidObject', 'scheduleEntry object is invalid', errors);
      const e: StubScheduleEntry = { ...body, id: nextId++, doneFlag: body.doneFlag === true, member: { identifier: body.member.identifier, name: `Member ${body.member.identifier}` } };
      scheduleEntries.push(e);
      return { status: 201, body: e };
    }
    const entry = /^\/schedule\/entries\/(\d+)$/.exec(path);
    if (entry) {
      const i = scheduleEntries.findIndex((x) => x.id === Number(entry[1]));
      if (i < 0) return err(404, 'NotFound', `ScheduleEntry ${entry[1]} not found`);
      const e = scheduleEntries[i]!;
      if (method === 'GET') return { status: 200, body: e };
      if (method === 'DELETE') {
        deletedEntries.push(...scheduleEntries.splice(i, 1));
        return { status: 204 };
      }
      if (method === 'PATCH') {
        if (!Array.isArray(body)) return err(400, 'InvalidObject', 'A JSON Patch array is expected');
        const next = { ...e };
        for (const op of body) {
          if (op?.op !== 'replace' || !['dateStart', 'dateEnd', 'doneFlag', 'name', 'status'].includes(op.path)) return err(400, 'InvalidObject', `Unsupported patch ${JSON.stringify(op)}`);
          if ((op.path === 'dateStart' || op.path === 'dateEnd') && !Number.isFinite(Date.parse(op.value))) return err(400, 'InvalidObject', 'scheduleEntry object is invalid', [{ code: 'InvalidField', message: `${op.path} is not a date.`, resource: 'scheduleEntry', field: op.path }]);
          (next as any)[op.path] = op.value;
        }
        if (Date.parse(next.dateEnd) <= Date.parse(next.dateStart)) return err(400, 'InvalidObject', 'scheduleEntry object is invalid', [{ code: 'InvalidField', message: 'dateEnd must be after dateStart.', resource: 'scheduleEntry', field: 'dateEnd' }]);
        Object.assign(e, next);
        return { status: 200, body: e };
      }
    }
    if (method === 'POST' && path === '/service/tickets') {
      const errors: { code: string; message: string; resource: string; field: string }[] = [];
      if (typeof body?.summary !== 'string' || !body.summary) errors.push({ code: 'NullObject', message: 'Summary is required.', resource: 'ticket', field: 'summary' });
      else if (body.summary.length > 100) errors.push({ code: 'InvalidField', message: 'Summary may not exceed 100 characters.', resource: 'ticket', field: 'summary' });
      if (!opts.companies.includes(body?.company?.id)) errors.push({ code: 'InvalidObject', message: 'Company not found.', resource: 'ticket', field: 'company' });
      if (!opts.boards.includes(body?.board?.id)) errors.push({ code: 'InvalidObject', message: 'Board not found.', resource: 'ticket', field: 'board' });
      if (body?.owner && !opts.members.includes(body.owner.identifier)) errors.push({ code: 'InvalidObject', message: 'Member not found.', resource: 'ticket', field: 'owner' });
      if (body?.externalXRef !== undefined && (typeof body.externalXRef !== 'string' || body.externalXRef.length > 100)) errors.push({ code: 'InvalidField', message: 'externalXRef may not exceed 100 characters.', resource: 'ticket', field: 'externalXRef' });
      if (errors.length) return err(400, 'InvalidObject', 'ticket object is invalid', errors);
      const t: StubTicket = { ...body, id: nextId++, status: { name: 'New' }, closedFlag: false };
      tickets.push(t);
      if (typeof body.initialDescription === 'string' && body.initialDescription) {
        notes.push({ id: nextId++, ticketId: t.id, text: body.initialDescription, detailDescriptionFlag: true, internalAnalysisFlag: false, resolutionFlag: false, member: { id: 1, identifier: STUB_API_MEMBER, name: 'Baton API' }, dateCreated: new Date().toISOString().slice(0, 19) + 'Z', createdBy: STUB_API_MEMBER });
      }
      return { status: 201, body: t };
    }
    const ofTicket = /^\/service\/tickets\/(\d+)\/notes$/.exec(path);
    if (ofTicket && method === 'GET') {
      if (!tickets.some((x) => x.id === Number(ofTicket[1]))) return err(404, 'NotFound', `Ticket ${ofTicket[1]} not found`);
      const orderBy = url.searchParams.get('orderBy');
      const o = orderBy === null ? undefined : /^\s*(\w+)\s+(asc|desc)\s*$/i.exec(orderBy);
      if (o === null) return err(400, 'InvalidObject', `orderBy must be "field asc" or "field desc", not ${orderBy}`);
      const mine = notes.filter((n) => n.ticketId === Number(ofTicket[1]));
      if (o) {
        const dir = o[2]!.toLowerCase() === 'desc' ? -1 : 1;
        mine.sort((a, b) => { const x = (a as any)[o[1]!]; const y = (b as any)[o[1]!]; return (x < y ? -1 : x > y ? 1 : 0) * dir; });
      }
      return list(url, mine);
    }
    const one = /^\/service\/tickets\/(\d+)$/.exec(path);
    if (one && method === 'PATCH') {
      const t = tickets.find((x) => x.id === Number(one[1]));
      if (!t) return err(404, 'NotFound', `Ticket ${one[1]} not found`);
      if (!Array.isArray(body)) return err(400, 'InvalidObject', 'A JSON Patch array is expected');
      for (const op of body) {
        if (op.op === 'replace' && op.path === 'owner' && typeof op.value?.identifier === 'string') {
          if (!opts.members.includes(op.value.identifier)) return err(400, 'InvalidObject', 'ticket object is invalid', [{ code: 'InvalidObject', message: 'Member not found.', resource: 'ticket', field: 'owner' }]);
          t.owner = { identifier: op.value.identifier };
          continue;
        }
        if (op.op !== 'replace' || op.path !== 'status' || typeof op.value?.name !== 'string') return err(400, 'InvalidObject', `Unsupported patch ${JSON.stringify(op)}`);
        t.status = { name: op.value.name };
        t.closedFlag = op.value.name === 'Closed';
      }
      return { status: 200, body: t };
    }
    if (one && method === 'GET') {
      const t = tickets.find((x) => x.id === Number(one[1]));
      return t ? { status: 200, body: t } : err(404, 'NotFound', `Ticket ${one[1]} not found`);
    }
    return err(404, 'NotFound', `No route ${method} ${path}`);
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
      let answer = fault && !fault.afterWrite ? err(fault.status, 'ServerError', 'injected failure') as ReturnType<typeof handle> : handle(method, url, req.headers, body);
      if (fault?.afterWrite) answer = { ...err(fault.status, 'ServerError', 'the write happened; the answer was lost'), headers: fault.headers };
      if (fault && !fault.afterWrite && fault.headers) answer = { ...answer, headers: fault.headers };
      if (url.pathname !== '/callback-key') requests.push({ method, path: url.pathname, query: url.searchParams, body, status: answer.status });
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
    baseUrl: `${origin}/v4_6_release/apis/3.0`,
    requests,
    tickets,
    /** Ticket notes, every ticket's (ConnectWise's `ServiceNote` shape). */
    notes,
    /** A note written on a ticket in ConnectWise (by a member, unless `contact` is given): a Discussion note unless flags say otherwise. */
    addNote(ticket: { id: number }, n: { text: string; member?: string; contact?: string; internal?: boolean; resolution?: boolean; at?: string }) {
      const note: StubNote = {
        id: nextId++, ticketId: ticket.id, text: n.text, detailDescriptionFlag: !n.internal && !n.resolution, internalAnalysisFlag: !!n.internal, resolutionFlag: !!n.resolution,
        ...(n.contact ? { contact: { id: 500, name: n.contact }, customerUpdatedFlag: true } : { member: { id: 2, identifier: n.member ?? 'tech', name: `Member ${n.member ?? 'tech'}` } }),
        dateCreated: (n.at ?? new Date().toISOString()).slice(0, 19) + 'Z', createdBy: n.contact ? 'Portal' : (n.member ?? 'tech'),
      };
      notes.push(note);
      return note;
    },
    /** Schedule entries (meetings booked on a member's calendar), and those deleted. */
    scheduleEntries,
    deletedEntries,
    /** Companies, contacts and agreements the client import reads; tests fill them. */
    directory,
    /** The next request matching method and path fails with `status`; `afterWrite`: it is carried out, then answered with the failure. */
    fail(method: string, pathEnd: string | RegExp, fault: Fault) {
      faults.push({ match: (m, p) => m === method && (typeof pathEnd === 'string' ? p.endsWith(pathEnd) : pathEnd.test(p)), fault });
    },
    /** What ConnectWise would post for a change to a ticket, signed (or signed with another key, for a forgery). */
    callback(ticket: StubTicket, action = 'updated', opts2: { key?: string; keyUrl?: string } = {}) {
      const body = JSON.stringify({
        Action: action, Type: 'ticket', ID: ticket.id, MemberId: 7, CompanyId: 'msp', FromUrl: origin,
        Entity: JSON.stringify({ ...ticket, _info: { lastUpdated: new Date().toISOString(), updatedBy: 'tech' } }),
        Metadata: { key_url: opts2.keyUrl ?? `${origin}/callback-key` },
      });
      return { body, signature: callbackSignature(opts2.key ?? signingKey, body) };
    },
    /**
     * What ConnectWise would post for a change to a schedule entry (type `Schedule`), signed (or
     * signed with another key, for a forgery). `entity: null` leaves `Entity` out (the receiver reads the entry back).
     */
    scheduleCallback(entry: StubScheduleEntry | { id: number }, action = 'updated', opts2: { key?: string; entity?: null } = {}) {
      const body = JSON.stringify({
        Action: action, Type: 'schedule', ID: entry.id, MemberId: 7, CompanyId: 'msp', FromUrl: origin,
        ...(opts2.entity === null ? {} : { Entity: JSON.stringify({ ...entry, _info: { lastUpdated: new Date().toISOString(), updatedBy: 'tech' } }) }),
        Metadata: { key_url: `${origin}/callback-key` },
      });
      return { body, signature: callbackSignature(opts2.key ?? signingKey, body) };
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    start,
  };
}
