import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { openCreditGates } from '../../db/credit-gates.js';
import { resolveOwner as resolveRoleHolder } from '../../db/ctas.js';
import { creditGateOf } from '../../db/health.js';
import {
  getInitiative, getProposal, insertBudgetVersion, insertInitiative, insertRoadmapVersion, latestBudget, latestRoadmap, listPreApprovals, listPriceTests, planningRefs,
} from '../../db/planning.js';
import { getUpsell, insertUpsell, listUpsells, scheduledMeetings, UPSELL_PROCESS, type UpsellRow } from '../../db/upsell.js';
import { budgetProblems, type BudgetLineInput } from '../../domain/budget.js';
import { allowedLanes, type InitiativeAction } from '../../domain/initiatives.js';
import type { Eds, ProposalAction } from '../../domain/proposals.js';
import { nextQuarter } from '../../domain/quarters.js';
import { roadmapProblems, type RoadmapItemInput } from '../../domain/roadmap.js';
import { expectedStates, nextTouch, SIGNAL_KINDS, SPEND_LANES, UPSELL_STATES, URGENCIES, type UpsellAction } from '../../domain/upsell.js';
import {
  INITIATIVE_REFUSAL_TYPES, initiativeAction, initiativeWorkflowId, PROPOSAL_REFUSAL_TYPES, proposalAction, proposalWorkflowId, UPSELL_REFUSAL_TYPES, upsellAction, upsellStatus,
  upsellWorkflowId, type UpsellQueryResult,
} from '../../workflows/contracts.js';
import type { ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import {
  ClientParams, clientPolicy, currentQuarter, dispatchAfterCommit, Lane, mustGetClient, newInitiativeFrom, OwnerBody, planningCtx, Quarter, ReasonText, resolveOwner, Usd,
} from '../planning.js';
import { queryProcess, reportEnvelope, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { conflict, notFound, ProblemError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoDate, IsoInstant, MspRole, page, Pagination, text } from '../schemas.js';

/**
 * The upsell play (DOMAIN §2.16, R-89..R-92). A logged signal becomes an Initiative Card (source
 * `signal`) and the process `upsell/{signalId}`; each step is written on the planning loop's own
 * records — the price test and pre-approval through the initiative's process, the roadmap and
 * budget versions (same day as the pre-approval, R-91), the proposal through its process — and
 * then reported to the play, which keeps the clock (R-90 signal + 3 d ROLL, R-92 next touch, recap
 * 48h, close-out CTA 72h) and the R-32 credit verdict at the logged approval.
 */
const UpsellParams = ClientParams.extend({ signalId: Id.openapi({ param: { name: 'signalId', in: 'path' } }) });

const Upsell = z.object({
  id: Id.openapi({ description: 'The signal id; its process is `upsell/{id}`.' }), clientId: Id, initiativeId: Id, title: z.string(),
  kind: z.enum(SIGNAL_KINDS), source: z.string(), signalDate: z.string(), lane: z.enum(SPEND_LANES).openapi({ description: 'OpEx fits D/C, CapEx fits B/A (R-89).' }),
  urgency: z.enum(URGENCIES), dependency: z.string().nullable(), riskReduction: z.boolean(), state: z.enum(UPSELL_STATES),
  progress: z.record(z.string(), z.unknown()).openapi({ description: 'What the play produced so far: price test, pre-approval, versions, touch, proposal, overdue steps, credit verdict.' }),
  createdAt: z.string(), updatedAt: z.string(),
}).openapi('Upsell');
const ReportResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: no second effect (C-6).' }),
  state: z.string(), ctasOpened: z.array(z.string()), upsell: Upsell,
}).openapi('UpsellReportResult');

const view = (r: UpsellRow) => ({ ...r, kind: r.kind as 'eol', lane: r.lane as 'OpEx', urgency: r.urgency as 'low', state: r.state as 'signalLogged' });
const target = (clientId: string, signalId: string): ProcessTarget => ({
  process: 'upsell', label: 'upsell play', clientId, workflowId: upsellWorkflowId(signalId), refusalTypes: UPSELL_REFUSAL_TYPES,
  startHint: `log the signal with POST /v1/clients/${clientId}/upsells`,
});

