import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getInitiative, getPreApproval, getPriceTest, insertInitiative, latestAdoption, listInitiatives, listPreApprovals, listPriceTests, type InitiativeRow, type PreApprovalRow, type PriceTestRow } from '../../db/planning.js';
import { fixFirstGate, INITIATIVE_STATES, LANES, MANUAL_TARGETS, SOURCE_KINDS, type InitiativeAction } from '../../domain/initiatives.js';
import { INITIATIVE_REFUSAL_TYPES, initiativeAction, initiativeStatus, initiativeWorkflowId, type InitiativeActionRequest } from '../../workflows/contracts.js';
import { requestScopedId } from '../idempotency.js';
import {
  CardBody, ClientParams, clientPolicy, dispatchAfterCommit, mustGetClient, newInitiativeFrom, OwnerBody, planningCtx, Quarter, ReasonText, resolveOwner, Usd,
} from '../planning.js';
import { queryProcess, reportEnvelope, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { notFound, ProblemError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, page, Pagination, text } from '../schemas.js';
import type { ApiEnv } from '../context.js';

/**
 * Initiatives (DOMAIN §2.12, R-71..R-75) with their price tests and pre-approvals:
 * ops and managers create Initiative Cards (orphans refused, R-71; tier 2 behind the fix-first
 * gate, R-121) and decide their transitions; each transition, price test and pre-approval is a
 * report to the initiative's workflow `initiative/{id}`, which checks its precondition (409/422
 * with the rule id), keeps its clocks (Stalled R-75, pre-approval 31/61 R-83) and writes the rows.
 */
const InitiativeParams = ClientParams.extend({ initiativeId: Id.openapi({ param: { name: 'initiativeId', in: 'path' } }) });
const Owner = z.object({ role: z.string(), stakeholderId: z.string().optional(), name: z.string().optional() });
const Range = z.object({ minUsd: z.number(), maxUsd: z.number() });

const Initiative = z.object({
  id: Id, clientId: Id, title: z.string(), whatWhyNow: z.string().nullable(),
  source: z.object({ kind: z.enum(SOURCE_KINDS), ref: z.string().nullable(), date: z.string() }).openapi({ description: 'Source and date (R-71).' }),
  goalLink: z.string().nullable(), quarter: z.string(), lane: z.enum(LANES), expectedOutcome: z.string().nullable(), dependencies: z.array(z.string()),
  costBand: Range.nullable(), spendType: z.string().nullable(), owners: z.array(Owner),
  state: z.enum(INITIATIVE_STATES).openapi({ description: 'R-74 state.' }), stateChangedAt: z.string(),
  flags: z.array(z.string()).openapi({ description: '`Stalled` (R-75: no state change for more than 45 days), `AtRisk`.' }),
  tier: z.number().int(), remediation: z.boolean(), parked: z.object({ reason: z.string(), quarter: z.string(), at: z.string() }).nullable(),
  approvedAt: z.string().nullable(), approval: z.record(z.string(), z.unknown()).nullable(), revision: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
}).openapi('Initiative');
const PriceTest = z.object({
  id: z.string(), clientId: Id, initiativeId: Id, owner: Owner, quarter: z.string(), minUsd: z.number(), maxUsd: z.number(), outcome: z.enum(['viable', 'notNow']),
  reason: z.string().nullable(), note: z.string().nullable(), loggedAt: z.string(),
}).openapi('PriceTest');
const PreApproval = z.object({
  id: z.string(), clientId: Id, initiativeId: Id, owner: Owner, quarter: z.string(), minUsd: z.number(), maxUsd: z.number(),
  status: z.enum(['active', 'used', 'expired', 'superseded', 'withdrawn']), loggedAt: z.string(), reengagedAt: z.string().nullable(), endedAt: z.string().nullable(),
  ageDays: z.number().int().openapi({ description: 'C-3 age_days from logging (R-83: 31 re-engage, 61 expiry).' }),
}).openapi('PreApproval');
const ReportResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: no second effect (C-6).' }),
  state: z.string(), ctasOpened: z.array(z.string()),
  kickoff: z.object({ outcome: z.string(), meetingId: z.string().optional(), detail: z.string().optional() }).optional().openapi({ description: 'R-16: the delivery kickoff the approval asked the cadence for.' }),
  initiative: Initiative.optional(),
}).openapi('InitiativeReportResult');

