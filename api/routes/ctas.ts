import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getClient, peopleByIds } from '../../db/clients.js';
import { completeCta, getCta, listCtas, openCta, reassignCta, recordFirstAction, type CtaRow, type Transition } from '../../db/ctas.js';
import { activePolicy } from '../../db/policies.js';
import { dispatchCtaClock, notifyCtaClock } from '../../runtime/processes.js';
import { requestScopedId } from '../idempotency.js';
import { actorOf, writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { conflict, notFound, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoInstant, MspRole, page, Pagination, text } from '../schemas.js';

const CtaState = z.enum(['open', 'first_action', 'done', 'escalated', 'cancelled']);
const Cta = z.object({
  id: Id, clientId: Id.nullable().openapi({ description: 'Null for a portfolio CTA (R-6 capacity gap, R-60 Corrective Play, R-37 rebalance and month spread).' }), process: z.string(), workflowId: z.string().nullable(), kind: z.string(), title: z.string(),
  ruleId: z.string().openapi({ description: 'The DOMAIN rule that created it (R-n, C-n, A-n) or `manual`.' }),
  ownerRole: z.string(), ownerPersonId: Id.nullable(), backupPersonId: Id.nullable(),
  escalationLevel: z.enum(['none', 'backup', 'csLead']), state: CtaState,
  dueAt: z.string(), firstActionDueAt: z.string(), firstActionAt: z.string().nullable(), completedAt: z.string().nullable(),
  overdue: z.boolean().openapi({ description: 'Past its due date while not done, or past its first-action SLA with no first action.' }),
  data: z.record(z.string(), z.unknown()).openapi({ description: 'What the CTA is about: the meeting it prepares, a proposal (which meetings to move, R-37), the figures behind it (R-6, R-60).' }),
  createdAt: z.string(), updatedAt: z.string(),
}).openapi('Cta');

/** A CTA as the API answers it, `overdue` judged at `now` (the console shows the same). */
export function ctaView(row: CtaRow, now: number) {
  const open = row.state !== 'done' && row.state !== 'cancelled';
  const overdue = open && (Date.parse(row.dueAt) < now || (!row.firstActionAt && Date.parse(row.firstActionDueAt) < now));
  return {
    id: row.id, clientId: row.clientId, process: row.process, workflowId: row.workflowId, kind: row.kind, title: row.title, ruleId: row.ruleId,
    ownerRole: row.ownerRole, ownerPersonId: row.ownerPersonId, backupPersonId: row.backupPersonId,
    escalationLevel: row.escalationLevel as 'none', state: row.state as z.infer<typeof CtaState>, dueAt: row.dueAt, firstActionDueAt: row.firstActionDueAt,
    firstActionAt: row.firstActionAt, completedAt: row.completedAt, overdue, data: row.data, createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

const CtaParams = z.object({ ctaId: Id.openapi({ param: { name: 'ctaId', in: 'path' } }) });
const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });

const createRoute = securedRoute(ROLE_SETS.assign, {
  method: 'post', path: '/v1/clients/{clientId}/ctas', operationId: 'openCta', tags: ['CTAs'],
  summary: 'Open a CTA by hand: owned by the person holding `ownerRole` for this client (else the named backup, R-122), with a durable first-action clock (C-5)',
  request: {
    params: ClientParams,
    ...jsonBody(z.object({
      kind: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case-with-dashes').max(60),
      title: text(3, 300),
      ruleId: z.string().max(12).regex(/^(R|C|A)-\d+$|^manual$/, 'a DOMAIN rule id such as R-47, or manual').default('manual'),
      ownerRole: MspRole,
      dueAt: IsoInstant,
      firstActionHours: z.number().positive().max(24 * 90).optional().openapi({ description: 'Defaults to the policy (meeting.firstActionHours, 72h).' }),
    }).strict()),
  },
  responses: { 201: jsonResponse(Cta, 'Opened') },
});
const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/ctas', operationId: 'listCtas', tags: ['CTAs'], summary: 'List CTAs by owner, client, state, overdue',
  request: {
    query: Pagination.extend({
      ownerId: Id.optional(), clientId: Id.optional(), state: csv(CtaState), overdue: z.enum(['true', 'false']).optional(),
      sort: z.enum(['id', 'dueAt']).default('id').openapi({ description: '`id` (default), or `dueAt`: soonest due first (a person\'s work list).' }),
      kind: csv(z.string().min(1).max(100).regex(/^[a-z0-9-]+$/, 'a CTA kind such as capacity-gap')).openapi({ description: 'CTA kinds, e.g. `capacity-gap,corrective-play,rebalance`.' }),
      portfolio: z.enum(['true', 'false']).optional().openapi({ description: '`true`: only portfolio CTAs (no client); `false`: only client CTAs.' }),
    }),
  },
  responses: { 200: jsonResponse(page(Cta), 'A page of CTAs, by id or by due date') },
});
const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/ctas/{ctaId}', operationId: 'getCta', tags: ['CTAs'], summary: 'Get a CTA',
  request: { params: CtaParams }, responses: { 200: jsonResponse(Cta, 'The CTA') },
});
const firstActionRoute = securedRoute(ROLE_SETS.act, {
  method: 'post', path: '/v1/ctas/{ctaId}/first-action', operationId: 'recordCtaFirstAction', tags: ['CTAs'],
  summary: 'Record the owner\'s first concrete step (C-5); stops the SLA clock',
  request: { params: CtaParams, ...jsonBody(z.object({ note: text(3, 2000), personId: Id.optional() }).strict()) },
  responses: { 200: jsonResponse(Cta, 'Recorded') },
});
const completeRoute = securedRoute(ROLE_SETS.act, {
  method: 'post', path: '/v1/ctas/{ctaId}/complete', operationId: 'completeCta', tags: ['CTAs'], summary: 'Mark a CTA done',
  request: { params: CtaParams, ...jsonBody(z.object({ note: text(0, 2000).optional() }).strict()) },
  responses: { 200: jsonResponse(Cta, 'Done') },
});
const reassignRoute = securedRoute(ROLE_SETS.assign, {
  method: 'post', path: '/v1/ctas/{ctaId}/reassign', operationId: 'reassignCta', tags: ['CTAs'], summary: 'Give a CTA to another person, with a reason (R-122)',
  request: { params: CtaParams, ...jsonBody(z.object({ personId: Id, reason: text(3, 1000) }).strict()) },
  responses: { 200: jsonResponse(Cta, 'Reassigned') },
});

