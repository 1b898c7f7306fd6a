import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiKeyNotReissuableError, createApiKey, LastAdminKeyError, listApiKeys, revokeApiKey, ROLES } from '../../db/api-keys.js';
import type { ApiEnv } from '../context.js';
import { actorOf } from '../actor.js';
import { requestScopedId } from '../idempotency.js';
import { conflict, notFound } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, page, Pagination, text } from '../schemas.js';

const ApiKey = z.object({
  id: Id, name: z.string(), role: z.enum(ROLES), prefix: z.string(), createdBy: z.string(), createdAt: z.string(),
  lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable(),
}).openapi('ApiKey');
const KeyParams = z.object({ keyId: Id.openapi({ param: { name: 'keyId', in: 'path' } }) });

const create = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/api-keys', operationId: 'createApiKey', tags: ['API keys'], summary: 'Create an API key (the key is shown once)',
  request: jsonBody(z.object({ name: text(1, 100), role: z.enum(ROLES) }).strict()),
  responses: { 201: jsonResponse(ApiKey.extend({ key: z.string() }), 'Created; store `key` now, only its hash is kept') },
});
const list = securedRoute(ROLE_SETS.admin, {
  method: 'get', path: '/v1/api-keys', operationId: 'listApiKeys', tags: ['API keys'], summary: 'List API keys (never the keys themselves), oldest first',
  request: { query: Pagination },
  responses: { 200: jsonResponse(page(ApiKey), 'A page of keys') },
});
const revoke = securedRoute(ROLE_SETS.admin, {
  method: 'delete', path: '/v1/api-keys/{keyId}', operationId: 'revokeApiKey', tags: ['API keys'], summary: 'Revoke an API key',
  request: { params: KeyParams }, responses: { 200: jsonResponse(ApiKey, 'Revoked') },
});

export function registerApiKeyRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(create, async (c) => {
    const b = c.req.valid('json');
    const created = await createApiKey(c.get('deps').db, { ...b, createdBy: actorOf(c).name, id: requestScopedId(c, 'api-key') }).catch((err: unknown) => {
      if (err instanceof ApiKeyNotReissuableError) throw conflict(err.message);
      throw err;
    });
    // The key is shown once and never stored in clear, not even for an Idempotency-Key replay: a
    // retry with the same key re-issues the same record with a new key (the lost one stops working).
    c.set('responseHoldsSecret', true);
    return c.json({ ...created.record, key: created.key }, 201);
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const rows = await listApiKeys(c.get('deps').db, { after: q.after, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit);
    return c.json({ items, ...(rows.length > q.limit ? { next: items.at(-1)!.id } : {}) }, 200);
  });
  app.openapi(revoke, async (c) => {
    const { keyId } = c.req.valid('param');
    try {
      const revoked = await revokeApiKey(c.get('deps').db, keyId);
      if (!revoked) throw notFound('API key', keyId);
      return c.json(revoked, 200);
    } catch (err) {
      if (err instanceof LastAdminKeyError) throw conflict(err.message);
      throw err;
    }
  });
}
