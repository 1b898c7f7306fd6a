import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { cadenceLockOf } from '../../activities/planning-cycle.js';
import { getClient } from '../../db/clients.js';
import { getPlanningCycle, listPlanningCycles, type PlanningCycleRow } from '../../db/planning-cycles.js';
import { clientCalendar, localYear } from '../../db/client-calendar.js';
import { policyForClient } from '../../db/policies.js';
import { makeCalendar } from '../../domain/business-time.js';
import { planCycle } from '../../domain/cadence-plan.js';
import type { CadenceSegment, TouchTier } from '../../domain/cadence.js';
import { CYCLE_OUTPUT_KINDS, type PlanningCycleAction } from '../../domain/planning-cycle.js';
import { ensurePlanningCycle } from '../../runtime/processes.js';
import { PLANNING_CYCLE_REFUSAL_TYPES, planningCycleAction, planningCycleStatus, planningCycleWorkflowId, type PlanningCycleActionRequest, type PlanningCycleQueryResult } from '../../workflows/contracts.js';
import { reportEnvelope, requireTemporal, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { conflict, notFound } from '../problem.js';
import type { ApiEnv } from '../context.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoDate, page, Pagination, text } from '../schemas.js';

/**
 * Annual planning cycles over HTTP (DOMAIN §2.10, R-62..R-66): where each client is in its cycle
 * (list and read: the row plus the process's live status), starting the cycle of a client whose
 * cadence ran before cycles were processes (the cadence starts new ones itself when it books
 * them), and the reports people make to a cycle: the Business Discovery, assessments, a
 * step done with its actual hours, an output.
 */
const FiscalYear = z.string().max(4).regex(/^(19|20|21)\d{2}$/, 'a cycle year, e.g. 2027').openapi({ param: { name: 'fiscalYear', in: 'path' }, description: 'The cycle year: the FY-end it budgets for (D: the renewal year), as in the cadence\'s ap/<year>/… meeting keys.' });
const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const CycleParams = ClientParams.extend({ fiscalYear: FiscalYear });
const Stage = z.enum(['booked', 'discovery', 'prep', 'meetings', 'gap', 'closed']);

const Cycle = z.object({
  clientId: Id, fiscalYear: z.number().int(), workflowId: z.string(), segment: z.string(),
  stage: Stage.openapi({ description: 'booked → discovery (window open, R-64) → prep (discovery done) → meetings (one held) → closed with an output; gap: the final meeting came without one and the cycle is back at prep (R-66).' }),
  currentStep: z.string().nullable().openapi({ description: 'The first required step not done yet (annualPlanning.cycleSteps).' }),
  plannedHours: z.number(), actualHours: z.number(), gaps: z.number().int(), outputs: z.array(z.string()),
  m1StartsAt: z.string(), finalStartsAt: z.string(), closedAt: z.string().nullable(), updatedAt: z.string(),
}).openapi('PlanningCycle');
const CycleDetail = Cycle.extend({
  process: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The cycle process: meetings with attached triggers (R-21), the discovery window, assessments, each step with planned and actual hours, outputs (null once it closed and is no longer queryable).' }),
}).openapi('PlanningCycleDetail');
const Started = z.object({ clientId: Id, fiscalYear: z.number().int(), workflowId: z.string(), started: z.boolean() }).openapi('PlanningCycleStarted');
const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean(), stage: z.string(), ctasOpened: z.array(z.string()),
}).openapi('PlanningCycleActionResult');

const view = (r: PlanningCycleRow) => ({
  clientId: r.clientId, fiscalYear: r.fiscalYear, workflowId: r.workflowId, segment: r.segment, stage: r.stage as z.infer<typeof Stage>, currentStep: r.currentStep,
  plannedHours: Number(r.plannedHours), actualHours: Number(r.actualHours), gaps: r.gaps, outputs: r.outputs, m1StartsAt: r.m1StartsAt, finalStartsAt: r.finalStartsAt, closedAt: r.closedAt, updatedAt: r.updatedAt,
});

const listRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/planning-cycles', operationId: 'listPlanningCycles', tags: ['Planning cycles'],
  summary: 'Where each client is in its annual planning cycle (R-62..R-66), by client and year',
  request: {
    query: Pagination.extend({
      clientId: Id.optional(), fiscalYear: z.string().max(4).regex(/^\d{4}$/).optional().openapi({ description: 'Only this cycle year.' }), stage: csv(Stage, 6),
      after: z.string().max(60).regex(/^[0-9a-f-]{36}\/\d{4}$/, 'a cursor <clientId>/<year>').optional().openapi({ description: 'Cursor from the previous page\'s `next`.' }),
    }),
  },
  responses: { 200: jsonResponse(page(Cycle), 'A page of cycles, by client id and year') },
});
const getRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/clients/{clientId}/planning-cycles/{fiscalYear}', operationId: 'getPlanningCycle', tags: ['Planning cycles'],
  summary: 'A client\'s planning cycle: its row and the live process (meetings, discovery, steps with planned vs actual hours, outputs)',
  request: { params: CycleParams },
  responses: { 200: jsonResponse(CycleDetail, 'The cycle') },
});
const startRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/planning-cycles', operationId: 'startPlanningCycle', tags: ['Planning cycles'],
  summary: 'Start a client\'s planning cycle for a year (for a cadence that ran before cycles were processes; the cadence starts the cycles it books). 409 without a cadence or without such a cycle (R-62, R-63)',
  request: { params: ClientParams, ...jsonBody(z.object({ fiscalYear: z.number().int().min(1900).max(2199) }).strict()) },
  responses: { 201: jsonResponse(Started, 'Started'), 200: jsonResponse(Started, 'It runs (or ran) already') },
});

interface ReportSpec<S extends z.ZodType> { slug: string; operationId: string; summary: string; body: S; toAction: (b: z.infer<S>) => PlanningCycleAction }
const spec = <S extends z.ZodType>(s: ReportSpec<S>) => s;
const Hours = z.number().min(0).max(200);
const REPORTS = [
  spec({
    slug: 'discovery', operationId: 'recordPlanningDiscovery', summary: 'The Business Discovery is done (R-64, window M1 − 42 … − 28 d); each unclear topic gets an assessment CTA due before M1',
    body: z.object({ unclearTopics: z.array(text(2, 200)).max(10).default([]), actualHours: Hours.optional().openapi({ description: 'Hours spent, counted on the prep step.' }) }).strict(),
    toAction: (b) => ({ type: 'discoveryDone', unclearTopics: b.unclearTopics, ...(b.actualHours !== undefined ? { actualHours: b.actualHours } : {}) }),
  }),
  spec({
    slug: 'assessments', operationId: 'recordPlanningAssessment', summary: 'An assessment of a topic the discovery left unclear is done (R-64)',
    body: z.object({ topic: text(2, 200) }).strict(), toAction: (b) => ({ type: 'assessmentDone', topic: b.topic }),
  }),
  spec({
    slug: 'steps', operationId: 'recordPlanningStep', summary: 'A step is done (report steps: prep, follow-up, SOW, survey, call…) or a done step\'s actual hours are in (meetings, trigger): planned vs actual (R-65, R-66)',
    body: z.object({ step: z.string().max(40).regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/).openapi({ example: 'prep' }), actualHours: Hours }).strict(),
    toAction: (b) => ({ type: 'stepDone', step: b.step, actualHours: b.actualHours }),
  }),
  spec({
    slug: 'outputs', operationId: 'recordPlanningOutput', summary: 'An output of the cycle (R-65): roadmap, OKR link, top initiative (owner and date), budget version, SOW, amendment or project; the cycle closes only with one of the closing kinds (R-66)',
    body: z.object({
      kind: z.enum(CYCLE_OUTPUT_KINDS), reference: text(1, 200).openapi({ description: 'Roadmap version, initiative id, budget version, document reference.' }),
      title: text(1, 300).optional(), owner: text(1, 200).optional().openapi({ description: 'Initiatives: who owns it (a role or a client stakeholder).' }), targetDate: IsoDate.optional(),
    }).strict(),
    toAction: (b) => ({ type: 'outputRecorded', output: { kind: b.kind, reference: b.reference, ...(b.title ? { title: b.title } : {}), ...(b.owner ? { owner: b.owner } : {}), ...(b.targetDate ? { targetDate: b.targetDate } : {}) } }),
  }),
] as const;

const target = (clientId: string, fiscalYear: number): ProcessTarget => ({
  process: 'planning-cycle', label: `FY${fiscalYear} planning cycle`, clientId, workflowId: planningCycleWorkflowId(clientId, fiscalYear), refusalTypes: PLANNING_CYCLE_REFUSAL_TYPES,
  startHint: 'the cadence starts it when it books the cycle, or POST /v1/clients/{clientId}/planning-cycles',
});

