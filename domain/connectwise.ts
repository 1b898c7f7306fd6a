/**
 * ConnectWise PSA (issue 15), pure: how a CTA becomes a service ticket and a booked meeting a
 * schedule entry, how a ticket or schedule-entry callback becomes a Baton report, and how a
 * callback's signature is computed. No I/O here: the HTTP calls
 * are in activities/connectwise.ts, the receiver in api/routes/connectors.ts.
 *
 * Built from ConnectWise's public developer documentation (cited in docs/integrations.md):
 * REST API 3.0 (Basic auth `companyId+publicKey:privateKey` plus the `clientId` header; `page` /
 * `pageSize` ≤ 1000 with a `Link` header; `conditions` queries; JSON Patch updates) and "PSA
 * Callbacks" (a callback carries `Action`, `Type`, `ID`, `Entity` as a JSON string and
 * `Metadata.key_url`; its `x-content-signature` is the base64 HMAC-SHA256 of the body under the
 * SHA-256 of the `signing_key` fetched from `key_url`).
 */
import { createHash, createHmac } from 'node:crypto';
import { sameSecret } from './same-secret.js';
import { z } from 'zod';

/** Non-secret settings of a ConnectWise connector. */
export const connectWiseSettings = z.strictObject({
  boardId: z.number().int().positive().describe('The service board new tickets go to'),
  newStatus: z.string().min(1).max(50).default('New').describe('The status a ticket opens in; a ticket that leaves it (not closed) counts as the CTA\'s first action (C-5)'),
  closedStatus: z.string().min(1).max(50).default('Closed').describe('The status Baton sets when the CTA is done, and the one (besides `closedFlag`) that means the ticket is closed'),
  scheduleType: z.string().min(1).max(10).regex(/^[A-Za-z0-9]+$/, 'a schedule type identifier').default('M')
    .describe('The identifier of the schedule type (Setup Tables > Schedule Type) a booked meeting\'s schedule entry gets; `M` (Meeting) by default'),
});
export type ConnectWiseSettings = z.infer<typeof connectWiseSettings>;

/** The secret part, sealed at rest: API member keys and the integration's clientId (ConnectWise asks to treat it as a password). */
export const connectWiseCredentials = z.strictObject({
  companyId: z.string().min(1).max(100).describe('The company identifier typed at the ConnectWise login'),
  publicKey: z.string().min(1).max(200),
  privateKey: z.string().min(1).max(200),
  clientId: z.string().min(1).max(100).describe('The integration\'s clientId (developer.connectwise.com/ClientID)'),
});
export type ConnectWiseCredentials = z.infer<typeof connectWiseCredentials>;

/** `Authorization: Basic base64(companyId+publicKey:privateKey)` and `clientId`. */
export function connectWiseHeaders(c: ConnectWiseCredentials): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientid: c.clientId,
    accept: 'application/json',
  };
}

/**
 * The ticket's external reference: ConnectWise has no idempotency key on create, so Baton stamps
 * `externalXRef` (≤ 100 characters) and looks it up before creating; a retry after a lost answer
 * finds the ticket it already created.
 */
export const ticketXRef = (ctaId: string) => `baton:cta:${ctaId}`;

export interface CtaTicketInput {
  ctaId: string;
  title: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  companyId: number;
  /** The owner's ConnectWise member identifier, when the person is mapped. */
  member?: string;
}

