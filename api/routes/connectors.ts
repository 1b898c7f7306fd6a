import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import {
  inboundEventSeen, connectorStatus, createConnector, findLinkByVendorId, getConnector, listConnectors, openCredentials, updateConnector, type ConnectorMappings, type ConnectorRow,
} from '../../db/connectors.js';
import { applyInboundReport, type InboundReport } from '../../db/inbound.js';
import { readConnectWiseTicketNote } from '../../activities/connectwise.js';
import { VendorError } from '../../activities/vendor-failure.js';
import { autotaskCallout, autotaskCredentials, autotaskSettings, calloutEventKey, calloutReport, verifyHookSignature } from '../../domain/autotask.js';
import { clients, ctas, people } from '../../db/schema.js';
import {
  callbackEventKey, connectWiseCallback, connectWiseSettings, firstPersonNote, isScheduleCallback, noteActedAt, ticketReport, trustedKeyUrl, verifyCallbackSignature, type PersonNote,
} from '../../domain/connectwise.js';
import { CALLBACK_READ_BACK_SECONDS, connectWiseScheduleCallback } from './connectwise.js';
import { notifyCtaClock } from '../../runtime/processes.js';
import { IntegrationKeyMissingError } from '../../runtime/secret-box.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { fieldErrors, notFound, ProblemError, unprocessable, type FieldError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, Pagination, page, text } from '../schemas.js';
import { HaloPsaCredentialsSchema, HaloPsaSettingsSchema, registerHaloPsaInbound } from './halopsa.js';
import { MsGraphBaseUrl, MsGraphCredentials, MsGraphSettings } from './msgraph.js';
import { enqueueWorkflowNotice } from '../../db/outbox.js';

/** Where a connector's vendor posts its callbacks (outside /v1: the vendor holds no Baton key; its signature authenticates it). */
export const inboundPath = (c: Pick<ConnectorRow, 'id' | 'type'>) => `/inbound/${c.type}/${c.id}`;

