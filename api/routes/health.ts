import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getClient, type ClientRow } from '../../db/clients.js';
import { creditDecisionsOf, creditGateOf, currentHealth, recordHealthInput, snapshotHistory, type HealthInputKind } from '../../db/health.js';
import { enqueueWorkflowStart } from '../../db/outbox.js';
import { policyForClient } from '../../db/policies.js';
import { clientHealth, clients, healthInputs } from '../../db/schema.js';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { COMPLAINT_TAGS, DIMENSIONS } from '../../domain/health.js';
import { dispatchWorkflowStart, ensureHealth, reportToHealth } from '../../runtime/processes.js';
import { healthStatus, healthWorkflowId, HEALTH_REFUSAL_TYPES, healthAction, type HealthActionRequest } from '../../workflows/contracts.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { reportEnvelope, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { notFound, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, intParam, IsoInstant, Score, text, uniqueList } from '../schemas.js';

/**
 * Health over HTTP (DOMAIN §2.18, R-104..R-121): automations and ops send the inputs Baton cannot
 * see itself — post-meeting pulses, complaints, DMI insights, service metrics, alignment — each
 * stored once (Idempotency-Key, C-6), put on the timeline, and evaluated at once by the client's
 * health process (which a first input starts). Everyone with read access sees the scores with
 * their inputs, the monthly snapshots, the credit gate; managers see the portfolio.
 */

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const Pct = z.number().min(0).max(100);
const Slug = z.string().regex(/^[a-z][a-zA-Z0-9-]*$/, 'a short insight key, e.g. mfa or conditionalAccess').max(60);

const observedAt = IsoInstant.optional().openapi({ description: 'When it was observed; default now. Not in the future.' });
const PulseBody = z.object({
  observedAt,
  meetingId: Id.optional().openapi({ description: 'The meeting the pulse followed.' }),
  invited: z.number().int().min(1).max(1000).openapi({ description: 'People asked (the response rate is responses ÷ invited, R-104 targets A/B 50 %, C/D 30 %).' }),
  responses: z.array(z.object({
    valuable: Score.openapi({ description: '"Was this valuable?" 1–5 (A-20).' }),
    missing: Score.openapi({ description: '"What was missing?" 1–5 (5: nothing).' }),
    comment: text(1, 2000).optional(),
  }).strict()).max(1000),
}).strict().openapi({ description: 'At most `invited` responses (422 otherwise).' });
const ComplaintBody = z.object({
  observedAt,
  tag: z.enum(COMPLAINT_TAGS).openapi({ description: 'Root-cause tag (R-104); Relevance and Follow-through turn Engagement Red (R-106).' }),
  summary: text(3, 2000),
}).strict();
const DmiBody = z.object({
  observedAt,
  insights: uniqueList(z.object({ key: Slug, weight: z.number().int().min(1).max(5), coveragePct: Pct }).strict(), 50, 'insights').min(1)
    .openapi({ description: 'R-105: 5–8 vital insights, weights 1–5, at most `health.adoption.maxInsights` (20); DMI = Σ(weight × coverage) ÷ Σ weights.' }),
}).strict();
const LateMilestone = z.object({ milestone: text(1, 200), daysLate: z.number().int().min(0).max(3650) }).strict();
const ServiceBody = z.object({
  observedAt,
  slaResponsePct: Pct.optional(), slaResolutionPct: Pct.optional(),
  milestonesOnTimePct: Pct.optional().openapi({ description: 'On-time milestones (R-107); leave out when there are none (D: n/a).' }),
  lateMilestones: z.array(LateMilestone).max(100).optional().openapi({ description: 'Milestones running late; more than 14 days fires R-117.' }),
  reopenPct: Pct.optional().openapi({ description: 'Tickets reopened within 30 days (R-107, R-118).' }),
  repeatPct: Pct.optional().openapi({ description: 'Repeat incidents within 30 days (R-107, R-93).' }),
  backupSuccessPct: Pct.optional().openapi({ description: 'Backup success, rolling 30 days (R-114).' }),
  backlogAgingDays: z.number().int().min(0).max(3650).optional().openapi({ description: 'Age of the oldest open backlog item (R-93: > 30 d).' }),
  openPostMortemActions: z.number().int().min(0).max(10000).optional().openapi({ description: 'Open P1/P2 post-mortem actions (R-93 compliance).' }),
}).strict().openapi({ description: 'At least one metric besides `observedAt` (422 otherwise).' });
const Checks = z.object({ cadenceVsPlan: z.boolean(), deliverablesWithRecap: z.boolean(), sponsorForAB: z.boolean(), effortMix: z.boolean() }).strict();
const AlignmentCommon = {
  observedAt,
  roadmapNotRelevant: z.boolean().optional().openapi({ description: '"Roadmap not relevant" said by the client (R-119).' }),
  lateRoadmapCount: z.number().int().min(0).max(100).optional().openapi({ description: 'Roadmap/lifecycle items late this quarter (twice fires R-119).' }),
};
// the 40/30/30 rubric (default policy) or four 25-point checks; the method decides which fields the body carries.
const AlignmentBody = z.discriminatedUnion('method', [
  z.object({ method: z.literal('rubric'), presence: Pct, perception: Pct, performance: Pct, ...AlignmentCommon }).strict(),
  z.object({ method: z.literal('checklist'), checks: Checks, ...AlignmentCommon }).strict(),
]).openapi({ description: 'R-108: `rubric` with presence, perception and performance, or `checklist` with the four checks.' });

