/**
 * HaloPSA (issue 15), pure: how the connector authenticates (OAuth2 client credentials), how a CTA
 * becomes a HaloPSA ticket, how a HaloPSA webhook is authenticated and becomes a Baton report. No
 * I/O here: the HTTP calls are in activities/halopsa.ts, the receiver in api/routes/halopsa.ts.
 *
 * Built from HaloPSA's public API documentation (cited in docs/integrations.md): the Authorisation
 * Server's `POST <auth server>/auth/token` (form-encoded `grant_type=client_credentials`,
 * `client_id`, `client_secret`, `scope=all`, `?tenant=` for hosted instances) answering
 * `{access_token, token_type: "Bearer", expires_in}`; the Resource Server's `/api/Tickets` (POST an
 * array of tickets to create or, with an `id`, update; GET with `search`, `client_id`, `pageinate`,
 * `page_size`, `page_no` answering `{record_count, tickets}`); and outbound webhooks ("ticket and
 * action objects where applicable", authenticated with Basic credentials or a header).
 */
import { createHash } from 'node:crypto';
import { sameSecret } from './same-secret.js';
import { z } from 'zod';

/** Non-secret settings of a HaloPSA connector. */
export const haloPsaSettings = z.strictObject({
  authServer: z.string().max(500).url().optional()
    .describe('The Authorisation Server when it is not the instance itself (HaloPSA: Configuration > Integrations > HaloPSA API); the token endpoint is `<authServer>/auth/token`'),
  tenant: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/).optional().describe('The tenant name of a HaloPSA-hosted instance (sent as `?tenant=` to the token endpoint)'),
  scope: z.string().min(1).max(200).default('all').describe('The API scope requested (HaloPSA: `all`)'),
  ticketTypeId: z.number().int().positive().max(2_147_483_647).optional().describe('The ticket type new tickets get (HaloPSA\'s default when absent)'),
  newStatusId: z.number().int().positive().max(2_147_483_647).default(1).describe('The status a ticket opens in (HaloPSA default: 1 New); a ticket that leaves it (not closed) counts as the CTA\'s first action (C-5)'),
  closedStatusId: z.number().int().positive().max(2_147_483_647).default(9).describe('The status Baton sets when the CTA is done, and the one that means the ticket is closed (HaloPSA default: 9 Closed)'),
  noShowCompleteStatusId: z.number().int().positive().max(2_147_483_647).optional()
    .describe('The appointment completion status (`complete_status`) your HaloPSA uses for "did not attend": an appointment completed with it is the meeting\'s no-show, not held. HaloPSA ships none; absent, every completion is "held"'),
  cancelledAppointmentStatusId: z.number().int().positive().max(2_147_483_647).optional()
    .describe('The appointment status (`appointment_status`) your HaloPSA uses for a cancelled appointment that is kept rather than deleted; absent, only a deleted appointment cancels the meeting'),
});
export type HaloPsaSettings = z.infer<typeof haloPsaSettings>;

/** How HaloPSA's webhook authenticates to Baton: Basic credentials, or a secret header (both set on the HaloPSA webhook). */
export const haloWebhookAuth = z.union([
  z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(12).max(500) }),
  z.strictObject({ header: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/).refine((h) => !['authorization', 'content-type', 'content-length', 'host'].includes(h.toLowerCase()), 'choose a header of your own'), secret: z.string().min(16).max(500) }),
]);
export type HaloWebhookAuth = z.infer<typeof haloWebhookAuth>;

/** The secret part, sealed at rest: the API application's client id and secret, and the webhook's credentials. */
export const haloPsaCredentials = z.strictObject({
  clientId: z.string().min(1).max(200).describe('The API application\'s Client ID (authentication method "Client ID and Secret (Services)")'),
  clientSecret: z.string().min(1).max(500),
  webhook: haloWebhookAuth.describe('What HaloPSA\'s webhook sends: Basic `username`/`password`, or the header `header` carrying `secret`'),
});
export type HaloPsaCredentials = z.infer<typeof haloPsaCredentials>;

/** The instance's API root (`<baseUrl>/api`) and token endpoint (`<authServer or baseUrl>/auth/token[?tenant=]`). */
export function haloEndpoints(baseUrl: string, s: Pick<HaloPsaSettings, 'authServer' | 'tenant'>): { api: string; token: string } {
  const root = (u: string) => u.replace(/\/+$/, '').replace(/\/(api|auth)$/i, '');
  const token = `${root(s.authServer ?? baseUrl)}/auth/token${s.tenant ? `?tenant=${encodeURIComponent(s.tenant)}` : ''}`;
  return { api: `${root(baseUrl)}/api`, token };
}

