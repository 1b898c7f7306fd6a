import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

/**
 * A local Microsoft identity platform token endpoint and Microsoft Graph v1.0 calendar API (issue 15
 * contract stub), as Microsoft's public docs describe them:
 * - `POST /<tenant>/oauth2/v2.0/token` (form: `client_id`, `client_secret`,
 *   `scope=https://graph.microsoft.com/.default`, `grant_type=client_credentials`) →
 *   `{token_type: "Bearer", expires_in, access_token}`; a wrong client → 401 `{error: "invalid_client", error_description}`;
 * - every Graph call needs `Authorization: Bearer <a token it issued, unexpired>`, else 401
 *   `{error: {code: "InvalidAuthenticationToken", message}}`; every error has that `{error: {code, message}}` shape;
 * - `POST /users/{id}/events` with a `transactionId` it has seen for that mailbox answers the event
 *   it already created (Graph's idempotency for event creation); `PATCH …/events/{id}`,
 *   `POST …/events/{id}/cancel` (202), `GET …/events/{id}`;
 * - `POST /subscriptions` validates first: it POSTs `<notificationUrl>?validationToken=<token>` and
 *   requires 200 with the token as the body (within 10 s), and refuses an `expirationDateTime` more
 *   than 10 080 minutes ahead (events); `PATCH /subscriptions/{id}` renews (404 once expired);
 * - change notifications carry the subscription's `clientState`;
 * - an event created with `isOnlineMeeting: true` and `onlineMeetingProvider: "teamsForBusiness"` is a
 *   Teams meeting: the event carries `onlineMeeting.joinUrl` and the organiser has an onlineMeeting
 *   with that `joinWebUrl`; `GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '<url>'` finds it
 *   (a `$filter` is required; the app needs an application access policy for the user, else 403);
 *   `GET …/onlineMeetings/{id}/attendanceReports` lists the reports (up to the 50 most recent, each
 *   appears once the session ends: tests add them), `GET …/attendanceReports/{id}/attendanceRecords`
 *   pages the records with an absolute `@odata.nextLink`.
 * It records every request (method, path, query, body) so tests can count duplicates, and can fail on cue:
 * answer an error (e.g. 429 with Retry-After), or do the write and lose the answer.
 */
export interface GraphRequest { method: string; path: string; query: string; body: any; status: number; at: number }
export interface GraphAttendanceRecord { emailAddress: string | null; identity: { displayName: string }; role: 'Organizer' | 'Presenter' | 'Attendee' | 'None'; totalAttendanceInSeconds: number }
export interface GraphOnlineMeeting {
  id: string; joinWebUrl: string; mailbox: string;
  reports: { id: string; meetingStartDateTime: string; meetingEndDateTime: string; totalParticipantCount: number; records: GraphAttendanceRecord[] }[];
}
export interface GraphEvent {
  id: string; mailbox: string; subject: string; start: { dateTime: string; timeZone: string }; end: { dateTime: string; timeZone: string };
  attendees: { emailAddress: { address: string; name?: string }; type: string }[]; transactionId?: string; isCancelled: boolean; changeKey: string; body?: unknown;
  isOnlineMeeting?: boolean; onlineMeetingProvider?: string; onlineMeeting?: { joinUrl: string } | null;
}
export interface GraphSubscription { id: string; resource: string; changeType: string; notificationUrl: string; clientState?: string; expirationDateTime: string; created: number; renewals: number }

type Fault = { status: number; headers?: Record<string, string>; afterWrite?: boolean };
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const MAX_EVENT_SUBSCRIPTION_MINUTES = 10_080;

