/**
 * Autotask PSA (issue 15), pure: how a CTA becomes an Autotask ticket or company to-do, how a
 * webhook callout becomes a Baton report, how a callout's `X-Hook-Signature` is computed, how
 * a polled to-do's completion is recognised, and how a meeting becomes an appointment and a polled
 * appointment's change a meeting report. No I/O here: the HTTP calls are in
 * activities/autotask.ts, the receiver in api/routes/connectors.ts, the poller in
 * workflows/connector-poller.ts.
 *
 * Built from Autotask's public REST API documentation (cited in docs/integrations.md): header
 * authentication (`ApiIntegrationCode`, `UserName`, `Secret`) against the zone's
 * `…/ATServicesRest/V1.0` root; `POST <Entity>/query` with `{filter: [{op, field, value}]}`,
 * answers `{items, pageDetails: {count, requestCount, prevPageUrl, nextPageUrl}}`; creates answer
 * `{itemId}`; updates are `PATCH <Entity>` with the `id` in the body; errors are `{errors: [..]}`;
 * webhook callouts carry `X-Hook-Signature: sha1=<base64 HMAC-SHA1 of the body under the webhook's
 * SecretKey>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { sameSecret } from './same-secret.js';
import { z } from 'zod';

const picklistId = z.number().int().min(0).max(2_147_483_647);

/** Non-secret settings of an Autotask connector. */
export const autotaskSettings = z.strictObject({
  ctaAs: z.enum(['ticket', 'toDo']).default('ticket').describe('What a CTA becomes in Autotask: a service ticket (webhooks report back) or a company to-do (the poller reports back: to-dos have no webhooks)'),
  queueId: picklistId.optional().describe('The service desk queue (picklist value of `queueID`) new tickets go to'),
  priority: picklistId.default(2).describe('The ticket `priority` picklist value (2 = Medium in a default Autotask)'),
  newStatus: picklistId.default(1).describe('The `status` a ticket opens in (1 = New); a ticket that leaves it, not completed, counts as the CTA\'s first action (C-5)'),
  completeStatus: picklistId.default(5).describe('The `status` Baton sets when the CTA is done and that means the ticket is complete (5 = Complete)'),
  toDoActionType: picklistId.default(1).describe('The `actionType` of to-dos Baton creates (a required CompanyToDos picklist field)'),
  toDoResourceId: z.number().int().positive().max(2_147_483_647).optional().describe('The resource a to-do is assigned to when the CTA\'s owner has no mapped resource (CompanyToDos require `assignedToResourceID`)'),
  appointmentResourceId: z.number().int().positive().max(2_147_483_647).optional().describe('The resource whose calendar takes a meeting\'s appointment when the meeting\'s Accountable has no mapped resource (Appointments require `resourceID`)'),
});
export type AutotaskSettings = z.infer<typeof autotaskSettings>;

/** The secret part, sealed at rest: the API user's headers and the SecretKey Baton's webhooks were registered with. */
export const autotaskCredentials = z.strictObject({
  apiIntegrationCode: z.string().min(1).max(100).describe('The API tracking identifier (`ApiIntegrationCode` header)'),
  userName: z.string().min(1).max(200).describe('The API-only user (`UserName` header)'),
  secret: z.string().min(1).max(200).describe('The API user\'s secret (`Secret` header)'),
  webhookSecret: z.string().min(10).max(64).describe('The `SecretKey` of the TicketWebhooks / TicketNoteWebhooks pointing at Baton (10–64 characters): verifies `X-Hook-Signature`'),
});
export type AutotaskCredentials = z.infer<typeof autotaskCredentials>;

/** The three authentication headers of every Autotask REST call. */
export function autotaskHeaders(c: AutotaskCredentials): Record<string, string> {
  return { apiintegrationcode: c.apiIntegrationCode, username: c.userName, secret: c.secret, accept: 'application/json' };
}