const SignalBody = z.object({
  kind: z.enum(SIGNAL_KINDS).openapi({ description: 'R-89: health dip, adoption gap, EOL, compliance or insurance ask, executive priority, usage anomaly, roadmap dependency.' }),
  source: text(1, 200).openapi({ description: 'Where it was seen (report, meeting, system) (R-89).' }),
  signalDate: IsoDate.openapi({ description: 'When it was seen; the price test is due this + 3 d, ROLL (R-90).' }),
  lane: z.enum(SPEND_LANES).openapi({ description: 'OpEx (fits D/C) or CapEx (fits B/A) (R-89).' }),
  urgency: z.enum(URGENCIES),
  dependency: text(1, 200).optional(),
  title: text(3, 200).openapi({ description: 'The Initiative Card\'s title.' }),
  whatWhyNow: text(1, 2000).optional(),
  roadmapLane: Lane.openapi({ description: 'The initiative\'s roadmap lane (R-71, A-4).' }),
  quarter: Quarter.optional().openapi({ description: 'The initiative\'s quarter (R-71); default the current one.' }),
  riskReduction: z.boolean().default(false).openapi({ description: 'Risk-reduction work: credited as stability work, not expansion (R-32).' }),
}).strict();

const routes = {
  list: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/upsells', operationId: 'listUpsells', tags: ['Planning'], summary: 'The client\'s upsell plays (R-89..R-92) by state or signal kind',
    request: { params: ClientParams, query: Pagination.extend({ state: csv(z.enum(UPSELL_STATES), UPSELL_STATES.length), kind: z.enum(SIGNAL_KINDS).optional() }) },
    responses: { 200: jsonResponse(page(Upsell), 'A page of upsell plays, by id') },
  }),
  log: securedRoute(ROLE_SETS.act, {
    method: 'post', path: '/v1/clients/{clientId}/upsells', operationId: 'logUpsellSignal', tags: ['Planning'],
    summary: 'Log an upsell signal (R-89) with source, date, OpEx/CapEx lane, urgency and dependency: it becomes an Initiative Card (source signal) and the play `upsell/{id}` with the price-test CTA due signal + 3 d, ROLL (R-90)',
    request: { params: ClientParams, ...jsonBody(SignalBody) },
    responses: { 201: jsonResponse(Upsell, 'Logged; its process keeps the clock') },
  }),
  get: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/upsells/{signalId}', operationId: 'getUpsell', tags: ['Planning'], summary: 'One upsell play with its process status (state, dues, overdue steps, credit verdict)',
    request: { params: UpsellParams }, responses: { 200: jsonResponse(Upsell.extend({ status: z.record(z.string(), z.unknown()).nullable() }), 'The play') },
  }),
  priceTest: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/price-test', operationId: 'logUpsellPriceTest', tags: ['Planning'],
    summary: 'The price test and appetite check (R-90), logged on the initiative\'s price tests (R-42, R-83): viable → next the pre-approval; "not now" → re-sequenced with its reason (R-91). After its due it is taken and marked late',
    request: {
      params: UpsellParams,
      ...jsonBody(z.object({
        owner: OwnerBody, quarter: Quarter, minUsd: Usd, maxUsd: Usd, outcome: z.enum(['viable', 'notNow']), reason: ReasonText.optional(),
        appetite: z.number().int().min(1).max(5).optional().openapi({ description: 'Appetite seen in the check, 1–5.' }), note: text(1, 2000).optional(),
      }).strict()),
    },
    responses: { 200: jsonResponse(ReportResult, 'Logged, or a duplicate acknowledged (C-6)') },
  }, 'workflow'),
  preApproval: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/pre-approval', operationId: 'logUpsellPreApproval', tags: ['Planning'],
    summary: 'Pre-approved (owner + quarter + band, R-74): the same day a roadmap version with its card and a budget version with its line (band, decision flag, version note) are written (R-91); the proposal is due at the next strategic or tactical touch (R-92)',
    request: {
      params: UpsellParams,
      ...jsonBody(z.object({
        owner: OwnerBody, quarter: Quarter, minUsd: Usd, maxUsd: Usd,
        decisionFlag: z.boolean().default(true).openapi({ description: 'Flag the budget line as a decision (R-82: at most budget.maxDecisionFlags).' }),
        versionNote: text(1, 200).optional().openapi({ description: 'The one-line note of both versions (R-91, R-82).' }),
      }).strict()),
    },
    responses: { 200: jsonResponse(ReportResult, 'Logged and planned') },
  }, 'workflow'),
  resequence: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/resequence', operationId: 'resequenceUpsell', tags: ['Planning'],
    summary: '"Not now": re-sequence with a reason (R-91, R-80); the initiative is parked to the quarter (default the next)',
    request: { params: UpsellParams, ...jsonBody(z.object({ reason: ReasonText, quarter: Quarter.optional(), note: text(1, 500).optional() }).strict()) },
    responses: { 200: jsonResponse(ReportResult, 'Re-sequenced') },
  }, 'workflow'),
  proposal: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/proposal', operationId: 'presentUpsellProposal', tags: ['Planning'],
    summary: 'The proposal (R-76/77, sent through /proposals) was presented at the touch (R-92): recap due 48h, acceptance / PO / kickoff-prep CTA 72h',
    request: { params: UpsellParams, ...jsonBody(z.object({ proposalId: Id, presentedAt: IsoInstant.optional(), meetingId: Id.optional() }).strict()) },
    responses: { 200: jsonResponse(ReportResult, 'Presented') },
  }, 'workflow'),
  recap: securedRoute(ROLE_SETS.act, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/recap', operationId: 'recordUpsellRecap', tags: ['Planning'],
    summary: 'The recap of the proposal touch was sent (R-92: 48h)', request: { params: UpsellParams, ...jsonBody(z.object({ sentAt: IsoInstant.optional() }).strict()) },
    responses: { 200: jsonResponse(ReportResult, 'Recorded') },
  }, 'workflow'),
  approval: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/approval', operationId: 'approveUpsell', tags: ['Planning'],
    summary: 'The client approved (R-92): the proposal is accepted (its initiative Approved, R-16 kickoff), proposal ↔ initiative ↔ project linked, and only now the approval is credited per R-32 (owner + date + budget; deferred while the client\'s credit gate or the R-60 owner × segment gate is closed)',
    request: {
      params: UpsellParams,
      ...jsonBody(z.object({
        optionIndex: z.number().int().min(0).max(4).default(0), decidedAt: IsoInstant.optional(), targetDate: IsoDate.optional(), budgetUsd: Usd.optional(), ownerRole: MspRole.optional(),
        poRef: text(1, 100).optional().openapi({ description: 'The client\'s PO (R-92).' }), projectRef: text(1, 100).optional().openapi({ description: 'The delivery project (R-92: proposal ↔ initiative ↔ project).' }),
      }).strict()),
    },
    responses: { 200: jsonResponse(ReportResult, 'Approved and credited (or deferred, with the reasons)') },
  }, 'workflow'),
  decline: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/upsells/{signalId}/decline', operationId: 'declineUpsell', tags: ['Planning'],
    summary: 'The client declined the proposal, with a reason (R-80): the proposal is declined and the play ends',
    request: { params: UpsellParams, ...jsonBody(z.object({ reason: ReasonText, note: text(1, 2000).optional(), decidedAt: IsoInstant.optional() }).strict()) },
    responses: { 200: jsonResponse(ReportResult, 'Declined') },
  }, 'workflow'),
};

