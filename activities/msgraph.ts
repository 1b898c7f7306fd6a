/**
 * Microsoft Graph calls (issue 15): a booked meeting as an event on its Accountable's calendar
 * (create / move / cancel, one call per delivery attempt besides the token), and the connector's
 * change-notification subscriptions (create, renew before expiry).
 *
 * Idempotency toward Graph: the event's `transactionId` derives from (connector, meeting), so a
 * create retried after a lost answer is answered by Graph with the event it already created; the
 * event id is then stored (`connector_links`, kind `event`) and later moves and cancels use it.
 *
 * With `onlineMeetings` on, events are Teams meetings, and the same round reads each ended
 * meeting's Teams attendance report: the client attended → the cadence's meeting held, through
 * `reportVendorMeeting` (one report per attendance report, C-6).
 */
import type { Db } from '../db/client.js';
import { connectorKey, findLink, getConnector, openCredentials, saveLink, type ConnectorRow } from '../db/connectors.js';
import { Context } from '@temporalio/activity';
import { ATTENDANCE_LINK, attendanceCandidates, dropMsgraphSubscription, listMsgraphSubscriptions, meetingForCalendar, saveMsgraphSubscription, type CalendarDelivery } from '../db/msgraph.js';
import type { Actor } from '../db/schema.js';
import { activePolicy } from '../db/policies.js';
import { connectorBreakers } from '../db/schema.js';
import { parseRetryAfter, type AttemptOutcome, type DeliveryPolicy } from '../domain/delivery.js';
import { VendorError, vendorFailure } from './vendor-failure.js';
import {
  attendanceReportKey, attendanceVerdict, attendanceWindow, cancelEventBody, clientStateFor, eventForMeeting, graphErrorDetail, joinUrlOf, moveEventPatch, msGraphCredentials, msGraphSettings,
  needsRenewal, onlineMeetingByJoinUrlPath, renewAt, sessionReports, subscriptionExpiry, tokenRequestBody, tokenUrl, tokenUsableUntil,
  type AttendanceRecord, type AttendanceReport, type GraphEvent, type GraphOnlineEvent, type MsGraphCredentials, type MsGraphSettings,
} from '../domain/msgraph.js';
import { policySchema } from '../domain/policy.js';
import { integrationKey } from '../runtime/secret-box.js';
import type { TemporalTarget } from '../runtime/processes.js';
import { reportVendorMeeting } from '../runtime/vendor-meeting-reports.js';

const USER_AGENT = 'Baton-Calendar/1';


/** Access tokens per (connector, client id, configuration version), used until shortly before they expire; one request in flight per connector. */
const tokens = new Map<string, { token: Promise<string>; until: number }>();

/** Forget a connector's cached token (its credentials changed, or Graph refused the token). */
export const forgetToken = (connectorId: string) => {
  for (const k of tokens.keys()) if (k.startsWith(`${connectorId}\n`)) tokens.delete(k);
};

export interface GraphClient {
  settings: MsGraphSettings;
  /** The Graph API root the connector is configured with (a `@odata.nextLink` is followed only below it: the bearer token goes nowhere else). */
  base: string;
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<unknown>;
}