const BaseUrl = z.string().max(500).url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http or https URL')
  .openapi({ format: 'uri', example: 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', description: 'ConnectWise: the REST API root, up to `/apis/3.0`. Autotask: the zone URL from `zoneInformation`, e.g. `https://webservices2.autotask.net/ATServicesRest` (Baton adds `/V1.0`)' });

const uniqueBy = (key: 'clientId' | 'personId') => (l: Record<string, unknown>[]) => new Set(l.map((x) => x[key])).size === l.length;
const ClientMappings = z.array(z.strictObject({ clientId: Id, companyId: z.number().int().positive().max(2_147_483_647).openapi({ description: 'The vendor\'s company id' }) })).max(5000)
  .refine(uniqueBy('clientId'), 'each client once').default([]);
const CwMappings = z.strictObject({
  people: z.array(z.strictObject({ personId: Id, member: text(1, 100).openapi({ description: 'The ConnectWise member identifier' }) })).max(1000)
    .refine(uniqueBy('personId'), 'each person once').default([]),
  clients: ClientMappings,
}).openapi('ConnectWiseMappings', { description: 'Baton people → ConnectWise members (ticket owner), Baton clients → ConnectWise companies (only mapped clients get tickets)' });
const AtMappings = z.strictObject({
  people: z.array(z.strictObject({
    personId: Id,
    resourceId: z.number().int().positive().max(2_147_483_647).openapi({ description: 'The Autotask resource (ticket `assignedResourceID`, to-do `assignedToResourceID`)' }),
    roleId: z.number().int().positive().max(2_147_483_647).openapi({ description: 'The resource\'s role on tickets (`assignedResourceRoleID`, required with a resource)' }),
  })).max(1000).refine(uniqueBy('personId'), 'each person once').default([]),
  clients: ClientMappings,
}).openapi('AutotaskMappings', { description: 'Baton people → Autotask resources and roles, Baton clients → Autotask companies (only mapped clients get tickets or to-dos)' });

const HaloMappings = z.strictObject({
  people: z.array(z.strictObject({ personId: Id, member: z.string().max(10).regex(/^\d{1,10}$/, 'a HaloPSA agent id (digits)').openapi({ description: 'The HaloPSA agent id' }) })).max(1000)
    .refine(uniqueBy('personId'), 'each person once').default([]),
  clients: ClientMappings,
}).openapi('HaloPsaMappings', { description: 'Baton people → HaloPSA agents (ticket and appointment agent), Baton clients → HaloPSA clients (`companyId` holds the HaloPSA client id; only mapped clients get tickets)' });

const MsGraphMappings = z.strictObject({
  people: z.array(z.strictObject({ personId: Id, member: text(1, 200).openapi({ description: 'The person\'s mailbox: Entra ID user id or UPN' }) })).max(1000)
    .refine(uniqueBy('personId'), 'each person once').default([]),
  // A calendar connector maps people to mailboxes only: clients mapped to it would fan CTAs out to it as tickets.
  clients: z.array(z.strictObject({ clientId: Id, companyId: z.number().int() })).max(0, 'a Microsoft Graph connector maps people to mailboxes, not clients').default([]),
}).openapi('MsGraphMappings', { description: 'Baton people → their mailboxes (events on the Accountable\'s calendar); no clients' });

const CwSettings = connectWiseSettings.extend({ newStatus: text(1, 50).default('New'), closedStatus: text(1, 50).default('Closed') }).openapi('ConnectWiseSettings');
// extend() makes the schema here, after @hono/zod-openapi is loaded: a domain schema built before it has no .openapi (import order).
const AtSettings = autotaskSettings.extend({}).openapi('AutotaskSettings');
const CwCredentials = z.strictObject({
  companyId: text(1, 100), publicKey: text(1, 200), privateKey: text(1, 200), clientId: text(1, 100),
}).openapi('ConnectWiseCredentials', { description: 'Sealed at rest under BATON_INTEGRATION_KEY; never returned or logged' });
const AtCredentials = z.strictObject({
  apiIntegrationCode: text(1, 100), userName: text(1, 200), secret: text(1, 200),
  webhookSecret: text(10, 64).openapi({ description: 'The SecretKey of the Autotask webhooks pointing at Baton (verifies X-Hook-Signature)' }),
}).openapi('AutotaskCredentials', { description: 'The API user\'s headers (ApiIntegrationCode, UserName, Secret) and the webhooks\' SecretKey; sealed at rest under BATON_INTEGRATION_KEY; never returned or logged' });

/** Per connector type: the schemas its configuration is checked against. One registry, so a type is added in one place. */
const TYPE_SCHEMAS = {
  connectwise: { settings: CwSettings, credentials: CwCredentials, mappings: CwMappings },
  autotask: { settings: AtSettings, credentials: AtCredentials, mappings: AtMappings },
  halopsa: { settings: HaloPsaSettingsSchema, credentials: HaloPsaCredentialsSchema, mappings: HaloMappings },
  msgraph: { settings: MsGraphSettings, credentials: MsGraphCredentials, mappings: MsGraphMappings },
} as const;
type ConnectorTypeName = keyof typeof TYPE_SCHEMAS;
const ConnectorTypeEnum = z.enum(['connectwise', 'autotask', 'halopsa', 'msgraph']);

const ConnectorStatus = z.object({
  breaker: z.object({ state: z.enum(['closed', 'open']), consecutiveFailures: z.number().int(), openUntil: z.string().max(40).nullable() }),
  lastError: z.string().max(2000).nullable().openapi({ description: 'The last failure calling the vendor (e.g. refused credentials), cleared by a success' }),
  deliveries: z.object({ pending: z.number().int(), retrying: z.number().int(), delivered: z.number().int(), dead: z.number().int() }),
});
const Connector = z.object({
  id: Id, type: ConnectorTypeEnum, name: z.string().max(200), baseUrl: z.string().max(500), settings: z.union([CwSettings, AtSettings, HaloPsaSettingsSchema, MsGraphSettings]), mappings: z.union([CwMappings, AtMappings, HaloMappings, MsGraphMappings]), active: z.boolean(),
  inboundPath: z.string().max(200).openapi({ description: 'Register `<Baton URL><inboundPath>` as the vendor\'s callback URL' }),
  createdBy: z.string().max(200), createdAt: z.string().max(40), updatedAt: z.string().max(40),
}).openapi('Connector');

const ConnectorParams = z.object({ connectorId: Id.openapi({ param: { name: 'connectorId', in: 'path' } }) });

const createRoute = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/connectors', operationId: 'createConnector', tags: ['Integrations'],
  summary: 'Connect a PSA account (ConnectWise PSA, Autotask, HaloPSA) or a Microsoft Graph calendar: credentials sealed at rest, people (and a PSA\'s clients) mapped',
  request: jsonBody(z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('connectwise'), name: text(1, 200), baseUrl: BaseUrl, credentials: CwCredentials, settings: CwSettings, mappings: CwMappings.optional() }),
    z.strictObject({ type: z.literal('autotask'), name: text(1, 200), baseUrl: BaseUrl, credentials: AtCredentials, settings: AtSettings.optional(), mappings: AtMappings.optional() }),
    z.strictObject({
      type: z.literal('halopsa'), name: text(1, 200),
      baseUrl: BaseUrl.openapi({ example: 'https://msp.halopsa.com', description: 'The HaloPSA instance (its Resource Server without `/api`)' }),
      credentials: HaloPsaCredentialsSchema, settings: HaloPsaSettingsSchema.optional(), mappings: HaloMappings.optional(),
    }),
    z.strictObject({ type: z.literal('msgraph'), name: text(1, 200), baseUrl: MsGraphBaseUrl, credentials: MsGraphCredentials, settings: MsGraphSettings, mappings: MsGraphMappings.optional() }),
  ])),
  responses: { 201: jsonResponse(Connector, 'Connected (the credentials are not returned)') },
});
const listRoute = securedRoute(ROLE_SETS.admin, {
  method: 'get', path: '/v1/connectors', operationId: 'listConnectors', tags: ['Integrations'], summary: 'List PSA connectors (never their credentials)',
  request: { query: Pagination }, responses: { 200: jsonResponse(page(Connector), 'A page of connectors') },
});
const getRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/connectors/{connectorId}', operationId: 'getConnector', tags: ['Integrations'],
  summary: 'One connector and its status: circuit breaker, last error, deliveries by state',
  request: { params: ConnectorParams }, responses: { 200: jsonResponse(Connector.extend({ status: ConnectorStatus }), 'The connector') },
});
const updateRoute = securedRoute(ROLE_SETS.admin, {
  method: 'patch', path: '/v1/connectors/{connectorId}', operationId: 'updateConnector', tags: ['Integrations'],
  summary: 'Change a connector: name, URL, credentials (replaced whole), settings, mappings (replaced whole), active',
  request: {
    params: ConnectorParams,
    ...jsonBody(z.strictObject({
      name: text(1, 200).optional(), baseUrl: BaseUrl.optional(), credentials: z.union([CwCredentials, AtCredentials, HaloPsaCredentialsSchema, MsGraphCredentials]).optional(),
      settings: z.union([CwSettings, AtSettings, HaloPsaSettingsSchema, MsGraphSettings]).optional(), mappings: z.union([CwMappings, AtMappings, HaloMappings, MsGraphMappings]).optional(), active: z.boolean().optional(),
    }).openapi({ description: 'Credentials, settings and mappings are those of the connector\'s type' })
      .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')),
  },
  responses: { 200: jsonResponse(Connector, 'Changed') },
});

const connectorView = (c: ConnectorRow) => ({
  id: c.id, type: c.type as ConnectorTypeName, name: c.name, baseUrl: c.baseUrl, settings: TYPE_SCHEMAS[c.type as ConnectorTypeName].settings.parse(c.settings),
  mappings: TYPE_SCHEMAS[c.type as ConnectorTypeName].mappings.parse(c.mappings), active: c.active,
  inboundPath: inboundPath(c), createdBy: c.createdBy, createdAt: c.createdAt, updatedAt: c.updatedAt,
});

/** Every mapped person and client must exist: a typo would silently send no ticket. */
async function checkMappings(db: Db, m: ConnectorMappings) {
  const errors: { location: string; path: string; message: string }[] = [];
  const personIds = m.people.map((p) => p.personId);
  const clientIds = m.clients.map((x) => x.clientId);
  const knownPeople = new Set(personIds.length ? (await db.select({ id: people.id }).from(people).where(inArray(people.id, personIds))).map((r) => r.id) : []);
  const knownClients = new Set(clientIds.length ? (await db.select({ id: clients.id }).from(clients).where(inArray(clients.id, clientIds))).map((r) => r.id) : []);
  personIds.forEach((id, i) => knownPeople.has(id) || errors.push({ location: 'body', path: `mappings.people.${i}.personId`, message: 'unknown person' }));
  clientIds.forEach((id, i) => knownClients.has(id) || errors.push({ location: 'body', path: `mappings.clients.${i}.clientId`, message: 'unknown client' }));
  if (errors.length) throw unprocessable('The mappings name people or clients Baton does not know.', { errors: errors.slice(0, 20) });
}

const sealing = async <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (err) {
    if (err instanceof IntegrationKeyMissingError) throw new ProblemError(503, 'integration-key-missing', 'Connector secrets cannot be stored', err.message);
    throw err;
  }
};

