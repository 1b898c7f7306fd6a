/**
 * One request to ConnectWise with the connector's credentials: its answer and body text, or a
 * VendorError when ConnectWise cannot be reached within `timeoutSeconds` (the answer's status is the caller's to judge).
 */
async function sendToConnectWise(
  base: string, creds: z.infer<typeof connectWiseCredentials>, method: string, path: string,
  o: { timeoutSeconds: number; signal?: AbortSignal; headers?: Record<string, string>; body?: unknown },
): Promise<{ res: Response; text: string }> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method, redirect: 'manual', signal: o.signal ?? AbortSignal.timeout(o.timeoutSeconds * 1000),
      headers: { ...connectWiseHeaders(creds), 'user-agent': USER_AGENT, ...o.headers, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new VendorError({ outcome: 'failed', error: e.name === 'TimeoutError' ? `ConnectWise did not answer within ${o.timeoutSeconds} s` : `ConnectWise unreachable: ${e.cause?.code ?? e.name}` });
  }
  return { res, text: await res.text() };
}

/**
 * ConnectWise PSA calls for the outbox (issue 15): one delivery = at most a lookup and one write.
 *
 * Idempotency toward ConnectWise, which has no idempotency key: the ticket carries
 * `externalXRef = baton:cta:<ctaId>`. Create = (1) the link Baton stored on an earlier success,
 * else (2) GET /service/tickets?conditions=externalXRef="…", else (3) POST. A retry after an
 * answer that was lost (the ticket was created, Baton never heard) finds it at (2): never a
 * second ticket. The link is stored on the first success so later closes need no lookup.
 */
import type { Db } from '../db/client.js';
import { findLink, openCredentials, saveLink, type ConnectorRow, type PsaDelivery } from '../db/connectors.js';
import { ctas, people } from '../db/schema.js';
import { isAppointmentDelivery, type AppointmentDelivery } from '../db/appointments.js';
import type { AttemptOutcome, DeliveryPolicy } from '../domain/delivery.js';
import { deliverMeetingRecord, type BookedMeeting } from './meeting-records.js';
import { VendorError, vendorFailure, type FailedAttempt } from './vendor-failure.js';
import {
  assignTicketPatch, closeTicketPatch, connectWiseCredentials, connectWiseHeaders, connectWiseSettings, moveScheduleEntryPatch, scheduleEntryConditions, scheduleEntryForMeeting, scheduleEntryMarker, scheduleEntryRecord, serviceNoteRecord, ticketForCta, ticketXRef,
  type ConnectWiseSettings, type ScheduleEntryRecord, type ServiceNoteRecord,
} from '../domain/connectwise.js';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { dateOf, latestEnd, monthlyAmount, monthlyRecurring, zoneOf, type PsaCompany } from '../domain/psa-import.js';

const USER_AGENT = 'Baton-PSA/1';


