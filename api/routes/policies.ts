import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { activePolicy, listPolicyVersions, policyVersion, publishPolicy } from '../../db/policies.js';
import type { ApiEnv } from '../context.js';
import { actorOf, writeContext } from '../actor.js';
import { notFound, validationProblem } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';

const PolicyVersion = z.object({
  version: z.number().int(), note: z.string(), publishedBy: z.string(), publishedAt: z.string(),
  document: z.record(z.string(), z.unknown()).openapi({ description: 'The full policy document (DOMAIN §4).' }),
}).openapi('PolicyVersion');
const Change = z.object({ path: z.string(), before: z.unknown(), after: z.unknown() });

const READ = ROLE_SETS.read;

const getActive = securedRoute(READ, {
  method: 'get', path: '/v1/policy', operationId: 'getActivePolicy', tags: ['Policy'], summary: 'The policy version in force',
  responses: { 200: jsonResponse(PolicyVersion, 'Active policy') },
});
const listVersions = securedRoute(READ, {
  method: 'get', path: '/v1/policy/versions', operationId: 'listPolicyVersions', tags: ['Policy'], summary: 'Every published version, newest first',
  responses: { 200: jsonResponse(z.object({ items: z.array(PolicyVersion.omit({ document: true })) }), 'Versions') },
});
const getVersion = securedRoute(READ, {
  method: 'get', path: '/v1/policy/versions/{version}', operationId: 'getPolicyVersion', tags: ['Policy'], summary: 'One published version',
  request: { params: z.object({ version: z.coerce.number().int().min(1).openapi({ param: { name: 'version', in: 'path' } }) }) },
  responses: { 200: jsonResponse(PolicyVersion, 'The version') },
});
const publish = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/policy/versions', operationId: 'publishPolicy', tags: ['Policy'],
  summary: 'Publish a new policy version: validated in full; the response lists what changed. Running workflows keep the version they started with.',
  request: jsonBody(z.object({ document: z.record(z.string(), z.unknown()), note: z.string().trim().min(3).max(500) }).strict()),
  responses: { 201: jsonResponse(PolicyVersion.extend({ previousVersion: z.number().int(), changes: z.array(Change) }), 'Published') },
});

export function registerPolicyRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(getActive, async (c) => c.json(await activePolicy(c.get('deps').db) as never, 200));
  app.openapi(listVersions, async (c) => c.json({ items: await listPolicyVersions(c.get('deps').db) }, 200));
  app.openapi(getVersion, async (c) => {
    const { version } = c.req.valid('param');
    const found = await policyVersion(c.get('deps').db, version);
    if (!found) throw notFound('Policy version', String(version));
    return c.json(found as never, 200);
  });
  app.openapi(publish, async (c) => {
    const { document, note } = c.req.valid('json');
    const result = await publishPolicy(c.get('deps').db, document, note, await writeContext(c));
    if (!result.ok) {
      throw validationProblem(result.issues.map((i) => ({ location: 'body' as const, path: `document.${i.path}`, message: i.message })), 'The policy document is not valid; nothing was published.');
    }
    return c.json({ ...result.version, previousVersion: result.previousVersion, changes: result.diff } as never, 201);
  });
}
