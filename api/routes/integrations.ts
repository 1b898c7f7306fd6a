import { z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  createSubscription, disableSubscription, enqueueTestDelivery, getDelivery, getSubscription, listDeliveries, listSubscriptions, TEST_EVENT_TYPE,
  type DeliveryRow, type SubscriptionRow,
} from '../../db/deliveries.js';
import { LEDGER_EVENT_TYPES } from '../../domain/events.js';
import { dispatchWorkflowStart } from '../../runtime/processes.js';
import { IntegrationKeyMissingError } from '../../runtime/secret-box.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { notFound, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, MAX_PAGE_SIZE, Pagination, page, text } from '../schemas.js';

/** Ledger event types a subscription may name: the catalogue without `delivery.*` (never fanned out, db/deliveries.ts). */
const SUBSCRIBABLE = LEDGER_EVENT_TYPES.filter((t) => !t.startsWith('delivery.'));
const DELIVERY_STATES = ['pending', 'retrying', 'delivered', 'dead'] as const;

const WebhookUrl = z.string().max(2000).url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http or https URL')
  .openapi({ format: 'uri', example: 'https://hooks.example.com/baton' });

const Subscription = z.object({
  id: Id, url: z.string().max(2000), description: z.string().max(500), eventTypes: z.array(z.string().max(64)).max(SUBSCRIBABLE.length),
  active: z.boolean(), createdBy: z.string().max(200), createdAt: z.string().max(40), disabledAt: z.string().max(40).nullable(),
}).openapi('WebhookSubscription');

const Delivery = z.object({
  id: Id.openapi({ description: 'Also the `webhook-id` header: the same on every attempt, the receiver\'s idempotency key' }),
  channel: z.enum(['webhook', 'email', 'psa']), connector: z.string().max(200), subscriptionId: Id.nullable(), eventId: z.string().max(200).nullable(), eventType: z.string().max(64),
  clientId: z.string().max(64).nullable(), state: z.enum(DELIVERY_STATES), attempts: z.number().int(), lastStatus: z.number().int().nullable(),
  lastError: z.string().max(2000).nullable(), nextAttemptAt: z.string().max(40).nullable(), deliveredAt: z.string().max(40).nullable(), createdAt: z.string().max(40),
}).openapi('Delivery');

const SubscriptionParams = z.object({ subscriptionId: Id.openapi({ param: { name: 'subscriptionId', in: 'path' } }) });
const DeliveryParams = z.object({ deliveryId: Id.openapi({ param: { name: 'deliveryId', in: 'path' } }) });

const createRoute = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/webhook-subscriptions', operationId: 'createWebhookSubscription', tags: ['Integrations'],
  summary: 'Subscribe a URL to ledger event types (Standard Webhooks; the signing secret is shown once)',
  request: jsonBody(z.object({
    url: WebhookUrl,
    eventTypes: z.array(z.enum(SUBSCRIBABLE as [string, ...string[]])).min(1).max(SUBSCRIBABLE.length)
      .refine((l) => new Set(l).size === l.length, 'event types must be unique').openapi({ uniqueItems: true }),
    description: text(0, 500).optional(),
  }).strict()),
  responses: { 201: jsonResponse(Subscription.extend({ secret: z.string().max(100).optional().openapi({ description: 'The `whsec_` signing secret: store it now; it is never returned again (absent on a retried request)' }) }), 'Created') },
});
const listRoute = securedRoute(ROLE_SETS.admin, {
  method: 'get', path: '/v1/webhook-subscriptions', operationId: 'listWebhookSubscriptions', tags: ['Integrations'], summary: 'List webhook subscriptions (never their secrets)',
  request: { query: Pagination }, responses: { 200: jsonResponse(page(Subscription), 'A page of subscriptions') },
});
const getRoute = securedRoute(ROLE_SETS.admin, {
  method: 'get', path: '/v1/webhook-subscriptions/{subscriptionId}', operationId: 'getWebhookSubscription', tags: ['Integrations'], summary: 'One webhook subscription (never its secret)',
  request: { params: SubscriptionParams }, responses: { 200: jsonResponse(Subscription, 'The subscription') },
});
const disableRoute = securedRoute(ROLE_SETS.admin, {
  method: 'delete', path: '/v1/webhook-subscriptions/{subscriptionId}', operationId: 'disableWebhookSubscription', tags: ['Integrations'],
  summary: 'Stop new deliveries to a subscription (queued ones still run; the delivery log stays)',
  request: { params: SubscriptionParams }, responses: { 200: jsonResponse(Subscription, 'Disabled') },
});
const testRoute = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/webhook-subscriptions/{subscriptionId}/test', operationId: 'testWebhookSubscription', tags: ['Integrations'],
  summary: `Queue a signed \`${TEST_EVENT_TYPE}\` delivery to the subscription; follow it in the delivery log`,
  request: { params: SubscriptionParams }, responses: { 202: jsonResponse(Delivery, 'Queued') },
});
const listDeliveriesRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/deliveries', operationId: 'listDeliveries', tags: ['Integrations'], summary: 'The delivery log, newest first: state, attempts, last status and error',
  request: {
    query: z.object({
      limit: Pagination.shape.limit, after: Pagination.shape.after,
      subscriptionId: Id.optional(), clientId: Id.optional(), state: z.enum(DELIVERY_STATES).optional(),
      connector: z.string().min(1).max(200).regex(/^[a-z]+(:[A-Za-z0-9-]+)?$/, 'a connector key such as psa:<connector id>').optional().openapi({ description: 'A connector key: `webhook:<subscription id>`, `smtp`, `psa:<connector id>`' }),
    }),
  },
  responses: { 200: jsonResponse(page(Delivery), `A page of deliveries (at most ${MAX_PAGE_SIZE})`) },
});
const getDeliveryRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/deliveries/{deliveryId}', operationId: 'getDelivery', tags: ['Integrations'], summary: 'One delivery and its status',
  request: { params: DeliveryParams }, responses: { 200: jsonResponse(Delivery, 'The delivery') },
});