/** A Graph client for a connector, or the failure that stops one from being made (missing key, bad configuration). */
export function graphClient(connector: ConnectorRow, timeoutSeconds: number): GraphClient {
  let creds: MsGraphCredentials;
  let settings: MsGraphSettings;
  try {
    creds = msGraphCredentials.parse(openCredentials(connector));
    settings = msGraphSettings.parse(connector.settings);
  } catch (err) {
    throw new VendorError({ outcome: 'failed', error: `the connector's configuration cannot be used: ${(err as Error).name === 'ZodError' ? 'invalid settings' : (err as Error).message}` });
  }
  const cacheKey = `${connector.id}\n${creds.clientId}\n${connector.updatedAt}`;
  const token = (): Promise<string> => {
    const cached = tokens.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.token;
    const pending = requestToken();
    tokens.set(cacheKey, { token: pending, until: Number.POSITIVE_INFINITY });
    pending.catch(() => tokens.delete(cacheKey));
    return pending;
  };
  const requestToken = async (): Promise<string> => {
    const url = tokenUrl(settings.authorityUrl, creds.tenantId);
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(timeoutSeconds * 1000), headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT }, body: tokenRequestBody(creds) });
    } catch (err) {
      throw new VendorError(unreachable('the Microsoft identity platform', err, timeoutSeconds));
    }
    const text = await res.text();
    if (!res.ok) {
      // The identity platform answers `{error, error_description}`; a refused client is the connector's fault (retried: the breaker opens).
      let detail = text.slice(0, 200);
      try {
        const b = JSON.parse(text) as { error?: string; error_description?: string };
        detail = [b.error, b.error_description?.split('\n')[0]].filter(Boolean).join(': ');
      } catch { /* not JSON */ }
      const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      throw new VendorError({ outcome: 'failed', status: res.status, error: `the Microsoft identity platform refused the connector's client credentials (${res.status}): ${detail}`.slice(0, 500), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
    }
    const b = JSON.parse(text) as { access_token: string; expires_in: number };
    tokens.set(cacheKey, { token: Promise.resolve(b.access_token), until: tokenUsableUntil(Date.now(), Number(b.expires_in) || 0) });
    return b.access_token;
  };
  const base = connector.baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> => {
    const bearer = await token();
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method, redirect: 'manual', signal: AbortSignal.timeout(timeoutSeconds * 1000),
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', 'user-agent': USER_AGENT, ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new VendorError(unreachable('Microsoft Graph', err, timeoutSeconds));
    }
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return text ? JSON.parse(text) : undefined;
    if (res.status === 401) tokens.delete(cacheKey); // expired or revoked: the next attempt asks for a new one
    throw new VendorError(graphFailure(method, path, res, text));
  };
  return { settings, base, call };
}

function unreachable(who: string, err: unknown, timeoutSeconds: number): AttemptOutcome & { outcome: 'failed' } {
  const e = err as Error & { cause?: { code?: string } };
  return { outcome: 'failed', error: e.name === 'TimeoutError' ? `${who} did not answer within ${timeoutSeconds} s` : `${who} unreachable: ${e.cause?.code ?? e.name}` };
}

/**
 * A Graph error answer (`{error: {code, message}}`) → the outcome. 401/403 are the connector's
 * credentials or the app's permissions (e.g. `ErrorAccessDenied` without Calendars.ReadWrite):
 * retried, so the breaker opens and deliveries queue until an admin fixes it. 429/5xx are retried
 * honouring `Retry-After` (Graph's throttling); another 4xx refuses this message (dead at once).
 */
function graphFailure(method: string, path: string, res: Response, text: string): AttemptOutcome & { outcome: 'failed' } {
  const detail = graphErrorDetail(text);
  const where = `${method} ${path.split('?')[0]!.replace(/\/users\/[^/]+/, '/users/{mailbox}').replace(/\/events\/[^/]+/, '/events/{id}').replace(/\/onlineMeetings\/[^/]+/, '/onlineMeetings/{id}').replace(/\/attendanceReports\/[^/]+/, '/attendanceReports/{id}')}`;
  return vendorFailure('Microsoft Graph', 'access', where, res, detail);
}

const userPath = (mailbox: string) => `/users/${encodeURIComponent(mailbox)}`;

