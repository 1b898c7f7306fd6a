import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { and, asc, eq, gt } from 'drizzle-orm';
import { createClient, getClient } from '../../db/clients.js';
import { isUniqueViolation } from '../../db/errors.js';
import { getProposalById } from '../../db/planning.js';
import { activePolicy } from '../../db/policies.js';
import { clients } from '../../db/schema.js';
import { HEALTH_DIMENSIONS } from '../../domain/onboarding.js';
import { COARSE_HEALTH, hypothesisOf, SALE_TRIGGERS, type SaleAction } from '../../domain/sale.js';
import { startedByRequest, startSale } from '../../runtime/processes.js';
import { SALE_REFUSAL_TYPES, saleAction, saleStatus, saleWorkflowId, type SaleActionRequest } from '../../workflows/contracts.js';
import { writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { idempotencyKeyOf, requestScopedId } from '../idempotency.js';
import { conflict, notFound, ProblemError } from '../problem.js';
import { queryProcess, reportEnvelope, requireTemporal, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, IsoDate, IsoInstant, page, Pagination, Score, text, TimeZone, uniqueList } from '../schemas.js';

/**
 * The consultative sale over HTTP (DOMAIN §2.7, R-40..R-44). A prospect is a client record in the
 * `prospect` stage, so the sale's Initiative Cards, price tests, pre-approvals, roadmap, Budget v0
 * and proposals are made with the planning routes under /v1/clients/{clientId}/… (the R-76 gate
 * included); these routes start the sale and report its own steps. Each report is a Workflow
 * Update: 200 accepted (or a C-6 duplicate), 409 refused in the current state, 422 never
 * applicable as sent.
 */

const ProspectParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const Trigger = z.object({
  kind: z.enum(SALE_TRIGGERS).openapi({ description: 'What started the sale (R-40): inbound lead, cross-sell, renewal window, report signal.' }),
  ref: text(1, 200).optional().openapi({ description: 'Where it came from, e.g. the lead id in the CRM.' }),
  date: IsoDate.openapi({ description: 'When the trigger happened.' }),
}).strict();

const ProspectBody = z.object({
  name: text(1, 200),
  externalRef: text(1, 200).optional().openapi({ description: 'The prospect\'s id in your CRM.' }),
  mrr: z.number().min(0).max(100_000_000).openapi({ description: 'Expected monthly recurring revenue (R-2: the touch tier of the hypothesis).' }),
  maturity: Score.openapi({ description: 'Estimated IT maturity 1–5 (R-1).' }),
  appetite: Score.openapi({ description: 'Estimated appetite for change 1–5 (R-1).' }),
  ownsInnovationAgenda: z.boolean().optional(),
  timeZone: TimeZone,
  fiscalYearEnd: z.string().max(5).regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD').optional(),
  renewalDate: IsoDate.optional().openapi({ description: 'Renewal of the prospect\'s current contract, when known (a renewal-window trigger).' }),
  trigger: Trigger,
}).strict();

const Hypothesis = z.object({
  segment: z.string(), goalLevel: z.number().int(), touchTier: z.string(), expectedCadence: z.string(), mode: z.string(), discoveryFormat: z.string(),
}).openapi('SaleHypothesis', { description: 'R-40: the segment/goal hypothesis with the cadence and mode it expects.' });
const Prospect = z.object({
  id: Id, name: z.string(), stage: z.enum(['prospect', 'client']), createdAt: z.string(), hypothesis: Hypothesis, workflowId: z.string(),
}).openapi('Prospect');

const SaleStatusSchema = z.object({
  clientId: Id, phase: z.enum(['starting', 'lead', 'discovered', 'reviewed', 'converted', 'signed', 'parked']),
  startedAt: z.string().optional(), trigger: Trigger.partial().optional(), hypothesis: Hypothesis.optional(),
  discovery: z.record(z.string(), z.unknown()).nullable().optional(), review: z.record(z.string(), z.unknown()).nullable().optional(),
  conversion: z.record(z.string(), z.unknown()).nullable().optional(), parked: z.record(z.string(), z.unknown()).nullable().optional(),
  signedAt: z.string().nullable().optional(), next: z.object({ key: z.string(), at: z.string() }).nullable().optional(),
}).openapi('SaleStatus');

const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: no second effect (C-6).' }),
  phase: z.string(), ctasOpened: z.array(z.string()),
  handoff: z.object({ present: z.array(z.string()), missing: z.array(z.string()), onboarding: z.enum(['started', 'already-running']) }).optional()
    .openapi({ description: 'On a signature: the handoff packet items the onboarding\'s step 0 received and lacks (R-44, R-46).' }),
}).openapi('SaleActionResult');