const InputResult = z.object({
  inputId: Id, kind: z.string(), observedAt: z.string(),
  evaluation: z.object({
    evaluated: z.boolean().openapi({ description: 'False when the health process could not be reached now: the input is stored and counts at the next evaluation.' }),
    composite: z.object({ score: z.number().nullable(), colour: z.string().nullable() }).nullable(),
    ctasOpened: z.array(z.string()),
  }),
}).openapi('HealthInputRecorded');

const DimensionView = z.object({
  score: z.number().nullable(), colour: z.enum(['Green', 'Yellow', 'Red']).nullable(), inputs: z.record(z.string(), z.unknown()), weights: z.record(z.string(), z.number()),
  band: z.object({ greenMin: z.number(), yellowMin: z.number() }).optional(), reasons: z.array(z.string()),
}).openapi('HealthDimension');
const Gate = z.object({ closed: z.boolean(), reasons: z.array(z.string()), since: z.string().nullable() }).openapi('HealthGate');
const Snapshot = z.object({
  month: z.string(), at: z.string(), composite: z.object({ score: z.number().nullable(), colour: z.string().nullable() }),
  dimensions: z.record(z.string(), z.object({ score: z.number().nullable(), colour: z.string().nullable() })), credit: Gate, pause: Gate, redStreaks: z.record(z.string(), z.number()),
}).openapi('HealthSnapshot');
const HealthView = z.object({
  clientId: Id, segment: z.string(), evaluatedAt: z.string(), occasion: z.string(), policyVersion: z.number().int(),
  composite: z.object({ score: z.number().nullable(), colour: z.string().nullable(), weights: z.record(z.string(), z.number()), band: z.object({ greenMin: z.number(), yellowMin: z.number() }) }),
  dimensions: z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, DimensionView])) as Record<(typeof DIMENSIONS)[number], typeof DimensionView>),
  derived: z.object({ maturity: z.number(), appetite: z.number(), maturityScore: z.number().int(), appetiteScore: z.number().int(), segment: z.string() }).nullable()
    .openapi({ description: 'R-109 derived maturity/appetite and the segment they place the client in (R-110); null while a dimension has no data.' }),
  credit: Gate.openapi({ description: 'R-32 credit gate: closed = expansion credit deferred.' }),
  initiativePause: Gate.openapi({ description: 'R-120: initiatives above the pause threshold paused.' }),
  process: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The health process: open plays, next snapshot, months counted (null when it is not running).' }),
  history: z.object({ items: z.array(Snapshot), next: z.string().optional() }),
  inputs: z.array(z.object({ id: Id, kind: z.string(), observedAt: z.string(), data: z.record(z.string(), z.unknown()) })).openapi({ description: 'The latest inputs of each kind.' }),
}).openapi('ClientHealth');

