import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { getClient } from '../../db/clients.js';
import { appendEvent } from '../../db/ledger.js';
import { policyForClient } from '../../db/policies.js';
import { getRisk, listRisks, openOrAppendRisk, otherOpenRiskIn, type RiskRow } from '../../db/risks.js';
import { ctas, events, healthInputs } from '../../db/schema.js';
import { BUCKETS, type RiskAction } from '../../domain/at-risk.js';
import type { ExitCriterion } from '../../domain/policy/health.js';
import { EXIT_CRITERIA } from '../../domain/policy/health.js';
import { dispatchWorkflowStart, reportToRisk } from '../../runtime/processes.js';
import { RISK_REFUSAL_TYPES, riskAction, riskStatus, riskWorkflowId, type RiskActionRequest, type RiskQueryResult } from '../../workflows/contracts.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { reportEnvelope, requireTemporal, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { conflict, notFound } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoDate, IsoInstant, page, Pagination, text } from '../schemas.js';

/**
 * At Risk over HTTP (DOMAIN §2.17, R-93..R-103): a risk is opened by a process's trigger or by
 * hand (a new trigger on the client's open risk of that bucket appends evidence instead, A-19);
 * its owner reports acknowledgement, the war room, the re-engage session, the Save Plan, actions,
 * progress and evidence to its process (`risk/{id}`), reclassifies and closes it when every exit
 * criterion of its bucket holds (R-102). Everyone with read access lists and reads risks.
 */

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const RiskParams = z.object({ riskId: Id.openapi({ param: { name: 'riskId', in: 'path' } }) });
const Bucket = z.enum(BUCKETS).openapi({ description: 'R-94: Service (tickets/SLA), Delivery (projects/hand-offs), Strategic (cadence/roadmap/budget), Financial (AR dispute, scope mismatch).' });
const Severity = z.enum(['High', 'Medium', 'Low']);
const OneToThree = z.number().int().min(1).max(3);
const DAY_MS = 86_400_000;

const Risk = z.object({
  id: Id, clientId: Id, bucket: Bucket, severity: Severity, impact: z.number().int(), likelihood: z.number().int(), status: z.enum(['open', 'closed']),
  trigger: z.string(), ruleId: z.string(), source: z.record(z.string(), z.unknown()), firstActionCtaId: z.string().nullable(),
  repeat: z.boolean().openapi({ description: 'Opened within the repeat window after a closure of the client (R-103).' }), repeatOf: z.string().nullable(),
  openedAt: z.string(), ackDueAt: z.string().nullable(), acknowledgedAt: z.string().nullable(), savePlanDueAt: z.string().nullable(), savePlanAt: z.string().nullable(),
  reengageDueAt: z.string().nullable(), reengageHeldAt: z.string().nullable(), lastMovementAt: z.string().nullable(), escalatedAt: z.string().nullable(), closedAt: z.string().nullable(),
  afterActionDueAt: z.string().nullable(), afterActionAt: z.string().nullable(), evidenceCount: z.number().int(), actionsTotal: z.number().int(), actionsDone: z.number().int(), actionsOnTime: z.number().int(),
  overdue: z.boolean().openapi({ description: 'Open with the acknowledgement, the Save Plan or the re-engage session past its due.' }),
}).openapi('Risk');
const RiskDetail = Risk.extend({ process: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The risk process: clocks with their due instants, Save Plan, progress, exit criteria (null before it started).' }) }).openapi('RiskDetail');
const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean(), ctasOpened: z.array(z.string()), status: z.enum(['open', 'closed']), severity: z.string(),
}).openapi('RiskActionResult');
const Opened = z.object({ riskId: Id, outcome: z.enum(['opened', 'appended']).openapi({ description: '`appended`: the client already had an open risk in this bucket; the trigger became its evidence (A-19).' }) }).openapi('RiskOpened');

