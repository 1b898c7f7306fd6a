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
 * - callbacks are signed: `x-content-signature` = base64 HMAC-SHA256 of the body keyed with the
 *   SHA-256 of the signing key served at the payload's `Metadata.key_url`.
 * It records every request (method, path, body) so tests can count duplicates, and can fail on
 * cue: answer an error, or do the write and lose the answer (the case idempotency is for).
 */
export interface StubRequest { method: string; path: string; query: URLSearchParams; body: any; status: number }
export interface StubTicket { id: number; summary: string; board: { id: number }; company: { id: number }; externalXRef?: string; owner?: { identifier: string }; status: { name: string }; closedFlag: boolean; requiredDate?: string; initialDescription?: string }

type Fault = { status: number; headers?: Record<string, string>; afterWrite?: boolean };

/** The records the client import reads (GET /company/companies, /company/contacts, /finance/agreements), in ConnectWise's shapes. */
export interface StubCompany { id: number; identifier: string; name: string; deletedFlag?: boolean; country?: { id: number; identifier?: string; name: string }; state?: string; timeZoneSetup?: { id: number; name: string } }
export interface StubContact { id: number; firstName: string; lastName?: string; title?: string; company: { id: number }; defaultFlag: boolean; communicationItems?: { type: { id: number; name: string }; value: string; defaultFlag: boolean; communicationType: 'Email' | 'Phone' | 'Fax' }[] }
export interface StubAgreement { id: number; name: string; company: { id: number }; startDate: string; endDate?: string; noEndingDateFlag: boolean; cancelledFlag: boolean; billAmount?: number; billingCycle?: { id: number; name: string }; billOneTimeFlag?: boolean }

export async function connectWiseStub(opts: { companyId: string; publicKey: string; privateKey: string; clientId: string; companies: number[]; members: string[]; boards: number[]; pageCap?: number }) {
  const requests: StubRequest[] = [];
  const directory: { companies: StubCompany[]; contacts: StubContact[]; agreements: StubAgreement[] } = { companies: [], contacts: [], agreements: [] };
  const tickets: StubTicket[] = [];
  const signingKey = randomBytes(24).toString('base64');
  const faults: { match: (m: string, p: string) => boolean; fault: Fault }[] = [];
  let nextId = 1000;
  const expectedAuth = `Basic ${Buffer.from(`${opts.companyId}+${opts.publicKey}:${opts.privateKey}`).toString('base64')}`;
  const err = (status: number, code: string, message: string, errors?: unknown[]) => ({ status, body: { code, message, ...(errors ? { errors } : {}) } });

  /** `conditions`: `field="text"`, `field=number`, `field=true|false`, `field in (1,2)`, joined by `and`; an unsupported one is a 400. */
  function matches(t: object, conditions: string | null): boolean {
    if (!conditions) return true;
    return conditions.split(/\s+and\s+/i).every((c) => {
      const m = /^\s*([\w/]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|(\d+)|(true|false))|\s+in\s+\(([\d,\s]+)\))\s*$/i.exec(c);
      if (!m) throw new Error(`unsupported condition ${c}`);
      const value = m[1]!.split('/').reduce<any>((o, k) => o?.[k], t);
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
      return { status: 201, body: t };
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
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    start,
  };
}