export const initiativeView = (r: InitiativeRow) => ({
  id: r.id, clientId: r.clientId, title: r.title, whatWhyNow: r.whatWhyNow, source: { kind: r.sourceKind as (typeof SOURCE_KINDS)[number], ref: r.sourceRef, date: r.sourceDate }, goalLink: r.goalLink,
  quarter: r.quarter, lane: r.lane as (typeof LANES)[number], expectedOutcome: r.expectedOutcome, dependencies: r.dependencies, costBand: r.costBand, spendType: r.spendType, owners: r.owners,
  state: r.state as (typeof INITIATIVE_STATES)[number], stateChangedAt: r.stateChangedAt, flags: r.flags, tier: r.tier, remediation: r.remediation, parked: r.parked,
  approvedAt: r.approvedAt, approval: r.approval, revision: r.revision, createdAt: r.createdAt, updatedAt: r.updatedAt,
});
const priceTestView = (r: PriceTestRow) => ({ ...r, outcome: r.outcome as 'viable' });
const preApprovalView = (r: PreApprovalRow, now: number) => ({ ...r, status: r.status as 'active', ageDays: Math.floor((now - Date.parse(r.loggedAt)) / 86_400_000) });

const target = (clientId: string, initiativeId: string): ProcessTarget => ({
  process: 'initiative', label: 'initiative', clientId, workflowId: initiativeWorkflowId(initiativeId), refusalTypes: INITIATIVE_REFUSAL_TYPES,
  startHint: `create it with POST /v1/clients/${clientId}/initiatives`,
});

const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/initiatives', operationId: 'listInitiatives', tags: ['Planning'],
  summary: 'The client\'s Initiative Cards by state, lane, quarter, flag (Stalled, AtRisk) or source',
  request: { params: ClientParams, query: Pagination.extend({ state: csv(z.enum(INITIATIVE_STATES), INITIATIVE_STATES.length), lane: csv(z.enum(LANES), LANES.length), quarter: Quarter.optional(), flag: z.enum(['Stalled', 'AtRisk']).optional(), source: z.enum(SOURCE_KINDS).optional() }) },
  responses: { 200: jsonResponse(page(Initiative), 'A page of initiatives, by id') },
});
const createRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/initiatives', operationId: 'createInitiative', tags: ['Planning'],
  summary: 'Create an Initiative Card (R-71: source + date, lane and quarter, else a 422 naming each gap); tier 2 is refused while adoption is below the fix-first line (409, R-121)',
  request: { params: ClientParams, ...jsonBody(CardBody) },
  responses: { 201: jsonResponse(Initiative, 'Created (Identified); its workflow keeps its clocks') },
});
const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/initiatives/{initiativeId}', operationId: 'getInitiative', tags: ['Planning'],
  summary: 'One Initiative Card with its price tests, pre-approvals and clock (next due: Stalled, pre-approval 31/61)',
  request: { params: InitiativeParams },
  responses: { 200: jsonResponse(Initiative.extend({ priceTests: z.array(PriceTest), preApprovals: z.array(PreApproval), clock: z.record(z.string(), z.unknown()).nullable() }), 'The initiative') },
});
const transitionRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/initiatives/{initiativeId}/transitions', operationId: 'transitionInitiative', tags: ['Planning'],
  summary: 'Move an initiative by hand (R-74): InDelivery after approval, Delivered with milestones done, Verified with evidence, Parked/Declined with a reason (R-80), Cancelled, or a Parked one back to Identified (R-124); refused 409/422 with the rule whose precondition fails',
  request: {
    params: InitiativeParams,
    ...jsonBody(z.object({
      to: z.enum(MANUAL_TARGETS), reason: ReasonText.optional(), quarter: Quarter.optional().openapi({ description: 'Parked: the quarter to come back in (default the next).' }),
      evidence: text(3, 2000).optional().openapi({ description: 'Verified: the adoption/KPI move seen at the review (R-74).' }), milestonesDone: z.boolean().optional().openapi({ description: 'Delivered: milestones done (R-74).' }),
    }).strict()),
  },
  responses: { 200: jsonResponse(ReportResult, 'Applied, or a duplicate acknowledged (C-6)') },
}, 'workflow');
const kickoffRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/initiatives/{initiativeId}/kickoff', operationId: 'requestInitiativeKickoff', tags: ['Planning'],
  summary: 'Ask the cadence again for an Approved initiative\'s delivery kickoff (R-16), e.g. once the onboarding gate opened (R-48)',
  request: { params: InitiativeParams, ...jsonBody(z.object({}).strict()) },
  responses: { 200: jsonResponse(ReportResult, 'Requested') },
}, 'workflow');

