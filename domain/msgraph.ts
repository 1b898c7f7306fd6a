/**
 * Microsoft Graph calendar (issue 15), pure: how a booked meeting becomes an event on its
 * Accountable's calendar, how a change notification is checked and identified, what a changed
 * event means for Baton's meeting, and when a subscription is renewed. No I/O here: the calls are
 * in activities/msgraph.ts, the receiver in api/routes/msgraph-inbound.ts.
 *
 * Built from Microsoft's public Graph documentation (cited in docs/integrations.md): client
 * credentials against `<authority>/<tenant>/oauth2/v2.0/token` with scope
 * `https://graph.microsoft.com/.default`; `POST /users/{id}/events` whose `transactionId` makes a
 * retried create answer the same event; `PATCH /users/{id}/events/{id}`; `POST …/cancel`;
 * `POST /subscriptions` (Outlook events: at most 10 080 minutes) and `PATCH /subscriptions/{id}`;
 * change notifications `{value: [{subscriptionId, clientState, changeType, resource, resourceData}]}`
 * and the `validationToken` handshake; errors `{error: {code, message}}`; 429 with `Retry-After`.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { sameSecret } from './same-secret.js';
import { z } from 'zod';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
/** Graph's limit for a subscription on Outlook events (minutes). */
export const MAX_EVENT_SUBSCRIPTION_MINUTES = 10_080;

/** Non-secret settings of a Microsoft Graph connector. */
export const msGraphSettings = z.strictObject({
  authorityUrl: z.string().max(500).url().default(DEFAULT_AUTHORITY).describe('The Microsoft identity platform authority (national clouds differ)'),
  notificationBaseUrl: z.string().max(500).url().describe('Where Microsoft Graph reaches Baton: change notifications go to `<notificationBaseUrl><inboundPath>` (HTTPS in production)'),
  subscribe: z.boolean().default(true).describe('Subscribe to change notifications on each mapped mailbox\'s events'),
  onlineMeetings: z.boolean().default(false).describe('Book meetings as Teams meetings and report them held from their attendance reports'),
  attendanceAfterMinutes: z.number().min(0).max(1440).default(10).describe('First look for a Teams meeting\'s attendance report this long after its scheduled end'),
  attendanceEveryMinutes: z.number().min(0.05).max(1440).default(15).describe('Look again this often while no report has appeared'),
  attendanceForHours: z.number().min(0.01).max(168).default(2).describe('Give up this long after the scheduled end; never later than the policy\'s missedCadence.graceHours (§2.5, A-13), after which a held report is refused'),
});
export type MsGraphSettings = z.infer<typeof msGraphSettings>;

/** The secret part, sealed at rest: the Entra ID app registration's client credentials. */
export const msGraphCredentials = z.strictObject({
  tenantId: z.string().min(1).max(100).describe('The directory (tenant) id or a verified domain'),
  clientId: z.string().min(1).max(100).describe('The application (client) id'),
  clientSecret: z.string().min(1).max(500),
});
export type MsGraphCredentials = z.infer<typeof msGraphCredentials>;

export const tokenUrl = (authorityUrl: string, tenantId: string) => `${authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;

/** The `application/x-www-form-urlencoded` body of the client-credentials grant. */
export const tokenRequestBody = (c: MsGraphCredentials) => new URLSearchParams({ client_id: c.clientId, client_secret: c.clientSecret, scope: GRAPH_SCOPE, grant_type: 'client_credentials' }).toString();

/** A token is used until this long before it expires (clock skew, a slow call). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
export const tokenUsableUntil = (obtainedAtMs: number, expiresInSeconds: number) => obtainedAtMs + Math.max(0, expiresInSeconds * 1000 - TOKEN_REFRESH_MARGIN_MS);

/** A stable GUID from a key (for `transactionId`: the same meeting is the same create on every attempt). */
export function stableGuid(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
/** The event's `transactionId`: Graph answers a repeated create with this id with the event it already created. */
export const transactionIdFor = (connectorId: string, meetingId: string) => stableGuid(`baton/msgraph/${connectorId}/meeting/${meetingId}`);

/** Graph `dateTimeTimeZone` in UTC (`2026-12-11T10:00:00.0000000`, `UTC`). */
export const graphDateTime = (iso: string) => ({ dateTime: `${new Date(iso).toISOString().slice(0, 19)}.0000000`, timeZone: 'UTC' });

/** A Graph `dateTimeTimeZone` read back in UTC (Baton asks for `Prefer: outlook.timezone="UTC"`) → ISO instant. */
export function fromGraphDateTime(d: { dateTime?: unknown; timeZone?: unknown } | undefined): string | undefined {
  if (!d || typeof d.dateTime !== 'string') return undefined;
  if (d.timeZone !== undefined && d.timeZone !== 'UTC' && d.timeZone !== 'Etc/UTC') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(d.dateTime) ? d.dateTime : `${d.dateTime}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export interface MeetingEventInput {
  connectorId: string;
  meetingId: string;
  kind: string;
  clientName: string;
  startsAt: string;
  endsAt: string;
  mode: string;
  /** The client's stakeholders invited who have an email address. */
  invitees: { name: string; email: string; required: boolean }[];
  /** A Teams meeting (`isOnlineMeeting`, provider `teamsForBusiness`): Graph adds the join URL to the event. */
  online?: boolean;
}