/** ConnectWise dates: ISO-8601 in UTC without milliseconds (`2026-12-11T10:00:00Z`). */
export const cwDate = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}Z`;

/** POST /service/tickets body for a CTA (summary ≤ 100 characters, as ConnectWise requires). */
export function ticketForCta(t: CtaTicketInput, s: ConnectWiseSettings) {
  const summary = t.title.length > 100 ? `${t.title.slice(0, 99)}…` : t.title;
  return {
    summary,
    board: { id: s.boardId },
    company: { id: t.companyId },
    externalXRef: ticketXRef(t.ctaId),
    requiredDate: cwDate(t.dueAt),
    initialDescription: `Baton CTA for ${t.clientName}: ${t.title}\nFirst action due: ${cwDate(t.firstActionDueAt)} (C-5)\nDue: ${cwDate(t.dueAt)}\nBaton CTA id: ${t.ctaId}`,
    ...(t.member ? { owner: { identifier: t.member } } : {}),
  };
}

/** PATCH /service/tickets/{id} body (JSON Patch) that closes the ticket. */
export const closeTicketPatch = (s: ConnectWiseSettings) => [{ op: 'replace', path: 'status', value: { name: s.closedStatus } }];

/** PATCH /service/tickets/{id} body that gives the ticket to another member (the CTA changed hands, R-122). */
export const assignTicketPatch = (member: string) => [{ op: 'replace', path: 'owner', value: { identifier: member } }];

// ---------------------------------------------------------------------------------------------
// Meetings as schedule entries

/**
 * The marker a Baton schedule entry carries at the end of its `name` (the entry has no external
 * reference field; `name` is the one text field `conditions` can search): a lookup
 * `name contains "<marker>"` finds the entry a lost answer created.
 */
export const scheduleEntryMarker = (meetingId: string) => `baton:meeting:${meetingId}`;

export interface MeetingEntryInput {
  meetingId: string;
  kind: string;
  clientName: string;
  startsAt: string;
  endsAt: string;
  /** The Accountable's ConnectWise member identifier: the calendar the entry goes on. */
  member: string;
}

/** ConnectWise caps a schedule entry's `name` at 250 characters. */
const ENTRY_NAME_MAX = 250;

/**
 * `POST /schedule/entries` body for a booked meeting: on the member's calendar, of the connector's
 * schedule type (a meeting, not a ticket: no `objectId`), from `dateStart` to `dateEnd`, not done;
 * `name` = "<kind> with <client> [baton:meeting:<id>]", the readable part cut so the marker always fits.
 */
export function scheduleEntryForMeeting(m: MeetingEntryInput, s: ConnectWiseSettings) {
  const tail = ` [${scheduleEntryMarker(m.meetingId)}]`;
  const head = `${m.kind} with ${m.clientName}`;
  const room = ENTRY_NAME_MAX - tail.length;
  return {
    name: `${head.length > room ? `${head.slice(0, room - 1)}…` : head}${tail}`,
    member: { identifier: m.member },
    type: { identifier: s.scheduleType },
    dateStart: cwDate(m.startsAt),
    dateEnd: cwDate(m.endsAt),
    doneFlag: false,
    allowScheduleConflictsFlag: true,
  };
}

/** `GET /schedule/entries` conditions that find a meeting's entry by its marker. */
export const scheduleEntryConditions = (meetingId: string) => `name contains "${scheduleEntryMarker(meetingId)}"`;

/** `PATCH /schedule/entries/{id}` (JSON Patch) that moves the entry to the meeting's time. */
export const moveScheduleEntryPatch = (startsAt: string, endsAt: string) => [
  { op: 'replace', path: 'dateStart', value: cwDate(startsAt) },
  { op: 'replace', path: 'dateEnd', value: cwDate(endsAt) },
];

/** A REST callback as ConnectWise posts it. `Entity` is the record as a JSON string. */
export const connectWiseCallback = z.object({
  Action: z.string().max(50),
  Type: z.string().max(50),
  ID: z.union([z.number(), z.string().max(50)]),
  Entity: z.string().max(1_000_000).nullable().optional(),
  Metadata: z.object({ key_url: z.string().max(2000) }),
}).loose();
export type ConnectWiseCallback = z.infer<typeof connectWiseCallback>;

/** What a ticket callback means for the CTA it stands for. */
export type TicketReport =
  | { report: 'complete'; note: string }
  | { report: 'firstAction'; note: string }
  | { report: 'none'; why: string };

/**
 * A ticket callback → the CTA report the API offers: closed (`closedFlag`, or the closed status)
 * → CTA completed; moved out of its opening status → the CTA's first action (C-5: a concrete step
 * by its owner); anything else → nothing. A deleted ticket changes nothing in Baton.
 */
export function ticketReport(cb: ConnectWiseCallback, s: ConnectWiseSettings): TicketReport {
  if (cb.Type.toLowerCase() !== 'ticket') return { report: 'none', why: `a ${cb.Type} callback` };
  if (cb.Action.toLowerCase() === 'deleted') return { report: 'none', why: 'the ticket was deleted' };
  let entity: { closedFlag?: unknown; status?: { name?: unknown } } = {};
  try {
    entity = cb.Entity ? JSON.parse(cb.Entity) : {};
  } catch {
    return { report: 'none', why: 'the callback\'s Entity is not JSON' };
  }
  const status = typeof entity.status?.name === 'string' ? entity.status.name : undefined;
  if (entity.closedFlag === true || status === s.closedStatus) return { report: 'complete', note: `ConnectWise ticket #${cb.ID} closed${status ? ` (${status})` : ''}` };
  if (status && status !== s.newStatus) return { report: 'firstAction', note: `ConnectWise ticket #${cb.ID} moved to ${status}` };
  return { report: 'none', why: status ? `the ticket is still ${status}` : 'no status on the ticket' };
}