/** The REST root under the zone URL (`https://webservices<n>.autotask.net/ATServicesRest` → `…/V1.0`). */
export const autotaskRoot = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '').replace(/\/v1\.0$/i, '')}/V1.0`;

/**
 * Baton's marker on what it creates. Autotask has no idempotency key, so Baton looks for its marker
 * before creating: on a ticket in `externalID` (a queryable string field of 50 characters, meant for
 * another system's id: `baton:cta:<uuid>` is 46); a to-do has no such field, so the marker is a
 * bracketed line in `activityDescription`, found with the `contains` operator.
 */
export const autotaskMarker = (ctaId: string) => `baton:cta:${ctaId}`;

export interface QueryFilter { op: string; field?: string; value?: unknown; items?: QueryFilter[] }
/** `POST <Entity>/query` body finding what carries Baton's marker. */
export function markerQuery(kind: 'ticket' | 'toDo', ctaId: string) {
  const filter: QueryFilter[] = kind === 'ticket'
    ? [{ op: 'eq', field: 'externalID', value: autotaskMarker(ctaId) }]
    : [{ op: 'contains', field: 'activityDescription', value: `[${autotaskMarker(ctaId)}]` }];
  return { MaxRecords: 2, IncludeFields: ['id'], filter };
}

export interface CtaRecordInput {
  ctaId: string;
  title: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  companyId: number;
  /** The owner's Autotask resource and role, when the person is mapped. */
  resource?: { resourceId: number; roleId: number };
}

/** Autotask stores and answers UTC; ISO-8601 without milliseconds. */
export const atDate = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}Z`;

const describe = (t: CtaRecordInput) =>
  `Baton CTA for ${t.clientName}: ${t.title}\nFirst action due: ${atDate(t.firstActionDueAt)} (C-5)\nDue: ${atDate(t.dueAt)}\nBaton CTA id: ${t.ctaId}`;

/** `POST /V1.0/Tickets` body for a CTA (title ≤ 255 characters). */
export function ticketForCta(t: CtaRecordInput, s: AutotaskSettings) {
  return {
    companyID: t.companyId,
    title: t.title.length > 255 ? `${t.title.slice(0, 254)}…` : t.title,
    description: describe(t),
    status: s.newStatus,
    priority: s.priority,
    dueDateTime: atDate(t.dueAt),
    externalID: autotaskMarker(t.ctaId),
    ...(s.queueId !== undefined ? { queueID: s.queueId } : {}),
    ...(t.resource ? { assignedResourceID: t.resource.resourceId, assignedResourceRoleID: t.resource.roleId } : {}),
  };
}

/** `POST /V1.0/Companies/{companyID}/ToDos` body for a CTA: it sits on the owner's calendar from now to the due instant. */
export function toDoForCta(t: CtaRecordInput & { resourceId: number; at: string }, s: AutotaskSettings) {
  return {
    companyID: t.companyId,
    actionType: s.toDoActionType,
    assignedToResourceID: t.resourceId,
    activityDescription: `${describe(t)}\n[${autotaskMarker(t.ctaId)}]`,
    startDateTime: atDate(t.at),
    endDateTime: atDate(t.dueAt),
  };
}

/** `PATCH` bodies: Autotask updates carry the record's id in the body. */
export const closeTicket = (id: number, s: AutotaskSettings) => ({ id, status: s.completeStatus });
export const assignTicket = (id: number, r: { resourceId: number; roleId: number }) => ({ id, assignedResourceID: r.resourceId, assignedResourceRoleID: r.roleId });
export const closeToDo = (id: number, at: string) => ({ id, completedDate: atDate(at) });
export const assignToDo = (id: number, resourceId: number) => ({ id, assignedToResourceID: resourceId });

/** A webhook callout as Autotask posts it (Action, Guid of the webhook, EntityType, Id, Fields, EventTime, SequenceNumber, PersonID). */
export const autotaskCallout = z.object({
  Action: z.string().max(50),
  Guid: z.string().max(100).optional(),
  EntityType: z.string().max(100),
  Id: z.union([z.number(), z.string().max(50)]),
  Fields: z.record(z.string().max(200), z.unknown()).optional(),
  EventTime: z.string().max(60).optional(),
  SequenceNumber: z.union([z.number(), z.string().max(50)]).optional(),
  PersonID: z.union([z.number(), z.string().max(50)]).nullable().optional(),
}).loose();
export type AutotaskCallout = z.infer<typeof autotaskCallout>;

/** A field of the callout, whatever the casing Autotask used for its name. */
export function calloutField(cb: AutotaskCallout, name: string): unknown {
  const fields = cb.Fields ?? {};
  const key = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : fields[key];
}

const asInt = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
};

export type CalloutReport =
  | { report: 'complete'; ticketId: string; note: string }
  | { report: 'firstAction'; ticketId: string; note: string }
  | { report: 'none'; ticketId?: string; why: string };