/** POST /users/{mailbox}/events body for a booked meeting. */
export function eventForMeeting(m: MeetingEventInput) {
  return {
    subject: `${m.kind}: ${m.clientName}`.slice(0, 255),
    body: { contentType: 'text', content: `${m.kind} with ${m.clientName}, booked by Baton (${m.mode}).\nBaton meeting id: ${m.meetingId}` },
    start: graphDateTime(m.startsAt),
    end: graphDateTime(m.endsAt),
    attendees: m.invitees.map((i) => ({ emailAddress: { address: i.email, name: i.name }, type: i.required ? 'required' : 'optional' })),
    allowNewTimeProposals: true,
    ...(m.online ? { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' } : {}),
    transactionId: transactionIdFor(m.connectorId, m.meetingId),
  };
}

/** PATCH /users/{mailbox}/events/{id} body for a moved meeting. */
export const moveEventPatch = (startsAt: string, endsAt: string) => ({ start: graphDateTime(startsAt), end: graphDateTime(endsAt) });

/** POST /users/{mailbox}/events/{id}/cancel body (the organiser's message to the attendees). */
export const cancelEventBody = (reason: string) => ({ comment: `Cancelled in Baton: ${reason}`.slice(0, 1000) });

/** Graph's error body `{error: {code, message}}` → one line (never the request: its headers hold the token). */
export function graphErrorDetail(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const parts = [b.error?.code, b.error?.message].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (parts.length) return parts.join(': ');
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200);
}

// ---------------------------------------------------------------------------------------------
// Change notifications

/** One change notification (resource data not requested: Baton fetches the event). */
export const changeNotification = z.object({
  subscriptionId: z.string().max(200),
  clientState: z.string().max(255).optional().nullable(),
  changeType: z.string().max(50),
  resource: z.string().max(1000),
  subscriptionExpirationDateTime: z.string().max(60).optional(),
  tenantId: z.string().max(100).optional(),
  lifecycleEvent: z.string().max(100).optional(),
  resourceData: z.object({ id: z.string().max(500).optional(), '@odata.etag': z.string().max(500).optional() }).loose().optional(),
}).loose();
export type ChangeNotification = z.infer<typeof changeNotification>;
export const notificationBatch = z.object({ value: z.array(changeNotification).max(1000) }).loose();

/**
 * The subscription's `clientState` (≤ 128 characters per Graph): an HMAC of the connector id under
 * a key derived from the integration key, so it is never stored and a forger cannot compute it.
 */
export function clientStateFor(connectorId: string, integrationKey: Buffer): string {
  const k = Buffer.from(hkdfSync('sha256', integrationKey, Buffer.alloc(0), 'baton/msgraph/clientState', 32));
  return createHmac('sha256', k).update(connectorId).digest('base64url');
}

export function clientStateMatches(given: string | null | undefined, expected: string): boolean {
  return sameSecret(given, expected);
}

/**
 * A notification's identity for de-duplication. Graph sends no notification id; a redelivery is
 * the same subscription, change, resource and etag (a new change of the event has a new etag).
 */
export function notificationKey(n: ChangeNotification): string {
  const etag = n.resourceData?.['@odata.etag'] ?? '';
  return `sha256:${createHash('sha256').update([n.subscriptionId, n.changeType, n.resource, n.resourceData?.id ?? '', etag, n.lifecycleEvent ?? ''].join('\n')).digest('hex')}`;
}

/** The event id a notification names (`resourceData.id`, else the last segment of `resource`). */
export function notifiedEventId(n: ChangeNotification): string | undefined {
  if (n.resourceData?.id) return n.resourceData.id;
  const m = /events(?:\('([^']+)'\)|\/([^/]+))$/i.exec(n.resource);
  return m?.[1] ?? m?.[2];
}

/** The event as Baton reads it back (`GET /users/{mailbox}/events/{id}`). */
export interface GraphEvent { id: string; isCancelled?: boolean; start?: { dateTime?: string; timeZone?: string }; end?: { dateTime?: string; timeZone?: string } }

export type EventReport =
  | { report: 'cancelled'; note: string }
  | { report: 'moved'; startsAt: string; endsAt: string }
  | { report: 'none'; why: string };

/**
 * A changed event → the meeting report the API offers. The organiser cancelled or deleted it →
 * meeting cancelled (§2.5 decides whether it is a miss by the notice); it now starts or ends at
 * another instant → meeting rescheduled. Only a meeting still booked in Baton is reported on: a
 * change Baton itself made (its own move or cancel, echoed back) matches Baton already.
 */
export function eventReport(event: GraphEvent | undefined, meeting: { state: string; startsAt: string; endsAt: string }): EventReport {
  if (meeting.state !== 'scheduled') return { report: 'none', why: `the meeting is ${meeting.state} in Baton` };
  if (!event) return { report: 'cancelled', note: 'the event was deleted from the organiser\'s calendar' };
  if (event.isCancelled) return { report: 'cancelled', note: 'the organiser cancelled the event in Outlook' };
  const startsAt = fromGraphDateTime(event.start);
  const endsAt = fromGraphDateTime(event.end);
  if (!startsAt || !endsAt) return { report: 'none', why: 'the event\'s times could not be read' };
  if (Date.parse(startsAt) === Date.parse(meeting.startsAt) && Date.parse(endsAt) === Date.parse(meeting.endsAt)) return { report: 'none', why: 'the event matches the meeting' };
  return { report: 'moved', startsAt, endsAt };
}

// ---------------------------------------------------------------------------------------------
// Subscription lifecycle

export interface SubscriptionPolicy { msgraphSubscriptionMinutes: number; msgraphRenewalMarginMinutes: number }

/** The `expirationDateTime` to ask for: now + the policy's lifetime, never beyond Graph's limit for events. */
export const subscriptionExpiry = (nowMs: number, p: SubscriptionPolicy) => new Date(nowMs + Math.min(p.msgraphSubscriptionMinutes, MAX_EVENT_SUBSCRIPTION_MINUTES) * 60_000).toISOString();

/** When a subscription expiring at `expiresAt` is renewed. */
export const renewAt = (expiresAt: string, p: SubscriptionPolicy) => Date.parse(expiresAt) - p.msgraphRenewalMarginMinutes * 60_000;

/** Whether a subscription needs renewing now. */
export const needsRenewal = (expiresAt: string, nowMs: number, p: SubscriptionPolicy) => renewAt(expiresAt, p) <= nowMs;

// ---------------------------------------------------------------------------------------------
// Teams attendance → held

/** The event's online-meeting part as read back (`$select=isOnlineMeeting,onlineMeeting`). */
export interface GraphOnlineEvent { isOnlineMeeting?: boolean; onlineMeeting?: { joinUrl?: string } | null }

/** The Teams join URL of an event Baton booked, or undefined when it is not an online meeting. */
export const joinUrlOf = (e: GraphOnlineEvent | undefined): string | undefined =>
  e?.isOnlineMeeting && typeof e.onlineMeeting?.joinUrl === 'string' && e.onlineMeeting.joinUrl.length > 0 ? e.onlineMeeting.joinUrl : undefined;

/** `GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'` (a quote in the URL doubled, as OData string literals require). */
export const onlineMeetingByJoinUrlPath = (mailbox: string, joinUrl: string) =>
  `/users/${encodeURIComponent(mailbox)}/onlineMeetings?$filter=${encodeURIComponent(`JoinWebUrl eq '${joinUrl.replace(/'/g, "''")}'`)}`;

