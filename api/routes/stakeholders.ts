import { createHash } from 'node:crypto';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getClient, listAssignments, type ClientRow } from '../../db/clients.js';
import { policyForClient } from '../../db/policies.js';
import {
  asClientStakeholder, createStakeholder, deactivateStakeholder, getStakeholder, listStakeholders, reactivateStakeholder, updateStakeholder,
  type StakeholderConflict, type StakeholderRow,
} from '../../db/stakeholders.js';
import type { Policy } from '../../domain/policy.js';
import { STAKEHOLDER_ROLE_LABELS, STAKEHOLDER_ROLES } from '../../domain/roles.js';
import { pairedMspRoles, pairStakeholders, PAIRED_MSP_ROLES, stakeholderChangeOf } from '../../domain/stakeholders.js';
import { reportToCadence } from '../../runtime/processes.js';
import { actorOf, writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { conflict, notFound, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Email, Id, IsoInstant, MspRole, text, uniqueList } from '../schemas.js';

/**
 * The client's own people (issue 9): ops and admins keep the registry, everyone reads it with its
 * R-123 pairing. A sponsor, decision-maker or champion who leaves is an R-19 stakeholder change,
 * reported to the client's running cadence.
 */

const StakeholderRoleSchema = z.enum(STAKEHOLDER_ROLES).openapi({
  description: `A role in the client: ${STAKEHOLDER_ROLES.map((r) => `\`${r}\` ${STAKEHOLDER_ROLE_LABELS[r]}`).join('; ')}.`,
});
const Roles = uniqueList(StakeholderRoleSchema, STAKEHOLDER_ROLES.length, 'roles').min(1);
const Name = text(1, 200);
const Title = text(1, 200);

const CreateBody = z.object({
  name: Name,
  title: Title.optional().openapi({ description: 'Job title, e.g. `CFO` (a title naming the CEO or CFO pairs with the vCIO, R-123).' }),
  email: Email.optional(),
  roles: Roles.openapi({ description: 'Roles in the client, several per person; at most one active executive sponsor per client.' }),
}).strict();
const UpdateBody = z.object({
  name: Name.optional(),
  title: Title.nullable().optional().openapi({ description: 'null clears it.' }),
  email: Email.nullable().optional().openapi({ description: 'null clears it.' }),
  roles: Roles.optional(),
}).strict().refine((b) => Object.keys(b).length > 0, 'send at least one field').openapi({ minProperties: 1 });
const DeactivateBody = z.object({
  reason: text(3, 500).optional().openapi({ example: 'left the company' }),
  leftAt: IsoInstant.optional().openapi({ description: 'When they left; default now. R-19 counts the new-sponsor intro from it.' }),
}).strict();

const Stakeholder = z.object({
  id: Id, clientId: Id, name: z.string(), title: z.string().nullable(), email: z.string().nullable(), roles: z.array(StakeholderRoleSchema),
  active: z.boolean(), deactivatedAt: z.string().nullable(), deactivationReason: z.string().nullable(),
  pairedWith: z.array(MspRole).openapi({ description: 'MSP roles that own the relationship with this person (R-123).' }),
  revision: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
}).openapi('ClientStakeholder');

const Pairing = z.object({
  ruleId: z.literal('R-123'),
  segment: z.enum(['A', 'B', 'C', 'D']),
  pairs: z.array(z.object({
    mspRole: z.enum(PAIRED_MSP_ROLES), personId: Id.nullable().openapi({ description: 'Who holds the MSP role for this client (assignments), if anyone.' }),
    stakeholderRoles: z.array(StakeholderRoleSchema), stakeholders: z.array(z.object({ id: Id, name: z.string(), via: z.array(StakeholderRoleSchema) })),
  })),
  threads: z.array(z.object({ personId: Id, mspRoles: z.array(z.enum(PAIRED_MSP_ROLES)), stakeholderId: Id, stakeholderName: z.string() }))
    .openapi({ description: 'Active threads: MSP person ↔ client person pairs with no person counted twice on either side.' }),
  activeThreads: z.number().int(),
  required: z.object({ min: z.number().int(), max: z.number().int().nullable() }).openapi({ description: 'The segment\'s range (A/B ≥3, C ≥2, D 1–2 by default; raci.activeThreads).' }),
  status: z.enum(['below', 'met', 'above']),
  met: z.boolean(),
  gaps: z.array(z.string()),
}).openapi('StakeholderPairing');

const StakeholderChange = z.object({
  ruleId: z.literal('R-19'),
  applies: z.boolean().openapi({ description: 'Whether this departure is a stakeholder change: a sponsor, decision-maker or champion left (triggers.stakeholderChange.roles) and the optional trigger is on.' }),
  stakeholderRole: z.string().nullable(),
  cadence: z.enum(['told', 'duplicate', 'no-cadence', 'refused', 'unavailable', 'not-applicable']).openapi({
    description: '`told`: the running cadence fired its R-19 trigger; `no-cadence`: the client has no running cadence; `refused`: the cadence refused (detail says why); `unavailable`: Temporal could not be reached (the deactivation stands; report it with POST …/cadence/stakeholder-changes).',
  }),
  detail: z.string(),
  ctasOpened: z.array(z.string()).optional(),
  meetingsBooked: z.array(z.object({ meetingId: z.string(), template: z.string(), startsAt: z.string(), state: z.string() })).optional(),
}).openapi('StakeholderChangeReport');

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const StakeholderParams = ClientParams.extend({ stakeholderId: Id.openapi({ param: { name: 'stakeholderId', in: 'path' } }) });

const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/stakeholders', operationId: 'listClientStakeholders', tags: ['Stakeholders'],
  summary: 'The client\'s people with their roles, and the R-123 pairing: which MSP role owns which relationship, active threads against the segment\'s range',
  request: { params: ClientParams, query: z.object({ active: z.enum(['true', 'false', 'all']).default('all') }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(Stakeholder), pairing: Pairing }), 'Stakeholders, by name') },
});
const createRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/stakeholders', operationId: 'createClientStakeholder', tags: ['Stakeholders'],
  summary: 'Add a person of the client with their roles (sponsor, decision-maker, budget holder, IT contact…); 409 for a second active sponsor or a reused email',
  request: { params: ClientParams, ...jsonBody(CreateBody) },
  responses: { 201: jsonResponse(Stakeholder, 'Added') },
});
const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/stakeholders/{stakeholderId}', operationId: 'getClientStakeholder', tags: ['Stakeholders'],
  summary: 'One stakeholder', request: { params: StakeholderParams }, responses: { 200: jsonResponse(Stakeholder, 'The stakeholder') },
});
const updateRoute = securedRoute(ROLE_SETS.operate, {
  method: 'patch', path: '/v1/clients/{clientId}/stakeholders/{stakeholderId}', operationId: 'updateClientStakeholder', tags: ['Stakeholders'],
  summary: 'Change a stakeholder\'s name, title, email or roles (R-123 pairing follows)',
  request: { params: StakeholderParams, ...jsonBody(UpdateBody) }, responses: { 200: jsonResponse(Stakeholder, 'The stakeholder') },
});
const deactivateRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/stakeholders/{stakeholderId}/deactivate', operationId: 'deactivateClientStakeholder', tags: ['Stakeholders'],
  summary: 'A person left the client: deactivated (kept on record); a sponsor, decision-maker or champion who leaves fires the cadence\'s R-19 stakeholder-change trigger',
  request: { params: StakeholderParams, ...jsonBody(DeactivateBody) },
  responses: { 200: jsonResponse(z.object({ stakeholder: Stakeholder, stakeholderChange: StakeholderChange }), 'Deactivated') },
});
const reactivateRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/stakeholders/{stakeholderId}/reactivate', operationId: 'reactivateClientStakeholder', tags: ['Stakeholders'],
  summary: 'A deactivated person takes part again', request: { params: StakeholderParams, ...jsonBody(z.object({}).strict()) },
  responses: { 200: jsonResponse(Stakeholder, 'Active again') },
});

export function stakeholderView(r: StakeholderRow, policy: Policy) {
  return {
    id: r.id, clientId: r.clientId, name: r.name, title: r.title, email: r.email, roles: [...r.roles], active: r.active,
    deactivatedAt: r.deactivatedAt, deactivationReason: r.deactivationReason, pairedWith: pairedMspRoles(r, policy),
    revision: r.revision, createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

/** The former `stakeholders` list on a client (its active people), kept in client responses for old callers. */
export const legacyStakeholders = (rows: StakeholderRow[]) =>
  rows.filter((r) => r.active).map((r) => ({ id: r.id, name: r.name, ...(r.email ? { email: r.email } : {}), ...(r.title ? { title: r.title } : {}), roles: [...r.roles] }));

function conflictProblem(c: StakeholderConflict) {
  return c.conflict === 'sponsor'
    ? conflict(`${c.existing.name} is already the client's active executive sponsor; deactivate them (R-19) or take the role from them first.`, { conflict: 'sponsor', existingStakeholderId: c.existing.id })
    : conflict(`${c.existing.name} already has this email at the client.`, { conflict: 'email', existingStakeholderId: c.existing.id });
}
const isConflict = (r: unknown): r is StakeholderConflict => !!r && typeof r === 'object' && 'conflict' in r;