/**
 * A callout → the CTA report the API offers: a ticket whose status became `completeStatus` → CTA
 * completed; a ticket that left `newStatus` otherwise → the CTA's first action (C-5); a note
 * created on a ticket (TicketNote callout) → the first action too. Deletes and anything else
 * change nothing.
 */
export function calloutReport(cb: AutotaskCallout, s: AutotaskSettings): CalloutReport {
  const entity = cb.EntityType.toLowerCase();
  const action = cb.Action.toLowerCase();
  if (action === 'delete') return { report: 'none', why: `a deleted ${cb.EntityType}` };
  if (entity === 'ticketnote') {
    const ticketId = asInt(calloutField(cb, 'ticketID'));
    if (ticketId === undefined) return { report: 'none', why: 'the note names no ticketID' };
    if (action !== 'create') return { report: 'none', ticketId: String(ticketId), why: 'a note was edited, not added' };
    return { report: 'firstAction', ticketId: String(ticketId), note: `Autotask ticket ${ticketId}: a note was added` };
  }
  if (entity !== 'ticket') return { report: 'none', why: `a ${cb.EntityType} callout` };
  const ticketId = String(cb.Id);
  const status = asInt(calloutField(cb, 'status'));
  if (status === undefined) return { report: 'none', ticketId, why: 'no status in the callout' };
  if (status === s.completeStatus) return { report: 'complete', ticketId, note: `Autotask ticket ${ticketId} completed (status ${status})` };
  if (status !== s.newStatus) return { report: 'firstAction', ticketId, note: `Autotask ticket ${ticketId} moved to status ${status}` };
  return { report: 'none', ticketId, why: `the ticket is still in status ${status}` };
}

/** `X-Hook-Signature` value: `sha1=` and the base64 HMAC-SHA1 of the raw body under the webhook's SecretKey. */
export const hookSignature = (secretKey: string, rawBody: string) => `sha1=${createHmac('sha1', secretKey).update(rawBody).digest('base64')}`;

export function verifyHookSignature(secretKey: string, rawBody: string, header: string | undefined): boolean {
  return sameSecret(header?.trim(), hookSignature(secretKey, rawBody));
}

/**
 * A callout's identity for de-duplication: the webhook's Guid with its SequenceNumber when both
 * are present (Autotask's own numbering of the webhook's callouts), else the SHA-256 of its bytes.
 */