/** A meetingAttendanceReport as listed (`…/attendanceReports`): one per session of the meeting, after it ends. */
export interface AttendanceReport { id: string; meetingStartDateTime?: string | null; meetingEndDateTime?: string | null; totalParticipantCount?: number | null }
/** An attendanceRecord (`…/attendanceReports/{id}/attendanceRecords`, paged). */
export interface AttendanceRecord { emailAddress?: string | null; identity?: { displayName?: string | null } | null; role?: string | null; totalAttendanceInSeconds?: number | null }

export type AttendanceWindow = 'wait' | 'check' | 'expired';

/** Where a booked meeting stands for the attendance check: before `end + after` wait, then check, until `end + forHours`. */
export function attendanceWindow(endsAt: string, nowMs: number, s: Pick<MsGraphSettings, 'attendanceAfterMinutes' | 'attendanceForHours'>): AttendanceWindow {
  const end = Date.parse(endsAt);
  if (nowMs < end + s.attendanceAfterMinutes * 60_000) return 'wait';
  return nowMs < end + s.attendanceForHours * 3_600_000 ? 'check' : 'expired';
}

/**
 * The reports of the booked session, earliest first: a report whose session overlaps the booked
 * slot (from an hour before its start until the give-up time). Graph lists up to the 50 most
 * recent; a join link Baton created is this meeting's alone, the window keeps a stray earlier or
 * later session out.
 */