async function mustGetClient(c: Context<ApiEnv>, clientId: string): Promise<ClientRow> {
  const row = await getClient(c.get('deps').db, clientId);
  if (!row) throw notFound('Client', clientId);
  return row;
}
const stakeholderNotFound = (clientId: string, id: string) => new ProblemError(404, 'not-found', 'Stakeholder not found', `Client ${clientId} has no stakeholder ${id}.`);

export function registerStakeholderRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(listRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { active } = c.req.valid('query');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const { policy } = await policyForClient(db, client.policyOverrides);
    const all = await listStakeholders(db, clientId);
    const pairing = pairStakeholders({ segment: client.segment as 'A', stakeholders: all.map(asClientStakeholder), assignments: await listAssignments(db, clientId) }, policy);
    const items = all.filter((r) => active === 'all' || r.active === (active === 'true')).map((r) => stakeholderView(r, policy));
    return c.json({ items, pairing }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const created = await createStakeholder(db, clientId, b, await writeContext(c));
    if (isConflict(created)) throw conflictProblem(created);
    c.header('Location', `/v1/clients/${clientId}/stakeholders/${created.row.id}`);
    return c.json(stakeholderView(created.row, (await policyForClient(db, client.policyOverrides)).policy), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { clientId, stakeholderId } = c.req.valid('param');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const row = await getStakeholder(db, clientId, stakeholderId);
    if (!row) throw stakeholderNotFound(clientId, stakeholderId);
    return c.json(stakeholderView(row, (await policyForClient(db, client.policyOverrides)).policy), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { clientId, stakeholderId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const updated = await updateStakeholder(db, clientId, stakeholderId, b, await writeContext(c));
    if (!updated) throw stakeholderNotFound(clientId, stakeholderId);
    if (isConflict(updated)) throw conflictProblem(updated);
    return c.json(stakeholderView(updated.row, (await policyForClient(db, client.policyOverrides)).policy), 200);
  });

  app.openapi(deactivateRoute, async (c) => {
    const { clientId, stakeholderId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const { policy } = await policyForClient(db, client.policyOverrides);
    const before = await getStakeholder(db, clientId, stakeholderId);
    if (!before) throw stakeholderNotFound(clientId, stakeholderId);
    const ctx = await writeContext(c);
    const leftAt = b.leftAt ? new Date(b.leftAt).toISOString() : ctx.at;
    if (Date.parse(leftAt) > Date.parse(ctx.at)) {
      throw unprocessable(`leftAt ${leftAt} is in the future; deactivate people once they have left.`, { errors: [{ location: 'body', path: 'leftAt', message: 'must not be in the future' }] });
    }
    const change = stakeholderChangeOf(asClientStakeholder(before), policy);
    const done = await deactivateStakeholder(db, clientId, stakeholderId, { ...(b.reason ? { reason: b.reason } : {}), leftAt, ...(change ? { stakeholderChange: change } : {}) }, ctx);
    if (!done) throw stakeholderNotFound(clientId, stakeholderId);
    if ('inactive' in done) throw conflict(`${done.inactive.name} is already inactive (since ${done.inactive.deactivatedAt}).`, { deactivatedAt: done.inactive.deactivatedAt });
    const stakeholderChange = await reportStakeholderChange(c, clientId, done.row, policy, leftAt);
    return c.json({ stakeholder: stakeholderView(done.row, policy), stakeholderChange }, 200);
  });

  app.openapi(reactivateRoute, async (c) => {
    const { clientId, stakeholderId } = c.req.valid('param');
    const { db } = c.get('deps');
    const client = await mustGetClient(c, clientId);
    const done = await reactivateStakeholder(db, clientId, stakeholderId, await writeContext(c));
    if (!done) throw stakeholderNotFound(clientId, stakeholderId);
    if (isConflict(done)) throw conflictProblem(done);
    if ('active' in done) throw conflict(`${done.active.name} is already active.`);
    return c.json(stakeholderView(done.row, (await policyForClient(db, client.policyOverrides)).policy), 200);
  });
}

/**
 * R-19: a sponsor, decision-maker or champion left. The client's running cadence gets its
 * `stakeholderChanged` report (new-sponsor intro ≤10 d, handoff note 24h) through the process
 * port, keyed by the stakeholder and the revision that deactivated them, so a retry is a C-6
 * duplicate, never a second trigger. The deactivation stands whatever the cadence answers.
 */
export async function reportStakeholderChange(c: Context<ApiEnv>, clientId: string, left: StakeholderRow, policy: Policy, leftAt: string): Promise<z.infer<typeof StakeholderChange>> {
  // `left` is the row after deactivation; the rule looks at who they were while active.
  const change = stakeholderChangeOf({ roles: left.roles, active: true }, policy);
  if (!change) {
    const detail = policy.triggers.stakeholderChange.enabled
      ? `${left.name} held none of ${policy.triggers.stakeholderChange.roles.join(', ')} (triggers.stakeholderChange.roles).`
      : 'The optional stakeholder-change trigger (R-19) is switched off by policy (triggers.stakeholderChange.enabled).';
    return { ruleId: 'R-19', applies: false, stakeholderRole: null, cadence: 'not-applicable', detail };
  }
  const base = { ruleId: 'R-19' as const, applies: true, stakeholderRole: change.stakeholderRole };
  const { temporal, logger } = c.get('deps');
  if (!temporal) return { ...base, cadence: 'unavailable', detail: 'This API runs without Temporal; report the change with POST /v1/clients/{clientId}/cadence/stakeholder-changes once it does.' };
  const action = { type: 'stakeholderChanged' as const, name: left.name, stakeholderRole: change.stakeholderRole, changedAt: leftAt };
  const at = (await currentTime(c.get('deps'))).toISOString();
  const idempotencyKey = `stakeholder/${left.id}/left/${left.revision}`;
  try {
    const r = await reportToCadence(temporal, clientId, {
      action, idempotencyKey, bodyHash: createHash('sha256').update(JSON.stringify(action)).digest('hex'), actor: actorOf(c), at,
    });
    if (r.outcome === 'not-running') return { ...base, cadence: 'no-cadence', detail: `Client ${clientId} has no running cadence; nothing to trigger.` };
    if (r.outcome === 'refused') return { ...base, cadence: 'refused', detail: r.refusal.message };
    return {
      ...base, cadence: r.result.duplicate ? 'duplicate' : 'told', detail: `The cadence fired its stakeholder-change trigger for ${left.name} (${change.stakeholderRole}).`,
      ctasOpened: r.result.ctasOpened, meetingsBooked: r.result.meetingsBooked,
    };
  } catch (err) {
    logger.warn({ err, clientId, stakeholderId: left.id }, 'cadence not told of the stakeholder change');
    return { ...base, cadence: 'unavailable', detail: 'The cadence could not be reached; report the change with POST /v1/clients/{clientId}/cadence/stakeholder-changes.' };
  }
}