/** `x-content-signature`: base64 HMAC-SHA256 of the raw body, keyed with the SHA-256 of the signing key. */
export function callbackSignature(signingKey: string, rawBody: string): string {
  return createHmac('sha256', createHash('sha256').update(signingKey).digest()).update(rawBody).digest('base64');
}

export function verifyCallbackSignature(signingKey: string, rawBody: string, signature: string | undefined): boolean {
  return sameSecret(signature?.trim(), callbackSignature(signingKey, rawBody));
}

/**
 * The key URL is named by the (untrusted) body: it must be on the connector's own ConnectWise
 * host, or anyone could sign a forged callback with a key they serve themselves.
 */
export function trustedKeyUrl(keyUrl: string, baseUrl: string): boolean {
  try {
    const k = new URL(keyUrl);
    const b = new URL(baseUrl);
    return k.origin === b.origin && (k.protocol === 'https:' || k.protocol === 'http:');
  } catch {
    return false;
  }
}

/** The callback's identity for de-duplication: ConnectWise sends no event id, so a replay is the same bytes. */
export const callbackEventKey = (rawBody: string) => `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;

// ---------------------------------------------------------------------------------------------
// Schedule-entry callbacks

/** A callback about a schedule entry (callback type `Schedule`; `ScheduleEntry` accepted too). */
export const isScheduleCallback = (cb: Pick<ConnectWiseCallback, 'Type'>) => /^schedule( ?entry)?$/i.test(cb.Type.trim());

/** The fields of a schedule entry the report reads (the callback's `Entity`, or the entry read back). */
export const scheduleEntryRecord = z.object({
  id: z.number().int().optional(),
  dateStart: z.string().max(40).nullable().optional(),
  dateEnd: z.string().max(40).nullable().optional(),
  doneFlag: z.boolean().nullable().optional(),
  member: z.object({ identifier: z.string().max(100).optional(), name: z.string().max(200).optional() }).loose().nullable().optional(),
  status: z.object({ name: z.string().max(100).optional() }).loose().nullable().optional(),
}).loose();
export type ScheduleEntryRecord = z.infer<typeof scheduleEntryRecord>;

/** The callback's `Entity` as a schedule entry; undefined when it carries none (read it back then). */
export function scheduleEntityOf(cb: ConnectWiseCallback): ScheduleEntryRecord | undefined {
  if (!cb.Entity) return undefined;
  try {
    const r = scheduleEntryRecord.safeParse(JSON.parse(cb.Entity));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** What a schedule entry's change means for the Baton meeting it stands for (the shapes runtime/vendor-meeting-reports.ts takes). */
export type ScheduleEntryReport =
  | { report: 'held'; heldAt?: string; endedAt?: string; by?: string }
  | { report: 'cancelled'; note: string }
  | { report: 'moved'; startsAt: string; endsAt: string }
  | { report: 'none'; why: string };

const isoOf = (v: string | null | undefined): string | undefined => {
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
};

/**
 * A schedule entry's callback → the meeting report the API offers: the entry deleted (`Action`
 * `deleted`, or gone when read back) → **cancelled**; `doneFlag` set → **held** at the entry's
 * `dateStart`/`dateEnd` (the meeting's booked times when it has none), by its member; its
 * `dateStart`/`dateEnd` no longer the meeting's → **moved** there; anything else (Baton's own
 * booking or move coming back, a status change) → nothing. ConnectWise has no no-show flag on an
 * entry (its statuses are each MSP's own table): a no-show stays the API's report.
 */
export function scheduleEntryReport(action: string, entry: ScheduleEntryRecord | 'deleted', meeting: { startsAt: string; endsAt: string }, entryId: string | number): ScheduleEntryReport {
  if (entry === 'deleted' || action.toLowerCase() === 'deleted') return { report: 'cancelled', note: `ConnectWise schedule entry #${entryId} deleted` };
  const start = isoOf(entry.dateStart);
  const end = isoOf(entry.dateEnd);
  if (entry.doneFlag === true) {
    const by = entry.member?.name?.trim() || entry.member?.identifier?.trim();
    return { report: 'held', ...(start ? { heldAt: start } : {}), ...(end ? { endedAt: end } : {}), ...(by ? { by } : {}) };
  }
  if (!start || !end) return { report: 'none', why: 'the entry has no start and end' };
  if (Date.parse(end) <= Date.parse(start)) return { report: 'none', why: 'the entry ends before it starts' };
  if (Date.parse(start) !== Date.parse(meeting.startsAt) || Date.parse(end) !== Date.parse(meeting.endsAt)) return { report: 'moved', startsAt: start, endsAt: end };
  return { report: 'none', why: 'the entry is at the meeting\'s time and not done' };
}