/** One calendar delivery: create the meeting's event, move it, or cancel it. */
export async function deliverToGraph(db: Db, p: CalendarDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  const connector = await getConnector(db, p.connectorId);
  if (!connector) return { outcome: 'failed', permanent: true, error: 'the connector no longer exists' };
  try {
    const graph = graphClient(connector, policy.requestTimeoutSeconds);
    const meeting = await meetingForCalendar(db, p.meetingId);
    if (!meeting) return { outcome: 'failed', permanent: true, error: `meeting ${p.meetingId} no longer exists` };
    const events = `${userPath(p.mailbox)}/events`;
    if (p.op === 'event.create') {
      if (await findLink(db, connector.id, 'event', p.meetingId)) return { outcome: 'delivered' };
      // Graph answers a create whose transactionId it has seen with the event it already created: a lost answer creates nothing new.
      const created = await graph.call('POST', events, eventForMeeting({
        connectorId: connector.id, meetingId: meeting.id, kind: meeting.kind, clientName: meeting.clientName, startsAt: meeting.startsAt, endsAt: meeting.endsAt, mode: meeting.mode, invitees: meeting.invitees,
        online: graph.settings.onlineMeetings,
      })) as { id: string };
      await saveLink(db, connector.id, 'event', p.meetingId, created.id);
      return { outcome: 'delivered', status: 201 };
    }
    const eventId = await findLink(db, connector.id, 'event', p.meetingId);
    // The create has not landed yet (its delivery is retrying): wait for it, without blaming the connector.
    if (!eventId) return { outcome: 'failed', error: 'the meeting\'s event is not created yet', messageFault: true };
    if (p.op === 'event.move') {
      // The meeting's time now, not the event's: two moves delivered out of order still end at the right time.
      await graph.call('PATCH', `${events}/${encodeURIComponent(eventId)}`, moveEventPatch(meeting.startsAt, meeting.endsAt));
      return { outcome: 'delivered', status: 200 };
    }
    try {
      await graph.call('POST', `${events}/${encodeURIComponent(eventId)}/cancel`, cancelEventBody(p.reason ?? 'the meeting was cancelled'));
    } catch (err) {
      // Already gone from the organiser's calendar (cancelled or deleted there): nothing left to cancel.
      if (err instanceof VendorError && err.outcome.status === 404) return { outcome: 'delivered', status: 404 };
      throw err;
    }
    return { outcome: 'delivered', status: 202 };
  } catch (err) {
    if (err instanceof VendorError) return err.outcome;
    throw err;
  }
}

/** Reads an event back (UTC times); undefined when it no longer exists. */
export async function fetchGraphEvent(connector: ConnectorRow, mailbox: string, eventId: string, timeoutSeconds: number): Promise<GraphEvent | undefined> {
  try {
    return await graphClient(connector, timeoutSeconds).call('GET', `${userPath(mailbox)}/events/${encodeURIComponent(eventId)}?$select=id,isCancelled,start,end`, undefined, { prefer: 'outlook.timezone="UTC"' }) as GraphEvent;
  } catch (err) {
    if (err instanceof VendorError && err.outcome.status === 404) return undefined;
    throw err;
  }
}

export interface SubscriptionSync {
  /** false: the connector is gone, inactive or not subscribing; the workflow ends. */
  active: boolean;
  /** When to run again (the earliest renewal), ms since the epoch. */
  nextAt: number;
  created: number;
  renewed: number;
  errors: string[];
  /** With Teams meetings on: what the attendance check found this round. */
  attendance?: AttendanceCheck;
}

/**
 * The connector's round (workflows/msgraph-subscriptions.ts). Its subscriptions, brought up to
 * date: one per mapped mailbox on its events, created where missing (Graph validates the
 * notificationUrl first), renewed when within the renewal margin of expiry (recreated when Graph no
 * longer knows it), removed for mailboxes no longer mapped. With `onlineMeetings` on, then the
 * Teams attendance of the meetings that have ended (`checkAttendance`), and the next round comes at
 * the latest `attendanceEveryMinutes` later.
 */
