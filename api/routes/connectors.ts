import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import {
  claimInboundEvent, connectorKey, connectorStatus, createConnector, findLinkByVendorId, getConnector, listConnectors, updateConnector,
  type ConnectorMappings, type ConnectorRow,
} from '../../db/connectors.js';
import { completeCta, recordFirstAction } from '../../db/ctas.js';
import { clients, people } from '../../db/schema.js';
import type { Actor } from '../../db/schema.js';
import {
  callbackEventKey, connectWiseCallback, connectWiseCredentials, connectWiseSettings, ticketReport, trustedKeyUrl, verifyCallbackSignature,
} from '../../domain/connectwise.js';
import { notifyCtaClock } from '../../runtime/processes.js';
import { enqueueWorkflowNotice } from '../../db/outbox.js';
import { msGraphCredentials, msGraphSettings } from '../../domain/msgraph.js';
import { MsGraphBaseUrl, MsGraphCredentials, MsGraphSettings } from './msgraph.js';
import { IntegrationKeyMissingError } from '../../runtime/secret-box.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { notFound, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, Pagination, page, text } from '../schemas.js';

/** Where a connector's vendor posts its callbacks (outside /v1: the vendor holds no Baton key; its signature authenticates it). */
export const inboundPath = (c: Pick<ConnectorRow, 'id' | 'type'>) => `/inbound/${c.type}/${c.id}`;

const BaseUrl = z.string().max(500).url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http or https URL')
  .openapi({ format: 'uri', example: 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', description: 'The REST API root, up to `/apis/3.0`' });

const Mappings = z.strictObject({
  people: z.array(z.strictObject({ personId: Id, member: text(1, 100).openapi({ description: 'The ConnectWise member identifier' }) })).max(1000)
    .refine((l) => new Set(l.map((m) => m.personId)).size === l.length, 'each person once').default([]),
  clients: z.array(z.strictObject({ clientId: Id, companyId: z.number().int().positive().max(2_147_483_647).openapi({ description: 'The ConnectWise company id' }) })).max(5000)
    .refine((l) => new Set(l.map((m) => m.clientId)).size === l.length, 'each client once').default([]),
}).openapi('ConnectorMappings', { description: 'Baton people → ConnectWise members (ticket owner), Baton clients → ConnectWise companies (only mapped clients get tickets)' });

const Settings = connectWiseSettings.extend({ newStatus: text(1, 50).default('New'), closedStatus: text(1, 50).default('Closed') }).openapi('ConnectWiseSettings');
const Credentials = z.strictObject({
  companyId: text(1, 100), publicKey: text(1, 200), privateKey: text(1, 200), clientId: text(1, 100),
}).openapi('ConnectWiseCredentials', { description: 'Sealed at rest under BATON_INTEGRATION_KEY; never returned or logged' });

const ConnectorStatus = z.object({
  breaker: z.object({ state: z.enum(['closed', 'open']), consecutiveFailures: z.number().int(), openUntil: z.string().max(40).nullable() }),
  lastError: z.string().max(2000).nullable().openapi({ description: 'The last failure calling the vendor (e.g. refused credentials), cleared by a success' }),
  deliveries: z.object({ pending: z.number().int(), retrying: z.number().int(), delivered: z.number().int(), dead: z.number().int() }),
});
const Connector = z.object({
  id: Id, type: z.enum(['connectwise', 'msgraph']), name: z.string().max(200), baseUrl: z.string().max(500), settings: z.union([Settings, MsGraphSettings]), mappings: Mappings, active: z.boolean(),
  inboundPath: z.string().max(200).openapi({ description: 'Register `<Baton URL><inboundPath>` as the vendor\'s callback URL' }),
  createdBy: z.string().max(200), createdAt: z.string().max(40), updatedAt: z.string().max(40),
}).openapi('Connector');

const ConnectorParams = z.object({ connectorId: Id.openapi({ param: { name: 'connectorId', in: 'path' } }) });

const createRoute = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/connectors', operationId: 'createConnector', tags: ['Integrations'],
  summary: 'Connect a PSA account (ConnectWise PSA): credentials sealed at rest, people and clients mapped',
  request: jsonBody(z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('connectwise'), name: text(1, 200), baseUrl: BaseUrl, credentials: Credentials, settings: Settings, mappings: Mappings.optional() }),
    // Microsoft Graph calendar (issue 15): mappings.people[].member is the person's mailbox (user id or UPN); clients are not mapped.
    z.strictObject({ type: z.literal('msgraph'), name: text(1, 200), baseUrl: MsGraphBaseUrl, credentials: MsGraphCredentials, settings: MsGraphSettings, mappings: Mappings.optional() }),
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
    ...jsonBody(z.strictObject({ name: text(1, 200).optional(), baseUrl: BaseUrl.optional(), credentials: z.union([Credentials, MsGraphCredentials]).optional(), settings: z.union([Settings, MsGraphSettings]).optional(), mappings: Mappings.optional(), active: z.boolean().optional() })
      .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')),
  },
  responses: { 200: jsonResponse(Connector, 'Changed') },
});