function view(r: RiskRow, now: number) {
  const past = (due: string | null, done: string | null) => due !== null && done === null && Date.parse(due) < now;
  return {
    id: r.id, clientId: r.clientId, bucket: r.bucket as (typeof BUCKETS)[number], severity: r.severity as 'High', impact: r.impact, likelihood: r.likelihood, status: r.status as 'open',
    trigger: r.trigger, ruleId: r.ruleId, source: r.source as Record<string, unknown>, firstActionCtaId: r.firstActionCtaId, repeat: r.repeatOf !== null, repeatOf: r.repeatOf,
    openedAt: r.openedAt, ackDueAt: r.ackDueAt, acknowledgedAt: r.acknowledgedAt, savePlanDueAt: r.savePlanDueAt, savePlanAt: r.savePlanAt, reengageDueAt: r.reengageDueAt,
    reengageHeldAt: r.reengageHeldAt, lastMovementAt: r.lastMovementAt, escalatedAt: r.escalatedAt, closedAt: r.closedAt, afterActionDueAt: r.afterActionDueAt, afterActionAt: r.afterActionAt,
    evidenceCount: r.evidenceCount, actionsTotal: r.actionsTotal, actionsDone: r.actionsDone, actionsOnTime: r.actionsOnTime,
    overdue: r.status === 'open' && (past(r.ackDueAt, r.acknowledgedAt) || past(r.savePlanDueAt, r.savePlanAt) || past(r.reengageDueAt, r.reengageHeldAt)),
  };
}

const filters = Pagination.extend({
  status: csv(z.enum(['open', 'closed']), 2), bucket: csv(Bucket, 4), severity: csv(Severity, 3),
  repeat: z.enum(['true', 'false']).optional(), overdue: z.enum(['true', 'false']).optional(),
  after: Id.optional().openapi({ description: 'Cursor from the previous page\'s `next` (a risk id).' }),
});

const openRoute = securedRoute(ROLE_SETS.assign, {
  method: 'post', path: '/v1/clients/{clientId}/risks', operationId: 'openRisk', tags: ['At Risk'],
  summary: 'Open a risk by hand (R-93: compliance asks, anything the processes cannot see); the client\'s open risk in the bucket takes it as evidence instead (A-19)',
  request: {
    params: ClientParams,
    ...jsonBody(z.object({
      bucket: Bucket, trigger: text(3, 300).openapi({ example: 'cyber-insurance questionnaire unanswered for 3 weeks' }),
      impact: OneToThree.optional().openapi({ description: 'R-94 impact 1–3; default atRisk.defaultImpact.' }),
      likelihood: OneToThree.optional().openapi({ description: 'R-94 likelihood 1–3; default atRisk.defaultLikelihood.' }),
      evidence: text(3, 2000).optional(),
    }).strict()),
  },
  responses: { 201: jsonResponse(Opened, 'Opened (its process starts)'), 200: jsonResponse(Opened, 'Appended to the open risk of the bucket') },
});
const clientListRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/risks', operationId: 'listClientRisks', tags: ['At Risk'], summary: 'The client\'s risks, open and closed',
  request: { params: ClientParams, query: filters },
  responses: { 200: jsonResponse(page(Risk), 'A page of risks, by id') },
});
const listRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/risks', operationId: 'listRisks', tags: ['At Risk'], summary: 'Risks across clients by status, bucket, severity, repeat (R-103) and overdue clocks',
  request: { query: filters.extend({ clientId: Id.optional() }) },
  responses: { 200: jsonResponse(page(Risk), 'A page of risks, by id') },
});
const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/risks/{riskId}', operationId: 'getRisk', tags: ['At Risk'], summary: 'A risk with its process: every clock and its due instant, the Save Plan, evidence, exit criteria',
  request: { params: RiskParams },
  responses: { 200: jsonResponse(RiskDetail, 'The risk') },
});

interface ReportSpec<S extends z.ZodType> { slug: string; operationId: string; summary: string; roles: readonly ('admin' | 'ops' | 'automation' | 'manager')[]; body: S; toAction: (b: z.infer<S>, now: Date) => RiskAction }
const spec = <S extends z.ZodType>(s: ReportSpec<S>) => s;
const norm = (s: string) => new Date(s).toISOString();
const SavePlanAction = z.object({
  horizon: z.enum(['H1', 'H2']).openapi({ description: 'H1 containment days 0–14, H2 correction days 15–60 after detection.' }),
  title: text(3, 300), owner: text(1, 200).openapi({ description: 'Who does it (a person or role).' }), dueDate: IsoDate,
  budgetUsd: z.number().min(0).max(1e12).optional().openapi({ description: 'Budget for the action, if it costs money (Save Plan: owner + date + budget/action).' }),
}).strict();
const Texts = (what: string) => z.array(text(1, 500)).max(20).default([]).openapi({ description: what });

