import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { placementReviewPlan, publicHolidays, REGION_RE, regionProblem } from '../../db/client-calendar.js';
import type { PlacementReviewPlan } from '../../workflows/contracts.js';
import { isUniqueViolation } from '../../db/errors.js';
import {
  assignRole, clearSegmentOverride, createClient, getClient, listAssignments, listClients, overrideSegment, peopleByIds,
  setPolicyOverrides, unassignRole, updateClient, type ClientRow,
} from '../../db/clients.js';
import { clientTimeline } from '../../db/ledger.js';
import { activePolicy, policyForClient } from '../../db/policies.js';
import { activeStakeholdersOf, listStakeholders, type StakeholderRow } from '../../db/stakeholders.js';
import { stakeholderChangeOf } from '../../domain/stakeholders.js';
import { applyClientOverrides } from '../../domain/policy.js';
import { SEGMENT_GOAL_LEVELS } from '../../domain/roles.js';
import { dispatchPlacementReview } from '../../runtime/processes.js';
import { requestScopedId } from '../idempotency.js';
import { afterCapacityChange } from '../portfolio-hooks.js';
import { notifyCadenceOfClientChange } from './cadence.js';
import { legacyStakeholders, reportStakeholderChange } from './stakeholders.js';
import type { ApiEnv } from '../context.js';
import { actorOf, writeContext } from '../actor.js';
import { conflict, notFound, unprocessable, validationProblem } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, intParam, IsoDate, IsoInstant, MonthDay, MspRole, page, Pagination, Score, Segment, Stakeholder, text, TimeZone, TouchTier, uniqueList, utcInstant } from '../schemas.js';

const ClientBody = z
  .object({
    name: text(1, 200),
    externalRef: text(1, 200).nullish().openapi({ description: 'The client\'s id in your PSA/CRM.' }),
    mrr: z.number().min(0).max(100_000_000).openapi({ description: 'Monthly recurring revenue in the MSP\'s currency (R-2).' }),
    maturity: Score.openapi({ description: 'IT maturity 1–5 (R-1).' }),
    appetite: Score.openapi({ description: 'Appetite for change 1–5 (R-1).' }),
    ownsInnovationAgenda: z.boolean().optional().openapi({ description: 'Client owns its innovation/OKR agenda: with both scores ≥4 this makes Goal 5 (A-2).' }),
    timeZone: TimeZone,
    holidays: uniqueList(IsoDate, 400, 'holidays').optional()
      .openapi({ description: "The client's own non-business dates, on top of its region's public holidays (C-1)." }),
    region: z.string().max(6).toUpperCase().regex(REGION_RE, 'must be an upper-case country code, optionally with a state or province: US, US-IL, DE-BY').nullish()
      .openapi({ example: 'US-IL', description: "Where the client works: ISO 3166-1 country, optionally `-` and its state or province (ISO 3166-2). Its public holidays (the policy's `calendar.publicHolidayTypes`, from the date-holidays data) are the client's non-business days (C-1). Null: no public holidays." }),
    publicHolidayExceptions: uniqueList(IsoDate, 400, 'dates').optional()
      .openapi({ description: "Public holidays of the region the client works anyway: dropped from its calendar. Each must be one of the region's public holidays." }),
    renewalDate: IsoDate.nullish(),
    fiscalYearEnd: MonthDay.optional().openapi({ description: 'Fiscal year-end as MM-DD (C-7; default 12-31).' }),
    stakeholders: z
      .array(Stakeholder)
      .max(100)
      .optional()
      .refine((s) => !s || s.filter((x) => x.roles.includes('executiveSponsor')).length <= 1, 'at most one executive sponsor')
      .refine((s) => !s || new Set(s.filter((x) => x.email).map((x) => x.email!.toLowerCase())).size === s.filter((x) => x.email).length, 'emails must be unique')
      .openapi({
        description: 'The client\'s people as one list (kept for existing callers): it replaces the active people of the stakeholder registry — matched by email, else by name; the unlisted are deactivated (R-19 when a sponsor, decision-maker or champion goes). Prefer /v1/clients/{clientId}/stakeholders.',
        contains: { type: 'object', properties: { roles: { type: 'array', contains: { const: 'executiveSponsor' } } }, required: ['roles'] }, minContains: 0, maxContains: 1,
      } as never),
  })
  .strict();