const connectorView = (c: ConnectorRow) => ({
  id: c.id, type: c.type as 'connectwise' | 'msgraph', name: c.name, baseUrl: c.baseUrl, settings: c.type === 'msgraph' ? msGraphSettings.parse(c.settings) : connectWiseSettings.parse(c.settings), mappings: c.mappings, active: c.active,
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

/** A PATCH's credentials and settings must be the connector's own type's (the body schema accepts either). */
function checkTypeFits(type: string, b: { credentials?: unknown; settings?: unknown; mappings?: ConnectorMappings }) {
  const [creds, settings] = type === 'msgraph' ? [msGraphCredentials, msGraphSettings] : [connectWiseCredentials, connectWiseSettings];
  const errors = [
    ...(b.credentials !== undefined && !creds.safeParse(b.credentials).success ? [{ location: 'body', path: 'credentials', message: `not ${type} credentials` }] : []),
    ...(b.settings !== undefined && !settings.safeParse(b.settings).success ? [{ location: 'body', path: 'settings', message: `not ${type} settings` }] : []),
    // A calendar connector maps people to mailboxes only: clients mapped to it would fan CTAs out to it as tickets.
    ...(type === 'msgraph' && b.mappings?.clients.length ? [{ location: 'body', path: 'mappings.clients', message: 'a Microsoft Graph connector maps people to mailboxes, not clients' }] : []),
  ];
  if (errors.length) throw unprocessable(`The change does not fit a ${type} connector.`, { errors });
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
    const mappings = b.mappings ?? { people: [], clients: [] };
    await checkMappings(db, mappings);
    checkTypeFits(b.type, { mappings });
    const row = await sealing(() => createConnector(db, { id: requestScopedId(c, 'connector'), type: b.type, name: b.name, baseUrl: b.baseUrl, credentials: b.credentials, settings: b.settings, mappings, createdBy: actorOf(c).name }));
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
    if (b.mappings) await checkMappings(db, b.mappings);
    checkTypeFits(existing.type, b);
    const at = (await currentTime(c.get('deps'))).toISOString();
    const row = await sealing(() => updateConnector(db, connectorId, b, at));
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
 * (closed → `POST /v1/ctas/{id}/complete`, left its opening status → `/first-action`).
 */
export function registerConnectorInbound(app: OpenAPIHono<ApiEnv>) {
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

    const settings = connectWiseSettings.parse(connector.settings);
    const report = ticketReport(body, settings);
    const eventKey = callbackEventKey(raw);
    const at = (await currentTime(c.get('deps'))).toISOString();
    const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `ConnectWise PSA: ${connector.name}` };
    const result = await db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const ctaId = body.Type.toLowerCase() === 'ticket' ? await findLinkByVendorId(tx, connector.id, 'ticket', String(body.ID)) : undefined;
      const outcome = !ctaId ? 'not-a-baton-ticket' : report.report === 'none' ? `no-report: ${report.why}` : report.report;
      if (!(await claimInboundEvent(tx, connector.id, eventKey, `${body.Type}/${body.ID}`, outcome))) return { duplicate: true as const, outcome: 'already-received', ctaId: undefined };
      if (!ctaId || report.report === 'none') return { duplicate: false as const, outcome, ctaId: undefined };
      const eventId = `cta/${ctaId}/inbound/${eventKey.slice(7, 39)}`;
      const applied = report.report === 'complete'
        ? await completeCta(tx, ctaId, report.note, { actor, at }, eventId)
        : await recordFirstAction(tx, ctaId, { note: report.note }, { actor, at }, eventId);
      return { duplicate: false as const, outcome: applied.outcome === 'applied' ? report.report : `unchanged: ${applied.outcome === 'conflict' ? applied.reason : 'no such CTA'}`, ctaId: applied.outcome === 'applied' ? ctaId : undefined };
    });
    if (result.ctaId && temporal) await notifyCtaClock(temporal, result.ctaId).catch((err) => logger.warn({ err, ctaId: result.ctaId }, 'CTA clock not notified; it re-reads the CTA at its next deadline'));
    return c.json({ received: true, duplicate: result.duplicate, outcome: result.outcome }, 200);
  });
}
