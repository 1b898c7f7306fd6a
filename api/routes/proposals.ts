import { createHash } from 'node:crypto';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { completeCta, ctaIdFor } from '../../db/ctas.js';
import {
  captureProposalReason, getInitiative, getProposal, insertProposal, latestAdoption, latestBudget, latestRoadmap, listProposals, openProposalOf, type ProposalRow,
} from '../../db/planning.js';
import type { Policy } from '../../domain/policy.js';
import { ageOf, edsProblems, formatFor, proposalGate, PROPOSAL_STATUSES, type Eds, type GateFacts, type ProposalAction } from '../../domain/proposals.js';
import { reasonProblem } from '../../domain/initiatives.js';
import { PROPOSAL_REFUSAL_TYPES, proposalAction, proposalStatus, proposalWorkflowId, type ProposalActionRequest } from '../../workflows/contracts.js';
import { actorOf } from '../actor.js';
import type { ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { ClientParams, clientPolicy, dispatchAfterCommit, mustGetClient, notifyCtas, OwnerBody, planningCtx, ReasonText, resolveOwner, Usd } from '../planning.js';
import { logLateSignal, queryProcess, reportEnvelope, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { conflict, notFound, ProblemError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoDate, IsoInstant, MspRole, page, Pagination, text } from '../schemas.js';

/**
 * Proposals (DOMAIN §2.13, R-76..R-80): created as a Draft only for a PreApproved initiative with
 * a roadmap slot and a budget line and outside the fix-first gate, EDS first with
 * at most two options; sent, each ages on its own workflow `proposal/{id}` (buckets, the
 * re-engage play at 31 days, expiry at 61, R-78/R-79). The client's acceptance or decline is
 * reported; a late acceptance of an expired proposal is answered "already finished" and opens the
 * next version as a Draft.
 */
const ProposalParams = ClientParams.extend({ proposalId: Id.openapi({ param: { name: 'proposalId', in: 'path' } }) });
const Buckets = ['0-14', '15-30', '>30'] as const;

const EdsBody = z.object({
  problem: text(3, 2000), whyNow: text(3, 2000),
  options: z.array(z.object({ title: text(1, 200), minUsd: Usd, maxUsd: Usd, impact: text(1, 2000) }).strict()).min(1).max(5)
    .openapi({ description: 'At most two options (R-77, `proposals.maxOptions`); more is a 422.' }),
  risks: z.array(text(1, 500)).max(20).default([]), assumptions: z.array(text(1, 500)).max(20).default([]), clientResponsibilities: z.array(text(1, 500)).max(20).default([]),
  scope: text(1, 4000), owner: OwnerBody, targetDate: IsoDate,
}).strict().openapi({ description: 'The Executive Decision Sheet, first (R-77): problem/why now, ≤2 options with cost band, impact, risks/assumptions, owner & target date.' });

const Proposal = z.object({
  id: Id, clientId: Id, initiativeId: Id, version: z.number().int(), previousId: z.string().nullable(),
  status: z.enum(PROPOSAL_STATUSES), eds: z.record(z.string(), z.unknown()), format: z.string().openapi({ description: 'R-77: `deck` (A/B, presented live) or `slimSummary` (C/D, e-sign).' }),
  remediationRiskId: z.string().nullable(), sentAt: z.string().nullable(),
  ageDays: z.number().int().nullable().openapi({ description: 'C-3 age_days since sent, while sent.' }),
  bucket: z.enum(Buckets).nullable().openapi({ description: 'R-78 aging bucket while sent.' }),
  reengagedAt: z.string().nullable(), decidedAt: z.string().nullable(), decision: z.record(z.string(), z.unknown()).nullable(), createdAt: z.string(), updatedAt: z.string(),
}).openapi('Proposal');
const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean(), status: z.string(), ctasOpened: z.array(z.string()),
  initiative: z.object({ outcome: z.string(), state: z.string().optional(), detail: z.string().optional() }).optional().openapi({ description: 'What the initiative did with the news (R-74).' }),
  proposal: Proposal,
}).openapi('ProposalActionResult');