const Placement = z.object({
  segment: Segment,
  goalLevel: z.number().int(),
  archetype: z.string(),
  mrrTier: z.string(),
  touchTier: TouchTier,
  source: z.enum(['computed', 'override']),
  ruleIds: z.array(z.string()),
  policyVersion: z.number().int(),
  override: z.object({ segment: Segment, goalLevel: z.number().int(), rationale: z.string(), by: z.string(), at: z.string() }).nullable(),
});

const ClientSchema = ClientBody.omit({ externalRef: true, holidays: true, region: true, publicHolidayExceptions: true, stakeholders: true, fiscalYearEnd: true, renewalDate: true, ownsInnovationAgenda: true })
  .extend({
    id: Id,
    stage: z.enum(['prospect', 'client']).openapi({ description: 'A prospect is in its consultative sale (R-40); the signature makes it a client (R-44).' }),
    externalRef: z.string().nullable(),
    ownsInnovationAgenda: z.boolean(),
    holidays: z.array(z.string()),
    region: z.string().nullable(),
    publicHolidayExceptions: z.array(z.string()),
    renewalDate: z.string().nullable(),
    fiscalYearEnd: z.string(),
    stakeholders: z.array(Stakeholder.extend({ id: Id })).openapi({ description: 'The client\'s active people (deprecated view: GET /v1/clients/{clientId}/stakeholders has roles, pairing and history).' }),
    placement: Placement,
    explanation: z.array(z.string()).optional(),
    policyOverrides: z.record(z.string(), z.unknown()),
    revision: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Client');

type SegmentT = z.infer<typeof Segment>;

export function clientView(row: ClientRow, explanation?: string[], stakeholders: StakeholderRow[] = []) {
  return {
    id: row.id, stage: row.stage as 'prospect' | 'client', name: row.name, externalRef: row.externalRef, mrr: row.mrr, maturity: row.maturity, appetite: row.appetite,
    ownsInnovationAgenda: row.ownsInnovationAgenda, timeZone: row.timeZone, holidays: row.holidays, region: row.region,
    publicHolidayExceptions: row.publicHolidayExceptions, renewalDate: row.renewalDate,
    fiscalYearEnd: row.fiscalYearEnd, stakeholders: legacyStakeholders(stakeholders),
    placement: {
      segment: row.segment as SegmentT, goalLevel: row.goalLevel, archetype: row.archetype, mrrTier: row.mrrTier, touchTier: row.touchTier as z.infer<typeof TouchTier>,
      source: row.segmentSource as 'computed' | 'override', ruleIds: row.segmentRuleIds, policyVersion: row.placementPolicyVersion, override: row.segmentOverride ? { ...row.segmentOverride, segment: row.segmentOverride.segment as SegmentT } : null,
    },
    ...(explanation ? { explanation } : {}),
    policyOverrides: row.policyOverrides, revision: row.revision, createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });

const READ = ROLE_SETS.read;
const WRITE = ROLE_SETS.operate;
const GOVERN = ROLE_SETS.govern;
const TIMELINE = ROLE_SETS.timeline;
const TIMELINE_DEFAULT_PAGE = 1000;
const TIMELINE_MAX_PAGE = 5000;

const createClientRoute = securedRoute(WRITE, {
  method: 'post', path: '/v1/clients', operationId: 'createClient', tags: ['Clients'],
  summary: 'Register a client; its segment, goal level and touch tier are computed by the active policy (R-1..R-3)',
  request: jsonBody(ClientBody),
  responses: { 201: jsonResponse(ClientSchema, 'Created') },
});
const listClientsRoute = securedRoute(READ, {
  method: 'get', path: '/v1/clients', operationId: 'listClients', tags: ['Clients'], summary: 'List clients',
  request: {
    query: Pagination.extend({
      segment: csv(Segment), touchTier: csv(TouchTier), q: z.string().max(200).optional(),
      stage: z.enum(['client', 'prospect', 'all']).default('client')
        .openapi({ description: 'Signed clients (default), prospects in a consultative sale (R-40; also GET /v1/prospects), or both.' }),
    }),
  },
  responses: { 200: jsonResponse(page(ClientSchema), 'A page of clients, by id') },
});
const getClientRoute = securedRoute(READ, {
  method: 'get', path: '/v1/clients/{clientId}', operationId: 'getClient', tags: ['Clients'], summary: 'Get a client',
  request: { params: ClientParams }, responses: { 200: jsonResponse(ClientSchema, 'The client') },
});
const updateClientRoute = securedRoute(WRITE, {
  method: 'patch', path: '/v1/clients/{clientId}', operationId: 'updateClient', tags: ['Clients'],
  summary: 'Update a client; a change to maturity, appetite, MRR or the innovation flag re-runs placement, with an optional rationale on the timeline (R-7)',
  request: {
    params: ClientParams,
    ...jsonBody(ClientBody.partial().extend({
      rationale: text(10, 2000).optional().openapi({
        description: 'Why these values change (R-7), e.g. the assessment that moved the maturity score; stored on the timeline with the update and with the placement change it causes.',
      }),
    }).strict().refine((b) => Object.keys(b).some((k) => k !== 'rationale'), 'send at least one field to change').openapi({ minProperties: 1 })),
  },
  responses: { 200: jsonResponse(ClientSchema, 'The updated client') },
});

const OverrideBody = z.object({
  segment: Segment,
  goalLevel: z.number().int().min(1).max(5).optional().openapi({ description: 'Defaults to the segment\'s goal level (A: 4, B: 3, C: 2, D: 1); A may be 5.' }),
  rationale: text(10, 2000).openapi({ description: 'Why the computed placement is overridden; goes to the ledger (R-7).' }),
}).strict();
const overrideRoute = securedRoute(GOVERN, {
  method: 'put', path: '/v1/clients/{clientId}/segment-override', operationId: 'overrideClientSegment', tags: ['Clients'],
  summary: 'Override the computed segment with a logged rationale (R-7; CS Lead approves, R-1)',
  request: { params: ClientParams, ...jsonBody(OverrideBody) }, responses: { 200: jsonResponse(ClientSchema, 'The client with the override in force') },
});
const clearOverrideRoute = securedRoute(GOVERN, {
  method: 'delete', path: '/v1/clients/{clientId}/segment-override', operationId: 'clearClientSegmentOverride', tags: ['Clients'],
  summary: 'Return to the computed placement', request: { params: ClientParams }, responses: { 200: jsonResponse(ClientSchema, 'The client') },
});

const Assignment = z.object({
  role: MspRole, personId: Id, personName: z.string().optional(), backupPersonId: Id.nullable(), backupPersonName: z.string().optional(), updatedAt: z.string(),
}).openapi('RoleAssignment');
const RoleParams = ClientParams.extend({ role: MspRole.openapi({ param: { name: 'role', in: 'path' } }) });
const listAssignmentsRoute = securedRoute(READ, {
  method: 'get', path: '/v1/clients/{clientId}/assignments', operationId: 'listRoleAssignments', tags: ['Clients'],
  summary: 'Who holds each role for this client, with backups (DOMAIN §2.19, R-122)',
  request: { params: ClientParams }, responses: { 200: jsonResponse(z.object({ items: z.array(Assignment) }), 'Assignments') },
});
const assignRoute = securedRoute(WRITE, {
  method: 'put', path: '/v1/clients/{clientId}/assignments/{role}', operationId: 'assignRole', tags: ['Clients'],
  summary: 'Assign a person (and a named backup) to a role for this client (R-122)',
  request: { params: RoleParams, ...jsonBody(z.object({ personId: Id, backupPersonId: Id.nullish() }).strict()) },
  responses: { 200: jsonResponse(Assignment, 'The assignment') },
});
const unassignRoute = securedRoute(WRITE, {
  method: 'delete', path: '/v1/clients/{clientId}/assignments/{role}', operationId: 'unassignRole', tags: ['Clients'],
  summary: 'Remove a role assignment', request: { params: RoleParams }, responses: { 204: { description: 'Removed' } },
});

const EffectivePolicy = z.object({ policyVersion: z.number().int(), overrides: z.record(z.string(), z.unknown()), policy: z.record(z.string(), z.unknown()) });
const getClientPolicyRoute = securedRoute(READ, {
  method: 'get', path: '/v1/clients/{clientId}/policy', operationId: 'getClientPolicy', tags: ['Policy'],
  summary: 'The policy in force for this client: the active version with the client\'s overrides applied',
  request: { params: ClientParams }, responses: { 200: jsonResponse(EffectivePolicy, 'Effective policy') },
});
const setClientPolicyRoute = securedRoute(GOVERN, {
  method: 'put', path: '/v1/clients/{clientId}/policy-overrides', operationId: 'setClientPolicyOverrides', tags: ['Policy'],
  summary: 'Replace this client\'s policy overrides (only client-level areas; validated against the full policy)',
  request: { params: ClientParams, ...jsonBody(z.object({ overrides: z.record(z.string(), z.unknown()) }).strict()) },
  responses: { 200: jsonResponse(EffectivePolicy, 'Effective policy') },
});

const TimelineEvent = z.object({
  id: z.string(), seq: z.number().int(), occurredAt: z.string(), recordedAt: z.string(), clientId: z.string().nullable(), process: z.string(),
  workflowId: z.string().nullable(), type: z.string(), ruleId: z.string().nullable(), why: z.record(z.string(), z.unknown()),
  actor: z.object({ kind: z.enum(['system', 'api-key', 'user']), id: z.string().optional(), name: z.string().optional(), role: z.string().optional() }),
  data: z.record(z.string(), z.unknown()),
}).openapi('LedgerEvent');
const timelineRoute = securedRoute(TIMELINE, {
  method: 'get', path: '/v1/clients/{clientId}/timeline', operationId: 'getClientTimeline', tags: ['Clients'],
  summary: 'Everything Baton did for this client and why, in order (the append-only ledger)',
  request: {
    params: ClientParams,
    query: z.object({
      type: csv(z.string().min(1).max(100)), process: z.string().max(100).optional(), from: IsoInstant.optional(), to: IsoInstant.optional(),
      rule: z.string().max(12).regex(/^(R|C|A)-\d+$|^manual$/, 'a DOMAIN rule id such as R-47').optional().openapi({ description: 'Only events decided by this rule.' }),
      actor: z.string().min(1).max(200).optional().openapi({ description: 'Only events by this actor: `system`, `api-key` or `user` (its kind), or an actor\'s name or id.' }),
      limit: intParam(1, TIMELINE_MAX_PAGE).optional().transform((v) => v ?? TIMELINE_DEFAULT_PAGE).openapi({ description: `Page size, default ${TIMELINE_DEFAULT_PAGE}, at most ${TIMELINE_MAX_PAGE}.` }),
      after: intParam(0, 999_999_999).optional().openapi({ description: 'Cursor from the previous page\'s `next` (an event sequence number).' }),
    }),
  },
  responses: { 200: jsonResponse(page(TimelineEvent), 'Events, oldest first; `next` continues after the last one') },
});

export function registerClientRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createClientRoute, async (c) => {
    const { db } = c.get('deps');
    const input = c.req.valid('json');
    await checkCalendar(c, input, { region: null, publicHolidayExceptions: [], policyOverrides: {} });
    try {
      // Named by the Idempotency-Key (when sent): a retry after the API died mid-request finds this client.
      const ctx = await writeContext(c);
      const created = await createClient(db, input, ctx, requestScopedId(c, 'client'));
      // A new client has no overrides yet: the plan of its first review is the active policy's.
      const plan = created.policy && placementReviewPlan(created.row, created.policy, Date.parse(ctx.at));
      // Independent of each other, so side by side (issue 17): the review's start, R-6's look at capacity, the people to show.
      const [, , stakeholders] = await Promise.all([startPlacementReview(c, created.row, created.policyVersion, plan), afterCapacityChange(c), listStakeholders(db, created.row.id, { active: true })]);
      return c.json(clientView(created.row, created.existed ? undefined : created.placement.explanation, stakeholders), 201);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A client with externalRef ${input.externalRef} already exists.`);
      throw err;
    }
  });

  app.openapi(listClientsRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await listClients(c.get('deps').db, q);
    const people = await activeStakeholdersOf(c.get('deps').db, page.items.map((r) => r.id));
    return c.json({ items: page.items.map((r) => clientView(r, undefined, people.get(r.id))), ...(page.next ? { next: page.next } : {}) }, 200);
  });

  app.openapi(getClientRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    return c.json(await fullView(c, await mustGetClient(c, clientId)), 200);
  });

  app.openapi(updateClientRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { rationale, ...patch } = c.req.valid('json');
    try {
      const { db } = c.get('deps');
      const before = await getClient(db, clientId);
      if (!before) throw notFound('Client', clientId);
      await checkCalendar(c, patch, before);
      const { policy } = await policyForClient(db, before.policyOverrides);
      const ctx = await writeContext(c);
      const updated = await updateClient(db, clientId, patch as never, ctx, (s) => stakeholderChangeOf(s, policy), { rationale });
      if (!updated) throw notFound('Client', clientId);
      if (updated.changed) await notifyCadenceOfClientChange(c, before, updated.row);
      if (updated.changed) await afterCapacityChange(c);
      // a sponsor, decision-maker or champion left out of the list has left.
      for (const left of updated.stakeholdersLeft) await reportStakeholderChange(c, clientId, left, policy, ctx.at);
      return c.json(await fullView(c, updated.row), 200);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Another client already has this externalRef, or two listed stakeholders collide (same email, or a second active executive sponsor).');
      throw err;
    }
  });

  app.openapi(overrideRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const o = c.req.valid('json');
    const allowed = SEGMENT_GOAL_LEVELS[o.segment] as readonly number[];
    const goalLevel = o.goalLevel ?? allowed[0]!;
    if (!allowed.includes(goalLevel)) {
      throw validationProblem([{ location: 'body', path: 'goalLevel', message: `segment ${o.segment} means goal level ${allowed.join(' or ')} (R-1)` }]);
    }
    const before = await getClient(c.get('deps').db, clientId);
    const row = await overrideSegment(c.get('deps').db, clientId, { segment: o.segment, goalLevel, rationale: o.rationale }, await writeContext(c));
    if (!row || !before) throw notFound('Client', clientId);
    await notifyCadenceOfClientChange(c, before, row);
    await afterCapacityChange(c);
    return c.json(await fullView(c, row), 200);
  });

  app.openapi(clearOverrideRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const before = await getClient(c.get('deps').db, clientId);
    const row = await clearSegmentOverride(c.get('deps').db, clientId, await writeContext(c));
    if (!row || !before) throw notFound('Client', clientId);
    await notifyCadenceOfClientChange(c, before, row);
    await afterCapacityChange(c);
    return c.json(await fullView(c, row), 200);
  });

  app.openapi(listAssignmentsRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { db } = c.get('deps');
    await mustGetClient(c, clientId);
    const rows = await listAssignments(db, clientId);
    const names = new Map((await peopleByIds(db, rows.flatMap((r) => [r.personId, r.backupPersonId].filter((x): x is string => !!x)))).map((p) => [p.id, p.name]));
    return c.json({
      items: rows.map((r) => ({
        role: r.role as 'AM', personId: r.personId, personName: names.get(r.personId), backupPersonId: r.backupPersonId,
        ...(r.backupPersonId ? { backupPersonName: names.get(r.backupPersonId) } : {}), updatedAt: r.updatedAt,
      })),
    }, 200);
  });

  app.openapi(assignRoute, async (c) => {
    const { clientId, role } = c.req.valid('param');
    const a = c.req.valid('json');
    const { db } = c.get('deps');
    await mustGetClient(c, clientId);
    if (a.backupPersonId && a.backupPersonId === a.personId) {
      throw validationProblem([{ location: 'body', path: 'backupPersonId', message: 'the backup must be another person (R-122)' }]);
    }
    const found = await peopleByIds(db, [a.personId, ...(a.backupPersonId ? [a.backupPersonId] : [])]);
    const person = found.find((p) => p.id === a.personId);
    if (!person) throw unprocessable(`No person with id ${a.personId}.`, { errors: [{ location: 'body', path: 'personId', message: 'unknown person' }] });
    if (!person.active) throw unprocessable(`${person.name} is inactive.`, { errors: [{ location: 'body', path: 'personId', message: 'inactive person' }] });
    if (!person.roles.includes(role)) throw unprocessable(`${person.name} does not hold the role ${role} (holds ${person.roles.join(', ')}).`, { errors: [{ location: 'body', path: 'personId', message: `not a ${role}` }] });
    const backup = a.backupPersonId ? found.find((p) => p.id === a.backupPersonId) : undefined;
    if (a.backupPersonId && (!backup || !backup.active)) throw unprocessable(`No active person with id ${a.backupPersonId}.`, { errors: [{ location: 'body', path: 'backupPersonId', message: 'unknown or inactive person' }] });
    const row = await assignRole(db, clientId, role, a, await writeContext(c));
    return c.json({ role, personId: row.personId, personName: person.name, backupPersonId: row.backupPersonId, ...(backup ? { backupPersonName: backup.name } : {}), updatedAt: row.updatedAt }, 200);
  });

  app.openapi(unassignRoute, async (c) => {
    const { clientId, role } = c.req.valid('param');
    await mustGetClient(c, clientId);
    if (!(await unassignRole(c.get('deps').db, clientId, role, await writeContext(c)))) throw notFound('Role assignment', `${clientId}/${role}`);
    return c.body(null, 204);
  });

  app.openapi(getClientPolicyRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const client = await mustGetClient(c, clientId);
    return c.json(await effectivePolicy(c, client.policyOverrides), 200);
  });

  app.openapi(setClientPolicyRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { overrides } = c.req.valid('json');
    await mustGetClient(c, clientId);
    const result = await effectivePolicy(c, overrides);
    await setPolicyOverrides(c.get('deps').db, clientId, overrides, await writeContext(c));
    return c.json(result, 200);
  });

  app.openapi(timelineRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const rows = await clientTimeline(c.get('deps').db, clientId, {
      types: q.type, process: q.process, from: q.from && utcInstant(q.from), to: q.to && utcInstant(q.to), ruleId: q.rule, actor: q.actor, afterSeq: q.after, limit: q.limit + 1,
    });
    const items = rows.slice(0, q.limit);
    return c.json({ items: items.map((e) => ({ ...e, actor: e.actor })), ...(rows.length > q.limit ? { next: String(items.at(-1)!.seq) } : {}) }, 200);
  });
}

/**
 * R-7 review starts with registration. Its start was committed with the client (outbox); if
 * Temporal is unreachable now, or this process dies first, the worker's dispatcher starts it.
 */
async function startPlacementReview(c: Context<ApiEnv>, row: ClientRow, policyVersion: number, plan: PlacementReviewPlan | undefined) {
  const { temporal, logger, db } = c.get('deps');
  if (!temporal) return;
  try {
    await dispatchPlacementReview(temporal, db, row, policyVersion, plan);
  } catch (err) {
    logger.warn({ err, clientId: row.id }, 'placement review not started; the worker\'s outbox dispatcher will start it');
  }
}

/** The client with its active people (the former `stakeholders` list). */
async function fullView(c: Context<ApiEnv>, row: ClientRow) {
  return clientView(row, undefined, await listStakeholders(c.get('deps').db, row.id, { active: true }));
}

/**
 * C-1: the region must be one the holiday data knows, and each exception one of that region's
 * public holidays (a typo would otherwise silently keep the holiday). 422 naming the field.
 */
async function checkCalendar(
  c: Context<ApiEnv>,
  change: { region?: string | null; publicHolidayExceptions?: string[] },
  current: Pick<ClientRow, 'region' | 'publicHolidayExceptions' | 'policyOverrides'>,
) {
  if (change.region === undefined && change.publicHolidayExceptions === undefined) return;
  const region = change.region === undefined ? current.region : change.region;
  const problem = region ? regionProblem(region) : undefined;
  if (problem) throw unprocessable(`Region ${region}: ${problem}.`, { errors: [{ location: 'body', path: 'region', message: problem }] });
  const exceptions = change.publicHolidayExceptions ?? current.publicHolidayExceptions;
  if (!exceptions.length) return;
  if (!region) {
    throw unprocessable('Public holiday exceptions need a region whose holidays they drop.', { errors: [{ location: 'body', path: 'publicHolidayExceptions', message: 'set region first' }] });
  }
  const active = await activePolicy(c.get('deps').db);
  const applied = applyClientOverrides(active.document, current.policyOverrides);
  const types = (applied.ok ? applied.policy : active.document).calendar.publicHolidayTypes;
  const errors = exceptions.flatMap((d, i) => {
    const year = Number(d.slice(0, 4));
    return publicHolidays(region, year, year, types).includes(d) ? [] : [{ location: 'body' as const, path: `publicHolidayExceptions.${i}`, message: `${d} is not a public holiday of ${region}` }];
  });
  if (errors.length) throw unprocessable(`${errors.map((e) => e.message).join('; ')}.`, { errors });
}

async function mustGetClient(c: Context<ApiEnv>, clientId: string) {
  const row = await getClient(c.get('deps').db, clientId);
  if (!row) throw notFound('Client', clientId);
  return row;
}

async function effectivePolicy(c: Context<ApiEnv>, overrides: Record<string, unknown>) {
  const active = await activePolicy(c.get('deps').db);
  const applied = applyClientOverrides(active.document, overrides);
  if (!applied.ok) throw validationProblem(applied.issues.map((i) => ({ location: 'body' as const, path: `overrides.${i.path}`, message: i.message })), 'The overrides do not make a valid policy for this client.');
  return { policyVersion: active.version, overrides, policy: applied.policy as unknown as Record<string, unknown> };
}