export async function msGraphStub(opts: {
  tenantId: string; clientId: string; clientSecret: string; mailboxes: string[]; tokenLifetimeSeconds?: number;
  /** Mailboxes the app's application access policy is granted for (online meetings and their artifacts); default every mailbox. */
  accessPolicyMailboxes?: string[];
  /** Attendance records per page (default 2, so a test's records span pages). */
  recordsPageSize?: number;
}) {
  const requests: GraphRequest[] = [];
  const tokenRequests: { at: number; ok: boolean }[] = [];
  const events: GraphEvent[] = [];
  const subscriptions: GraphSubscription[] = [];
  const onlineMeetings: GraphOnlineMeeting[] = [];
  const tokens = new Map<string, number>();
  const validations: { url: string; ok: boolean }[] = [];
  const faults: { match: (m: string, p: string) => boolean; fault: Fault }[] = [];
  const gErr = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } } });
  const newKey = () => randomBytes(12).toString('base64');

  async function handle(method: string, url: URL, headers: http.IncomingHttpHeaders, raw: string): Promise<Answer> {
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && method === 'POST') {
      const f = new URLSearchParams(raw);
      const ok = token[1] === opts.tenantId && f.get('client_id') === opts.clientId && f.get('client_secret') === opts.clientSecret;
      tokenRequests.push({ at: Date.now(), ok });
      if (f.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'AADSTS70003: The app requested an unsupported grant type.' } };
      if (f.get('scope') !== 'https://graph.microsoft.com/.default') return { status: 400, body: { error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid.' } };
      if (token[1] !== opts.tenantId) return { status: 400, body: { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${token[1]}' not found.` } };
      if (!ok) return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
      const access = randomBytes(24).toString('base64url');
      const lifetime = opts.tokenLifetimeSeconds ?? 3599;
      tokens.set(access, Date.now() + lifetime * 1000);
      return { status: 200, body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: access } };
    }
    if (!url.pathname.startsWith('/v1.0/')) return gErr(404, 'BadRequest', 'Resource not found for the segment.');
    const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1];
    if (!bearer || !tokens.has(bearer)) return gErr(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    if (tokens.get(bearer)! < Date.now()) return gErr(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    const path = url.pathname.slice('/v1.0'.length);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return gErr(400, 'BadRequest', 'Unable to read JSON request payload.');
    }

    const ev = /^\/users\/([^/]+)\/events(?:\/([^/]+)(\/cancel)?)?$/.exec(path);
    if (ev) {
      const mailbox = decodeURIComponent(ev[1]!);
      if (!opts.mailboxes.includes(mailbox)) return gErr(404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
      if (!ev[2] && method === 'POST') {
        const bad = ['subject', 'start', 'end'].filter((k) => body?.[k] === undefined);
        if (bad.length) return gErr(400, 'ErrorInvalidRequest', `Missing ${bad.join(', ')}.`);
        for (const k of ['start', 'end']) if (typeof body[k].dateTime !== 'string' || typeof body[k].timeZone !== 'string') return gErr(400, 'ErrorInvalidRequest', `${k} must be a dateTimeTimeZone.`);
        if (body.transactionId !== undefined) {
          const same = events.find((e) => e.mailbox === mailbox && e.transactionId === body.transactionId);
          if (same) return { status: 201, body: same }; // Graph: the same transactionId is the same event
        }
        const e: GraphEvent = { ...body, id: `AAMk${randomBytes(16).toString('base64url')}`, mailbox, attendees: body.attendees ?? [], isCancelled: false, changeKey: newKey(), isOnlineMeeting: false, onlineMeeting: null };
        if (body.isOnlineMeeting === true && body.onlineMeetingProvider === 'teamsForBusiness') {
          // Graph makes the Teams meeting and puts its join link on the event.
          const joinWebUrl = `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${randomBytes(12).toString('base64url')}%40thread.v2/0?context=%7b%22Tid%22%3a%22${encodeURIComponent(opts.tenantId)}%22%7d`;
          onlineMeetings.push({ id: `MSo${randomBytes(18).toString('base64url')}`, joinWebUrl, mailbox, reports: [] });
          e.isOnlineMeeting = true;
          e.onlineMeeting = { joinUrl: joinWebUrl };
        }
        events.push(e);
        return { status: 201, body: e };
      }
      const e = events.find((x) => x.mailbox === mailbox && x.id === decodeURIComponent(ev[2] ?? ''));
      if (!e) return gErr(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      if (ev[3] && method === 'POST') {
        if (e.isCancelled) return gErr(400, 'ErrorInvalidRequest', 'The meeting is already cancelled.');
        e.isCancelled = true;
        e.changeKey = newKey();
        return { status: 202 };
      }
      if (method === 'PATCH') {
        if (e.isCancelled) return gErr(400, 'ErrorInvalidRequest', 'A cancelled meeting cannot be updated.');
        Object.assign(e, body, { changeKey: newKey() });
        return { status: 200, body: e };
      }
      if (method === 'GET') return { status: 200, body: e };
      return gErr(405, 'BadRequest', 'Method not allowed.');
    }

    const om = /^\/users\/([^/]+)\/onlineMeetings(?:\/([^/]+)\/attendanceReports(?:\/([^/]+)\/attendanceRecords)?)?$/.exec(path);
    if (om) {
      const mailbox = decodeURIComponent(om[1]!);
      if (!opts.mailboxes.includes(mailbox)) return gErr(404, 'NotFound', `The user '${mailbox}' was not found.`);
      if (method !== 'GET') return gErr(405, 'BadRequest', 'Method not allowed.');
      // Application permissions on online meetings need a policy granted to the user (Teams' application access policy).
      if (!(opts.accessPolicyMailboxes ?? opts.mailboxes).includes(mailbox)) return gErr(403, 'Forbidden', 'No application access policy found for this app.');
      if (!om[2]) {
        const filter = url.searchParams.get('$filter');
        if (!filter) return gErr(400, 'BadRequest', 'This operation requires a $filter.');
        const m = /^JoinWebUrl eq '(.*)'$/i.exec(filter);
        if (!m) return gErr(400, 'BadRequest', `Unsupported filter: ${filter.slice(0, 100)}`);
        const joinWebUrl = m[1]!.replace(/''/g, "'");
        return { status: 200, body: { value: onlineMeetings.filter((x) => x.mailbox === mailbox && x.joinWebUrl === joinWebUrl).map(({ reports: _r, mailbox: _m, ...x }) => x) } };
      }
      const meeting = onlineMeetings.find((x) => x.mailbox === mailbox && x.id === decodeURIComponent(om[2]!));
      if (!meeting) return gErr(404, 'NotFound', 'The online meeting was not found.');
      if (!om[3]) {
        const recent = [...meeting.reports].sort((a, b) => b.meetingStartDateTime.localeCompare(a.meetingStartDateTime)).slice(0, 50);
        return { status: 200, body: { value: recent.map(({ records: _r, ...r }) => r) } };
      }
      const report = meeting.reports.find((r) => r.id === decodeURIComponent(om[3]!));
      if (!report) return gErr(404, 'NotFound', 'The attendance report was not found.');
      const size = opts.recordsPageSize ?? 2;
      const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
      if (!Number.isInteger(skip) || skip < 0) return gErr(400, 'BadRequest', 'Invalid $skiptoken.');
      const page = report.records.slice(skip, skip + size);
      const more = skip + size < report.records.length;
      return { status: 200, body: { value: page, ...(more ? { '@odata.nextLink': `${origin}/v1.0${path}?$skiptoken=${skip + size}` } : {}) } };
    }

    if (path === '/subscriptions' && method === 'POST') {
      for (const k of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) if (typeof body?.[k] !== 'string') return gErr(400, 'InvalidRequest', `${k} is required.`);
      if (body.clientState !== undefined && (typeof body.clientState !== 'string' || body.clientState.length > 128)) return gErr(400, 'InvalidRequest', 'clientState must be at most 128 characters.');
      const exp = Date.parse(body.expirationDateTime);
      if (!(exp > Date.now()) || exp > Date.now() + MAX_EVENT_SUBSCRIPTION_MINUTES * 60_000) return gErr(400, 'InvalidRequest', `Subscription expiration can only be ${MAX_EVENT_SUBSCRIPTION_MINUTES} minutes in the future.`);
      // The validation handshake: Graph POSTs the notificationUrl with a validationToken and requires the echo.
      const validationToken = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
      const ok = await fetch(`${body.notificationUrl}${body.notificationUrl.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(validationToken)}`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(10_000) })
        .then(async (r) => r.status === 200 && (await r.text()) === validationToken && (r.headers.get('content-type') ?? '').startsWith('text/plain')).catch(() => false);
      validations.push({ url: body.notificationUrl, ok });
      if (!ok) return gErr(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
      const s: GraphSubscription = { id: randomUUID(), resource: body.resource, changeType: body.changeType, notificationUrl: body.notificationUrl, clientState: body.clientState, expirationDateTime: new Date(exp).toISOString(), created: Date.now(), renewals: 0 };
      subscriptions.push(s);
      return { status: 201, body: s };
    }
    const sub = /^\/subscriptions\/([^/]+)$/.exec(path);
    if (sub) {
      const s = subscriptions.find((x) => x.id === sub[1]);
      if (!s || Date.parse(s.expirationDateTime) <= Date.now()) return gErr(404, 'ResourceNotFound', `The object was not found (subscription ${sub[1]}).`);
      if (method === 'PATCH') {
        const exp = Date.parse(body?.expirationDateTime);
        if (!(exp > Date.now()) || exp > Date.now() + MAX_EVENT_SUBSCRIPTION_MINUTES * 60_000) return gErr(400, 'InvalidRequest', `Subscription expiration can only be ${MAX_EVENT_SUBSCRIPTION_MINUTES} minutes in the future.`);
        s.expirationDateTime = new Date(exp).toISOString();
        s.renewals++;
        return { status: 200, body: s };
      }
      if (method === 'DELETE') {
        subscriptions.splice(subscriptions.indexOf(s), 1);
        return { status: 204 };
      }
    }
    return gErr(404, 'BadRequest', `Resource not found for the segment '${path}'.`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const raw = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const i = faults.findIndex((f) => f.match(method, url.pathname));
      const fault = i >= 0 ? faults.splice(i, 1)[0]!.fault : undefined;
      let answer: Answer = fault && !fault.afterWrite ? { ...gErr(fault.status, fault.status === 429 ? 'TooManyRequests' : 'ServiceNotAvailable', 'injected failure'), headers: fault.headers } : await handle(method, url, req.headers, raw);
      if (fault?.afterWrite) answer = { ...gErr(fault.status, 'ServiceNotAvailable', 'the write happened; the answer was lost'), headers: fault.headers };
      if (url.pathname.startsWith('/v1.0/')) {
        let body: unknown;
        try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
        requests.push({ method, path: url.pathname.slice('/v1.0'.length), query: url.search, body, status: answer.status, at: Date.now() });
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  let port = 0;
  let origin = '';
  const start = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); }));
  await start();
  origin = `http://127.0.0.1:${port}`;

  /** The notification Graph posts for a change to an event (to the subscription on its mailbox). */
  function notificationFor(e: GraphEvent, changeType: 'updated' | 'deleted', clientState?: string) {
    const s = subscriptions.find((x) => x.resource === `/users/${e.mailbox}/events`);
    if (!s) throw new Error(`no subscription on ${e.mailbox}`);
    return {
      url: s.notificationUrl,
      body: JSON.stringify({ value: [{
        subscriptionId: s.id, subscriptionExpirationDateTime: s.expirationDateTime, changeType, clientState: clientState ?? s.clientState, tenantId: opts.tenantId,
        resource: `Users/${e.mailbox}/Events/${e.id}`,
        resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${e.mailbox}/Events/${e.id}`, '@odata.etag': `W/"${e.changeKey}"`, id: e.id },
      }] }),
    };
  }
  const post = async (n: { url: string; body: string }) => {
    const r = await fetch(n.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: n.body });
    const text = await r.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* text */ }
    return { status: r.status, body };
  };

  return {
    origin,
    baseUrl: `${origin}/v1.0`,
    authorityUrl: origin,
    requests,
    tokenRequests,
    events,
    subscriptions,
    validations,
    onlineMeetings,
    /** A session of the Teams meeting behind `joinUrl` ended: its attendance report appears (Graph makes one per session). */
    addAttendanceReport(joinUrl: string, r: { start: string; end: string; records: GraphAttendanceRecord[] }) {
      const m = onlineMeetings.find((x) => x.joinWebUrl === joinUrl);
      if (!m) throw new Error(`no online meeting with join URL ${joinUrl}`);
      const report = { id: randomUUID(), meetingStartDateTime: new Date(r.start).toISOString(), meetingEndDateTime: new Date(r.end).toISOString(), totalParticipantCount: r.records.length, records: r.records };
      m.reports.push(report);
      return report.id;
    },
    /** The next request matching method and path fails with `status`; `afterWrite`: it is carried out, then answered with the failure. */
    fail(method: string, path: RegExp, fault: Fault) {
      faults.push({ match: (m, p) => m === method && path.test(p), fault });
    },
    notificationFor,
    post,
    /** The organiser changes the event in Outlook (moves or cancels it); Graph notifies the subscription. */
    async organiserChange(e: GraphEvent, change: { start: string; end: string } | { cancel: true } | { delete: true }, clientState?: string) {
      if ('delete' in change) {
        events.splice(events.indexOf(e), 1);
        return post(notificationFor(e, 'deleted', clientState));
      }
      if ('cancel' in change) e.isCancelled = true;
      else {
        e.start = { dateTime: `${new Date(change.start).toISOString().slice(0, 19)}.0000000`, timeZone: 'UTC' };
        e.end = { dateTime: `${new Date(change.end).toISOString().slice(0, 19)}.0000000`, timeZone: 'UTC' };
      }
      e.changeKey = newKey();
      return post(notificationFor(e, 'updated', clientState));
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    start,
  };
}