const REPORTS = [
  spec({
    slug: 'acknowledge', operationId: 'acknowledgeRisk', roles: ROLE_SETS.act, summary: 'The owner acknowledged the risk to the client (R-95: High ≤ 4 business hours, Medium/Low ≤ 8)',
    body: z.object({ note: text(3, 2000) }).strict(), toAction: (b) => ({ type: 'acknowledged', note: b.note }),
  }),
  spec({
    slug: 'stabilised', operationId: 'recordRiskWarRoom', roles: ROLE_SETS.act, summary: 'Stabilise (R-96, by Day 3): war room held, scope frozen, facts-only Snapshot',
    body: z.object({ note: text(3, 2000) }).strict(), toAction: (b) => ({ type: 'stabilised', note: b.note }),
  }),
  spec({
    slug: 'reengage-held', operationId: 'recordRiskReengageHeld', roles: ROLE_SETS.signal, summary: 'The executive re-engage session was held (R-97); the Save Plan is then due ≤ 48h after it or ≤ 5 bd after detection, the earlier (R-98). A cadence meeting that carried it reports itself.',
    body: z.object({ heldAt: IsoInstant, endedAt: IsoInstant, meetingId: Id.optional(), decisions: z.array(text(3, 300)).max(2).default([]).openapi({ description: 'The two decisions (R-97).' }) }).strict(),
    toAction: (b) => ({ type: 'reengageHeld', heldAt: norm(b.heldAt), endedAt: norm(b.endedAt), ...(b.meetingId ? { meetingId: b.meetingId } : {}), decisions: b.decisions }),
  }),
  spec({
    slug: 'save-plan', operationId: 'publishSavePlan', roles: ROLE_SETS.act, summary: 'Publish the Save Plan (R-98): H1 containment and H2 correction actions, each with owner, date and budget/action; a later publish is a new version',
    body: z.object({ actions: z.array(SavePlanAction).min(1).max(50), risks: Texts('Risks'), assumptions: Texts('Assumptions'), dependencies: Texts('Dependencies') }).strict(),
    toAction: (b) => ({ type: 'savePlanPublished', actions: b.actions.map((a) => ({ horizon: a.horizon, title: a.title, owner: a.owner, dueDate: a.dueDate, ...(a.budgetUsd !== undefined ? { budgetUsd: a.budgetUsd } : {}) })), risks: b.risks, assumptions: b.assumptions, dependencies: b.dependencies }),
  }),
  spec({
    slug: 'actions', operationId: 'recordRiskAction', roles: ROLE_SETS.act, summary: 'Movement on the risk (R-100): a Save Plan action done, a client decision, or the no-movement reset held',
    body: z.object({
      kind: z.enum(['action', 'clientDecision', 'reset']), title: text(3, 300),
      actionId: z.string().max(5).regex(/^h[12]-\d{1,2}$/, 'a Save Plan action id such as h1-2').optional().openapi({ description: 'The Save Plan action done (counts for "actions on time", R-103).' }),
      note: text(1, 2000).optional(),
    }).strict(),
    toAction: (b) => ({ type: 'actionRecorded', kind: b.kind, title: b.title, ...(b.actionId ? { actionId: b.actionId } : {}), ...(b.note ? { note: b.note } : {}) }),
  }),
  spec({
    slug: 'progress', operationId: 'recordRiskProgress', roles: ROLE_SETS.act, summary: 'The weekly progress email went out (R-99: from Save Plan + 7 d)',
    body: z.object({ note: text(1, 2000).optional() }).strict(), toAction: (b) => ({ type: 'progressSent', ...(b.note ? { note: b.note } : {}) }),
  }),
  spec({
    slug: 'evidence', operationId: 'addRiskEvidence', roles: ROLE_SETS.act, summary: 'Append evidence to the risk (R-93, R-124); `conditionCleared` when the condition that opened it no longer holds (exit still follows R-102)',
    body: z.object({ evidence: text(3, 2000), conditionCleared: z.boolean().default(false) }).strict(),
    toAction: (b) => ({ type: 'evidenceAdded', evidence: b.evidence, source: 'api', conditionCleared: b.conditionCleared }),
  }),
  spec({
    slug: 'reclassify', operationId: 'reclassifyRisk', roles: ROLE_SETS.assign, summary: 'Reclassify with a rationale (R-101: not resolved at Day 30): bucket, impact, likelihood → severity (R-94)',
    body: z.object({ bucket: Bucket.optional(), impact: OneToThree.optional(), likelihood: OneToThree.optional(), rationale: text(3, 2000) }).strict(),
    toAction: (b) => ({ type: 'reclassified', ...(b.bucket ? { bucket: b.bucket } : {}), ...(b.impact ? { impact: b.impact } : {}), ...(b.likelihood ? { likelihood: b.likelihood } : {}), rationale: b.rationale }),
  }),
  spec({
    slug: 'close', operationId: 'closeRisk', roles: ROLE_SETS.assign,
    summary: 'Exit to green (R-102): refused (409) unless every criterion of the bucket holds — Baton\'s own data decides where it has it (health at/above baseline 30 days, SLA trend, roadmap/budget reset, detractors followed up), the reporter attests the rest',
    body: z.object({
      note: text(3, 2000),
      criteria: z.object(Object.fromEntries(EXIT_CRITERIA.map((k) => [k, z.boolean().optional()])) as Record<ExitCriterion, z.ZodOptional<z.ZodBoolean>>).strict().default({})
        .openapi({ description: 'Attestations for criteria Baton cannot see (healthAtBaseline, slaTrendNormal, roadmapBudgetReset, detractorsFollowedUp).' }),
    }).strict(),
    toAction: (b) => ({ type: 'closed', note: b.note, attested: b.criteria, computed: {} }),
  }),
  spec({
    slug: 'after-action', operationId: 'recordRiskAfterAction', roles: ROLE_SETS.act, summary: 'The After-Action review (R-102, within 5 bd of the exit): People / Process / Tech / Expectation',
    body: z.object({ people: text(3, 2000), process: text(3, 2000), tech: text(3, 2000), expectation: text(3, 2000) }).strict(),
    toAction: (b) => ({ type: 'afterActionRecorded', people: b.people, process: b.process, tech: b.tech, expectation: b.expectation }),
  }),
] as const;