const INPUTS: { slug: string; kind: HealthInputKind; operationId: string; summary: string; body: z.ZodType }[] = [
  { slug: 'pulses', kind: 'pulse', operationId: 'recordHealthPulse', summary: 'Post-meeting 2-question pulse (1–5) with the response rate (R-104, A-20); negative feedback fires "we own the miss" (R-112)', body: PulseBody },
  { slug: 'complaints', kind: 'complaint', operationId: 'recordHealthComplaint', summary: 'A complaint tagged Cadence / Relevance / Follow-through / Quality (R-104, R-106, R-112)', body: ComplaintBody },
  { slug: 'dmi', kind: 'dmi', operationId: 'recordHealthDmi', summary: 'DMI insights: weight and coverage per vital insight (R-105); a drop ≥ 10 or flat 2 cycles fires R-115', body: DmiBody },
  { slug: 'service-metrics', kind: 'serviceMetrics', operationId: 'recordServiceMetrics', summary: 'Service metrics: SLA response/resolution %, milestones on time, reopen/repeat %, backup success (R-107, R-114, R-116..R-118, R-93)', body: ServiceBody },
  { slug: 'alignment', kind: 'alignment', operationId: 'recordHealthAlignment', summary: 'Service Level Alignment: Presence / Perception / Performance, or the four checks (R-108, R-119)', body: AlignmentBody },
];

const healthRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/health', operationId: 'getClientHealth', tags: ['Health'],
  summary: 'The client\'s health now (each dimension with its inputs, weights, band and why), the monthly snapshots, the credit gate (R-104..R-110, R-32)',
  request: {
    params: ClientParams,
    query: z.object({
      historyLimit: intParam(1, 60).optional().transform((v) => v ?? 12).openapi({ description: 'Snapshots per page, newest first (default 12).' }),
      historyBefore: z.string().regex(/^\d{4}-\d{2}$/, 'yyyy-MM').optional().openapi({ description: 'Cursor: the `history.next` of the previous page.' }),
    }),
  },
  responses: { 200: jsonResponse(HealthView, 'The client\'s health') },
});
const snapshotRoute = securedRoute(ROLE_SETS.govern, {
  method: 'post', path: '/v1/clients/{clientId}/health/snapshots', operationId: 'takeHealthSnapshot', tags: ['Health'],
  summary: 'Take this month\'s snapshot now (§2.18; the last-business-day snapshot replaces it): Red months counted, credit gate and pause re-read (R-32, R-120)',
  request: { params: ClientParams, ...jsonBody(z.object({ note: text(3, 500) }).strict()) },
  responses: { 200: jsonResponse(z.object({ accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean(), ctasOpened: z.array(z.string()), composite: z.object({ score: z.number().nullable(), colour: z.string().nullable() }).nullable() }).openapi('HealthSnapshotTaken'), 'Taken') },
}, 'workflow');
const creditRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/credit', operationId: 'getClientCredit', tags: ['Health'],
  summary: 'The credit gate (R-32, R-120) and the client\'s approvals with their verdict: counted, deferred (with why), released, not credited, stability work',
  request: { params: ClientParams },
  responses: {
    200: jsonResponse(z.object({
      clientId: Id, gate: Gate.extend({ evaluatedAt: z.string().nullable() }), initiativePause: Gate,
      decisions: z.array(z.object({ id: Id, source: z.string(), title: z.string(), verdict: z.string(), reasons: z.array(z.string()), meetingId: z.string().nullable(), initiativeId: z.string().nullable(), decidedAt: z.string(), releasedAt: z.string().nullable(), releasedMonth: z.string().nullable() })),
    }).openapi('ClientCredit'), 'The credit gate and approvals'),
  },
});
const portfolioRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/portfolio/health', operationId: 'getPortfolioHealth', tags: ['Health'],
  summary: 'Portfolio health: clients by composite colour and segment, each dimension\'s colours, and the share Green against the ≥ 80 % aim (R-107, R-109)',
  responses: {
    200: jsonResponse(z.object({
      clients: z.number().int(), aimGreenPct: z.number(),
      composite: z.object({ Green: z.number().int(), Yellow: z.number().int(), Red: z.number().int(), none: z.number().int(), greenPct: z.number().nullable(), meetsAim: z.boolean().nullable() }),
      bySegment: z.record(z.string(), z.object({ Green: z.number().int(), Yellow: z.number().int(), Red: z.number().int(), none: z.number().int() })),
      dimensions: z.record(z.string(), z.object({ Green: z.number().int(), Yellow: z.number().int(), Red: z.number().int(), none: z.number().int(), greenPct: z.number().nullable(), meetsAim: z.boolean().nullable() })),
      creditGated: z.number().int(), initiativesPaused: z.number().int(),
    }).openapi('PortfolioHealth'), 'The portfolio'),
  },
});