const Ask = z.object({ title: text(1, 200), initiativeId: Id.optional() }).strict();
const MiniHealth = z.object(Object.fromEntries(HEALTH_DIMENSIONS.map((d) => [d, z.enum(COARSE_HEALTH)])) as Record<(typeof HEALTH_DIMENSIONS)[number], z.ZodEnum<{ green: 'green'; yellow: 'yellow'; red: 'red' }>>).strict()
  .openapi({ description: 'Coarse mini-Health on the five dimensions (R-41).' });
const norm = (s: string) => new Date(s).toISOString();

interface ActionContext { clientId: string; db: Parameters<typeof getProposalById>[0] }
interface ActionSpec<S extends z.ZodType> { slug: string; operationId: string; summary: string; body: S; toAction: (b: z.infer<S>, now: Date, ctx: ActionContext) => SaleAction | Promise<SaleAction> }
const spec = <S extends z.ZodType>(s: ActionSpec<S>) => s;

const ACTIONS = [
  spec({
    slug: 'discovery-held', operationId: 'recordSaleDiscovery', summary: 'The 30-minute decision-first discovery was held: Discovery Summary and coarse mini-Health (R-41)',
    body: z.object({
      heldAt: IsoInstant, minutes: z.number().int().min(1).max(240).openapi({ description: 'Its length; at most sales.discoveryMinutes (R-41, 422 above).' }),
      summary: text(1, 4000).openapi({ description: 'The one-page Discovery Summary.' }), miniHealth: MiniHealth,
      decisionsFirst: uniqueList(text(1, 200), 10, 'decisions').default([]).openapi({ description: 'The decisions the discovery led with.' }),
    }).strict(),
    toAction: (b) => ({ type: 'discoveryHeld', heldAt: norm(b.heldAt), minutes: b.minutes, summary: b.summary, miniHealth: b.miniHealth, decisionsFirst: b.decisionsFirst }),
  }),
  spec({
    slug: 'decision-review-held', operationId: 'recordSaleDecisionReview', summary: 'The decision review was held with the Executive Snapshot and at most two asks: recap due 48h, a CTA per ask 72h (R-43)',
    body: z.object({
      heldAt: IsoInstant, endedAt: IsoInstant, snapshot: z.boolean().openapi({ description: 'The Executive Snapshot opened it (R-45 ≥95 %).' }),
      asks: z.array(Ask).max(10).openapi({ description: 'The asks; more than meeting.maxDecisions (2) is a 422 (R-43, R-27).' }),
    }).strict(),
    toAction: (b) => ({ type: 'decisionReviewHeld', heldAt: norm(b.heldAt), endedAt: norm(b.endedAt), snapshot: b.snapshot, asks: b.asks }),
  }),
  spec({
    slug: 'recap-sent', operationId: 'recordSaleRecap', summary: 'The decision review\'s recap was sent (R-43, 48h)',
    body: z.object({ sentAt: IsoInstant.optional().openapi({ description: 'Default now.' }) }).strict(),
    toAction: (b, now) => ({ type: 'recapSent', sentAt: b.sentAt ? norm(b.sentAt) : now.toISOString() }),
  }),
  spec({
    slug: 'converted', operationId: 'convertSale', summary: 'Convert: the proposal with EDS for a pre-approved initiative (R-44); create it first with createProposal, which refuses an initiative that is only Qualified (409 R-76)',
    body: z.object({ proposalId: Id }).strict(),
    toAction: async (b, _now, ctx) => {
      const p = await getProposalById(ctx.db, b.proposalId);
      if (!p || p.clientId !== ctx.clientId) {
        throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `${b.proposalId} is not a proposal of prospect ${ctx.clientId} (R-44: convert with a proposal tied to an initiative, R-80).`, { errors: [{ location: 'body', path: 'proposalId', message: 'unknown proposal' }] });
      }
      return { type: 'converted', proposalId: p.id, initiativeId: p.initiativeId, proposalCreatedAt: new Date(p.createdAt).toISOString() };
    },
  }),
  spec({
    slug: 'parked', operationId: 'parkSale', summary: 'Park the sale with a reason and a re-engagement date, event or both (R-44); on the date a CTA goes to the AM',
    body: z.object({
      reason: text(1, 40).openapi({ description: 'From proposals.declineReasons (R-80): price, timing, relevance, dependency, other.' }), note: text(1, 2000).optional(),
      reengageOn: IsoDate.optional(), reengageEvent: text(1, 200).optional(),
    }).strict(),
    toAction: (b) => ({ type: 'parked', reason: b.reason, ...(b.note ? { note: b.note } : {}), ...(b.reengageOn ? { reengageOn: b.reengageOn } : {}), ...(b.reengageEvent ? { reengageEvent: b.reengageEvent } : {}) }),
  }),
  spec({
    slug: 'signed', operationId: 'signSale', summary: 'Signature: Day 0 — the prospect becomes a client and its onboarding starts with the handoff packet assembled from the sale (R-44, R-46)',
    body: z.object({ signedAt: IsoInstant.optional().openapi({ description: 'Day 0; default now. Not in the future, not before the proposal.' }) }).strict(),
    toAction: (b, now) => ({ type: 'signed', signedAt: b.signedAt ? norm(b.signedAt) : now.toISOString() }),
  }),
] as const;

const createRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/prospects', operationId: 'createProspect', tags: ['Sales'],
  summary: 'Register a prospect on its trigger and start its consultative sale (R-40): the placement of the estimates is the segment/goal hypothesis',
  request: jsonBody(ProspectBody),
  responses: { 201: jsonResponse(Prospect, 'The prospect and its sale') },
});
const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/prospects', operationId: 'listProspects', tags: ['Sales'],
  summary: 'Prospects (client records in the `prospect` stage), by id',
  request: { query: Pagination },
  responses: { 200: jsonResponse(page(z.object({ id: Id, name: z.string(), segment: z.string(), createdAt: z.string() })), 'A page of prospects') },
});
const statusRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/prospects/{clientId}/sale', operationId: 'getSale', tags: ['Sales'],
  summary: 'Where the sale is: trigger, hypothesis, discovery, decision review, conversion or park, and its next deadline',
  request: { params: ProspectParams },
  responses: { 200: jsonResponse(SaleStatusSchema, 'The sale') },
});

const target = (clientId: string): ProcessTarget => ({
  process: 'sale', label: 'sale', clientId, workflowId: saleWorkflowId(clientId), refusalTypes: SALE_REFUSAL_TYPES,
  startHint: 'register the prospect with POST /v1/prospects',
});

export function registerSaleRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createRoute, async (c) => {
    const { db } = c.get('deps');
    const body = c.req.valid('json');
    const temporal = requireTemporal(c);
    const { trigger, ...client } = body;
    let created;
    try {
      created = await createClient(db, { ...client, stage: 'prospect' }, await writeContext(c), requestScopedId(c, 'prospect'));
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A client or prospect with externalRef ${body.externalRef} already exists.`);
      throw err;
    }
    const row = created.row;
    if (row.stage !== 'prospect') throw conflict(`${row.id} is already a client.`);
    const policy = (await activePolicy(db)).document;
    const hypothesis = hypothesisOf(policy, { segment: row.segment as 'A', goalLevel: row.goalLevel, touchTier: row.touchTier as 'High' });
    const startedBy = idempotencyKeyOf(c) ? requestScopedId(c, 'workflow-start') : undefined;
    const now = (await currentTime(c.get('deps'))).toISOString();
    try {
      await startSale(temporal, { clientId: row.id, trigger: { kind: trigger.kind, ...(trigger.ref ? { ref: trigger.ref } : {}), date: trigger.date }, startedAt: now }, row, startedBy);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (!(await startedByRequest(temporal, saleWorkflowId(row.id), startedBy))) throw conflict(`A sale already runs for prospect ${row.id}.`, { workflowId: saleWorkflowId(row.id) });
    }
    c.header('Location', `/v1/prospects/${row.id}/sale`);
    return c.json({ id: row.id, name: row.name, stage: row.stage as 'prospect', createdAt: new Date(row.createdAt).toISOString(), hypothesis, workflowId: saleWorkflowId(row.id) }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const { db } = c.get('deps');
    const rows = await db.select({ id: clients.id, name: clients.name, segment: clients.segment, createdAt: clients.createdAt }).from(clients)
      .where(and(eq(clients.stage, 'prospect'), ...(q.after ? [gt(clients.id, q.after)] : []))).orderBy(asc(clients.id)).limit(q.limit + 1);
    const items = rows.slice(0, q.limit).map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
    return c.json({ items, ...(rows.length > q.limit ? { next: items[items.length - 1]!.id } : {}) }, 200);
  });

  app.openapi(statusRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    return c.json((await queryProcess(c, target(clientId), saleStatus)) as z.infer<typeof SaleStatusSchema>, 200);
  });

  for (const a of ACTIONS) {
    const route = securedRoute(ROLE_SETS.decide, {
      method: 'post', path: `/v1/prospects/{clientId}/sale/${a.slug}`, operationId: a.operationId, tags: ['Sales'], summary: a.summary,
      request: { params: ProspectParams, ...jsonBody(a.body as z.ZodType) },
      responses: { 200: jsonResponse(ActionResult, 'Accepted, or a duplicate acknowledged (C-6)') },
    }, 'workflow');
    app.openapi(route, async (c) => {
      const { clientId } = c.req.valid('param');
      const { db } = c.get('deps');
      if (!(await getClient(db, clientId))) throw notFound('Prospect', clientId);
      const body = c.req.valid('json' as never) as never;
      const { now, ...envelope } = await reportEnvelope(c, `sale/${a.slug}`);
      const request: SaleActionRequest = { action: await (a.toAction as (b: unknown, now: Date, ctx: ActionContext) => Promise<SaleAction>)(body, now, { clientId, db }), ...envelope };
      return c.json(await sendProcessAction(c, target(clientId), saleAction, request) as never, 200);
    });
  }
}