async function mustGetUpsell(c: Context<ApiEnv>, clientId: string, signalId: string) {
  const row = await getUpsell(c.get('deps').db, clientId, signalId);
  if (!row) throw notFound('Upsell', signalId);
  return row;
}

/**
 * Whether the play expects this report now. When it does not, the report goes to the play alone —
 * which answers a C-6 repeat with its first result, or refuses (409) — and no record is touched.
 */
async function expects(c: Context<ApiEnv>, row: UpsellRow, type: UpsellAction['type']): Promise<boolean> {
  const st = await queryProcess(c, target(row.clientId, row.id), upsellStatus).catch(() => null) as UpsellQueryResult | null;
  const state = st && 'state' in st ? st.state : row.state;
  return expectedStates(type).includes(state as never);
}

/** Reports to the play and answers with its verdict and the row after it. */
async function report(c: Context<ApiEnv>, row: UpsellRow, action: UpsellAction, scope: string) {
  const { now: _now, ...envelope } = await reportEnvelope(c, scope);
  const result = await sendProcessAction(c, target(row.clientId, row.id), upsellAction, { action, ...envelope });
  return { ...result, upsell: view((await getUpsell(c.get('deps').db, row.clientId, row.id))!) };
}

async function tellInitiative(c: Context<ApiEnv>, clientId: string, initiativeId: string, action: InitiativeAction, scope: string) {
  const { now: _now, ...envelope } = await reportEnvelope(c, scope);
  return sendProcessAction(c, { process: 'initiative', label: 'initiative', clientId, workflowId: initiativeWorkflowId(initiativeId), refusalTypes: INITIATIVE_REFUSAL_TYPES, startHint: 'it starts with its Initiative Card' }, initiativeAction, { action, ...envelope });
}