const target = (clientId: string): ProcessTarget => ({
  process: 'health', label: 'health process', clientId, workflowId: healthWorkflowId(clientId), refusalTypes: HEALTH_REFUSAL_TYPES,
  startHint: `send a health input (POST /v1/clients/${clientId}/health/pulses, …) to start it`,
});

export function registerHealthRoutes(app: OpenAPIHono<ApiEnv>) {
  for (const spec of INPUTS) {
    const route = securedRoute(ROLE_SETS.signal, {
      method: 'post', path: `/v1/clients/{clientId}/health/${spec.slug}`, operationId: spec.operationId, tags: ['Health'], summary: spec.summary,
      request: { params: ClientParams, ...jsonBody(spec.body) },
      responses: { 201: jsonResponse(InputResult, 'Stored, on the timeline, and evaluated') },
    });
    app.openapi(route, async (c) => {
      const { clientId } = c.req.valid('param');
      const body = c.req.valid('json' as never) as Record<string, unknown> & { observedAt?: string };
      const deps = c.get('deps');
      const client = await getClient(deps.db, clientId);
      if (!client) throw notFound('Client', clientId);
      const now = await currentTime(deps);
      const observed = body.observedAt ? new Date(body.observedAt) : now;
      if (observed.getTime() > now.getTime()) throw unprocessable(`observedAt ${body.observedAt} is in the future.`, { errors: [{ location: 'body', path: 'observedAt', message: 'in the future' }] });
      const data = await inputData(c, client, spec.kind, body);
      const id = requestScopedId(c, 'health-input');
      const at = now.toISOString();
      await deps.db.transaction(async (tx) => {
        await recordHealthInput(tx, { id, clientId, kind: spec.kind, observedAt: observed.toISOString(), data }, actorOf(c), at);
        // The health process starts with a client's first input; the outbox keeps that start across a crash.
        await enqueueWorkflowStart(tx, 'health', clientId);
      });
      let evaluation: z.infer<typeof InputResult>['evaluation'] = { evaluated: false, composite: null, ctasOpened: [] };
      if (deps.temporal) {
        try {
          await dispatchWorkflowStart(deps.temporal, deps.db, 'health', clientId);
          const request: HealthActionRequest = { action: { type: 'inputRecorded', inputId: id, kind: spec.kind }, idempotencyKey: `health-input/${id}`, bodyHash: `health-input/${id}`, actor: actorOf(c), at };
          const outcome = await reportToHealth(deps.temporal, clientId, client.segment, request);
          if (outcome.outcome === 'accepted') evaluation = { evaluated: true, composite: outcome.result.composite, ctasOpened: outcome.result.ctasOpened };
        } catch (err) {
          deps.logger.warn({ err, clientId }, 'health input stored; the evaluation waits for the health process');
        }
      }
      c.header('Location', `/v1/clients/${clientId}/health`);
      return c.json({ inputId: id, kind: spec.kind, observedAt: observed.toISOString(), evaluation }, 201);
    });
  }

  app.openapi(healthRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    const { db, temporal } = c.get('deps');
    const client = await getClient(db, clientId);
    if (!client) throw notFound('Client', clientId);
    const row = await currentHealth(db, clientId);
    if (!row) throw new ProblemError(404, 'not-found', 'No health yet', `Client ${clientId} has no health evaluation yet; send an input (POST /v1/clients/${clientId}/health/pulses, …) to start its health process.`);
    const scores = row.scores as { dimensions: Record<string, unknown>; composite: { score: number | null; colour: string | null; weights: Record<string, number>; band: { greenMin: number; yellowMin: number } }; derived: unknown };
    const history = await snapshotHistory(db, clientId, { ...(q.historyBefore ? { before: q.historyBefore } : {}), limit: q.historyLimit });
    let process: Record<string, unknown> | null = null;
    if (temporal) {
      try {
        process = (await temporal.client.workflow.getHandle(healthWorkflowId(clientId)).query(healthStatus)) as Record<string, unknown>;
      } catch {
        process = null;
      }
    }
    const inputs = await latestInputs(db, clientId);
    return c.json(({
      clientId, segment: client.segment, evaluatedAt: row.evaluatedAt, occasion: row.occasion, policyVersion: row.policyVersion,
      composite: scores.composite, dimensions: scores.dimensions as never, derived: scores.derived as never, credit: row.credit, initiativePause: row.pause, process,
      history: {
        items: history.items.map((h) => {
          const s = h.scores as { composite: { score: number | null; colour: string | null }; dimensions: Record<string, { score: number | null; colour: string | null }> };
          return {
            month: h.month, at: h.at, composite: { score: s.composite.score, colour: s.composite.colour },
            dimensions: Object.fromEntries(Object.entries(s.dimensions).map(([k, v]) => [k, { score: v.score, colour: v.colour }])), credit: h.credit, pause: h.pause, redStreaks: h.redStreaks,
          };
        }),
        ...(history.next ? { next: history.next } : {}),
      },
      inputs,
    }) as z.infer<typeof HealthView>, 200);
  });

  app.openapi(snapshotRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const body = c.req.valid('json');
    const { now: _now, ...envelope } = await reportEnvelope(c, 'health-snapshot');
    const request: HealthActionRequest = { action: { type: 'snapshotRequested', note: body.note }, ...envelope };
    const { db, temporal } = c.get('deps');
    const client = await getClient(db, clientId);
    if (!client) throw notFound('Client', clientId);
    // No health yet: a snapshot request starts it (the baseline evaluation runs first; the report waits for it).
    if (temporal) await ensureHealth(temporal, clientId, client.segment);
    return c.json(await sendProcessAction(c, target(clientId), healthAction, request) as never, 200);
  });

  app.openapi(creditRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { db } = c.get('deps');
    if (!(await getClient(db, clientId))) throw notFound('Client', clientId);
    const gate = await creditGateOf(db, clientId);
    const decisions = await creditDecisionsOf(db, clientId);
    return c.json({
      clientId, gate: { closed: gate.closed, reasons: gate.reasons, since: gate.since, evaluatedAt: gate.evaluatedAt }, initiativePause: gate.initiativePause,
      decisions: decisions.map((d) => ({ id: d.id, source: d.source, title: d.title, verdict: d.verdict, reasons: d.reasons, meetingId: d.meetingId, initiativeId: d.initiativeId, decidedAt: d.decidedAt, releasedAt: d.releasedAt, releasedMonth: d.releasedMonth })),
    }, 200);
  });

  app.openapi(portfolioRoute, async (c) => {
    const { db } = c.get('deps');
    const policy = (await policyForClient(db, {})).policy;
    const rows = await db.select({ segment: clients.segment, colour: clientHealth.compositeColour, scores: clientHealth.scores, credit: clientHealth.credit, pause: clientHealth.pause })
      .from(clientHealth).innerJoin(clients, eq(clients.id, clientHealth.clientId));
    const empty = () => ({ Green: 0, Yellow: 0, Red: 0, none: 0 });
    const count = (acc: ReturnType<typeof empty>, colour: string | null | undefined) => { acc[(colour ?? 'none') as keyof typeof acc] += 1; };
    const composite = empty();
    const bySegment: Record<string, ReturnType<typeof empty>> = {};
    const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, empty()])) as Record<string, ReturnType<typeof empty>>;
    for (const r of rows) {
      count(composite, r.colour);
      count((bySegment[r.segment] ??= empty()), r.colour);
      const dims = (r.scores as { dimensions: Record<string, { colour: string | null }> }).dimensions;
      for (const d of DIMENSIONS) count(dimensions[d]!, dims[d]?.colour);
    }
    const aim = policy.health.serviceQuality.portfolioGreenAimPct;
    const share = (x: ReturnType<typeof empty>) => {
      const scored = x.Green + x.Yellow + x.Red;
      const pct = scored ? Math.round((x.Green * 1000) / scored) / 10 : null;
      return { ...x, greenPct: pct, meetsAim: pct === null ? null : pct >= aim };
    };
    return c.json({
      clients: rows.length, aimGreenPct: aim, composite: share(composite), bySegment,
      dimensions: Object.fromEntries(Object.entries(dimensions).map(([k, v]) => [k, share(v)])),
      creditGated: rows.filter((r) => r.credit.closed).length, initiativesPaused: rows.filter((r) => r.pause.closed).length,
    }, 200);
  });
}