export function registerPlanningCycleRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const [afterClient, afterYear] = q.after ? q.after.split('/') : [];
    const r = await listPlanningCycles(c.get('deps').db, {
      ...(q.clientId ? { clientId: q.clientId } : {}), ...(q.fiscalYear ? { fiscalYear: Number(q.fiscalYear) } : {}), ...(q.stage ? { stage: q.stage } : {}),
      ...(afterClient && afterYear ? { after: { clientId: afterClient, fiscalYear: Number(afterYear) } } : {}), limit: q.limit,
    });
    return c.json({ items: r.items.map(view), ...(r.next ? { next: r.next } : {}) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { clientId, fiscalYear } = c.req.valid('param');
    const deps = c.get('deps');
    const row = await getPlanningCycle(deps.db, clientId, Number(fiscalYear));
    if (!row) throw notFound('Planning cycle', `${clientId}/${fiscalYear}`);
    let process: PlanningCycleQueryResult | null = null;
    if (deps.temporal) {
      try {
        process = await deps.temporal.client.workflow.getHandle(row.workflowId).query(planningCycleStatus);
      } catch {
        process = null;
      }
    }
    return c.json({ ...view(row), process: process as Record<string, unknown> | null }, 200);
  });

  app.openapi(startRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { fiscalYear } = c.req.valid('json');
    const deps = c.get('deps');
    const client = await getClient(deps.db, clientId);
    if (!client) throw notFound('Client', clientId);
    const lockedAt = await cadenceLockOf(deps.db, clientId);
    if (!lockedAt) throw conflict(`Client ${clientId} has no engagement cadence: its planning cycles start with it (R-10, R-63).`, { ruleId: 'R-63' });
    const { policy } = await policyForClient(deps.db, client.policyOverrides);
    const calendar = clientCalendar(client, policy, Math.min(localYear(lockedAt, client.timeZone), fiscalYear - 1), fiscalYear + 1);
    const cal = makeCalendar({ ...calendar, holidays: [...calendar.holidays], workdays: [...calendar.workdays] });
    const planned = planCycle({ segment: client.segment as CadenceSegment, touchTier: client.touchTier as TouchTier, fiscalYearEnd: client.fiscalYearEnd, renewalDate: client.renewalDate, lockedAt }, fiscalYear, policy, cal);
    if (!planned.length) throw conflict(`Client ${clientId} has no planning cycle ${fiscalYear}: its meetings would fall before the cadence lock ${lockedAt} (R-62, R-63).`, { ruleId: 'R-63' });
    const started = await ensurePlanningCycle(requireTemporal(c), { clientId, fiscalYear, startedBy: 'api' }, { clientName: client.name });
    const workflowId = planningCycleWorkflowId(clientId, fiscalYear);
    if (started) c.header('Location', `/v1/clients/${clientId}/planning-cycles/${fiscalYear}`);
    return c.json({ clientId, fiscalYear, workflowId, started }, started ? 201 : 200);
  });

  for (const r of REPORTS) {
    const route = securedRoute(ROLE_SETS.act, {
      method: 'post', path: `/v1/clients/{clientId}/planning-cycles/{fiscalYear}/${r.slug}`, operationId: r.operationId, tags: ['Planning cycles'], summary: r.summary,
      request: { params: CycleParams, ...jsonBody(r.body as z.ZodType) },
      responses: { 200: jsonResponse(ActionResult, 'Accepted, or a duplicate acknowledged (C-6)') },
    }, 'workflow');
    app.openapi(route, async (c) => {
      const { clientId, fiscalYear } = c.req.valid('param');
      const body = c.req.valid('json' as never) as never;
      const deps = c.get('deps');
      if (!(await getClient(deps.db, clientId))) throw notFound('Client', clientId);
      const { now: _now, ...envelope } = await reportEnvelope(c, `planning-cycle/${r.slug}`);
      const request: PlanningCycleActionRequest = { action: (r.toAction as (b: unknown) => PlanningCycleAction)(body), ...envelope };
      return c.json(await sendProcessAction(c, target(clientId, Number(fiscalYear)), planningCycleAction, request) as never, 200);
    });
  }
}