function view(r: ProposalRow, now: string, policy: Policy) {
  const age = r.status === 'sent' && r.sentAt ? ageOf(r.sentAt, now, policy) : null;
  return {
    id: r.id, clientId: r.clientId, initiativeId: r.initiativeId, version: r.version, previousId: r.previousId, status: r.status as 'draft', eds: r.eds, format: r.format,
    remediationRiskId: r.remediationRiskId, sentAt: r.sentAt, ageDays: age?.ageDays ?? null, bucket: age?.bucket ?? null, reengagedAt: r.reengagedAt, decidedAt: r.decidedAt,
    decision: r.decision as Record<string, unknown> | null, createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

const target = (clientId: string, proposalId: string): ProcessTarget => ({
  process: 'proposal', label: 'proposal', clientId, workflowId: proposalWorkflowId(proposalId), refusalTypes: PROPOSAL_REFUSAL_TYPES,
  startHint: `create it with POST /v1/clients/${clientId}/proposals`,
});

const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/proposals', operationId: 'listProposals', tags: ['Planning'],
  summary: 'The client\'s proposals by status, initiative or aging bucket (R-78: 0–14, 15–30, >30 days)',
  request: { params: ClientParams, query: Pagination.extend({ status: csv(z.enum(PROPOSAL_STATUSES), PROPOSAL_STATUSES.length), initiativeId: Id.optional(), bucket: z.enum(Buckets).optional() }) },
  responses: { 200: jsonResponse(page(Proposal), 'A page of proposals, by id') },
});
const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/proposals/{proposalId}', operationId: 'getProposal', tags: ['Planning'],
  summary: 'One proposal with its age, bucket and clock (next: 15–30, >30 with the re-engage play at 31 days, expiry at 61)',
  request: { params: ProposalParams }, responses: { 200: jsonResponse(Proposal.extend({ clock: z.record(z.string(), z.unknown()).nullable() }), 'The proposal') },
});
const createRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/proposals', operationId: 'createProposal', tags: ['Planning'],
  summary: 'Create a proposal (a Draft) for a PreApproved initiative with a roadmap slot and a budget line (409 R-76), EDS first with ≤2 options (422 R-77); a non-remediation one is refused while adoption is below the fix-first line (409 R-121)',
  request: { params: ClientParams, ...jsonBody(z.object({ initiativeId: Id, eds: EdsBody, remediationRiskId: text(1, 200).optional().openapi({ description: 'R-76 exception: a remediation proposal for this At-Risk record, whose pre-approval may be a re-engage-session decision.' }) }).strict()) },
  responses: { 201: jsonResponse(Proposal, 'Created as a Draft; its workflow ages it once sent') },
});
const sendRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/proposals/{proposalId}/send', operationId: 'sendProposal', tags: ['Planning'],
  summary: 'Send the proposal: R-76 checked again; its initiative becomes Proposed (R-74) and its aging starts (R-78)',
  request: { params: ProposalParams, ...jsonBody(z.object({}).strict()) }, responses: { 200: jsonResponse(ActionResult, 'Sent') },
}, 'workflow');
const acceptRoute = securedRoute(ROLE_SETS.signal, {
  method: 'post', path: '/v1/clients/{clientId}/proposals/{proposalId}/accept', operationId: 'acceptProposal', tags: ['Planning'],
  summary: 'The client accepted an option: with owner, date and budget (the EDS\'s unless given) it passes the credit gate (R-32), the initiative is Approved and the delivery kickoff asked for (R-16). An expired proposal answers "already finished" (409) and its next version is created as a Draft (R-124)',
  request: {
    params: ProposalParams,
    ...jsonBody(z.object({
      optionIndex: z.number().int().min(0).max(4).default(0), decidedAt: IsoInstant.optional(), targetDate: IsoDate.optional(), budgetUsd: Usd.optional(),
      ownerRole: MspRole.optional(), ownerStakeholderId: Id.optional(),
    }).strict()),
  },
  responses: { 200: jsonResponse(ActionResult, 'Accepted') },
}, 'workflow');
const declineRoute = securedRoute(ROLE_SETS.signal, {
  method: 'post', path: '/v1/clients/{clientId}/proposals/{proposalId}/decline', operationId: 'declineProposal', tags: ['Planning'],
  summary: 'The client declined: a reason from the policy list is required (R-80); the initiative is Declined',
  request: { params: ProposalParams, ...jsonBody(z.object({ reason: ReasonText, note: text(1, 2000).optional(), decidedAt: IsoInstant.optional() }).strict()) },
  responses: { 200: jsonResponse(ActionResult, 'Declined') },
}, 'workflow');
const withdrawRoute = securedRoute(ROLE_SETS.decide, {
  method: 'post', path: '/v1/clients/{clientId}/proposals/{proposalId}/withdraw', operationId: 'withdrawProposal', tags: ['Planning'],
  summary: 'Withdraw a draft or sent proposal with a reason (R-80); a sent one returns its initiative to PreApproved',
  request: { params: ProposalParams, ...jsonBody(z.object({ reason: ReasonText }).strict()) }, responses: { 200: jsonResponse(ActionResult, 'Withdrawn') },
}, 'workflow');
const reasonRoute = securedRoute(ROLE_SETS.act, {
  method: 'post', path: '/v1/clients/{clientId}/proposals/{proposalId}/reason', operationId: 'captureProposalReason', tags: ['Planning'],
  summary: 'Capture the reason of an expired (or declined) proposal afterwards (R-79, R-80: reasons ≥90 %); closes its decline-reason CTA',
  request: { params: ProposalParams, ...jsonBody(z.object({ reason: ReasonText, note: text(1, 2000).optional() }).strict()) },
  responses: { 200: jsonResponse(Proposal, 'Captured') },
});