const target = (risk: RiskRow): ProcessTarget => ({
  process: 'risk', label: 'risk', clientId: risk.clientId, workflowId: riskWorkflowId(risk.id), refusalTypes: RISK_REFUSAL_TYPES, startHint: 'its process starts when it is opened',
});

export function registerRiskRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(openRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const deps = c.get('deps');
    const client = await getClient(deps.db, clientId);
    if (!client) throw notFound('Client', clientId);
    const { policy } = await policyForClient(deps.db, client.policyOverrides);
    const at = (await currentTime(deps)).toISOString();
    const seed = `api/${requestScopedId(c, 'risk')}`;
    const evidence = { note: b.evidence ?? b.trigger };
    const outcome = await deps.db.transaction(async (tx) => {
      await appendEvent(tx, {
        id: `risk-signal/${seed}`, occurredAt: at, clientId, process: 'api', type: 'risk.signal_raised', ruleId: 'R-93', actor: actorOf(c), why: { rule: 'R-93', by: 'hand' },
        data: { trigger: b.trigger, bucket: b.bucket, ...(b.impact ? { impact: b.impact } : {}), ...(b.likelihood ? { likelihood: b.likelihood } : {}), evidence },
      });
      return openOrAppendRisk(tx, {
        clientId, bucket: b.bucket, ...(b.impact ? { impact: b.impact } : {}), ...(b.likelihood ? { likelihood: b.likelihood } : {}), trigger: b.trigger, ruleId: 'R-93',
        source: { process: 'api', eventId: `risk-signal/${seed}`, evidence }, openedAt: at, seed,
      }, policy);
    });
    const temporal = requireTemporal(c);
    if (outcome.outcome === 'opened') {
      await dispatchWorkflowStart(temporal, deps.db, 'risk', outcome.riskId);
      c.header('Location', `/v1/risks/${outcome.riskId}`);
      return c.json({ riskId: outcome.riskId, outcome: 'opened' as const }, 201);
    }
    await reportToRisk(temporal, outcome.riskId, clientId, {
      action: { type: 'evidenceAdded', evidence: `${b.trigger}${b.evidence ? `: ${b.evidence}` : ''}`, source: 'api', signal: { trigger: b.trigger, ruleId: 'R-93', eventId: `risk-signal/${seed}` } },
      idempotencyKey: `risk-signal/${seed}`, bodyHash: `risk-signal/${seed}`, actor: actorOf(c), at,
    });
    return c.json({ riskId: outcome.riskId, outcome: 'appended' as const }, 200);
  });

  const list = async (c: Context<ApiEnv>, q: z.infer<typeof filters> & { clientId?: string }) => {
    const now = await currentTime(c.get('deps'));
    const r = await listRisks(c.get('deps').db, {
      ...(q.clientId ? { clientId: q.clientId } : {}), ...(q.status ? { status: q.status } : {}), ...(q.bucket ? { bucket: q.bucket } : {}), ...(q.severity ? { severity: q.severity } : {}),
      ...(q.repeat ? { repeat: q.repeat === 'true' } : {}), ...(q.overdue === 'true' ? { overdue: true } : {}), now: now.toISOString(), ...(q.after ? { after: q.after } : {}), limit: q.limit,
    });
    return { items: r.items.map((x) => view(x, now.getTime())), ...(r.next ? { next: r.next } : {}) };
  };
  app.openapi(clientListRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    if (!(await getClient(c.get('deps').db, clientId))) throw notFound('Client', clientId);
    return c.json(await list(c, { ...c.req.valid('query'), clientId }), 200);
  });
  app.openapi(listRoute, async (c) => c.json(await list(c, c.req.valid('query')), 200));

  app.openapi(getRoute, async (c) => {
    const { riskId } = c.req.valid('param');
    const deps = c.get('deps');
    const risk = await getRisk(deps.db, riskId);
    if (!risk) throw notFound('Risk', riskId);
    let process: RiskQueryResult | null = null;
    if (deps.temporal) {
      try {
        process = await deps.temporal.client.workflow.getHandle(riskWorkflowId(riskId)).query(riskStatus);
      } catch {
        process = null;
      }
    }
    const now = await currentTime(deps);
    return c.json({ ...view(risk, now.getTime()), process: process as Record<string, unknown> | null }, 200);
  });

  for (const r of REPORTS) {
    const route = securedRoute(r.roles, {
      method: 'post', path: `/v1/risks/{riskId}/${r.slug}`, operationId: r.operationId, tags: ['At Risk'], summary: r.summary,
      request: { params: RiskParams, ...jsonBody(r.body as z.ZodType) },
      responses: { 200: jsonResponse(ActionResult, 'Accepted, or a duplicate acknowledged (C-6)') },
    }, 'workflow');
    app.openapi(route, async (c) => {
      const { riskId } = c.req.valid('param');
      const body = c.req.valid('json' as never) as never;
      const deps = c.get('deps');
      const risk = await getRisk(deps.db, riskId);
      if (!risk) throw notFound('Risk', riskId);
      const { now, ...envelope } = await reportEnvelope(c, `risk/${r.slug}`);
      let action = (r.toAction as (b: unknown, now: Date) => RiskAction)(body, now);
      if (action.type === 'reclassified' && action.bucket && action.bucket !== risk.bucket && (await otherOpenRiskIn(deps.db, risk.clientId, action.bucket, risk.id))) {
        throw conflict(`Client ${risk.clientId} already has an open ${action.bucket} risk; one open risk per bucket (A-19): add this one's evidence to it instead.`, { ruleId: 'A-19' });
      }
      if (action.type === 'closed') action = { ...action, computed: await exitEvidence(c, risk, now) };
      const request: RiskActionRequest = { action, ...envelope };
      return c.json(await sendProcessAction(c, target(risk), riskAction, request) as never, 200);
    });
  }
}