export function msgraphActivities({ db }: { db: Db }) {
  return {
    async syncMsgraphSubscriptions(connectorId: string): Promise<SubscriptionSync> {
      const connector = await getConnector(db, connectorId);
      const stored = await activePolicy(db);
      const policy = policySchema().shape.integrations.parse((stored.document as { integrations?: unknown }).integrations ?? {});
      const retryMs = Math.max(5_000, Math.min(policy.msgraphRenewalMarginMinutes * 60_000 / 4, 15 * 60_000));
      if (!connector || connector.type !== 'msgraph') return { active: false, nextAt: Date.now(), created: 0, renewed: 0, errors: [] };
      if (!connector.active) return { ...(await unsubscribeAll(db, connector, policy.requestTimeoutSeconds)), active: false, nextAt: Date.now() };
      const out: SubscriptionSync = { active: true, nextAt: Number.POSITIVE_INFINITY, created: 0, renewed: 0, errors: [] };
      let graph: GraphClient;
      try {
        graph = graphClient(connector, policy.requestTimeoutSeconds);
      } catch (err) {
        return { ...out, nextAt: Date.now() + retryMs, errors: [(err as Error).message] };
      }
      if (!graph.settings.subscribe && !graph.settings.onlineMeetings) return { ...out, ...(await unsubscribeAll(db, connector, policy.requestTimeoutSeconds)), active: false };
      if (graph.settings.subscribe) await syncSubscriptions(db, connector, graph, policy, retryMs, out);
      else out.errors.push(...(await unsubscribeAll(db, connector, policy.requestTimeoutSeconds)).errors);
      if (!Number.isFinite(out.nextAt)) out.nextAt = Date.now() + Math.min(policy.msgraphSubscriptionMinutes * 60_000, 24 * 3_600_000);
      if (out.errors.length) {
        // Shown on the connector's status (its breaker row carries the last error), like a failed delivery.
        await recordConnectorError(db, connector.id, `subscription: ${out.errors[0]!}`);
      }
      if (graph.settings.onlineMeetings) {
        // After the policy's not-marked-held grace the cadence refuses a held report (§2.5, A-13): no point looking longer.
        const { graceHours } = policySchema().shape.missedCadence.parse((stored.document as { missedCadence?: unknown }).missedCadence ?? {});
        const attendance = await checkAttendance(db, connector, graph, graceHours);
        out.attendance = attendance;
        out.nextAt = Math.min(out.nextAt, attendance.nextAt);
        if (attendance.errors.length && !out.errors.length) await recordConnectorError(db, connector.id, `attendance: ${attendance.errors[0]!}`);
      }
      return out;
    },
  };
}

/** The connector's subscriptions brought up to date (one per mapped mailbox); failures and the next renewal go into `out`. */
async function syncSubscriptions(db: Db, connector: ConnectorRow, graph: GraphClient, policy: { msgraphSubscriptionMinutes: number; msgraphRenewalMarginMinutes: number }, retryMs: number, out: SubscriptionSync): Promise<void> {
  const clientState = clientStateFor(connector.id, integrationKey());
  const notificationUrl = `${graph.settings.notificationBaseUrl.replace(/\/+$/, '')}/inbound/msgraph/${connector.id}`;
  const mailboxes = new Set(connector.mappings.people.flatMap((p) => (p.member ? [p.member] : [])));
  const existing = await listMsgraphSubscriptions(db, connector.id);
  const now = () => new Date().toISOString();
  for (const s of existing) if (!mailboxes.has(s.mailbox)) {
    await graph.call('DELETE', `/subscriptions/${encodeURIComponent(s.subscriptionId)}`).catch(() => undefined);
    await dropMsgraphSubscription(db, connector.id, s.mailbox);
  }
  for (const mailbox of mailboxes) {
    const current = existing.find((s) => s.mailbox === mailbox);
    try {
      if (current && !needsRenewal(current.expiresAt, Date.now(), policy)) {
        out.nextAt = Math.min(out.nextAt, renewAt(current.expiresAt, policy));
        continue;
      }
      const expirationDateTime = subscriptionExpiry(Date.now(), policy);
      let answer: { id: string; expirationDateTime: string } | undefined;
      if (current) {
        try {
          answer = await graph.call('PATCH', `/subscriptions/${encodeURIComponent(current.subscriptionId)}`, { expirationDateTime }) as { id: string; expirationDateTime: string };
          out.renewed++;
        } catch (err) {
          if (!(err instanceof VendorError && err.outcome.status === 404)) throw err; // expired or deleted at Graph: subscribe again below
        }
      }
      if (!answer) {
        answer = await graph.call('POST', '/subscriptions', {
          changeType: 'updated,deleted', notificationUrl, resource: `/users/${mailbox}/events`, expirationDateTime, clientState, latestSupportedTlsVersion: 'v1_2',
        }) as { id: string; expirationDateTime: string };
        out.created++;
      }
      await saveMsgraphSubscription(db, { connectorId: connector.id, mailbox, subscriptionId: answer.id, expiresAt: new Date(answer.expirationDateTime).toISOString() }, now());
      out.nextAt = Math.min(out.nextAt, renewAt(answer.expirationDateTime, policy));
    } catch (err) {
      out.errors.push(`${mailbox}: ${(err as Error).message}`.slice(0, 300));
      out.nextAt = Math.min(out.nextAt, Date.now() + retryMs);
    }
  }
}

