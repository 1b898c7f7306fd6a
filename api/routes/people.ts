import { isUniqueViolation } from '../../db/errors.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { getPerson, listPeople } from '../../db/people.js';
import { people } from '../../db/schema.js';
import type { ApiEnv } from '../context.js';
import { markCapacityChanged } from '../../db/portfolio.js';
import { afterCapacityChange } from '../portfolio-hooks.js';
import { requestScopedId } from '../idempotency.js';
import { conflict, notFound } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { MSP_ROLES } from '../../domain/roles.js';
import { Email, Id, MspRole, page, Pagination, text, uniqueList } from '../schemas.js';

const PersonBody = z.object({
  name: text(1, 200),
  email: Email,
  roles: uniqueList(MspRole, MSP_ROLES.length, 'roles').min(1),
  weeklyCapacityHours: z.number().min(0).max(80).optional().openapi({ description: 'Hours a week available for client work (R-37 load; default 40).' }),
  active: z.boolean().optional(),
}).strict();
const Person = PersonBody.extend({ id: Id, weeklyCapacityHours: z.number(), active: z.boolean(), createdAt: z.string(), updatedAt: z.string() }).openapi('Person');
const PersonParams = z.object({ personId: Id.openapi({ param: { name: 'personId', in: 'path' } }) });

const view = (p: typeof people.$inferSelect) => ({
  id: p.id, name: p.name, email: p.email, roles: p.roles, weeklyCapacityHours: p.weeklyCapacityHours, active: p.active, createdAt: p.createdAt, updatedAt: p.updatedAt,
});

const READ = ROLE_SETS.read;
const WRITE = ROLE_SETS.operate;

const createPerson = securedRoute(WRITE, {
  method: 'post', path: '/v1/people', operationId: 'createPerson', tags: ['People'], summary: 'Add an MSP staff member with their roles',
  request: jsonBody(PersonBody), responses: { 201: jsonResponse(Person, 'Created') },
});
const listPeopleRoute = securedRoute(READ, {
  method: 'get', path: '/v1/people', operationId: 'listPeople', tags: ['People'], summary: 'List MSP staff',
  request: { query: Pagination.extend({ role: MspRole.optional(), active: z.enum(['true', 'false']).optional() }) },
  responses: { 200: jsonResponse(page(Person), 'A page of people, by id') },
});
const getPersonRoute = securedRoute(READ, {
  method: 'get', path: '/v1/people/{personId}', operationId: 'getPerson', tags: ['People'], summary: 'Get a person',
  request: { params: PersonParams }, responses: { 200: jsonResponse(Person, 'The person') },
});
const updatePerson = securedRoute(WRITE, {
  method: 'patch', path: '/v1/people/{personId}', operationId: 'updatePerson', tags: ['People'], summary: 'Update a person',
  request: { params: PersonParams, ...jsonBody(PersonBody.partial().strict().refine((b) => Object.keys(b).length > 0, 'send at least one field').openapi({ minProperties: 1 })) },
  responses: { 200: jsonResponse(Person, 'The person') },
});

export function registerPeopleRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createPerson, async (c) => {
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    // Named by the Idempotency-Key (when sent): a retry after the API died mid-request answers with this person.
    const id = requestScopedId(c, 'person');
    try {
      const row = await db.transaction(async (tx) => {
        const [inserted] = await tx.insert(people).values({ id, ...b }).onConflictDoNothing({ target: people.id }).returning();
        if (inserted) await markCapacityChanged(tx); // the team's hours changed
        return inserted;
      });
      if (row) await afterCapacityChange(c);
      return c.json(view(row ?? (await db.select().from(people).where(eq(people.id, id)))[0]!), 201);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A person with email ${b.email} already exists.`);
      throw err;
    }
  });
  app.openapi(listPeopleRoute, async (c) => {
    const q = c.req.valid('query');
    const found = await listPeople(c.get('deps').db, { role: q.role, ...(q.active ? { active: q.active === 'true' } : {}), after: q.after, limit: q.limit });
    return c.json({ items: found.items.map(view), ...(found.next ? { next: found.next } : {}) }, 200);
  });
  app.openapi(getPersonRoute, async (c) => {
    const { personId } = c.req.valid('param');
    const row = await getPerson(c.get('deps').db, personId);
    if (!row) throw notFound('Person', personId);
    return c.json(view(row), 200);
  });
  app.openapi(updatePerson, async (c) => {
    const { personId } = c.req.valid('param');
    try {
      const row = await c.get('deps').db.transaction(async (tx) => {
        const [updated] = await tx.update(people).set({ ...c.req.valid('json'), updatedAt: sql`now()` }).where(eq(people.id, personId)).returning();
        if (updated) await markCapacityChanged(tx); // roles, hours or activity change the team's hours
        return updated;
      });
      if (!row) throw notFound('Person', personId);
      await afterCapacityChange(c);
      return c.json(view(row), 200);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Another person already has this email.');
      throw err;
    }
  });
}