/**
 * R-102's criteria as Baton's own data shows them, where it has the data (else the reporter's
 * attestation decides): composite health at/above the baseline for the exit window, the SLA of the
 * last service-metric cycles at the segment's green line, a roadmap or budget version since the
 * risk opened, and every complaint since it opened followed up ("we own the miss" plays done).
 */
async function exitEvidence(c: Context<ApiEnv>, risk: RiskRow, now: Date): Promise<Partial<Record<ExitCriterion, { holds: boolean; detail: string }>>> {
  const { db } = c.get('deps');
  const client = (await getClient(db, risk.clientId))!;
  const { policy } = await policyForClient(db, client.policyOverrides);
  const ar = policy.atRisk;
  const out: Partial<Record<ExitCriterion, { holds: boolean; detail: string }>> = {};
  const opened = risk.openedAt;
  // Health at/above baseline for `exitHealthyDays` consecutive days (composite score changes since opening).
  const baseline = await baselineOf(db, risk);
  if (baseline !== null) {
    const changes = await db.select({ at: events.occurredAt, data: events.data }).from(events)
      .where(and(eq(events.clientId, risk.clientId), eq(events.type, 'health.score_changed'), sql`${events.data}->>'dimension' = 'composite'`)).orderBy(asc(events.seq));
    let since: string | null = null;
    let current: number | null = null;
    for (const e of changes) {
      const score = (e.data as { score: number | null }).score;
      current = score;
      if (score === null || score < baseline) since = null;
      else if (since === null) since = e.at;
    }
    if (current !== null) {
      const days = since ? (now.getTime() - Date.parse(since)) / DAY_MS : 0;
      out.healthAtBaseline = { holds: since !== null && days >= ar.exitHealthyDays, detail: `composite ${current} vs baseline ${baseline}; at or above since ${since ?? 'never'} (${Math.floor(days)} of ${ar.exitHealthyDays} days)` };
    }
  }
  // SLA trend normal for `exitSlaCycles` cycles (R-102): the last service-metric inputs at the segment's green SLA line (R-107).
  const svc = await db.select({ data: healthInputs.data, at: healthInputs.observedAt }).from(healthInputs)
    .where(and(eq(healthInputs.clientId, risk.clientId), eq(healthInputs.kind, 'serviceMetrics'))).orderBy(sql`${healthInputs.observedAt} desc`).limit(ar.exitSlaCycles);
  const green = policy.health.serviceQuality.slaGreenPct[client.segment as 'A'];
  const slas = svc.map((r) => [(r.data as { slaResponsePct?: number }).slaResponsePct, (r.data as { slaResolutionPct?: number }).slaResolutionPct].filter((x): x is number => x !== undefined)).filter((x) => x.length).map((x) => x.reduce((a, b) => a + b, 0) / x.length);
  if (slas.length >= ar.exitSlaCycles) out.slaTrendNormal = { holds: slas.every((x) => x >= green), detail: `last ${ar.exitSlaCycles} SLA cycles ${slas.map((x) => Math.round(x * 100) / 100).join(', ')} % vs green ${green} %` };
  // An approved roadmap/budget reset: a version recorded since the risk opened (issue 11's planning events).
  const [reset] = await db.select({ type: events.type, at: events.occurredAt }).from(events)
    .where(and(eq(events.clientId, risk.clientId), inArray(events.type, ['roadmap.versioned', 'budget.versioned']), gt(events.occurredAt, opened))).orderBy(asc(events.seq)).limit(1);
  if (reset) out.roadmapBudgetReset = { holds: true, detail: `${reset.type} at ${reset.at}` };
  // Detractors followed up: the "we own the miss" plays opened since the risk opened are done (none open).
  const complaints = await db.select({ id: healthInputs.id }).from(healthInputs).where(and(eq(healthInputs.clientId, risk.clientId), eq(healthInputs.kind, 'complaint'), gt(healthInputs.observedAt, opened)));
  const plays = await db.select({ state: ctas.state }).from(ctas).where(and(eq(ctas.clientId, risk.clientId), eq(ctas.kind, 'play-negativePulse'), gt(ctas.createdAt, opened)));
  if (complaints.length || plays.length) {
    const open = plays.filter((p) => p.state !== 'done' && p.state !== 'cancelled').length;
    out.detractorsFollowedUp = { holds: open === 0 && plays.length > 0, detail: `${complaints.length} complaint(s) since opening; ${plays.length - open} of ${plays.length} "we own the miss" play(s) done` };
  }
  return out;
}

/** The composite health the risk opened at (R-102 baseline), from the risk process's start event. */
async function baselineOf(db: ApiEnv['Variables']['deps']['db'], risk: RiskRow): Promise<number | null> {
  const [opened] = await db.select({ why: events.why }).from(events)
    .where(and(eq(events.type, 'risk.opened'), eq(events.clientId, risk.clientId), sql`${events.data}->>'riskId' = ${risk.id}`)).limit(1);
  const b = (opened?.why as { healthBaseline?: number | null } | undefined)?.healthBaseline;
  return typeof b === 'number' ? b : null;
}
