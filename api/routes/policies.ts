import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { activePolicy, listPolicyVersions, policyVersion, publishPolicy } from '../../db/policies.js';
import type { ApiEnv } from '../context.js';
import { writeContext } from '../actor.js';
import { notFound, ProblemError, ProblemSchema, validationProblem } from '../problem.js';
import { afterCapacityChange } from '../portfolio-hooks.js';
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
  thresholdChange: z.object({ quarter: z.string(), paths: z.array(z.string()), forced: z.boolean(), rationale: z.string().optional() }).optional()
    .openapi({ description: 'R-125: the thresholds this version changed, in which quarter, and whether it was forced.' }),
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
  summary: 'Publish a new policy version, strictly: unknown keys are refused (each named), `replace` (default) needs the whole document, `merge` patches the active version; the response lists what changed. A document equal to the active version publishes nothing (200). Running workflows keep the version they started with. R-125: a change to a threshold (governance.thresholdPaths) is refused (409) after the first governance.thresholdChangeWindowDays of a quarter or when thresholds already changed this quarter, unless `force` gives the rationale.',
  request: jsonBody(z.object({
    document: z.record(z.string(), z.unknown()),
    note: text(3, 500),
    mode: z.enum(['replace', 'merge']).default('replace').openapi({ description: '`replace`: `document` is the whole policy, every key present. `merge`: `document` is a deep patch on the active version (objects merge, arrays and scalars replace).' }),
    force: z.object({ rationale: text(10, 2000).openapi({ description: 'Why a threshold must change now (R-125 exception); kept on the timeline with the version.' }) }).strict().optional()
      .openapi({ description: 'R-125: publish a threshold change mid-quarter or a second one in the quarter anyway (admins only, like every publish).' }),
  }).strict()),
  responses: {
    201: jsonResponse(Published, 'Published'),
    200: jsonResponse(Published, 'Identical to the version in force: nothing published; the active version'),
    409: { description: 'R-125: a threshold change mid-quarter, or a second one this quarter; `thresholdChanges` names the paths, `window` the quarter and when the next window opens. Send `force` with a rationale to publish anyway.', content: { 'application/problem+json': { schema: ProblemSchema } } },
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
    const { document, note, mode, force } = c.req.valid('json');
    const result = await publishPolicy(c.get('deps').db, document, note, await writeContext(c), mode, force ? { force } : {});
    if (!result.ok && 'refused' in result) {
      const r = result.refused;
      throw new ProblemError(409, 'threshold-change-refused', 'Threshold change refused (R-125)', r.message, {
        ruleId: 'R-125', reason: r.reason, thresholdChanges: r.thresholdChanges.map((x) => x.path), window: r.window, ...(r.earlier ? { earlierVersion: r.earlier } : {}),
      });
    }
    if (!result.ok) {
      throw validationProblem(result.issues.map((i) => ({ location: 'body' as const, path: `document.${i.path}`, message: i.message })), 'The policy document is not valid; nothing was published.');
    }
    if (result.published) await afterCapacityChange(c);
    const t = result.published ? result.thresholds : undefined;
    return c.json({
      ...result.version, previousVersion: result.previousVersion, changes: result.diff, published: result.published,
      ...(t && t.thresholdChanges.length ? { thresholdChange: { quarter: t.window.quarter, paths: t.thresholdChanges.map((x) => x.path), forced: !!t.forced, ...(t.forced ? { rationale: t.forced.rationale } : {}) } } : {}),
    } as never, result.published ? 201 : 200);
  });
}