export async function deliverToConnectWise(db: Db, connector: ConnectorRow, deliveryId: string, p: PsaDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  let creds;
  let settings: ConnectWiseSettings;
  try {
    creds = connectWiseCredentials.parse(openCredentials(connector));
    settings = connectWiseSettings.parse(connector.settings);
  } catch (err) {
    // A missing integration key or a broken configuration is the operator's to fix: retried by policy, shown on the connector's status.
    return { outcome: 'failed', error: `the connector's configuration cannot be used: ${(err as Error).name === 'ZodError' ? 'invalid settings' : (err as Error).message}` };
  }
  const base = connector.baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const { res, text } = await sendToConnectWise(base, creds, method, path, { timeoutSeconds: policy.requestTimeoutSeconds, headers: { 'x-baton-delivery': deliveryId }, body });
    if (res.status >= 200 && res.status < 300) return text ? JSON.parse(text) : undefined;
    throw new VendorError(failureOf(method, path, res, text));
  };
  if (isAppointmentDelivery(p)) return deliverScheduleEntry(db, connector, settings, call, p);

  try {
    if (p.op === 'ticket.create') {
      if (await findLink(db, connector.id, 'ticket', p.ctaId)) return { outcome: 'delivered' };
      const found = await call('GET', `/service/tickets?conditions=${encodeURIComponent(`externalXRef="${ticketXRef(p.ctaId)}"`)}&fields=id&pageSize=2`) as { id: number }[];
      if (found.length > 0) {
        await saveLink(db, connector.id, 'ticket', p.ctaId, String(found[0]!.id));
        return { outcome: 'delivered', status: 200 };
      }
      const companyId = connector.mappings.clients.find((c) => c.clientId === p.clientId)?.companyId;
      if (companyId === undefined) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to a ConnectWise company` };
      const [owner] = p.ownerPersonId ? await db.select({ id: people.id }).from(people).where(eq(people.id, p.ownerPersonId)) : [];
      const member = owner ? connector.mappings.people.find((m) => m.personId === owner.id)?.member : undefined;
      const created = await call('POST', '/service/tickets', ticketForCta({ ...p, companyId, ...(member ? { member } : {}) }, settings)) as { id: number };
      await saveLink(db, connector.id, 'ticket', p.ctaId, String(created.id));
      return { outcome: 'delivered', status: 201 };
    }
    let ticketId = await findLink(db, connector.id, 'ticket', p.ctaId);
    if (!ticketId) {
      const found = await call('GET', `/service/tickets?conditions=${encodeURIComponent(`externalXRef="${ticketXRef(p.ctaId)}"`)}&fields=id&pageSize=2`) as { id: number }[];
      // The create has not landed yet (its delivery is retrying): wait for it, without blaming the connector.
      if (found.length === 0) return { outcome: 'failed', error: 'the CTA\'s ticket is not created yet', messageFault: true };
      ticketId = String(found[0]!.id);
      await saveLink(db, connector.id, 'ticket', p.ctaId, ticketId);
    }
    if (p.op === 'ticket.assign') {
      // The CTA's owner now, not the event's: two hand-overs delivered out of order still end with the right owner.
      const [now] = await db.select({ ownerPersonId: ctas.ownerPersonId }).from(ctas).where(eq(ctas.id, p.ctaId));
      const member = connector.mappings.people.find((m) => m.personId === now?.ownerPersonId)?.member;
      if (!member) return { outcome: 'delivered' }; // the current owner has no ConnectWise member: the ticket keeps its owner
      await call('PATCH', `/service/tickets/${encodeURIComponent(ticketId)}`, assignTicketPatch(member));
      return { outcome: 'delivered', status: 200 };
    }
    await call('PATCH', `/service/tickets/${encodeURIComponent(ticketId)}`, closeTicketPatch(settings));
    return { outcome: 'delivered', status: 200 };
  } catch (err) {
    if (err instanceof VendorError) return err.outcome;
    throw err;
  }
}

/** Schedule entries the marker lookup reads (a marker matches one entry; more is a ConnectWise `contains` oddity, filtered again here). */
const ENTRY_LOOKUP_PAGE = 25;

/**
 * A meeting → a ConnectWise schedule entry on its Accountable's member calendar. Book = the link
 * (`connector_links`, kind `schedule-entry`), else `GET /schedule/entries?conditions=name contains
 * "baton:meeting:<id>"` (a lost answer's entry is found, never a second one), else
 * `POST /schedule/entries`; move = `PATCH /schedule/entries/{id}` (JSON Patch of `dateStart`,
 * `dateEnd`) with the meeting's time read now; cancel = `DELETE /schedule/entries/{id}` (a 404 is
 * an entry already gone: done). An Accountable with no mapped member has no ConnectWise calendar:
 * nothing is booked (and so nothing is moved or cancelled).
 */
async function deliverScheduleEntry(db: Db, connector: ConnectorRow, settings: ConnectWiseSettings, call: (method: string, path: string, body?: unknown) => Promise<unknown>, p: AppointmentDelivery): Promise<AttemptOutcome> {
  const marker = scheduleEntryMarker(p.meetingId);
  const memberOf = (m: BookedMeeting) => connector.mappings.people.find((x) => x.personId === m.accountablePersonId)?.member;
  return deliverMeetingRecord(db, connector.id, p, {
    linkKind: 'schedule-entry', recordName: 'schedule entry',
    findByMarker: async () => {
      const found = await call('GET', `/schedule/entries?conditions=${encodeURIComponent(scheduleEntryConditions(p.meetingId))}&fields=id,name&pageSize=${ENTRY_LOOKUP_PAGE}`) as { id: number; name?: string }[];
      const mine = Array.isArray(found) ? found.find((e) => typeof e?.name === 'string' && e.name.includes(marker)) : undefined;
      return mine ? String(mine.id) : undefined;
    },
    create: async (m) => {
      if (!connector.mappings.clients.some((c) => c.clientId === p.clientId)) return { outcome: 'failed', permanent: true, error: `client ${p.clientId} is no longer mapped to a ConnectWise company` };
      const member = memberOf(m);
      if (!member) return { outcome: 'delivered' }; // no member calendar to put it on
      const created = await call('POST', '/schedule/entries', scheduleEntryForMeeting({ meetingId: m.meetingId, kind: m.kind, clientName: m.clientName, member, startsAt: m.startsAt, endsAt: m.endsAt }, settings)) as { id?: number } | undefined;
      if (typeof created?.id !== 'number') return { outcome: 'failed', error: 'ConnectWise answered the schedule entry create without an id' };
      return { id: String(created.id), status: 201 };
    },
    move: async (id, m) => {
      await call('PATCH', `/schedule/entries/${encodeURIComponent(id)}`, moveScheduleEntryPatch(m.startsAt, m.endsAt));
      return 200;
    },
    remove: async (id) => {
      await call('DELETE', `/schedule/entries/${encodeURIComponent(id)}`);
    },
    // Never booked (no member calendar): nothing to move or cancel.
    neverBooked: (m) => !memberOf(m),
  });
}

/**
 * A schedule entry read back for a callback that carries no `Entity` (`GET /schedule/entries/{id}`):
 * the entry, `'deleted'` when ConnectWise answers 404, or a VendorError.
 */
export async function readConnectWiseScheduleEntry(connector: ConnectorRow, entryId: string, timeoutSeconds: number): Promise<ScheduleEntryRecord | 'deleted'> {
  const creds = connectWiseCredentials.parse(openCredentials(connector));
  const base = connector.baseUrl.replace(/\/+$/, '');
  const path = `/schedule/entries/${encodeURIComponent(entryId)}`;
  const { res, text } = await sendToConnectWise(base, creds, 'GET', path, { timeoutSeconds });
  if (res.status === 404) return 'deleted';
  if (res.status < 200 || res.status >= 300) throw new VendorError(failureOf('GET', path, res, text));
  let parsed;
  try {
    parsed = scheduleEntryRecord.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new VendorError({ outcome: 'failed', permanent: true, error: `ConnectWise answered GET ${path} with something other than a schedule entry` });
  return parsed.data;
}

/** Notes read per page when looking for the first one a person wrote, and the pages read at most (a CTA's ticket rarely has more than a few). */
const NOTES_PAGE_SIZE = 100;
const NOTES_MAX_PAGES = 10;

/**
 * The first note `pick` accepts on a ticket, read back for a ticket callback (which carries no
 * notes): `GET /service/tickets/{id}/notes?orderBy=id asc&pageSize=100&page=n`, page after page
 * while ConnectWise's `Link` header names a next one, stopping at the first page where `pick`
 * finds one. A ticket gone (404) has no notes. Unreachable, refused or not a list of notes: a
 * VendorError (the receiver answers 503 and records nothing, so ConnectWise retries).
 */
export async function readConnectWiseTicketNote<T>(connector: ConnectorRow, ticketId: string, pick: (notes: ServiceNoteRecord[]) => T | undefined, timeoutSeconds: number): Promise<T | undefined> {
  const creds = connectWiseCredentials.parse(openCredentials(connector));
  const base = connector.baseUrl.replace(/\/+$/, '');
  const path = `/service/tickets/${encodeURIComponent(ticketId)}/notes`;
  const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
  for (let page = 1; page <= NOTES_MAX_PAGES; page++) {
    const query = `orderBy=${encodeURIComponent('id asc')}&pageSize=${NOTES_PAGE_SIZE}&page=${page}`;
    const { res, text } = await sendToConnectWise(base, creds, 'GET', `${path}?${query}`, { timeoutSeconds, signal: deadline });
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw new VendorError(failureOf('GET', path, res, text));
    let parsed;
    try {
      parsed = z.array(serviceNoteRecord).max(1000).safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new VendorError({ outcome: 'failed', permanent: true, error: `ConnectWise answered GET ${path} with something other than a list of notes` });
    const found = pick(parsed.data);
    if (found !== undefined) return found;
    if (!/rel="?next"?/i.test(res.headers.get('link') ?? '')) return undefined;
  }
  return undefined;
}

/**
 * A ConnectWise error answer → the outcome. Its body is `{code, message, errors: [{code, message,
 * resource, field}]}`; the message (never the request, which holds no secret but the headers do)
 * is kept for the status. 401/403 are the connector's credentials or permissions: retried (the
 * breaker opens and deliveries queue until an admin fixes the connector) rather than dead-lettering
 * every ticket. Other 4xx refuse this message (dead at once); 429/5xx are retried with Retry-After.
 */
function failureOf(method: string, path: string, res: Response, text: string): FailedAttempt {
  let detail = '';
  try {
    const b = JSON.parse(text) as { code?: string; message?: string; errors?: { field?: string; message?: string }[] };
    detail = [b.code, b.message, ...(b.errors ?? []).map((e) => `${e.field ?? ''}: ${e.message ?? ''}`)].filter(Boolean).join('; ');
  } catch {
    detail = text.slice(0, 200);
  }
  const where = `${method} ${path.split('?')[0]}`;
  return vendorFailure('ConnectWise', 'credentials', where, res, detail);
}

/** Companies per page when importing (ConnectWise allows up to 1000; 100 keeps each `in (…)` condition short). */
const IMPORT_PAGE_SIZE = 100;

/**
 * The client import's read (issue 15, "Getting clients in"): every active company
 * (`GET /company/companies?conditions=deletedFlag=false`, paged with `page`/`pageSize` while the
 * `Link` header names a next page), each page's primary contacts (`GET /company/contacts`,
 * `defaultFlag=true`) and live agreements (`GET /finance/agreements`, `cancelledFlag=false`: the
 * latest `endDate` is the renewal, R-13). The company's `country`, `state` and `timeZoneSetup`
 * give its region and zone where they map (domain/psa-import.ts `regionOf`, `zoneOf`); the
 * agreements still running today, billed by cycle (`billAmount` per `billingCycle.name`, not
 * `billOneTimeFlag`), sum to its MRR (`monthlyAmount`). Read-only; stops past `maxCompanies` (the
 * caller refuses the import then). A vendor failure throws VendorError.
 */
export async function readConnectWiseCompanies(connector: ConnectorRow, timeoutSeconds: number, maxCompanies: number): Promise<PsaCompany[]> {
  const creds = connectWiseCredentials.parse(openCredentials(connector));
  const base = connector.baseUrl.replace(/\/+$/, '');
  const get = async (path: string, query: Record<string, string>, pageNo: number): Promise<{ items: any[]; more: boolean }> => {
    const qs = new URLSearchParams({ ...query, page: String(pageNo), pageSize: String(IMPORT_PAGE_SIZE) });
    const { res, text } = await sendToConnectWise(base, creds, 'GET', `${path}?${qs}`, { timeoutSeconds });
    if (res.status < 200 || res.status >= 300) throw new VendorError(failureOf('GET', path, res, text));
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      items = undefined;
    }
    if (!Array.isArray(items)) throw new VendorError({ outcome: 'failed', permanent: true, error: `ConnectWise answered GET ${path} with something other than a list` });
    return { items, more: /rel="?next"?/.test(res.headers.get('link') ?? '') };
  };
  const all = async (path: string, query: Record<string, string>, limit = Infinity) => {
    const out: any[] = [];
    for (let pageNo = 1; ; pageNo += 1) {
      const { items, more } = await get(path, query, pageNo);
      out.push(...items);
      if (!more || items.length === 0 || out.length > limit) return out;
    }
  };
  const companies = (await all('/company/companies', { conditions: 'deletedFlag=false', orderBy: 'id asc', fields: 'id,name,country,state,timeZoneSetup' }, maxCompanies))
    .filter((c) => Number.isInteger(c?.id) && typeof c?.name === 'string');
  // Too many for one import: the caller refuses it by the count, so their contacts and agreements are not read.
  if (companies.length > maxCompanies) return companies.map((c) => ({ id: String(c.id), name: c.name, renewalDate: null }));
  const today = new Date().toISOString().slice(0, 10);
  const result: PsaCompany[] = [];
  for (let i = 0; i < companies.length; i += IMPORT_PAGE_SIZE) {
    const batch = companies.slice(i, i + IMPORT_PAGE_SIZE);
    const ids = `company/id in (${batch.map((c) => c.id).join(',')})`;
    const contacts = await all('/company/contacts', { conditions: `${ids} and defaultFlag=true` });
    const agreements = await all('/finance/agreements', { conditions: `${ids} and cancelledFlag=false` });
    for (const c of batch) {
      const contact = contacts.find((x) => x?.company?.id === c.id);
      const email = Array.isArray(contact?.communicationItems)
        ? contact.communicationItems.find((m: any) => m?.communicationType === 'Email' && m.defaultFlag)?.value ?? contact.communicationItems.find((m: any) => m?.communicationType === 'Email')?.value
        : undefined;
      const contactName = [contact?.firstName, contact?.lastName].filter((s) => typeof s === 'string' && s.trim()).join(' ').trim();
      const own = agreements.filter((a) => a?.company?.id === c.id);
      const running = own.filter((a) => !a.billOneTimeFlag && (a.noEndingDateFlag || (dateOf(a.endDate) ?? '') >= today));
      const mrr = monthlyRecurring(running.map((a) => monthlyAmount(a.billAmount, a.billingCycle?.name)));
      const timeZone = zoneOf(c.timeZoneSetup?.name);
      const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v : null);
      result.push({
        id: String(c.id), name: c.name,
        ...(contactName ? { primaryContact: { name: contactName, email: typeof email === 'string' ? email : null, title: typeof contact?.title === 'string' && contact.title ? contact.title : null } } : {}),
        renewalDate: latestEnd(own.filter((a) => !a.noEndingDateFlag).map((a) => dateOf(a.endDate))),
        ...(mrr !== undefined ? { mrr } : {}),
        ...(timeZone ? { timeZone } : {}),
        ...(text(c.country?.name) || text(c.country?.identifier) ? { address: { country: text(c.country?.name), countryCode: text(c.country?.identifier), state: text(c.state) } } : {}),
      });
    }
  }
  return result;
}