export function registerCtaRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db, temporal } = c.get('deps');
    // Independent reads side by side (issue 17: opening a CTA within 1.5× a bare start plus one transaction).
    const [client, policy, now] = await Promise.all([getClient(db, clientId), activePolicy(db), currentTime(c.get('deps'))]);
    if (!client) throw notFound('Client', clientId);
    const row = await openCta(db, {
      key: `manual/${requestScopedId(c, 'cta')}`, clientId, process: 'manual', kind: b.kind, title: b.title, ruleId: b.ruleId, ownerRole: b.ownerRole,
      dueAt: new Date(b.dueAt).toISOString(), firstActionHours: b.firstActionHours ?? policy.document.meeting.firstActionHours,
      openedAt: now.toISOString(), actor: actorOf(c), why: { policyVersion: policy.version },
    });
    if (temporal) await dispatchCtaClock(temporal, db, row, row.id, { policy, clientName: client.name }).catch((err) => c.get('deps').logger.warn({ err, ctaId: row.id }, 'CTA clock not started; the worker\'s outbox dispatcher will start it'));
    return c.json(ctaView(row, now.getTime()), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const now = await currentTime(c.get('deps'));
    const page = await listCtas(c.get('deps').db, { ...q, overdue: q.overdue === 'true', portfolio: q.portfolio === undefined ? undefined : q.portfolio === 'true', now: now.toISOString() });
    return c.json({ items: page.items.map((r) => ctaView(r, now.getTime())), ...(page.next ? { next: page.next } : {}) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { ctaId } = c.req.valid('param');
    const row = await getCta(c.get('deps').db, ctaId);
    if (!row) throw notFound('CTA', ctaId);
    return c.json(ctaView(row, (await currentTime(c.get('deps'))).getTime()), 200);
  });

  app.openapi(firstActionRoute, async (c) => {
    const { ctaId } = c.req.valid('param');
    const b = c.req.valid('json');
    const now = await currentTime(c.get('deps'));
    return c.json(ctaView(await settle(c, ctaId, await recordFirstAction(c.get('deps').db, ctaId, b, { actor: actorOf(c), at: now.toISOString() }, requestScopedId(c, 'cta-event'))), now.getTime()), 200);
  });

  app.openapi(completeRoute, async (c) => {
    const { ctaId } = c.req.valid('param');
    const now = await currentTime(c.get('deps'));
    return c.json(ctaView(await settle(c, ctaId, await completeCta(c.get('deps').db, ctaId, c.req.valid('json').note, { actor: actorOf(c), at: now.toISOString() }, requestScopedId(c, 'cta-event'))), now.getTime()), 200);
  });

  app.openapi(reassignRoute, async (c) => {
    const { ctaId } = c.req.valid('param');
    const b = c.req.valid('json');
    const [person] = await peopleByIds(c.get('deps').db, [b.personId]);
    if (!person?.active) throw unprocessable(`No active person with id ${b.personId}.`, { errors: [{ location: 'body', path: 'personId', message: 'unknown or inactive person' }] });
    const now = await currentTime(c.get('deps'));
    return c.json(ctaView(await settle(c, ctaId, await reassignCta(c.get('deps').db, ctaId, b, { actor: actorOf(c), at: now.toISOString() }, requestScopedId(c, 'cta-event'))), now.getTime()), 200);
  });
}

/** Maps a transition to the response, and tells the CTA's clock when something changed. */
async function settle(c: Context<ApiEnv>, ctaId: string, t: Transition<CtaRow>): Promise<CtaRow> {
  if (t.outcome === 'not-found') throw notFound('CTA', ctaId);
  if (t.outcome === 'conflict') throw conflict(`Not applied: ${t.reason}.`, { cta: ctaView(t.row, (await currentTime(c.get('deps'))).getTime()) });
  const { temporal, db } = c.get('deps');
  if (temporal) await notifyCtaClock(temporal, db, ctaId);
  return t.row;
}