async function tellProposal(c: Context<ApiEnv>, clientId: string, proposalId: string, action: ProposalAction, scope: string) {
  const { now: _now, ...envelope } = await reportEnvelope(c, scope);
  return sendProcessAction(c, { process: 'proposal', label: 'proposal', clientId, workflowId: proposalWorkflowId(proposalId), refusalTypes: PROPOSAL_REFUSAL_TYPES, startHint: 'it starts with the proposal' }, proposalAction, { action, ...envelope });
}

const unprocessable = (detail: string, ruleId: string, errors: { path: string; message: string }[]) =>
  new ProblemError(422, 'unprocessable', 'Request cannot be applied', detail, { ruleId, errors: errors.map((e) => ({ location: 'body', ...e })) });

export function registerUpsellRoutes(app: OpenAPIHono<ApiEnv>) {
  const db = (c: Context<ApiEnv>) => c.get('deps').db;

  app.openapi(routes.list, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listUpsells(db(c), clientId, { ...(q.state ? { state: q.state } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(view), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.log, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const ctx = await planningCtx(c, 'upsell');
    const signalId = requestScopedId(c, 'upsell');
    // the signal is the card's source and date; the same checks as any Initiative Card.
    const card = await newInitiativeFrom(c, client, policy, {
      title: b.title, ...(b.whatWhyNow ? { whatWhyNow: b.whatWhyNow } : {}), source: { kind: 'signal', ref: `upsell/${signalId}: ${b.kind} (${b.source})`.slice(0, 200), date: b.signalDate },
      lane: b.roadmapLane, quarter: b.quarter ?? currentQuarter(client, policy, ctx.at), spendType: b.lane, ...(b.dependency ? { dependencies: [b.dependency] } : {}), ...(b.riskReduction ? { remediation: true } : {}),
    }, { id: requestScopedId(c, 'upsell-initiative') });
    const row = await db(c).transaction(async (tx) => {
      await insertInitiative(tx, card, { ...ctx, process: UPSELL_PROCESS, workflowId: upsellWorkflowId(signalId) });
      return (await insertUpsell(tx, {
        id: signalId, clientId, initiativeId: card.id, title: b.title, kind: b.kind, source: b.source, signalDate: b.signalDate, lane: b.lane, urgency: b.urgency,
        dependency: b.dependency ?? null, riskReduction: b.riskReduction, state: 'signalLogged', createdAt: ctx.at,
      })).row;
    });
    await dispatchAfterCommit(c, [{ kind: 'initiative', id: card.id }, { kind: 'upsell', id: signalId }, { kind: 'planning-loop', id: clientId }]);
    c.header('Location', `/v1/clients/${clientId}/upsells/${signalId}`);
    return c.json(view(row), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const row = await mustGetUpsell(c, clientId, signalId);
    const status = await queryProcess(c, target(clientId, signalId), upsellStatus).catch(() => null);
    return c.json({ ...view(row), status: status as Record<string, unknown> | null }, 200);
  });

  app.openapi(routes.priceTest, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const scope = `upsell-price-test\n${signalId}`;
    let quarter = b.quarter;
    let priceTestId = requestScopedId(c, 'price-test');
    if (await expects(c, row, 'priceTested')) {
      const client = await mustGetClient(c, clientId);
      const owner = await resolveOwner(c, clientId, b.owner, 'owner', await clientPolicy(c, client));
      await tellInitiative(c, clientId, row.initiativeId, {
        type: 'priceTestLogged', priceTest: { id: priceTestId, owner, quarter: b.quarter, minUsd: b.minUsd, maxUsd: b.maxUsd, outcome: b.outcome, ...(b.reason ? { reason: b.reason } : {}), note: b.note ?? `upsell ${signalId} (R-90)` },
      }, scope);
      // A repeat of the request finds the record the first one wrote.
      priceTestId = (await listPriceTests(db(c), clientId, { initiativeId: row.initiativeId, limit: 500 })).items.find((t) => t.id === priceTestId)?.id ?? priceTestId;
      quarter = (await getInitiative(db(c), clientId, row.initiativeId))?.parked?.quarter ?? b.quarter;
    }
    return c.json(await report(c, row, {
      type: 'priceTested', priceTestId, outcome: b.outcome, minUsd: b.minUsd, maxUsd: b.maxUsd, quarter, ...(b.reason ? { reason: b.reason } : {}), ...(b.appetite !== undefined ? { appetite: b.appetite } : {}),
    }, scope), 200);
  });

  app.openapi(routes.preApproval, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const scope = `upsell-pre-approval\n${signalId}`;
    const preApprovalId = requestScopedId(c, 'pre-approval');
    const versionNote = b.versionNote ?? `${row.title}: pre-approved ${b.quarter}, $${b.minUsd}–$${b.maxUsd} (upsell, R-91)`;
    let planned = { roadmapVersion: 0, budgetVersion: 0, decisionFlag: false };
    let touch = null as ReturnType<typeof nextTouch>;
    if (await expects(c, row, 'preApproved')) {
      if (b.maxUsd < b.minUsd) throw unprocessable('maxUsd is below minUsd.', 'R-91', [{ path: 'maxUsd', message: 'maxUsd is below minUsd' }]);
      const client = await mustGetClient(c, clientId);
      const policy = await clientPolicy(c, client);
      const owner = await resolveOwner(c, clientId, b.owner, 'owner', policy);
      const init = (await getInitiative(db(c), clientId, row.initiativeId))!;
      // the roadmap card and the budget line, checked before anything is written.
      const refs = await planningRefs(db(c), clientId);
      const roadmap = await latestRoadmap(db(c), clientId);
      const budget = await latestBudget(db(c), clientId);
      const items: RoadmapItemInput[] = [
        ...(roadmap?.items ?? []).filter((i) => i.initiativeId !== row.initiativeId).map((i) => ({ initiativeId: i.initiativeId, ...(i.proposalId ? { proposalId: i.proposalId } : {}), quarter: i.quarter, lane: i.lane, ...(i.note ? { note: i.note } : {}) })),
        { initiativeId: row.initiativeId, quarter: b.quarter, lane: init.lane, note: `upsell ${row.kind} (R-91)` },
      ];
      const kept = (budget?.lines ?? []).filter((l) => l.initiativeId !== row.initiativeId);
      // at most maxDecisionFlags flags in the snapshot; past it the line goes in unflagged (said in the event).
      const decisionFlag = b.decisionFlag && kept.filter((l) => l.decisionFlag).length < policy.budget.maxDecisionFlags;
      const lines: BudgetLineInput[] = [
        ...kept.map((l) => ({ initiativeId: l.initiativeId, quarter: l.quarter, amountUsd: l.amountUsd, ...(l.spendType ? { spendType: l.spendType as 'OpEx' } : {}), decisionFlag: l.decisionFlag, ...(l.preApprovalId ? { preApprovalId: l.preApprovalId } : {}), ...(l.label ? { label: l.label } : {}) })),
        { initiativeId: row.initiativeId, quarter: b.quarter, amountUsd: b.maxUsd, spendType: row.lane as 'OpEx', decisionFlag, ...(client.segment === 'A' ? { preApprovalId } : {}), label: `band $${b.minUsd}–$${b.maxUsd} (upsell)` },
      ];
      const rp = roadmapProblems(items, { initiatives: new Set(refs.initiatives.keys()), proposals: refs.proposals, lanes: allowedLanes(policy, client.goalLevel) });
      const bp = budgetProblems(lines, { segment: client.segment as 'A', initiatives: new Set(refs.initiatives.keys()), preApprovals: new Map([...refs.preApprovals, [preApprovalId, row.initiativeId]]), policy });
      if (rp.length || bp.length) throw unprocessable(`The roadmap card or budget line cannot be written (R-91): ${[...rp, ...bp].map((p) => p.message).join('; ')}.`, 'R-91', [...rp, ...bp]);
      await tellInitiative(c, clientId, row.initiativeId, { type: 'preApprovalLogged', preApproval: { id: preApprovalId, owner, quarter: b.quarter, minUsd: b.minUsd, maxUsd: b.maxUsd } }, scope);
      const sourceRef = `upsell/${signalId}/pre-approval`;
      const ctx = { ...(await planningCtx(c, 'upsell-plan')), process: UPSELL_PROCESS, workflowId: upsellWorkflowId(signalId) };
      const bigRock = (id: string) => (refs.initiatives.get(id)?.costBand?.maxUsd ?? 0) >= policy.initiatives.bigRockMinCostUsd;
      // Same day, once: a retried request finds the versions its first attempt wrote.
      const written = await db(c).transaction(async (tx) => {
        const r0 = await latestRoadmap(tx, clientId);
        const b0 = await latestBudget(tx, clientId);
        const rv = r0?.version.sourceRef === sourceRef ? r0.version.version : (await insertRoadmapVersion(tx, clientId, { note: versionNote, source: 'manual', sourceRef, ruleId: 'R-91', items }, { isBigRock: bigRock, maxBigRocks: policy.initiatives.bigRocksPerQuarter }, ctx)).version;
        const bv = b0?.version.sourceRef === sourceRef ? b0.version.version : (await insertBudgetVersion(tx, clientId, { note: versionNote, source: 'manual', sourceRef, ruleId: 'R-91', format: policy.cadence[client.segment as 'A'].budget.view, lines }, ctx)).version;
        return { roadmapVersion: rv, budgetVersion: bv };
      });
      await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
      planned = { ...written, decisionFlag };
      touch = nextTouch((await scheduledMeetings(db(c), clientId, ctx.at)).map((m) => ({ ...m })), ctx.at, policy);
    }
    const pa = (await listPreApprovals(db(c), clientId, { initiativeId: row.initiativeId, limit: 500 })).items.find((p) => p.id === preApprovalId);
    return c.json(await report(c, row, {
      type: 'preApproved', preApprovalId: pa?.id ?? preApprovalId, quarter: b.quarter, minUsd: b.minUsd, maxUsd: b.maxUsd, ...planned, versionNote, nextTouch: touch,
    }, scope), 200);
  });

  app.openapi(routes.resequence, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const scope = `upsell-resequence\n${signalId}`;
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const quarter = b.quarter ?? nextQuarter(currentQuarter(client, policy, (await planningCtx(c, 'read')).at));
    if (await expects(c, row, 'resequenced')) {
      if (!policy.proposals.declineReasons.includes(b.reason)) throw unprocessable(`reason ${b.reason} is not one of ${policy.proposals.declineReasons.join(', ')} (R-80).`, 'R-91', [{ path: 'reason', message: 'not a reason of the policy (R-80)' }]);
      await tellInitiative(c, clientId, row.initiativeId, { type: 'transition', to: 'Parked', reason: b.reason, quarter }, scope);
    }
    return c.json(await report(c, row, { type: 'resequenced', reason: b.reason, quarter, ...(b.note ? { note: b.note } : {}) }, scope), 200);
  });

  app.openapi(routes.proposal, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const p = await getProposal(db(c), clientId, b.proposalId);
    if (!p || p.initiativeId !== row.initiativeId) throw unprocessable(`${b.proposalId} is not a proposal of the upsell's initiative ${row.initiativeId} (R-92: proposal ↔ initiative linked).`, 'R-92', [{ path: 'proposalId', message: 'not a proposal of this initiative' }]);
    if (p.status === 'draft') throw conflict(`Proposal ${b.proposalId} is a draft: send it (POST …/proposals/${b.proposalId}/send) before presenting it (R-76, R-78).`, { ruleId: 'R-92' });
    const at = (await planningCtx(c, 'read')).at;
    return c.json(await report(c, row, { type: 'proposalPresented', proposalId: b.proposalId, presentedAt: b.presentedAt ? new Date(b.presentedAt).toISOString() : at, ...(b.meetingId ? { meetingId: b.meetingId } : {}) }, `upsell-proposal\n${signalId}`), 200);
  });

  app.openapi(routes.recap, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const at = (await planningCtx(c, 'read')).at;
    return c.json(await report(c, row, { type: 'recapSent', sentAt: b.sentAt ? new Date(b.sentAt).toISOString() : at }, `upsell-recap\n${signalId}`), 200);
  });

  app.openapi(routes.approval, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const scope = `upsell-approval\n${signalId}`;
    const proposalId = String((row.progress as { proposalId?: string }).proposalId ?? '');
    const at = (await planningCtx(c, 'read')).at;
    const decidedAt = b.decidedAt ? new Date(b.decidedAt).toISOString() : at;
    const client = await mustGetClient(c, clientId);
    const p = proposalId ? await getProposal(db(c), clientId, proposalId) : undefined;
    const eds = p?.eds as unknown as Eds | undefined;
    const decision = { ownerRole: (b.ownerRole ?? eds?.owner.role ?? 'AM') as 'AM', targetDate: b.targetDate ?? eds?.targetDate ?? at.slice(0, 10), budgetUsd: b.budgetUsd ?? eds?.options[b.optionIndex]?.maxUsd ?? 0 };
    if (p && (await expects(c, row, 'approved')) && p.status === 'sent') {
      // The client's acceptance goes to the proposal's process: the initiative is Approved and R-16's kickoff asked for.
      await tellProposal(c, clientId, proposalId, { type: 'accept', optionIndex: b.optionIndex, decidedAt, decision }, scope);
    }
    const init = await getInitiative(db(c), clientId, row.initiativeId);
    const kickoff = (init?.approval as { kickoff?: { meetingId?: string } } | null)?.kickoff?.meetingId;
    // read at decision time: the client's gate (health) and the owner × segment governance gates.
    const gate = await creditGateOf(db(c), clientId);
    const holder = await resolveRoleHolder(db(c), clientId, decision.ownerRole);
    const governance = holder.ownerId ? await openCreditGates(db(c), { personId: holder.ownerId, segment: client.segment }) : await openCreditGates(db(c), { personId: null, segment: client.segment });
    return c.json(await report(c, row, {
      type: 'approved', proposalId, decidedAt, ...decision, ...(b.poRef ? { poRef: b.poRef } : {}), ...(b.projectRef ? { projectRef: b.projectRef } : {}), ...(kickoff ? { kickoffMeetingId: kickoff } : {}),
      credit: {
        clientGate: { closed: gate.closed, reasons: [...gate.reasons] }, ownerPersonId: holder.ownerId,
        governanceGates: governance.map((g) => ({ gateId: g.id, ruleId: g.ruleId, personId: g.personId, segment: g.segment })),
      },
    }, scope), 200);
  });

  app.openapi(routes.decline, async (c) => {
    const { clientId, signalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetUpsell(c, clientId, signalId);
    const scope = `upsell-decline\n${signalId}`;
    const proposalId = String((row.progress as { proposalId?: string }).proposalId ?? '');
    const decidedAt = b.decidedAt ? new Date(b.decidedAt).toISOString() : (await planningCtx(c, 'read')).at;
    const p = proposalId ? await getProposal(db(c), clientId, proposalId) : undefined;
    if (p && p.status === 'sent' && (await expects(c, row, 'declined'))) {
      await tellProposal(c, clientId, proposalId, { type: 'decline', reason: b.reason, ...(b.note ? { note: b.note } : {}), decidedAt }, scope);
    }
    return c.json(await report(c, row, { type: 'declined', proposalId, reason: b.reason, decidedAt }, scope), 200);
  });
}