async function mustGetProposal(c: Context<ApiEnv>, clientId: string, id: string) {
  const row = await getProposal(c.get('deps').db, clientId, id);
  if (!row) throw notFound('Proposal', id);
  return row;
}

/** R-76 facts, read now. */
async function gateFacts(c: Context<ApiEnv>, clientId: string, initiativeId: string, remediationRiskId?: string | null): Promise<GateFacts> {
  const db = c.get('deps').db;
  const init = (await getInitiative(db, clientId, initiativeId))!;
  const road = await latestRoadmap(db, clientId);
  const budget = await latestBudget(db, clientId);
  return {
    initiativeState: init.state, roadmapSlot: !!road?.items.some((i) => i.initiativeId === initiativeId), budgetLine: !!budget?.lines.some((l) => l.initiativeId === initiativeId),
    remediation: init.remediation, ...(remediationRiskId ? { remediationRiskId } : {}), adoption: await latestAdoption(db, clientId),
  };
}

const refused = (r: { status: number; message: string; ruleId?: string; details?: Record<string, unknown> }) =>
  new ProblemError(r.status as 409, r.status === 409 ? 'planning-refused' : 'unprocessable', r.status === 409 ? 'Refused in the current state' : 'Request cannot be applied', r.message, { ...(r.ruleId ? { ruleId: r.ruleId } : {}), ...(r.details ? { details: r.details } : {}) });

