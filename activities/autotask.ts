/**
 * Autotask PSA calls (issue 15): the outbox's deliveries (one delivery = at most a lookup and one
 * write: CTAs as tickets or to-dos, meetings as appointments) and the poller's reads of company
 * to-dos and of Baton's appointments (neither has webhooks).
 *
 * Idempotency toward Autotask, which has no idempotency key: a create is (1) the link Baton stored
 * on an earlier success, else (2) `POST <Entity>/query` for Baton's marker (a ticket's `externalID`,
 * a to-do's `activityDescription`, an appointment's `description`), else (3) the create, after which the link is stored. A retry
 * after a lost answer (the record was created, Baton never heard) finds it at (2).
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { isAppointmentDelivery, type AppointmentDelivery } from '../db/appointments.js';
import { inboundEventSeen, claimInboundEvent, connectorKey, findLink, findLinkByVendorId, getConnector, openCredentials, saveLink, type ConnectorRow, type PsaDelivery } from '../db/connectors.js';
import { applyInboundReport } from '../db/inbound.js';
import { connectorLinks, ctas, deliveries, meetings, type Actor } from '../db/schema.js';
import { reportVendorMeeting } from '../runtime/vendor-meeting-reports.js';
import type { TemporalTarget } from '../runtime/processes.js';
import {
  APPOINTMENT_BATCH, appointmentDiff, appointmentForMeeting, appointmentMarkerQuery, appointmentsByIdQuery, moveAppointment, type PolledAppointment,
  assignTicket, assignToDo, autotaskCredentials, autotaskHeaders, autotaskRoot, autotaskSettings, closeTicket, closeToDo, markerQuery, nextCursor,
  ticketForCta, toDoChangesQuery, toDoCompletionKey, toDoForCta, trustedPageUrl, type AutotaskCredentials, type AutotaskSettings, type PolledToDo,
} from '../domain/autotask.js';
import type { AttemptOutcome, DeliveryPolicy } from '../domain/delivery.js';
import { deliverMeetingRecord } from './meeting-records.js';
import { VendorError, vendorFailure, type FailedAttempt } from './vendor-failure.js';
import { dateOf, latestEnd, type PsaCompany } from '../domain/psa-import.js';

const USER_AGENT = 'Baton-PSA/1';


interface QueryPage<T> { items: T[]; pageDetails?: { count?: number; requestCount?: number; prevPageUrl?: string | null; nextPageUrl?: string | null } }

/** An authenticated caller on one connector; every failure is a VendorError carrying the outcome. */
function autotaskCaller(connector: ConnectorRow, creds: AutotaskCredentials, timeoutSeconds: number, deliveryId?: string) {
  const root = autotaskRoot(connector.baseUrl);
  const send = async (method: string, url: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method, redirect: 'manual', signal: AbortSignal.timeout(timeoutSeconds * 1000),
        headers: { ...autotaskHeaders(creds), 'user-agent': USER_AGENT, ...(deliveryId ? { 'x-baton-delivery': deliveryId } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new VendorError({ outcome: 'failed', error: e.name === 'TimeoutError' ? `Autotask did not answer within ${timeoutSeconds} s` : `Autotask unreachable: ${e.cause?.code ?? e.name}` });
    }
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return text ? JSON.parse(text) : undefined;
    throw new VendorError(failureOf(method, new URL(url).pathname, res, text));
  };
  return {
    call: (method: string, path: string, body?: unknown) => send(method, `${root}${path}`, body),
    /** `POST <Entity>/query`, following `pageDetails.nextPageUrl` (on the connector's host only) up to `maxPages`. */
    async query<T>(entity: string, body: unknown, maxPages = 50): Promise<T[]> {
      let page = await send('POST', `${root}/${entity}/query`, body) as QueryPage<T>;
      const items = [...(page.items ?? [])];
      for (let n = 1; page.pageDetails?.nextPageUrl && n < maxPages; n++) {
        const next = page.pageDetails.nextPageUrl;
        if (!trustedPageUrl(next, connector.baseUrl)) throw new VendorError({ outcome: 'failed', error: `Autotask named a next page on another host (${new URL(next).host}); not followed` });
        page = await send('GET', next) as QueryPage<T>;
        items.push(...(page.items ?? []));
      }
      return items;
    },
  };
}

function openConfig(connector: ConnectorRow): { creds: AutotaskCredentials; settings: AutotaskSettings } | { error: string } {
  try {
    return { creds: autotaskCredentials.parse(openCredentials(connector)), settings: autotaskSettings.parse(connector.settings) };
  } catch (err) {
    return { error: `the connector's configuration cannot be used: ${(err as Error).name === 'ZodError' ? 'invalid settings' : (err as Error).message}` };
  }
}

const resourceOf = (connector: ConnectorRow, personId: string | null | undefined) => {
  const m = connector.mappings.people.find((p) => p.personId === personId);
  return m?.resourceId !== undefined && m.roleId !== undefined ? { resourceId: m.resourceId, roleId: m.roleId } : undefined;
};

export async function deliverToAutotask(db: Db, connector: ConnectorRow, deliveryId: string, p: PsaDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  const config = openConfig(connector);
  // A missing integration key or a broken configuration is the operator's to fix: retried by policy, shown on the connector's status.
  if ('error' in config) return { outcome: 'failed', error: config.error };
  const { creds, settings } = config;
  const at = autotaskCaller(connector, creds, policy.requestTimeoutSeconds, deliveryId);
  if (isAppointmentDelivery(p)) return deliverAppointment(db, connector, settings, at, p);
  const kind = settings.ctaAs; // 'ticket' | 'toDo': the link kind and the entity
  const companyId = connector.mappings.clients.find((c) => c.clientId === p.clientId)?.companyId;
  const find = async () => (await at.query<{ id: number }>(kind === 'ticket' ? 'Tickets' : 'CompanyToDos', markerQuery(kind, p.ctaId)))[0]?.id;

  try {
    if (p.op === 'ticket.create') {
      if (await findLink(db, connector.id, kind, p.ctaId)) return { outcome: 'delivered' };
      const found = await find();
      if (found !== undefined) {
        await saveLink(db, connector.id, kind, p.ctaId, String(found));
        return { outcome: 'delivered', status: 200 };
      }
      if (companyId === undefined) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to an Autotask company` };
      const resource = resourceOf(connector, p.ownerPersonId);
      let created: { itemId: number };
      if (kind === 'ticket') {
        created = await at.call('POST', '/Tickets', ticketForCta({ ...p, companyId, ...(resource ? { resource } : {}) }, settings)) as { itemId: number };
      } else {
        const resourceId = resource?.resourceId ?? settings.toDoResourceId;
        if (resourceId === undefined) return { outcome: 'failed', permanent: true, error: 'a to-do needs a resource: map the CTA owner or set settings.toDoResourceId' };
        created = await at.call('POST', `/Companies/${companyId}/ToDos`, toDoForCta({ ...p, companyId, resourceId, at: new Date().toISOString() }, settings)) as { itemId: number };
      }
      await saveLink(db, connector.id, kind, p.ctaId, String(created.itemId));
      return { outcome: 'delivered', status: 200 };
    }
    let vendorId = await findLink(db, connector.id, kind, p.ctaId);
    if (!vendorId) {
      const found = await find();
      // The create has not landed yet (its delivery is retrying): wait for it, without blaming the connector.
      if (found === undefined) return { outcome: 'failed', error: `the CTA's ${kind === 'ticket' ? 'ticket' : 'to-do'} is not created yet`, messageFault: true };
      vendorId = String(found);
      await saveLink(db, connector.id, kind, p.ctaId, vendorId);
    }
    const id = Number(vendorId);
    const path = kind === 'ticket' ? '/Tickets' : `/Companies/${companyId}/ToDos`;
    if (kind === 'toDo' && companyId === undefined) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to an Autotask company` };
    if (p.op === 'ticket.assign') {
      // The CTA's owner now, not the event's: two hand-overs delivered out of order still end with the right owner.
      const [now] = await db.select({ ownerPersonId: ctas.ownerPersonId }).from(ctas).where(eq(ctas.id, p.ctaId));
      const resource = resourceOf(connector, now?.ownerPersonId);
      if (!resource) return { outcome: 'delivered' }; // the current owner has no Autotask resource: the record keeps its own
      await at.call('PATCH', path, kind === 'ticket' ? assignTicket(id, resource) : assignToDo(id, resource.resourceId));
      return { outcome: 'delivered', status: 200 };
    }
    await at.call('PATCH', path, kind === 'ticket' ? closeTicket(id, settings) : closeToDo(id, new Date().toISOString()));
    return { outcome: 'delivered', status: 200 };
  } catch (err) {
    if (err instanceof VendorError) return err.outcome;
    throw err;
  }
}

/**
 * A meeting → an Autotask appointment (`Appointments`, a root entity): book = the link, else
 * `POST Appointments/query` for the marker in `description` (`contains`), else
 * `POST Appointments` on the Accountable's mapped resource (else `settings.appointmentResourceId`); move =
 * `PATCH Appointments` `{id, startDateTime, endDateTime}` with the meeting's times read now (moves
 * delivered out of order end at the current time); cancel = `DELETE Appointments/{id}` (404: already
 * gone, done).
 */
async function deliverAppointment(db: Db, connector: ConnectorRow, settings: AutotaskSettings, at: ReturnType<typeof autotaskCaller>, p: AppointmentDelivery): Promise<AttemptOutcome> {
  return deliverMeetingRecord(db, connector.id, p, {
    linkKind: 'appointment', recordName: 'appointment',
    findByMarker: async () => {
      const found = (await at.query<{ id: number }>('Appointments', appointmentMarkerQuery(p.meetingId), 1))[0]?.id;
      return found === undefined ? undefined : String(found);
    },
    create: async (m) => {
      const resourceId = connector.mappings.people.find((x) => x.personId === m.accountablePersonId)?.resourceId ?? settings.appointmentResourceId;
      if (resourceId === undefined) return { outcome: 'failed', permanent: true, error: 'an appointment needs a resource: map the meeting\'s Accountable or set settings.appointmentResourceId' };
      const created = await at.call('POST', '/Appointments', appointmentForMeeting({ meetingId: m.meetingId, kind: m.kind, clientName: m.clientName, startsAt: m.startsAt, endsAt: m.endsAt, resourceId })) as { itemId?: number };
      if (typeof created?.itemId !== 'number') return { outcome: 'failed', error: 'Autotask answered the appointment create without an itemId' };
      return { id: String(created.itemId), status: 200 };
    },
    move: async (id, m) => {
      await at.call('PATCH', '/Appointments', moveAppointment(Number(id), m.startsAt, m.endsAt));
      return 200;
    },
    remove: async (id) => {
      await at.call('DELETE', `/Appointments/${id}`);
    },
  });
}

/**
 * An Autotask error answer → the outcome. Its body is `{errors: ["…"]}`; the messages (never the
 * request headers) are kept for the status. 401/403 are the connector's credentials or
 * permissions: retried (the breaker opens and deliveries queue until an admin fixes them). Other
 * 4xx refuse this message (dead at once); 429 (the hourly request limit) and 5xx are retried with
 * Retry-After. Autotask answers some business-rule refusals with 500: those are retried up to
 * `deliveryMaxAttempts`, then dead-lettered with Autotask's messages.
 */
function failureOf(method: string, path: string, res: Response, text: string): FailedAttempt {
  let detail = '';
  try {
    const b = JSON.parse(text) as { errors?: unknown[]; message?: string };
    detail = [...(Array.isArray(b.errors) ? b.errors.map(String) : []), ...(b.message ? [b.message] : [])].join('; ');
  } catch {
    detail = text.slice(0, 200);
  }
  const where = `${method} ${path.replace(/^.*\/V1\.0/i, '')}`;
  return vendorFailure('Autotask', 'credentials', where, res, detail);
}

export interface PollResult {
  /** The poller ends: the connector is gone, inactive, or no longer an Autotask one. */
  stop: boolean;
  cursor: string;
  completed: number;
  /** Moves and cancellations of Baton's appointments reported to the meetings' processes in this poll. */
  meetingReports?: number;
  error?: string;
}

/**
 * One poll of an Autotask connector (entities without webhooks): company to-dos completed since the
 * cursor (`pollAutotaskToDos`), then Baton's appointments diffed against their meetings
 * (`pollAutotaskAppointments`). A failed read keeps the cursor and shows on the connector's status;
 * the next poll asks again.
 */
export async function pollAutotask(db: Db, connectorId: string, cursor: string | undefined, timeoutSeconds: number, temporal?: TemporalTarget): Promise<PollResult & { ctaIds: string[] }> {
  const toDos = await pollAutotaskToDos(db, connectorId, cursor, timeoutSeconds);
  // Stopped, or Autotask refused the first read (credentials, an outage): the next poll asks again for both.
  if (toDos.stop || toDos.error) return toDos;
  const connector = await getConnector(db, connectorId);
  const config = connector ? openConfig(connector) : undefined;
  if (!connector || !config || 'error' in config) return toDos;
  const appointments = await pollAutotaskAppointments(db, connector, autotaskCaller(connector, config.creds, timeoutSeconds), temporal);
  return { ...toDos, meetingReports: appointments.reported, ...(appointments.error ? { error: appointments.error } : {}) };
}

/**
 * One poll of a connector's company to-dos (no webhooks exist for them): the to-dos completed since
 * the cursor that stand for a CTA complete it (as `POST /v1/ctas/{id}/complete`), each completion
 * once (inbound_events). A failed poll keeps the cursor: the next one asks again.
 */
export async function pollAutotaskToDos(db: Db, connectorId: string, cursor: string | undefined, timeoutSeconds: number): Promise<PollResult & { ctaIds: string[] }> {
  const connector = await getConnector(db, connectorId);
  if (!connector || !connector.active || connector.type !== 'autotask') return { stop: true, cursor: cursor ?? '', completed: 0, ctaIds: [] };
  const since = cursor ?? new Date(Date.parse(connector.createdAt) - 60_000).toISOString();
  const config = openConfig(connector);
  if ('error' in config) return { stop: false, cursor: since, completed: 0, ctaIds: [], error: config.error };
  const at = autotaskCaller(connector, config.creds, timeoutSeconds);
  let seen: PolledToDo[];
  try {
    seen = await at.query<PolledToDo>('CompanyToDos', toDoChangesQuery(since));
  } catch (err) {
    if (err instanceof VendorError) return { stop: false, cursor: since, completed: 0, ctaIds: [], error: err.outcome.error };
    throw err;
  }
  const ctaIds: string[] = [];
  for (const t of seen) {
    if (!t.completedDate) continue;
    const ctaId = await findLinkByVendorId(db, connector.id, 'toDo', String(t.id));
    const applied = await applyInboundReport(db, connector, {
      eventKey: toDoCompletionKey(t), entity: `ToDo/${t.id}`, ctaId,
      report: { report: 'complete', note: `Autotask to-do ${t.id} completed` }, unlinked: 'not-a-baton-to-do', actorName: `Autotask: ${connector.name}`, at: new Date().toISOString(),
    });
    if (applied.ctaId) ctaIds.push(applied.ctaId);
  }
  return { stop: false, cursor: nextCursor(since, seen), completed: ctaIds.length, ctaIds };
}

/**
 * Baton's appointments in Autotask, diffed against their meetings (no webhooks exist for
 * appointments, and a deleted appointment leaves nothing a "changed since" query could find): the
 * appointments linked to meetings still booked in Baton are read by id (`POST Appointments/query`,
 * `id in [...]`, 200 a query); one missing from the answer was deleted → the meeting is cancelled;
 * one at other times was moved → the meeting is rescheduled (pure rule: `appointmentDiff`). Each
 * change is reported once through `reportVendorMeeting` with a key naming the change, and recorded
 * in inbound_events, so polling the same state again reports nothing. A meeting whose own
 * appointment delivery (a move, a cancel) has not been delivered is left alone: the appointment
 * differs from it because Baton's change has not reached Autotask yet, not because someone moved it.
 */
export async function pollAutotaskAppointments(db: Db, connector: ConnectorRow, at: ReturnType<typeof autotaskCaller>, temporal: TemporalTarget | undefined): Promise<{ reported: number; error?: string }> {
  const linked = await db.select({ meetingId: connectorLinks.batonId, vendorId: connectorLinks.vendorId, state: meetings.state, startsAt: meetings.startsAt, endsAt: meetings.endsAt })
    .from(connectorLinks).innerJoin(meetings, eq(meetings.id, connectorLinks.batonId))
    .where(and(eq(connectorLinks.connectorId, connector.id), eq(connectorLinks.kind, 'appointment'), eq(meetings.state, 'scheduled')));
  if (linked.length === 0) return { reported: 0 };
  const meetingIds = linked.map((l) => l.meetingId);
  const unsettled = new Set((await db.select({ meetingId: sql<string>`${deliveries.payload}->>'meetingId'` }).from(deliveries)
    .where(and(eq(deliveries.connector, connectorKey(connector.id)), inArray(deliveries.state, ['pending', 'retrying', 'dead']), inArray(sql`${deliveries.payload}->>'meetingId'`, meetingIds))))
    .map((r) => r.meetingId));
  const ids = linked.map((l) => Number(l.vendorId)).filter((n) => Number.isInteger(n) && n > 0);
  const found = new Map<number, PolledAppointment>();
  try {
    for (let i = 0; i < ids.length; i += APPOINTMENT_BATCH) {
      for (const a of await at.query<PolledAppointment>('Appointments', appointmentsByIdQuery(ids.slice(i, i + APPOINTMENT_BATCH)))) found.set(Number(a.id), a);
    }
  } catch (err) {
    if (err instanceof VendorError) return { reported: 0, error: err.outcome.error };
    throw err;
  }
  const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `Autotask: ${connector.name}` };
  let reported = 0;
  for (const l of linked) {
    const appointmentId = Number(l.vendorId);
    if (!Number.isInteger(appointmentId) || unsettled.has(l.meetingId)) continue;
    const diff = appointmentDiff(l, appointmentId, found.get(appointmentId));
    if (diff.report === 'none') continue;
    if (await inboundEventSeen(db, connector.id, diff.eventKey)) continue;
    const report = diff.report === 'cancelled' ? { report: 'cancelled' as const, note: diff.note } : { report: 'moved' as const, startsAt: diff.startsAt, endsAt: diff.endsAt };
    // Temporal unreachable throws: nothing is claimed, the poll activity is retried and reports it then.
    const outcome = await reportVendorMeeting({ db, temporal }, {
      connectorId: connector.id, actor, linkKind: 'appointment', vendorId: String(appointmentId), meetingId: l.meetingId, report, at: new Date().toISOString(),
      idempotencyKey: `autotask/${connector.id}/${diff.eventKey}`, bodyHash: createHash('sha256').update(JSON.stringify({ key: diff.eventKey, report })).digest('hex'),
    });
    if (await claimInboundEvent(db, connector.id, diff.eventKey, `Appointment/${appointmentId}`, outcome.slice(0, 300)) && outcome.startsWith('meeting')) reported++;
  }
  return { reported };
}

/** Companies per `in` filter when reading contacts and contracts (Autotask answers at most 500 records a page). */
const IMPORT_BATCH = 200;

/**
 * The client import's read (issue 15, "Getting clients in"): active companies
 * (`POST Companies/query`, `isActive eq true`), their primary contacts (`Contacts/query`,
 * `primaryContact eq true`) and active contracts (`Contracts/query`, `status eq 1`: the latest
 * `endDate` is the renewal, R-13), each query paged by following `pageDetails.nextPageUrl` on the
 * connector's host. The company's `countryID` (resolved through `Countries/query`: `countryCode`,
 * `name`) and `state` give its region where they map (domain/psa-import.ts `regionOf`). No time
 * zone (a company has none) and no MRR: a contract's recurring price lives in its services' units
 * per period (ContractServices, ContractServiceUnits) under a picklist period type, not read here.
 * Read-only; a vendor failure throws VendorError.
 */
export async function readAutotaskCompanies(connector: ConnectorRow, timeoutSeconds: number, maxCompanies: number): Promise<PsaCompany[]> {
  const creds = autotaskCredentials.parse(openCredentials(connector));
  const at = autotaskCaller(connector, creds, timeoutSeconds);
  const maxPages = 1000;
  const companies = (await at.query<{ id: number; companyName: string; countryID?: number | null; state?: string | null }>('Companies', { filter: [{ op: 'eq', field: 'isActive', value: true }], IncludeFields: ['id', 'companyName', 'countryID', 'state'] }, maxPages))
    .filter((c) => Number.isInteger(c?.id) && typeof c?.companyName === 'string')
    .sort((a, b) => a.id - b.id);
  if (companies.length > maxCompanies) return companies.map((c) => ({ id: String(c.id), name: c.companyName, renewalDate: null }));
  // The countries the companies name (`countryID` → the `Countries` entity's `countryCode` and `name`), read once.
  const countryIds = [...new Set(companies.map((c) => c.countryID).filter((id): id is number => Number.isInteger(id)))];
  const countries = new Map<number, { countryCode: string | null; name: string | null }>();
  for (let i = 0; i < countryIds.length; i += IMPORT_BATCH) {
    const found = await at.query<any>('Countries', { filter: [{ op: 'in', field: 'id', value: countryIds.slice(i, i + IMPORT_BATCH) }], IncludeFields: ['id', 'countryCode', 'name'] }, maxPages);
    for (const k of found) if (Number.isInteger(k?.id)) countries.set(k.id, { countryCode: typeof k.countryCode === 'string' ? k.countryCode : null, name: typeof k.name === 'string' ? k.name : null });
  }
  const result: PsaCompany[] = [];
  for (let i = 0; i < companies.length; i += IMPORT_BATCH) {
    const batch = companies.slice(i, i + IMPORT_BATCH);
    const ofBatch = { op: 'in', field: 'companyID', value: batch.map((c) => c.id) };
    const contacts = await at.query<any>('Contacts', { filter: [ofBatch, { op: 'eq', field: 'primaryContact', value: true }] }, maxPages);
    const contracts = await at.query<any>('Contracts', { filter: [ofBatch, { op: 'eq', field: 'status', value: 1 }] }, maxPages);
    for (const c of batch) {
      const contact = contacts.find((x) => x?.companyID === c.id);
      const country = c.countryID != null ? countries.get(c.countryID) : undefined;
      const name = [contact?.firstName, contact?.lastName].filter((s) => typeof s === 'string' && s.trim()).join(' ').trim();
      result.push({
        id: String(c.id), name: c.companyName,
        ...(name ? { primaryContact: { name, email: typeof contact.emailAddress === 'string' && contact.emailAddress ? contact.emailAddress : null, title: typeof contact.title === 'string' && contact.title ? contact.title : null } } : {}),
        renewalDate: latestEnd(contracts.filter((k) => k?.companyID === c.id).map((k) => dateOf(k.endDate))),
        ...(country ? { address: { country: country.name, countryCode: country.countryCode, state: typeof c.state === 'string' && c.state.trim() ? c.state : null } } : {}),
      });
    }
  }
  return result;
}