export function sessionReports(reports: AttendanceReport[], booked: { startsAt: string; endsAt: string }, forHours: number): AttendanceReport[] {
  const from = Date.parse(booked.startsAt) - 3_600_000;
  const to = Date.parse(booked.endsAt) + forHours * 3_600_000;
  return reports
    .filter((r) => {
      const start = Date.parse(r.meetingStartDateTime ?? '');
      const end = Date.parse(r.meetingEndDateTime ?? '');
      return Number.isFinite(start) && Number.isFinite(end) && end >= from && start <= to;
    })
    .sort((a, b) => Date.parse(a.meetingStartDateTime!) - Date.parse(b.meetingStartDateTime!));
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * Who attended for the client: an attendee whose email address is one of the meeting's invitees
 * (the client's stakeholders Baton invited), or is at an invitee's domain unless that domain is the
 * organiser's own. The organiser's colleagues, anonymous guests (no email address: anyone with the
 * link) and people who never stayed (0 seconds) do not count.
 */
export function clientAttendees(records: AttendanceRecord[], ctx: { organiser: string; invitees: { email: string }[] }): AttendanceRecord[] {
  const own = domainOf(ctx.organiser);
  const addresses = new Set(ctx.invitees.map((i) => i.email.toLowerCase()));
  const domains = new Set(ctx.invitees.map((i) => domainOf(i.email)).filter((d) => d !== own));
  return records.filter((r) => {
    const email = r.emailAddress?.trim().toLowerCase();
    if (!email || !email.includes('@') || (r.totalAttendanceInSeconds ?? 1) <= 0) return false;
    if (domainOf(email) === own && !addresses.has(email)) return false;
    return addresses.has(email) || domains.has(domainOf(email));
  });
}

export type AttendanceVerdict =
  | { report: 'held'; heldAt: string; endedAt: string; by: string }
  | { report: 'none'; why: string };

/**
 * One session's report → the meeting report: held (at the session's start and end, by the
 * attendees' names) when someone attended for the client, else none — only the organiser's side
 * joined, so the client did not come; that is left to the cadence's 2-hour not-marked-held rule
 * or a no-show reported through the API (a report cannot tell a no-show from a meeting held
 * elsewhere, by phone or in person).
 */
export function attendanceVerdict(report: AttendanceReport, records: AttendanceRecord[], ctx: { organiser: string; invitees: { email: string }[] }): AttendanceVerdict {
  const client = clientAttendees(records, ctx);
  if (client.length === 0) return { report: 'none', why: `only the organiser's side attended (${records.length} attendance records)` };
  const names = [...new Set(records.filter((r) => (r.totalAttendanceInSeconds ?? 1) > 0).map((r) => (r.identity?.displayName?.trim() || r.emailAddress?.trim() || '')).filter(Boolean))];
  let by = '';
  for (const n of names) {
    const next = by ? `${by}, ${n}` : n;
    if (next.length > 200) break;
    by = next;
  }
  return { report: 'held', heldAt: new Date(report.meetingStartDateTime!).toISOString(), endedAt: new Date(report.meetingEndDateTime!).toISOString(), by: by || 'Teams attendance report' };
}

/** The held report's idempotency key: the attendance report's identity, so a second check of the same report is one report (C-6). */
export const attendanceReportKey = (connectorId: string, reportId: string) => `msgraph/${connectorId}/attendance/${createHash('sha256').update(reportId).digest('hex').slice(0, 40)}`;