/** The OAuth2 client-credentials request body (RFC 6749 §4.4, form-encoded as HaloPSA's docs show). */
export function tokenRequestBody(c: Pick<HaloPsaCredentials, 'clientId' | 'clientSecret'>, s: Pick<HaloPsaSettings, 'scope'>): string {
  return new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: s.scope }).toString();
}

/**
 * Until when a token is used: `expires_in` less a margin (a tenth of its life, at most 60 s), so a
 * call never leaves with a token about to lapse; a 401 before that still refreshes it once.
 */
export function tokenUsableUntil(issuedAtMs: number, expiresInSeconds: number): number {
  const life = Math.max(0, expiresInSeconds) * 1000;
  return issuedAtMs + life - Math.min(60_000, life / 10);
}

/**
 * The marker a Baton ticket carries in its `details`: HaloPSA has no idempotency key and no
 * external-reference field the ticket list filters on, so Baton looks a ticket up with the list's
 * documented keyword `search` (narrowed to the client) before creating one, and keeps only tickets
 * whose details carry the exact marker (a CTA id is a UUID: no other ticket carries it).
 */
export const ticketMarker = (ctaId: string) => `baton:cta:${ctaId}`;

export interface HaloTicketInput {
  ctaId: string;
  title: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  haloClientId: number;
  /** The owner's HaloPSA agent id, when the person is mapped. */
  agentId?: number;
}

/** One ticket of the `POST /api/Tickets` array for a CTA. */
export function ticketForCta(t: HaloTicketInput, s: HaloPsaSettings) {
  const summary = t.title.length > 250 ? `${t.title.slice(0, 249)}…` : t.title;
  return {
    summary,
    details: `Baton CTA for ${t.clientName}: ${t.title}\nFirst action due: ${t.firstActionDueAt} (C-5)\nDue: ${t.dueAt}\nBaton reference: ${ticketMarker(t.ctaId)}`,
    client_id: t.haloClientId,
    status_id: s.newStatusId,
    deadlinedate: t.dueAt,
    ...(s.ticketTypeId ? { tickettype_id: s.ticketTypeId } : {}),
    ...(t.agentId ? { agent_id: t.agentId } : {}),
  };
}

/** `POST /api/Tickets` body that closes the ticket (an update: the array item carries its id). */
export const closeTicketBody = (ticketId: number, s: HaloPsaSettings) => [{ id: ticketId, status_id: s.closedStatusId }];

/** `POST /api/Tickets` body that gives the ticket to another agent (the CTA changed hands, R-122). */
export const assignTicketBody = (ticketId: number, agentId: number) => [{ id: ticketId, agent_id: agentId }];

/** The tickets of a `GET /api/Tickets?search=` answer that carry the marker (a hit without details is the search's own match). */
export function markedTickets(tickets: { id: number; details?: string | null; summary?: string | null }[], marker: string): { id: number }[] {
  return tickets.filter((t) => (t.details == null && t.summary == null) || (t.details ?? '').includes(marker) || (t.summary ?? '').includes(marker));
}

/** The marker a Baton appointment carries in its `note` (looked up the same way as a ticket's). */
export const appointmentMarker = (meetingId: string) => `baton:meeting:${meetingId}`;

export interface HaloAppointmentInput {
  meetingId: string;
  kind: string;
  clientName: string;
  startsAt: string;
  endsAt: string;
  haloClientId: number;
  agentId?: number;
}

/** One appointment of the `POST /api/Appointment` array for a booked meeting. */
export function appointmentForMeeting(m: HaloAppointmentInput) {
  const subject = `${m.kind} with ${m.clientName}`;
  return {
    subject: subject.length > 250 ? `${subject.slice(0, 249)}…` : subject,
    start_date: new Date(m.startsAt).toISOString(),
    end_date: new Date(m.endsAt).toISOString(),
    client_id: m.haloClientId,
    ...(m.agentId ? { agent_id: m.agentId } : {}),
    note: `Baton ${m.kind} meeting with ${m.clientName}.\nBaton reference: ${appointmentMarker(m.meetingId)}`,
  };
}

/** `POST /api/Appointment` body that moves an appointment (an update: the item carries its id). */
export const moveAppointmentBody = (appointmentId: number, startsAt: string, endsAt: string) => [{ id: appointmentId, start_date: new Date(startsAt).toISOString(), end_date: new Date(endsAt).toISOString() }];

/** A HaloPSA agent id as the connector's people mapping holds it (the shared `member` field, digits). */
export const agentIdOf = (member: string | undefined): number | undefined => (member && /^\d{1,10}$/.test(member) ? Number(member) : undefined);