const PriceTestBody = z.object({
  initiativeId: Id, owner: OwnerBody, quarter: Quarter, minUsd: Usd, maxUsd: Usd, outcome: z.enum(['viable', 'notNow']).openapi({ description: 'viable → Qualified (R-74); notNow → parked with its reason (R-42).' }),
  reason: ReasonText.optional(), note: text(1, 2000).optional(),
}).strict();
const PreApprovalBody = z.object({
  initiativeId: Id,
  owner: OwnerBody.optional().openapi({ description: 'Required by R-74 (owner + quarter + band); missing is a 422.' }),
  quarter: Quarter.optional().openapi({ description: 'Target quarter (R-74).' }), minUsd: Usd.optional(), maxUsd: Usd.optional(),
}).strict();
const priceTestsRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/price-tests', operationId: 'listPriceTests', tags: ['Planning'], summary: 'Price tests, logged as budget notes (R-42, R-83)',
  request: { params: ClientParams, query: Pagination.extend({ initiativeId: Id.optional(), outcome: z.enum(['viable', 'notNow']).optional() }) },
  responses: { 200: jsonResponse(page(PriceTest), 'A page of price tests, by id') },
});
const logPriceTestRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/price-tests', operationId: 'logPriceTest', tags: ['Planning'],
  summary: 'Log a price test as a budget note (owner + quarter + range, R-42, R-83): a viable one qualifies the initiative (R-74), a "not now" parks it with its decline reason',
  request: { params: ClientParams, ...jsonBody(PriceTestBody) },
  responses: { 201: jsonResponse(PriceTest.extend({ initiative: Initiative }), 'Logged') },
}, 'workflow');
const preApprovalsRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/pre-approvals', operationId: 'listPreApprovals', tags: ['Planning'], summary: 'Pre-approvals with their age (R-83: re-engage at 31 days, expiry at 61)',
  request: { params: ClientParams, query: Pagination.extend({ initiativeId: Id.optional(), status: csv(z.enum(['active', 'used', 'expired', 'superseded', 'withdrawn']), 5) }) },
  responses: { 200: jsonResponse(page(PreApproval), 'A page of pre-approvals, by id') },
});
const logPreApprovalRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/pre-approvals', operationId: 'logPreApproval', tags: ['Planning'],
  summary: 'Log a pre-approval (owner + target quarter + budget band, R-42, R-74) for a Qualified initiative: PreApproved, aging from now (R-83)',
  request: { params: ClientParams, ...jsonBody(PreApprovalBody) },
  responses: { 201: jsonResponse(PreApproval.extend({ initiative: Initiative }), 'Logged') },
}, 'workflow');

async function mustGetInitiative(c: Context<ApiEnv>, clientId: string, id: string, path?: string) {
  const row = await getInitiative(c.get('deps').db, clientId, id);
  if (row) return row;
  if (path) throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `${id} is not an initiative of client ${clientId}.`, { errors: [{ location: 'body', path, message: 'unknown initiative' }] });
  throw notFound('Initiative', id);
}

/** Sends a report to the initiative's workflow and answers with its verdict (C-6 duplicates, 404/409/422 refusals, already finished). */
async function report(c: Context<ApiEnv>, clientId: string, initiativeId: string, action: InitiativeAction, scope: string) {
  const { now: _now, ...envelope } = await reportEnvelope(c, scope);
  const request: InitiativeActionRequest = { action, ...envelope };
  return sendProcessAction(c, target(clientId, initiativeId), initiativeAction, request);
}