/** The stored form of an input, checked against the policy where the rule has a bound (R-105: ≤ 20 insights). */
async function inputData(c: Context<ApiEnv>, client: ClientRow, kind: HealthInputKind, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { observedAt: _o, ...rest } = body;
  if (kind === 'pulse') {
    const b = rest as z.infer<typeof PulseBody>;
    if (b.responses.length > b.invited) throw unprocessable(`${b.responses.length} responses from ${b.invited} people invited.`, { errors: [{ location: 'body', path: 'responses', message: 'more responses than people invited' }] });
    return { invited: b.invited, respondents: b.responses.length, scores: b.responses.flatMap((r) => [r.valuable, r.missing]), ...(b.meetingId ? { meetingId: b.meetingId } : {}), comments: b.responses.filter((r) => r.comment).map((r) => r.comment!) };
  }
  if (kind === 'serviceMetrics' && Object.keys(rest).length === 0) {
    throw unprocessable('Send at least one service metric besides observedAt.', { errors: [{ location: 'body', path: '', message: 'no metric' }] });
  }
  if (kind === 'dmi') {
    const { policy } = await policyForClient(c.get('deps').db, client.policyOverrides);
    const insights = (rest as z.infer<typeof DmiBody>).insights;
    if (insights.length > policy.health.adoption.maxInsights) {
      throw unprocessable(`At most ${policy.health.adoption.maxInsights} insights per DMI (R-105); ${insights.length} were sent.`, { ruleId: 'R-105', errors: [{ location: 'body', path: 'insights', message: `more than ${policy.health.adoption.maxInsights}` }] });
    }
  }
  return rest;
}

async function latestInputs(db: ApiEnv['Variables']['deps']['db'], clientId: string) {
  const kinds: HealthInputKind[] = ['pulse', 'complaint', 'dmi', 'serviceMetrics', 'alignment'];
  const rows = await db.select().from(healthInputs).where(and(eq(healthInputs.clientId, clientId), inArray(healthInputs.kind, kinds))).orderBy(desc(healthInputs.observedAt)).limit(200);
  const perKind = new Map<string, number>();
  return rows.filter((r) => {
    const n = perKind.get(r.kind) ?? 0;
    perKind.set(r.kind, n + 1);
    return n < 5;
  }).map((r) => ({ id: r.id, kind: r.kind, observedAt: r.observedAt, data: r.data }));
}