/** One webhook item as HaloPSA posts it: the ticket and action objects where applicable (loose: Baton reads a few fields). */
export const haloWebhookItem = z.object({
  id: z.union([z.string().max(100), z.number()]).optional(),
  event: z.string().max(200).optional(),
  event_name: z.string().max(200).optional(),
  ticket: z.object({
    id: z.number().int(),
    status_id: z.number().int().optional(),
    status_name: z.string().max(200).optional(),
    hasbeenclosed: z.boolean().optional(),
  }).loose().optional(),
  appointment: z.object({
    id: z.number().int(),
    appointment_status: z.number().int().nullable().optional(),
    deleted: z.boolean().nullable().optional(),
    complete_status: z.number().int().optional(),
    complete_date: z.string().max(40).nullable().optional(),
    complete_agent_id: z.number().int().optional(),
    agent_name: z.string().max(200).optional(),
    start_date: z.string().max(40).optional(),
    end_date: z.string().max(40).optional(),
  }).loose().optional(),
  action: z.object({
    id: z.number().int().optional(),
    ticket_id: z.number().int().optional(),
    note: z.string().max(100_000).optional(),
    who: z.string().max(200).optional(),
    who_type: z.number().int().optional(),
  }).loose().optional(),
}).loose();
export type HaloWebhookItem = z.infer<typeof haloWebhookItem>;

/** A delivery: one item, or several when the webhook batches (HaloPSA v2.164+). */
export const haloWebhookPayload = z.union([haloWebhookItem, z.array(haloWebhookItem).min(1).max(500)]);

export type TicketReport =
  | { report: 'complete'; note: string }
  | { report: 'firstAction'; note: string }
  | { report: 'none'; why: string };

/** The ticket an item is about: its `ticket`, or the ticket its `action` belongs to. */
export const ticketIdOf = (i: HaloWebhookItem): number | undefined => i.ticket?.id ?? i.action?.ticket_id;

/** Strips HTML a note may carry (HaloPSA notes are HTML) to decide whether anything was written. */
const plain = (s: string) => s.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * A webhook item → the CTA report the API offers: the ticket closed (its closed status, or
 * `hasbeenclosed`) → CTA completed; a note written on it (an action with text), or the ticket moved
 * out of its opening status → the CTA's first action (C-5); anything else → nothing.
 */
export function webhookReport(i: HaloWebhookItem, s: HaloPsaSettings): TicketReport {
  const id = ticketIdOf(i);
  if (id === undefined) return { report: 'none', why: 'no ticket in the webhook' };
  const status = i.ticket?.status_id;
  const statusLabel = i.ticket?.status_name ?? (status !== undefined ? `status ${status}` : undefined);
  if (status === s.closedStatusId || i.ticket?.hasbeenclosed === true) return { report: 'complete', note: `HaloPSA ticket #${id} closed${statusLabel ? ` (${statusLabel})` : ''}` };
  const note = i.action?.note ? plain(i.action.note) : '';
  if (note) return { report: 'firstAction', note: `HaloPSA ticket #${id}: note by ${i.action?.who ?? 'an agent'}: ${note.slice(0, 200)}` };
  if (status !== undefined && status !== s.newStatusId) return { report: 'firstAction', note: `HaloPSA ticket #${id} moved to ${statusLabel}` };
  return { report: 'none', why: status !== undefined ? `the ticket is still ${statusLabel}` : 'no status or note on the ticket' };
}

/** The Baton meeting an appointment stands for, as it is now (its current times, its state). */
export interface BookedMeeting { state: string; startsAt: string; endsAt: string }

export type AppointmentReport =
  | { report: 'held'; appointmentId: number; heldAt?: string; endedAt?: string; by?: string }
  | { report: 'noShow'; appointmentId: number }
  | { report: 'cancelled'; appointmentId: number; note: string }
  | { report: 'moved'; appointmentId: number; startsAt: string; endsAt: string }
  | { report: 'none'; why: string };

/**
 * A HaloPSA date as an instant. HaloPSA's API speaks UTC; a date without an offset (as the API
 * writes them) is read as UTC, not as the server's local time. Unreadable → undefined.
 */