// ---------------------------------------------------------------------------------------------
// Ticket notes: the first note a person wrote is the CTA's first action (C-5)

/**
 * A ticket note as `GET /service/tickets/{id}/notes` answers it (ConnectWise's `ServiceNote`:
 * `text`, the section flags `detailDescriptionFlag` (Discussion), `internalAnalysisFlag`
 * (Internal), `resolutionFlag` (Resolution), `member` or `contact` (who wrote it), `dateCreated`,
 * `createdBy`).
 */
export const serviceNoteRecord = z.object({
  id: z.number().int().optional(),
  text: z.string().max(100_000).nullable().optional(),
  detailDescriptionFlag: z.boolean().nullable().optional(),
  internalAnalysisFlag: z.boolean().nullable().optional(),
  resolutionFlag: z.boolean().nullable().optional(),
  member: z.object({ id: z.number().optional(), identifier: z.string().max(100).optional(), name: z.string().max(200).optional() }).loose().nullable().optional(),
  contact: z.object({ id: z.number().optional(), name: z.string().max(200).optional() }).loose().nullable().optional(),
  dateCreated: z.string().max(40).nullable().optional(),
  createdBy: z.string().max(100).nullable().optional(),
}).loose();
export type ServiceNoteRecord = z.infer<typeof serviceNoteRecord>;

/** The marker Baton's own text carries on the ticket (the `initialDescription`, which ConnectWise keeps as the ticket's first Discussion note). */
const ctaMarker = (ctaId: string) => `Baton CTA id: ${ctaId}`;

/** A note a person wrote, as the first action records it. */
export interface PersonNote { noteId?: number; text: string; writtenAt?: string; by?: string }

/** The API's first-action note is at most 2000 characters. */
const FIRST_ACTION_NOTE_MAX = 2000;

/**
 * The first note a person at the MSP wrote on the CTA's ticket, in ConnectWise's order (the list
 * as read, `orderBy=id asc`), or undefined. A note counts when it is in one of the ticket's
 * sections (Discussion, Internal or Resolution flag set), has text, was written by a member (a
 * customer contact's note is the client talking, not the owner's step; a note with neither member
 * nor `createdBy` is system text), and is not Baton's own description of the CTA (the ticket's
 * `initialDescription`, which ConnectWise stores as its first note).
 */
export function firstPersonNote(notes: readonly ServiceNoteRecord[], ctaId: string): PersonNote | undefined {
  for (const n of notes) {
    const text = n.text?.trim();
    if (!text) continue;
    if (!(n.detailDescriptionFlag === true || n.internalAnalysisFlag === true || n.resolutionFlag === true)) continue;
    if (n.contact && !n.member) continue;
    const by = n.member?.identifier?.trim() || n.createdBy?.trim();
    if (!by) continue;
    if (text.includes(ctaMarker(ctaId))) continue;
    const writtenAt = isoOf(n.dateCreated);
    return {
      ...(n.id !== undefined ? { noteId: n.id } : {}),
      text: text.length > FIRST_ACTION_NOTE_MAX ? `${text.slice(0, FIRST_ACTION_NOTE_MAX - 1)}…` : text,
      ...(writtenAt ? { writtenAt } : {}), by,
    };
  }
  return undefined;
}

/**
 * When the first action happened: the note's `dateCreated`, kept between the CTA's creation and
 * now (another clock's time can be a little ahead of Baton's, and a note cannot predate the CTA
 * its ticket stands for); the receipt time when the note has none.
 */
export function noteActedAt(writtenAt: string | undefined, ctaCreatedAt: string, now: string): string {
  if (!writtenAt) return now;
  const t = Math.min(Math.max(Date.parse(writtenAt), Date.parse(ctaCreatedAt)), Date.parse(now));
  return new Date(t).toISOString();
}