export function registerProposalRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(listRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const at = (await planningCtx(c, 'read')).at;
    const p = await listProposals(c.get('deps').db, clientId, { ...(q.status ? { status: q.status } : {}), ...(q.initiativeId ? { initiativeId: q.initiativeId } : {}), ...(q.bucket ? { bucket: q.bucket } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map((r) => view(r, at, policy)), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const client = await mustGetClient(c, clientId);
    const row = await mustGetProposal(c, clientId, proposalId);
    const clock = await queryProcess(c, target(clientId, proposalId), proposalStatus).catch(() => null);
    return c.json({ ...view(row, (await planningCtx(c, 'read')).at, await clientPolicy(c, client)), clock: clock as Record<string, unknown> | null }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const db = c.get('deps').db;
    const init = await getInitiative(db, clientId, b.initiativeId);
    if (!init) throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `${b.initiativeId} is not an initiative of client ${clientId}; a proposal is tied to an initiative id (R-76, R-80: 100 % linked).`, { errors: [{ location: 'body', path: 'initiativeId', message: 'unknown initiative' }] });
    const owner = await resolveOwner(c, clientId, b.eds.owner, 'eds.owner', policy);
    const eds: Eds = { ...b.eds, owner } as Eds;
    const problems = edsProblems(eds, policy);
    if (problems.length) throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `The Executive Decision Sheet: ${problems.map((p) => p.message).join('; ')}.`, { ruleId: 'R-77', errors: problems.map((p) => ({ location: 'body', ...p })) });
    const open = await openProposalOf(db, b.initiativeId);
    const id = requestScopedId(c, 'proposal');
    if (open && open.id !== id) throw refused({ status: 409, ruleId: 'R-76', message: `Proposal ${open.id} (v${open.version}, ${open.status}) is already open for this initiative; send, decide or withdraw it first.`, details: { openProposalId: open.id } });
    if (!open) {
      const refusal = proposalGate(await gateFacts(c, clientId, b.initiativeId, b.remediationRiskId), policy);
      if (refusal) throw refused(refusal);
    }
    const ctx = await planningCtx(c, 'proposal');
    const { row } = await db.transaction(async (tx) => insertProposal(tx, { id, clientId, initiativeId: b.initiativeId, eds: eds as unknown as Record<string, unknown>, format: formatFor(client.segment as 'A'), ...(b.remediationRiskId ? { remediationRiskId: b.remediationRiskId } : {}), reason: 'R-76: PreApproved initiative with roadmap slot and budget line' }, ctx));
    await dispatchAfterCommit(c, [{ kind: 'proposal', id: row.id }]);
    c.header('Location', `/v1/clients/${clientId}/proposals/${row.id}`);
    return c.json(view(row, ctx.at, policy), 201);
  });

  const act = async (c: Context<ApiEnv>, clientId: string, proposalId: string, action: ProposalAction, scope: string, late?: () => Promise<never>) => {
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const { now: _now, ...envelope } = await reportEnvelope(c, `${scope}\n${proposalId}`);
    const request: ProposalActionRequest = { action, ...envelope };
    const result = await sendProcessAction(c, target(clientId, proposalId), proposalAction, request, late);
    const row = (await getProposal(c.get('deps').db, clientId, proposalId))!;
    return { ...result, proposal: view(row, envelope.at, policy) };
  };

  app.openapi(sendRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const row = await mustGetProposal(c, clientId, proposalId);
    return c.json(await act(c, clientId, proposalId, { type: 'send', gate: await gateFacts(c, clientId, row.initiativeId, row.remediationRiskId) }, 'send'), 200);
  });

  app.openapi(acceptRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const row = await mustGetProposal(c, clientId, proposalId);
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const eds = row.eds as unknown as Eds;
    const option = eds.options[b.optionIndex];
    const owner = b.ownerRole || b.ownerStakeholderId ? await resolveOwner(c, clientId, { ...(b.ownerRole ? { role: b.ownerRole } : {}), ...(b.ownerStakeholderId ? { stakeholderId: b.ownerStakeholderId } : {}) }, 'ownerStakeholderId', policy) : eds.owner;
    const at = (await planningCtx(c, 'read')).at;
    const action: ProposalAction = {
      type: 'accept', optionIndex: b.optionIndex, decidedAt: b.decidedAt ? new Date(b.decidedAt).toISOString() : at,
      // owner + date + budget in writing — the EDS's owner and target date and the option's band unless the report says otherwise.
      decision: { ownerRole: owner.role as never, ...(owner.stakeholderId ? { ownerStakeholder: { id: owner.stakeholderId, name: owner.name ?? owner.stakeholderId } } : {}), targetDate: b.targetDate ?? eds.targetDate, budgetUsd: b.budgetUsd ?? option?.maxUsd ?? 0 },
    };
    return c.json(await act(c, clientId, proposalId, action, 'accept', () => lateAcceptance(c, row, action)), 200);
  });

  app.openapi(declineRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const b = c.req.valid('json');
    await mustGetProposal(c, clientId, proposalId);
    const at = (await planningCtx(c, 'read')).at;
    return c.json(await act(c, clientId, proposalId, { type: 'decline', reason: b.reason, ...(b.note ? { note: b.note } : {}), decidedAt: b.decidedAt ? new Date(b.decidedAt).toISOString() : at }, 'decline'), 200);
  });

  app.openapi(withdrawRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const b = c.req.valid('json');
    await mustGetProposal(c, clientId, proposalId);
    return c.json(await act(c, clientId, proposalId, { type: 'withdraw', reason: b.reason }, 'withdraw'), 200);
  });

  app.openapi(reasonRoute, async (c) => {
    const { clientId, proposalId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const row = await mustGetProposal(c, clientId, proposalId);
    if (row.status !== 'expired' && row.status !== 'declined') throw conflict(`Proposal v${row.version} is ${row.status}; a reason is captured for an expired or declined one (R-79, R-80).`, { ruleId: 'R-80' });
    const problem = reasonProblem(b.reason, policy);
    if (problem) throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', problem, { ruleId: 'R-80', errors: [{ location: 'body', path: 'reason', message: problem }] });
    if (row.decision?.reason) throw conflict(`The reason was already captured: ${row.decision.reason}.`, { ruleId: 'R-80' });
    const ctx = await planningCtx(c, 'proposal-reason');
    const db = c.get('deps').db;
    const updated = await db.transaction(async (tx) => {
      const r = await captureProposalReason(tx, row, b.reason, b.note, ctx);
      await completeCta(tx as never, ctaIdFor(`${proposalWorkflowId(proposalId)}/decline-reason`), `reason captured: ${b.reason}`, { actor: actorOf(c), at: ctx.at }).catch(() => undefined);
      return r;
    });
    await notifyCtas(c, [ctaIdFor(`${proposalWorkflowId(proposalId)}/decline-reason`)]);
    return c.json(view(updated, ctx.at, policy), 200);
  });
}