const subscriptionView = (s: SubscriptionRow) => ({
  id: s.id, url: s.url, description: s.description, eventTypes: s.eventTypes, active: s.active, createdBy: s.createdBy, createdAt: s.createdAt, disabledAt: s.disabledAt,
});
const deliveryView = (d: DeliveryRow) => ({
  id: d.id, channel: d.channel as 'webhook' | 'email' | 'psa', connector: d.connector, subscriptionId: d.subscriptionId, eventId: d.eventId, eventType: d.eventType, clientId: d.clientId,
  state: d.state as (typeof DELIVERY_STATES)[number], attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError, nextAttemptAt: d.nextAttemptAt, deliveredAt: d.deliveredAt, createdAt: d.createdAt,
});

export function registerIntegrationRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createRoute, async (c) => {
    const b = c.req.valid('json');
    try {
      const { row, secret } = await createSubscription(c.get('deps').db, {
        id: requestScopedId(c, 'webhook-subscription'), url: b.url, description: b.description ?? '', eventTypes: b.eventTypes, createdBy: actorOf(c).name,
      });
      if (secret) c.set('responseHoldsSecret', true);
      return c.json({ ...subscriptionView(row), ...(secret ? { secret } : {}) }, 201);
    } catch (err) {
      if (err instanceof IntegrationKeyMissingError) throw new ProblemError(503, 'integration-key-missing', 'Connector secrets cannot be stored', err.message);
      throw err;
    }
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const { items, next } = await listSubscriptions(c.get('deps').db, { after: q.after, limit: q.limit });
    return c.json({ items: items.map(subscriptionView), ...(next ? { next } : {}) }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { subscriptionId } = c.req.valid('param');
    const s = await getSubscription(c.get('deps').db, subscriptionId);
    if (!s) throw notFound('Webhook subscription', subscriptionId);
    return c.json(subscriptionView(s), 200);
  });
  app.openapi(disableRoute, async (c) => {
    const { subscriptionId } = c.req.valid('param');
    const s = await disableSubscription(c.get('deps').db, subscriptionId, (await currentTime(c.get('deps'))).toISOString());
    if (!s) throw notFound('Webhook subscription', subscriptionId);
    return c.json(subscriptionView(s), 200);
  });
  app.openapi(testRoute, async (c) => {
    const { subscriptionId } = c.req.valid('param');
    const { db, temporal, logger } = c.get('deps');
    const s = await getSubscription(db, subscriptionId);
    if (!s) throw notFound('Webhook subscription', subscriptionId);
    if (!s.active) throw unprocessable('The subscription is disabled.');
    const row = await enqueueTestDelivery(db, subscriptionId, (await currentTime(c.get('deps'))).toISOString());
    if (temporal) await dispatchWorkflowStart(temporal, db, 'delivery', row.id).catch((err) => logger.warn({ err, deliveryId: row.id }, 'delivery not started; the worker\'s outbox dispatcher will start it'));
    return c.json(deliveryView(row), 202);
  });
  app.openapi(listDeliveriesRoute, async (c) => {
    const q = c.req.valid('query');
    const { items, next } = await listDeliveries(c.get('deps').db, { subscriptionId: q.subscriptionId, connector: q.connector, clientId: q.clientId, state: q.state, before: q.after, limit: q.limit });
    return c.json({ items: items.map(deliveryView), ...(next ? { next } : {}) }, 200);
  });
  app.openapi(getDeliveryRoute, async (c) => {
    const { deliveryId } = c.req.valid('param');
    const d = await getDelivery(c.get('deps').db, deliveryId);
    if (!d) throw notFound('Delivery', deliveryId);
    return c.json(deliveryView(d), 200);
  });
}