export function calloutEventKey(cb: AutotaskCallout, rawBody: string): string {
  if (cb.Guid && cb.SequenceNumber !== undefined) return `seq:${cb.Guid}:${cb.SequenceNumber}`;
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/** A company to-do as the poller reads it. */
export interface PolledToDo { id: number; completedDate?: string | null; lastModifiedDate?: string | null }

/** The poller's query: to-dos changed since the cursor (inclusive: a replay is de-duplicated) that are completed. */
export function toDoChangesQuery(since: string) {
  return {
    IncludeFields: ['id', 'completedDate', 'lastModifiedDate'],
    filter: [{ op: 'and', items: [{ op: 'gte', field: 'lastModifiedDate', value: since }, { op: 'exist', field: 'completedDate' }] }],
  };
}

/** The next cursor: the latest modification seen (Autotask's clock, not Baton's), never moving back. */
export function nextCursor(cursor: string, seen: PolledToDo[]): string {
  let best = cursor;
  for (const t of seen) if (t.lastModifiedDate && Date.parse(t.lastModifiedDate) > Date.parse(best)) best = new Date(Date.parse(t.lastModifiedDate)).toISOString();
  return best;
}

/** The identity of one completion of a to-do: a to-do re-opened and completed again is a new one. */
export const toDoCompletionKey = (t: PolledToDo) => `todo:${t.id}:completed:${t.completedDate ?? ''}`;

/**
 * `pageDetails.nextPageUrl` is followed only on the connector's own Autotask host: the credentials
 * travel with the call.
 */
export function trustedPageUrl(next: string, baseUrl: string): boolean {
  try {
    return new URL(next).origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Meetings as Appointments (issue 15): REST `Appointments` entity (root entity:
// `POST /V1.0/Appointments`, `PATCH /V1.0/Appointments` with the id in the body,
// `DELETE /V1.0/Appointments/{id}`, `POST /V1.0/Appointments/query`). Fields Baton writes:
// `resourceID` (required), `startDateTime`, `endDateTime` (required), `title` (required, ≤ 256),
// `description` (≤ 8000). Read-only: `id`, `createDateTime`, `creatorResourceID`, `updateDateTime`.
// The entity has no completion, status or attendance field.

/** The marker a Baton appointment carries in its `description` (a bracketed line, found with `contains`). */
export const appointmentMarker = (meetingId: string) => `baton:meeting:${meetingId}`;

/** `POST Appointments/query` body finding the appointment that carries a meeting's marker. */
export function appointmentMarkerQuery(meetingId: string) {
  return { MaxRecords: 2, IncludeFields: ['id'], filter: [{ op: 'contains', field: 'description', value: `[${appointmentMarker(meetingId)}]` }] };
}

export interface AppointmentInput { meetingId: string; kind: string; clientName: string; startsAt: string; endsAt: string; resourceId: number }

/** `POST /V1.0/Appointments` body for a booked meeting (title ≤ 256, description ≤ 8000 characters). */
export function appointmentForMeeting(m: AppointmentInput) {
  const title = `Baton ${m.kind} meeting: ${m.clientName}`;
  return {
    resourceID: m.resourceId,
    startDateTime: atDate(m.startsAt),
    endDateTime: atDate(m.endsAt),
    title: title.length > 256 ? `${title.slice(0, 255)}…` : title,
    description: `Baton ${m.kind} meeting with ${m.clientName.slice(0, 500)}.\nMoving or deleting this appointment in Autotask reports the move or the cancellation to Baton.\n[${appointmentMarker(m.meetingId)}]`,
  };
}

/** `PATCH /V1.0/Appointments` body that moves an appointment to the meeting's times. */
export const moveAppointment = (id: number, startsAt: string, endsAt: string) => ({ id, startDateTime: atDate(startsAt), endDateTime: atDate(endsAt) });

/** An appointment as the poller reads it. */
export interface PolledAppointment { id: number; startDateTime?: string | null; endDateTime?: string | null; updateDateTime?: string | null }

/** Linked appointments per `in` filter of the poller's read (Autotask answers at most 500 records a page). */
export const APPOINTMENT_BATCH = 200;

/** `POST Appointments/query` body reading Baton's linked appointments by id. */
export function appointmentsByIdQuery(ids: number[]) {
  return { IncludeFields: ['id', 'startDateTime', 'endDateTime', 'updateDateTime'], filter: [{ op: 'in', field: 'id', value: ids }] };
}

export type AppointmentDiff =
  | { report: 'cancelled'; appointmentId: number; eventKey: string; note: string }
  | { report: 'moved'; appointmentId: number; eventKey: string; startsAt: string; endsAt: string }
  | { report: 'none'; appointmentId: number; why: string };

/**
 * A Baton meeting still booked (state `scheduled`) against its Autotask appointment as read now
 * (`undefined`: the linked id was not among the query's answers, i.e. deleted in Autotask):
 * deleted → cancelled; another start or end instant → moved to them; else nothing. No "held":
 * the Appointments entity has no completion field, and an appointment whose end has passed and
 * that still exists proves nothing about the meeting (held stays the API's report, R-21).
 * The event key names the change (the appointment, its new times and its `updateDateTime`, or its
 * deletion), so polling the same state again is the same key and reports once, while a later move
 * back to earlier times is a new one.
 */
export function appointmentDiff(meeting: { state: string; startsAt: string; endsAt: string }, appointmentId: number, appt: PolledAppointment | undefined): AppointmentDiff {
  if (meeting.state !== 'scheduled') return { report: 'none', appointmentId, why: `the meeting is ${meeting.state} in Baton` };
  if (!appt) return { report: 'cancelled', appointmentId, eventKey: `appointment:${appointmentId}:deleted`, note: `Autotask appointment ${appointmentId} was deleted` };
  const start = appt.startDateTime ? Date.parse(appt.startDateTime) : NaN;
  const end = appt.endDateTime ? Date.parse(appt.endDateTime) : NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return { report: 'none', appointmentId, why: 'the appointment\'s times could not be read' };
  if (start === Date.parse(meeting.startsAt) && end === Date.parse(meeting.endsAt)) return { report: 'none', appointmentId, why: 'the appointment matches the meeting' };
  const startsAt = new Date(start).toISOString();
  const endsAt = new Date(end).toISOString();
  const updated = appt.updateDateTime && Number.isFinite(Date.parse(appt.updateDateTime)) ? `@${new Date(Date.parse(appt.updateDateTime)).toISOString()}` : '';
  return { report: 'moved', appointmentId, eventKey: `appointment:${appointmentId}:moved:${startsAt}/${endsAt}${updated}`, startsAt, endsAt };
}