/** A deactivated (or no longer subscribing) connector: its subscriptions are deleted at Graph (best effort; they expire anyway) and forgotten. */
async function unsubscribeAll(db: Db, connector: ConnectorRow, timeoutSeconds: number): Promise<Pick<SubscriptionSync, 'created' | 'renewed' | 'errors'>> {
  const errors: string[] = [];
  let graph: GraphClient | undefined;
  try {
    graph = graphClient(connector, timeoutSeconds);
  } catch (err) {
    errors.push((err as Error).message);
  }
  for (const s of await listMsgraphSubscriptions(db, connector.id)) {
    await graph?.call('DELETE', `/subscriptions/${encodeURIComponent(s.subscriptionId)}`).catch((err: Error) => errors.push(`${s.mailbox}: ${err.message}`.slice(0, 300)));
    await dropMsgraphSubscription(db, connector.id, s.mailbox);
  }
  return { created: 0, renewed: 0, errors };
}

async function recordConnectorError(db: Db, connectorId: string, error: string) {
  await db.insert(connectorBreakers).values({ connector: connectorKey(connectorId), lastError: error.slice(0, 500) })
    .onConflictDoUpdate({ target: connectorBreakers.connector, set: { lastError: error.slice(0, 500), updatedAt: new Date().toISOString() } });
}

// ---------------------------------------------------------------------------------------------
// Teams attendance → held

export interface AttendanceCheck {
  /** The next round: `attendanceEveryMinutes` from now (a meeting booked or moved meanwhile is seen then). */
  nextAt: number;
  /** Per meeting looked at: the outcome (`meetingHeld`, `refused: …`, `pending: …`, `no-report: …`, `not-online`). */
  outcomes: { meetingId: string; outcome: string }[];
  errors: string[];
}

/**
 * Every booked meeting of this connector that ended between `attendanceAfterMinutes` and
 * `attendanceForHours` ago (at most the policy's `missedCadence.graceHours`, §2.5/A-13) and is still scheduled in Baton: its Teams attendance report read and
 * judged (domain/msgraph.ts `attendanceVerdict`). A failure leaves the meeting for the next round.
 */
async function checkAttendance(db: Db, connector: ConnectorRow, graph: GraphClient, graceHours: number): Promise<AttendanceCheck> {
  const s = { ...graph.settings, attendanceForHours: Math.min(graph.settings.attendanceForHours, graceHours) };
  const now = Date.now();
  const out: AttendanceCheck = { nextAt: now + s.attendanceEveryMinutes * 60_000, outcomes: [], errors: [] };
  const due = (await attendanceCandidates(db, connector.id, { from: new Date(now - s.attendanceForHours * 3_600_000).toISOString(), to: new Date(now - s.attendanceAfterMinutes * 60_000).toISOString() }))
    .filter((m) => attendanceWindow(m.endsAt, now, s) === 'check');
  if (!due.length) return out;
  const ctx = Context.current();
  const temporal: TemporalTarget = { client: ctx.client, taskQueue: ctx.info.taskQueue };
  // The activity's own limit is 5 minutes: a slow Graph (every call waiting its timeout) leaves the rest for the next round.
  const budgetEnds = now + 2 * 60_000;
  for (const m of due) {
    if (Date.now() > budgetEnds) break;
    try {
      out.outcomes.push({ meetingId: m.meetingId, outcome: await checkMeetingAttendance(db, connector, graph, temporal, m) });
    } catch (err) {
      out.errors.push(`meeting ${m.meetingId}: ${(err as Error).message}`.slice(0, 300));
    }
  }
  if (out.outcomes.length || out.errors.length) ctx.log.info('Teams attendance checked', { connectorId: connector.id, outcomes: out.outcomes.length, errors: out.errors.length });
  return out;
}