export function haloInstant(s: string | null | undefined): string | undefined {
  if (!s) return undefined;
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(s) || !/T\d{2}:\d{2}/.test(s) ? s : `${s}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Whether the webhook says the appointment is gone: its `deleted` flag (the list's `includedeleted` shows HaloPSA keeps deleted appointments), or an event named for a delete or a cancel. */
const deletedOrCancelledEvent = (i: HaloWebhookItem) => i.appointment?.deleted === true || /delet|cancel/i.test(`${i.event ?? ''} ${i.event_name ?? ''}`);

/**
 * An appointment item → the cadence's meeting report, judged against the Baton meeting it stands
 * for (as it is now):
 * - deleted (or an event named for a delete/cancel), or the connector's `cancelledAppointmentStatusId`
 *   → **cancelled**;
 * - completed (a `complete_status` other than 0, or a `complete_date`) → **noShow** when the
 *   completion status is the connector's `noShowCompleteStatusId`, else **held** (at the
 *   appointment's times when it carries them);
 * - a `start_date` or `end_date` other than the meeting's current times → **moved** to the
 *   appointment's times (a time it does not carry keeps the meeting's);
 * - otherwise nothing: times equal to the meeting's are Baton's own booking or move echoed back.
 * A move or cancel of a meeting Baton no longer has booked (already cancelled, held or missed) is
 * nothing too: that is Baton's own cancel echoed, or news too late to change anything.
 */
export function appointmentReport(i: HaloWebhookItem, meeting: BookedMeeting, s: Pick<HaloPsaSettings, 'noShowCompleteStatusId' | 'cancelledAppointmentStatusId'> = {}): AppointmentReport {
  const a = i.appointment;
  if (!a) return { report: 'none', why: 'no appointment in the webhook' };
  const booked = meeting.state === 'scheduled';
  const cancelledStatus = s.cancelledAppointmentStatusId !== undefined && a.appointment_status === s.cancelledAppointmentStatusId;
  if (deletedOrCancelledEvent(i) || cancelledStatus) {
    if (!booked) return { report: 'none', why: `the meeting is ${meeting.state} in Baton` };
    return { report: 'cancelled', appointmentId: a.id, note: cancelledStatus ? `HaloPSA appointment #${a.id} set to cancelled (status ${a.appointment_status})` : `HaloPSA appointment #${a.id} deleted` };
  }
  const done = (a.complete_status !== undefined && a.complete_status !== 0) || !!a.complete_date;
  if (done) {
    if (s.noShowCompleteStatusId !== undefined && a.complete_status === s.noShowCompleteStatusId) return { report: 'noShow', appointmentId: a.id };
    const heldAt = haloInstant(a.start_date);
    const endedAt = haloInstant(a.end_date);
    return { report: 'held', appointmentId: a.id, ...(heldAt ? { heldAt } : {}), ...(endedAt ? { endedAt } : {}), ...(a.agent_name ? { by: a.agent_name } : {}) };
  }
  const start = haloInstant(a.start_date);
  const end = haloInstant(a.end_date);
  if (!start && !end) return { report: 'none', why: a.start_date || a.end_date ? 'the appointment\'s times could not be read' : 'the appointment is not completed' };
  if (!booked) return { report: 'none', why: `the meeting is ${meeting.state} in Baton` };
  const startsAt = start ?? new Date(meeting.startsAt).toISOString();
  const endsAt = end ?? new Date(meeting.endsAt).toISOString();
  if (Date.parse(startsAt) === Date.parse(meeting.startsAt) && Date.parse(endsAt) === Date.parse(meeting.endsAt)) return { report: 'none', why: 'the appointment matches the meeting' };
  return { report: 'moved', appointmentId: a.id, startsAt, endsAt };
}

/** An item's identity for de-duplication: HaloPSA's event id when it sends one, else the SHA-256 of the item. */
export function webhookEventKey(i: HaloWebhookItem): string {
  if (i.id !== undefined && String(i.id).length > 0) return `halo:${String(i.id)}`;
  return `sha256:${createHash('sha256').update(JSON.stringify(i)).digest('hex')}`;
}


/** Whether a webhook request carries the connector's webhook credentials (Basic, or its secret header). */
export function webhookAuthenticates(auth: HaloWebhookAuth, header: (name: string) => string | undefined): boolean {
  if ('username' in auth) {
    const given = header('authorization');
    const m = given ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(given) : null;
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    // Both halves are compared, whatever the first gives: no early exit.
    const sep = decoded.indexOf(':');
    const user = sep >= 0 ? decoded.slice(0, sep) : '';
    const pass = sep >= 0 ? decoded.slice(sep + 1) : '';
    const okUser = sameSecret(user, auth.username);
    const okPass = sameSecret(pass, auth.password);
    return !!m && sep >= 0 && okUser && okPass;
  }
  const given = header(auth.header.toLowerCase());
  return sameSecret(given ?? '', auth.secret) && given !== undefined;
}