export function registerConnectorRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createRoute, async (c) => {
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const mappings: ConnectorMappings = b.mappings ?? { people: [], clients: [] };
    await checkMappings(db, mappings);
    const settings = TYPE_SCHEMAS[b.type].settings.parse(b.settings ?? {});
    const row = await sealing(() => createConnector(db, { id: requestScopedId(c, 'connector'), type: b.type, name: b.name, baseUrl: b.baseUrl, credentials: b.credentials, settings, mappings, createdBy: actorOf(c).name }));
    if (row.type === 'msgraph') await enqueueWorkflowNotice(db, 'msgraph-subscriptions', row.id); // subscribe its mailboxes (issue 15)
    return c.json(connectorView(row), 201);
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const { items, next } = await listConnectors(c.get('deps').db, { after: q.after, limit: q.limit });
    return c.json({ items: items.map(connectorView), ...(next ? { next } : {}) }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { connectorId } = c.req.valid('param');
    const { db } = c.get('deps');
    const row = await getConnector(db, connectorId);
    if (!row) throw notFound('Connector', connectorId);
    return c.json({ ...connectorView(row), status: await connectorStatus(db, connectorId) }, 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { connectorId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const existing = await getConnector(db, connectorId);
    if (!existing) throw notFound('Connector', connectorId);
    // Each part is checked against the connector's own type (the body's unions only say it is some type's).
    const schemas = TYPE_SCHEMAS[existing.type as ConnectorTypeName];
    const errors: FieldError[] = [];
    const own = <T>(part: 'settings' | 'credentials' | 'mappings', value: unknown): T | undefined => {
      if (value === undefined) return undefined;
      const r = (schemas[part] as z.ZodType).safeParse(value);
      if (!r.success) errors.push(...fieldErrors('body', r.error.issues).map((e) => ({ ...e, path: e.path === '(root)' ? part : `${part}.${e.path}` })));
      return r.success ? r.data as T : undefined;
    };
    const update = { ...b, settings: own<Record<string, unknown>>('settings', b.settings), credentials: own<Record<string, unknown>>('credentials', b.credentials), mappings: own<ConnectorMappings>('mappings', b.mappings) };
    // The body is valid for some type (the document's unions): not fitting this connector's type is a 422, not a 400.
    if (errors.length) throw unprocessable(`Credentials, settings and mappings must be those of a ${existing.type} connector.`, { errors });
    for (const k of ['settings', 'credentials', 'mappings'] as const) if (update[k] === undefined) delete update[k];
    if (update.mappings) await checkMappings(db, update.mappings);
    const at = (await currentTime(c.get('deps'))).toISOString();
    const row = await sealing(() => updateConnector(db, connectorId, update, at));
    if (row!.type === 'msgraph') await enqueueWorkflowNotice(db, 'msgraph-subscriptions', row!.id); // mappings, credentials or active changed: resync
    return c.json(connectorView(row!), 200);
  });
}

// ---------------------------------------------------------------------------------------------
// Inbound: ConnectWise PSA callbacks

/** Signing keys by key URL, for a few minutes (ConnectWise rotates them; a miss refetches). */
const signingKeys = new Map<string, { key: string; until: number }>();
const SIGNING_KEY_TTL_MS = 5 * 60_000;

async function signingKey(keyUrl: string, fresh: boolean): Promise<string | undefined> {
  const cached = signingKeys.get(keyUrl);
  if (!fresh && cached && cached.until > Date.now()) return cached.key;
  try {
    const res = await fetch(keyUrl, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const key = ((await res.json()) as { signing_key?: unknown }).signing_key;
    if (typeof key !== 'string' || !key) return undefined;
    signingKeys.set(keyUrl, { key, until: Date.now() + SIGNING_KEY_TTL_MS });
    return key;
  } catch {
    return undefined;
  }
}

const unauthorized = (detail: string) => new ProblemError(401, 'unauthorized', 'Callback not authenticated', detail);

/**
 * POST /inbound/connectwise/{connectorId}: a ConnectWise callback. Verified before anything is
 * read into Baton (401, nothing changed, when unsigned, forged, or signed with a key from a host
 * other than the connector's); de-duplicated by the callback's identity (a replay answers 200
 * `duplicate` and changes nothing); a ticket that stands for a CTA reports on it as the API would
 * (closed → `POST /v1/ctas/{id}/complete`; the first note a person wrote on it, read back, →
 * `/first-action` with that note and its time; else left its opening status → `/first-action`); a schedule
 * entry that stands for a meeting reports on the meeting (done → held, deleted → cancelled, moved).
 */
export function registerConnectorInbound(app: OpenAPIHono<ApiEnv>) {
  registerHaloPsaInbound(app);
  app.post('/inbound/connectwise/:connectorId', async (c) => {
    const connectorId = c.req.param('connectorId');
    const { db, temporal, logger } = c.get('deps');
    const parsedId = Id.safeParse(connectorId);
    const connector = parsedId.success ? await getConnector(db, parsedId.data) : undefined;
    if (!connector || connector.type !== 'connectwise' || !connector.active) throw new ProblemError(404, 'not-found', 'Not found', 'No active ConnectWise connector at this address.');
    const raw = await c.req.text();
    let body;
    try {
      body = connectWiseCallback.parse(JSON.parse(raw));
    } catch {
      throw unauthorized('The body is not a ConnectWise callback, so it cannot be verified.');
    }
    const signature = c.req.header('x-content-signature');
    if (!signature) throw unauthorized('The x-content-signature header is missing.');
    if (!trustedKeyUrl(body.Metadata.key_url, connector.baseUrl)) throw unauthorized('Metadata.key_url is not on this connector\'s ConnectWise host.');
    // The raw bytes, or their compact re-serialisation (what the connectwise-rest library verifies).
    const verifies = (k: string | undefined) => !!k && (verifyCallbackSignature(k, raw, signature) || verifyCallbackSignature(k, JSON.stringify(JSON.parse(raw)), signature));
    let key = await signingKey(body.Metadata.key_url, false);
    let verified = verifies(key);
    if (!verified && key) {
      key = await signingKey(body.Metadata.key_url, true); // the key may have been rotated since it was cached
      verified = verifies(key);
    }
    if (!verified) throw unauthorized('The x-content-signature does not verify with the connector\'s signing key.');
    // A schedule entry Baton booked for a meeting: the cadence's meeting report (api/routes/connectwise.ts).
    if (isScheduleCallback(body)) return c.json(await connectWiseScheduleCallback(c, connector, body, callbackEventKey(raw), raw), 200);

    const settings = connectWiseSettings.parse(connector.settings);
    const eventKey = callbackEventKey(raw);
    const ctaId = body.Type.toLowerCase() === 'ticket' ? await findLinkByVendorId(db, connector.id, 'ticket', String(body.ID)) : undefined;
    const now = (await currentTime(c.get('deps'))).toISOString();
    let report: InboundReport = ticketReport(body, settings);
    // C-5: the first note a person wrote is the first action. The callback carries no notes, so they are read back.
    if (ctaId && report.report !== 'complete' && body.Action.toLowerCase() !== 'deleted') report = (await firstNoteReport(db, connector, ctaId, String(body.ID), eventKey, now)) ?? report;
    const result = await applyInboundReport(db, connector, {
      eventKey, entity: `${body.Type}/${body.ID}`, ctaId, report, unlinked: 'not-a-baton-ticket',
      actorName: `ConnectWise PSA: ${connector.name}`, at: now,
    });
    if (result.ctaId && temporal) await notifyCtaClock(temporal, db, result.ctaId).catch((err) => logger.warn({ err, ctaId: result.ctaId }, 'CTA clock not notified; it re-reads the CTA at its next deadline'));
    return c.json({ received: true, duplicate: result.duplicate, outcome: result.outcome }, 200);
  });

  /**
   * POST /inbound/autotask/{connectorId}: an Autotask webhook callout (TicketWebhooks,
   * TicketNoteWebhooks). Verified first: `X-Hook-Signature` must be `sha1=` + the base64
   * HMAC-SHA1 of the raw body under the connector's webhook SecretKey (401, nothing changed,
   * otherwise); de-duplicated by the webhook's Guid and SequenceNumber (a replay answers 200
   * `duplicate`); a ticket Baton created reports on its CTA as the API would (complete status →
   * completed; left the new status, or a note added → first action).
   */
  app.post('/inbound/autotask/:connectorId', async (c) => {
    const connectorId = c.req.param('connectorId');
    const { db, temporal, logger } = c.get('deps');
    const parsedId = Id.safeParse(connectorId);
    const connector = parsedId.success ? await getConnector(db, parsedId.data) : undefined;
    if (!connector || connector.type !== 'autotask' || !connector.active) throw new ProblemError(404, 'not-found', 'Not found', 'No active Autotask connector at this address.');
    const raw = await c.req.text();
    const signature = c.req.header('x-hook-signature');
    if (!signature) throw unauthorized('The X-Hook-Signature header is missing.');
    let secretKey: string;
    try {
      secretKey = autotaskCredentials.parse(openCredentials(connector)).webhookSecret;
    } catch (err) {
      if (err instanceof IntegrationKeyMissingError) throw new ProblemError(503, 'integration-key-missing', 'Connector secrets cannot be opened', err.message);
      throw err;
    }
    if (!verifyHookSignature(secretKey, raw, signature)) throw unauthorized('The X-Hook-Signature does not verify with the connector\'s webhook secret key.');
    let body;
    try {
      body = autotaskCallout.parse(JSON.parse(raw));
    } catch {
      // Signed by Autotask but not a callout Baton reads: acknowledged (a refusal would only make Autotask retry), nothing changes.
      return c.json({ received: true, duplicate: false, outcome: 'not-a-callout' }, 200);
    }
    const report = calloutReport(body, autotaskSettings.parse(connector.settings));
    const ctaId = report.ticketId ? await findLinkByVendorId(db, connector.id, 'ticket', report.ticketId) : undefined;
    const result = await applyInboundReport(db, connector, {
      eventKey: calloutEventKey(body, raw), entity: `${body.EntityType}/${body.Id}`, ctaId, report, unlinked: 'not-a-baton-ticket',
      actorName: `Autotask: ${connector.name}`, at: (await currentTime(c.get('deps'))).toISOString(),
    });
    if (result.ctaId && temporal) await notifyCtaClock(temporal, db, result.ctaId).catch((err) => logger.warn({ err, ctaId: result.ctaId }, 'CTA clock not notified; it re-reads the CTA at its next deadline'));
    return c.json({ received: true, duplicate: result.duplicate, outcome: result.outcome }, 200);
  });
}

/**
 * The first-action report a ticket's notes make (C-5), for a CTA with no first action yet: the
 * first note a person wrote (domain/connectwise.ts `firstPersonNote`), recorded with its text, its
 * time (`noteActedAt`) and its author when the member is mapped to a Baton person. Undefined when
 * there is nothing to read (a replay, a CTA already acted on or closed) or no such note: the status
 * rule then applies. ConnectWise unreachable: a 503 and nothing recorded, so its retry brings the
 * callback again (falling back to the status rule would record a later, less precise first action
 * for good).
 */
async function firstNoteReport(db: Db, connector: ConnectorRow, ctaId: string, ticketId: string, eventKey: string, now: string): Promise<InboundReport | undefined> {
  if (await inboundEventSeen(db, connector.id, eventKey)) return undefined;
  const [cta] = await db.select({ state: ctas.state, firstActionAt: ctas.firstActionAt, createdAt: ctas.createdAt }).from(ctas).where(eq(ctas.id, ctaId));
  if (!cta || cta.firstActionAt || cta.state === 'done' || cta.state === 'cancelled') return undefined;
  let note: PersonNote | undefined;
  try {
    note = await readConnectWiseTicketNote(connector, ticketId, (notes) => firstPersonNote(notes, ctaId), CALLBACK_READ_BACK_SECONDS);
  } catch (err) {
    if (err instanceof VendorError) throw new ProblemError(503, 'vendor-unavailable', 'The ticket\'s notes cannot be read back', `ConnectWise did not give the notes of ticket #${ticketId}: ${err.outcome.error}`.slice(0, 500));
    throw err;
  }
  if (!note) return undefined;
  const personId = connector.mappings.people.find((p) => !!p.member && p.member.toLowerCase() === note.by?.toLowerCase())?.personId;
  return { report: 'firstAction', note: note.text, actedAt: noteActedAt(note.writtenAt, String(cta.createdAt), now), ...(personId ? { personId } : {}) };
}
