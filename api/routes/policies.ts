import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { activePolicy, listPolicyVersions, policyVersion, publishPolicy } from '../../db/policies.js';
import type { ApiEnv } from '../context.js';
import { writeContext } from '../actor.js';
import { notFound, validationProblem } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { DEFAULT_PAGE_SIZE, intParam, page, Pagination, text } from '../schemas.js';

const PolicyVersion = z.object({
  version: z.number().int(), note: z.string(), publishedBy: z.string(), publishedAt: z.string(),
  document: z.record(z.string(), z.unknown()).openapi({ description: 'The full policy document (DOMAIN §4).' }),
}).openapi('PolicyVersion');
const Change = z.object({ path: z.string(), before: z.unknown(), after: z.unknown() });
const Published = PolicyVersion.extend({
  previousVersion: z.number().int(),
  changes: z.array(Change),
  published: z.boolean().openapi({ description: 'False when the document equals the version in force: nothing was published.' }),
});

const READ = ROLE_SETS.read;

const getActive = securedRoute(READ, {
  method: 'get', path: '/v1/policy', operationId: 'getActivePolicy', tags: ['Policy'], summary: 'The policy version in force',
  responses: { 200: jsonResponse(PolicyVersion, 'Active policy') },
});
const listVersions = securedRoute(READ, {
  method: 'get', path: '/v1/policy/versions', operationId: 'listPolicyVersions', tags: ['Policy'], summary: 'Every published version, newest first',
  request: { query: Pagination.extend({ after: intParam(1, 999_999_999).optional().openapi({ description: 'Cursor from the previous page\'s `next` (versions below it follow).' }) }) },
  responses: { 200: jsonResponse(page(PolicyVersion.omit({ document: true })), 'A page of versions, newest first') },
});
const getVersion = securedRoute(READ, {
  method: 'get', path: '/v1/policy/versions/{version}', operationId: 'getPolicyVersion', tags: ['Policy'], summary: 'One published version',
  request: { params: z.object({ version: intParam(1, 999_999_999).openapi({ param: { name: 'version', in: 'path' } }) }) },
  responses: { 200: jsonResponse(PolicyVersion, 'The version') },
});
const publish = securedRoute(ROLE_SETS.admin, {
  method: 'post', path: '/v1/policy/versions', operationId: 'publishPolicy', tags: ['Policy'],
  summary: 'Publish a new policy version, strictly: unknown keys are refused (each named), `replace` (default) needs the whole document, `merge` patches the active version; the response lists what changed. A document equal to the active version publishes nothing (200). Running workflows keep the version they started with.',
  request: jsonBody(z.object({
    document: z.record(z.string(), z.unknown()),
    note: text(3, 500),
    mode: z.enum(['replace', 'merge']).default('replace').openapi({ description: '`replace`: `document` is the whole policy, every key present. `merge`: `document` is a deep patch on the active version (objects merge, arrays and scalars replace).' }),
  }).strict()),
  responses: {
    201: jsonResponse(Published, 'Published'),
    200: jsonResponse(Published, 'Identical to the version in force: nothing published; the active version'),
  },
});

export function registerPolicyRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(getActive, async (c) => c.json(await activePolicy(c.get('deps').db) as never, 200));
  app.openapi(listVersions, async (c) => {
    const q = c.req.valid('query');
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await listPolicyVersions(c.get('deps').db, { beforeVersion: q.after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return c.json({ items, ...(rows.length > limit ? { next: String(items.at(-1)!.version) } : {}) }, 200);
  });
  app.openapi(getVersion, async (c) => {
    const { version } = c.req.valid('param');
    const found = await policyVersion(c.get('deps').db, version);
    if (!found) throw notFound('Policy version', String(version));
    return c.json(found as never, 200);
  });
  app.openapi(publish, async (c) => {
    const { document, note, mode } = c.req.valid('json');
    const result = await publishPolicy(c.get('deps').db, document, note, await writeContext(c), mode);
    if (!result.ok) {
      throw validationProblem(result.issues.map((i) => ({ location: 'body' as const, path: `document.${i.path}`, message: i.message })), 'The policy document is not valid; nothing was published.');
    }
    return c.json({ ...result.version, previousVersion: result.previousVersion, changes: result.diff, published: result.published } as never, result.published ? 201 : 200);
  });
}