async function checkMeetingAttendance(db: Db, connector: ConnectorRow, graph: GraphClient, temporal: TemporalTarget, m: { meetingId: string; startsAt: string; endsAt: string; eventId: string; mailbox: string }): Promise<string> {
  const user = userPath(m.mailbox);
  let event: GraphOnlineEvent | undefined;
  try {
    event = await graph.call('GET', `${user}/events/${encodeURIComponent(m.eventId)}?$select=isOnlineMeeting,onlineMeeting`) as GraphOnlineEvent;
  } catch (err) {
    if (!(err instanceof VendorError && err.outcome.status === 404)) throw err;
  }
  const joinUrl = joinUrlOf(event);
  if (!joinUrl) {
    // Booked before Teams meetings were switched on, or the event is gone (its notification cancels the meeting): nothing to read, ever.
    await saveLink(db, connector.id, ATTENDANCE_LINK, m.meetingId, `not-online:${m.meetingId}`);
    return 'not-online';
  }
  const found = await graph.call('GET', onlineMeetingByJoinUrlPath(m.mailbox, joinUrl)) as { value?: { id: string }[] };
  const onlineMeetingId = found.value?.[0]?.id;
  if (!onlineMeetingId) return 'pending: no online meeting for the join URL yet';
  const meetingPath = `${user}/onlineMeetings/${encodeURIComponent(onlineMeetingId)}`;
  const listed = await graph.call('GET', `${meetingPath}/attendanceReports`) as { value?: AttendanceReport[] };
  const sessions = sessionReports(listed.value ?? [], m, graph.settings.attendanceForHours);
  if (!sessions.length) return 'pending: no attendance report yet';
  const meeting = await meetingForCalendar(db, m.meetingId);
  if (!meeting) return 'not-a-baton-event';
  const ctx = { organiser: m.mailbox, invitees: meeting.invitees };
  let why = '';
  for (const report of sessions) {
    const records = await allPages<AttendanceRecord>(graph, `${meetingPath}/attendanceReports/${encodeURIComponent(report.id)}/attendanceRecords`);
    const verdict = attendanceVerdict(report, records, ctx);
    if (verdict.report === 'none') {
      why = verdict.why;
      continue;
    }
    const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `Microsoft 365: ${connector.name}` };
    const key = attendanceReportKey(connector.id, report.id);
    // The key is the attendance report's: a second look at the same report (a crash before the mark below) is one report (C-6).
    const outcome = await reportVendorMeeting({ db, temporal }, {
      connectorId: connector.id, actor, linkKind: 'event', vendorId: m.eventId, meetingId: m.meetingId, at: new Date().toISOString(), idempotencyKey: key, bodyHash: key,
      report: { report: 'held', heldAt: verdict.heldAt, endedAt: verdict.endedAt, by: verdict.by },
    });
    await saveLink(db, connector.id, ATTENDANCE_LINK, m.meetingId, report.id);
    return outcome;
  }
  // Only the organiser's side joined: no report (the cadence's not-marked-held rule, or a no-show through the API, decides).
  await saveLink(db, connector.id, ATTENDANCE_LINK, m.meetingId, sessions.at(-1)!.id);
  return `no-report: ${why}`;
}

/** Every page of a Graph collection, following `@odata.nextLink` only below the connector's API root (the token goes nowhere else). */
async function allPages<T>(graph: GraphClient, path: string, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = path;
  for (let page = 0; next && page < maxPages; page++) {
    const body = await graph.call('GET', next) as { value?: T[]; '@odata.nextLink'?: string };
    out.push(...(body.value ?? []));
    const link = body['@odata.nextLink'];
    if (link && !link.startsWith(`${graph.base}/`)) throw new Error('Microsoft Graph answered a next page outside the connector\'s API root; not followed');
    next = link ? link.slice(graph.base.length) : undefined;
  }
  return out;
}

export type MsgraphActivities = ReturnType<typeof msgraphActivities>;