/**
 * the client accepts a proposal that already expired. Nothing closed changes; the late
 * signal is logged (C-6) and the next version is created as a Draft, which must re-pass price test,
 * pre-approval and the credit gate before it can be sent.
 */
async function lateAcceptance(c: Context<ApiEnv>, row: ProposalRow, action: ProposalAction): Promise<never> {
  const fresh = (await getProposal(c.get('deps').db, row.clientId, row.id))!;
  const t = target(row.clientId, row.id);
  const { idempotencyKey, bodyHash, actor, at } = await reportEnvelope(c, `accept\n${row.id}`);
  const { duplicate } = await logLateSignal(c.get('deps').db, t, { action, idempotencyKey, bodyHash, actor, at });
  if (fresh.status !== 'expired') {
    throw new ProblemError(409, 'already-finished', 'Already finished', `Proposal v${fresh.version} is already ${fresh.status}; the acceptance changed nothing and is logged as late (C-6, R-124).`, { ruleId: 'R-124', duplicate });
  }
  const id = nextVersionId(row.id);
  const ctx = await planningCtx(c, 'next-version');
  const { row: next } = await c.get('deps').db.transaction(async (tx) => insertProposal(tx, {
    id, clientId: row.clientId, initiativeId: row.initiativeId, eds: row.eds, format: row.format, previousId: row.id, ...(row.remediationRiskId ? { remediationRiskId: row.remediationRiskId } : {}),
    reason: 'R-124: late acceptance of an expired proposal; this Draft must re-pass price test, pre-approval and credit gate',
  }, ctx));
  await dispatchAfterCommit(c, [{ kind: 'proposal', id: next.id }]);
  throw new ProblemError(409, 'already-finished', 'Already finished',
    `Proposal v${fresh.version} expired at ${fresh.decidedAt} with no client decision (R-79); the acceptance changed nothing and is logged as late. Its next version v${next.version} was created as a Draft: it must re-pass price test, pre-approval and credit gate before it is sent (R-124).`,
    { ruleId: 'R-124', duplicate, nextVersion: { id: next.id, version: next.version, status: next.status } });
}

/** One next version per expired proposal, whatever the number of late acceptances. */
function nextVersionId(proposalId: string): string {
  const h = createHash('sha256').update(`baton/proposal/${proposalId}/next-version`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