export function registerInitiativeRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(listRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listInitiatives(c.get('deps').db, clientId, { ...(q.state ? { state: q.state } : {}), ...(q.lane ? { lane: q.lane } : {}), ...(q.quarter ? { quarter: q.quarter } : {}), ...(q.flag ? { flag: q.flag } : {}), ...(q.source ? { sourceKind: q.source } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(initiativeView), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const card = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const db = c.get('deps').db;
    const ctx = await planningCtx(c, 'initiative');
    const n = await newInitiativeFrom(c, client, policy, card, { id: requestScopedId(c, 'initiative'), sourceKind: 'manual', sourceDate: ctx.at.slice(0, 10) });
    // no tier-2 initiative while adoption is below the line (remediation work is allowed).
    if (n.tier === 2 && !n.remediation) {
      const refusal = fixFirstGate(await latestAdoption(db, clientId), policy, 'tier-2 initiative');
      if (refusal) throw new ProblemError(409, 'planning-refused', 'Refused in the current state', refusal.message, { ruleId: refusal.ruleId, ...(refusal.details ? { details: refusal.details } : {}) });
    }
    const { row } = await db.transaction(async (tx) => insertInitiative(tx, n, ctx));
    await dispatchAfterCommit(c, [{ kind: 'initiative', id: row.id }, { kind: 'planning-loop', id: clientId }]);
    c.header('Location', `/v1/clients/${clientId}/initiatives/${row.id}`);
    return c.json(initiativeView(row), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { clientId, initiativeId } = c.req.valid('param');
    const db = c.get('deps').db;
    const row = await mustGetInitiative(c, clientId, initiativeId);
    const now = Date.parse((await planningCtx(c, 'read')).at);
    const tests = await listPriceTests(db, clientId, { initiativeId, limit: 500 });
    const pas = await listPreApprovals(db, clientId, { initiativeId, limit: 500 });
    const clock = await queryProcess(c, target(clientId, initiativeId), initiativeStatus).catch(() => null);
    return c.json({ ...initiativeView(row), priceTests: tests.items.map(priceTestView), preApprovals: pas.items.map((p) => preApprovalView(p, now)), clock: clock as Record<string, unknown> | null }, 200);
  });

  app.openapi(transitionRoute, async (c) => {
    const { clientId, initiativeId } = c.req.valid('param');
    const b = c.req.valid('json');
    await mustGetInitiative(c, clientId, initiativeId);
    const result = await report(c, clientId, initiativeId, { type: 'transition', to: b.to, ...(b.reason ? { reason: b.reason } : {}), ...(b.quarter ? { quarter: b.quarter } : {}), ...(b.evidence ? { evidence: b.evidence } : {}), ...(b.milestonesDone !== undefined ? { milestonesDone: b.milestonesDone } : {}) }, `transition\n${initiativeId}`);
    return c.json({ ...result, initiative: initiativeView((await getInitiative(c.get('deps').db, clientId, initiativeId))!) }, 200);
  });

  app.openapi(kickoffRoute, async (c) => {
    const { clientId, initiativeId } = c.req.valid('param');
    await mustGetInitiative(c, clientId, initiativeId);
    const result = await report(c, clientId, initiativeId, { type: 'kickoffRequested' }, `kickoff\n${initiativeId}`);
    return c.json({ ...result, initiative: initiativeView((await getInitiative(c.get('deps').db, clientId, initiativeId))!) }, 200);
  });

  app.openapi(priceTestsRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listPriceTests(c.get('deps').db, clientId, { ...(q.initiativeId ? { initiativeId: q.initiativeId } : {}), ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(priceTestView), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(logPriceTestRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    await mustGetInitiative(c, clientId, b.initiativeId, 'initiativeId');
    const owner = await resolveOwner(c, clientId, b.owner, 'owner', policy);
    const id = requestScopedId(c, 'price-test');
    await report(c, clientId, b.initiativeId, { type: 'priceTestLogged', priceTest: { id, owner, quarter: b.quarter, minUsd: b.minUsd, maxUsd: b.maxUsd, outcome: b.outcome, ...(b.reason ? { reason: b.reason } : {}), ...(b.note ? { note: b.note } : {}) } }, `price-test\n${b.initiativeId}`);
    const db = c.get('deps').db;
    const row = (await getPriceTest(db, clientId, id)) ?? (await listPriceTests(db, clientId, { initiativeId: b.initiativeId, limit: 500 })).items.at(-1)!;
    c.header('Location', `/v1/clients/${clientId}/price-tests?initiativeId=${b.initiativeId}`);
    return c.json({ ...priceTestView(row), initiative: initiativeView((await getInitiative(db, clientId, b.initiativeId))!) }, 201);
  });

  app.openapi(preApprovalsRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const now = Date.parse((await planningCtx(c, 'read')).at);
    const p = await listPreApprovals(c.get('deps').db, clientId, { ...(q.initiativeId ? { initiativeId: q.initiativeId } : {}), ...(q.status ? { status: q.status } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map((r) => preApprovalView(r, now)), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(logPreApprovalRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    await mustGetInitiative(c, clientId, b.initiativeId, 'initiativeId');
    // a pre-approval counts only with owner + target quarter + budget band.
    const missing = [b.owner ? '' : 'owner', b.quarter ? '' : 'quarter', b.minUsd !== undefined && b.maxUsd !== undefined ? '' : 'band (minUsd, maxUsd)'].filter(Boolean);
    if (missing.length) {
      throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `A pre-approval counts only with owner + target quarter + budget band (R-74); missing: ${missing.join(', ')}.`, {
        ruleId: 'R-74', errors: missing.map((m) => ({ location: 'body', path: m.split(' ')[0]!, message: 'required for a pre-approval (R-74)' })),
      });
    }
    const owner = await resolveOwner(c, clientId, b.owner!, 'owner', policy);
    const id = requestScopedId(c, 'pre-approval');
    await report(c, clientId, b.initiativeId, { type: 'preApprovalLogged', preApproval: { id, owner, quarter: b.quarter!, minUsd: b.minUsd!, maxUsd: b.maxUsd! } }, `pre-approval\n${b.initiativeId}`);
    const db = c.get('deps').db;
    const row = (await getPreApproval(db, clientId, id)) ?? (await listPreApprovals(db, clientId, { initiativeId: b.initiativeId, limit: 500 })).items.at(-1)!;
    const now = Date.parse((await planningCtx(c, 'read')).at);
    c.header('Location', `/v1/clients/${clientId}/pre-approvals?initiativeId=${b.initiativeId}`);
    return c.json({ ...preApprovalView(row, now), initiative: initiativeView((await getInitiative(db, clientId, b.initiativeId))!) }, 201);
  });
}
