import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { updateClient } from '../../db/clients.js';
import { completeCta, ctaIdFor, openCta, type CtaRow } from '../../db/ctas.js';
import { appendEvent } from '../../db/ledger.js';
import {
  budgetVersion, getAssessment, getDiscovery, getReport, insertBudgetVersion, insertInitiative, insertRoadmapVersion, latestBudget, latestRoadmap, listActuals, listAssessments, listBacklog,
  listBudgetVersions, listDiscoveries, listReports, listRoadmapVersions, noticeLoop, PLANNING_PROCESS, planningLoopWorkflowId, planningRefs, recordActuals, roadmapVersion, type AssessmentRow,
  type DiscoveryRow, type NewInitiative, type ReportRow,
} from '../../db/planning.js';
import { assessments, deliveredReports, discoveries } from '../../db/schema.js';
import { asClientStakeholder, listStakeholders } from '../../db/stakeholders.js';
import { addElapsedHours, localDateOf } from '../../domain/business-time.js';
import { budgetProblems, budgetSnapshot, type BudgetLineInput } from '../../domain/budget.js';
import { assessmentOwner, assessmentRequirement, ASSESSMENT_SCOPES, CATEGORY_SCORES, categoryProblems, discoveryPlan, DISCOVERY_PRE_WORK, INSIGHT_ROUTES, insightProblems, scoreOrdinal } from '../../domain/discovery.js';
import { allowedLanes } from '../../domain/initiatives.js';
import { roadmapProblems } from '../../domain/roadmap.js';
import { reportToCadence } from '../../runtime/processes.js';
import { planningLoopStatus } from '../../workflows/contracts.js';
import { actorOf } from '../actor.js';
import type { ApiEnv } from '../context.js';
import { idempotencyKeyOf, requestScopedId } from '../idempotency.js';
import {
  calendarOfClient, CardBody, ClientParams, clientPolicy, dispatchAfterCommit, feedOnboarding, feedOnboardingPlans, Lane, mustGetClient, newInitiativeFrom, notifyCtas, planningCtx, Quarter, Usd,
} from '../planning.js';
import { queryProcess } from '../process-actions.js';
import { conflict, notFound, ProblemError } from '../problem.js';
import { notifyCadenceOfClientChange } from './cadence.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, intParam, IsoDate, IsoInstant, page, Pagination, Score, text, uniqueList } from '../schemas.js';

/**
 * The planning records the API keeps (issue 11, DOMAIN §2.11–§2.15): Discovery and
 * Assessment with their insights and findings turned into initiatives, budget
 * versions (R-81..R-84) and roadmap versions (R-85..R-87) with their notes, delivered reports
 * and the R-27 backlog. Each change is one transaction with its ledger event; the client's
 * planning loop (`client/{id}/planning-loop`) is told to re-read, and a running version-2
 * onboarding records its steps 3–5 from them.
 */

const unprocessable = (detail: string, ruleId: string, errors: { path: string; message: string }[]) =>
  new ProblemError(422, 'unprocessable', 'Request cannot be applied', detail, { ruleId, errors: errors.map((e) => ({ location: 'body', ...e })) });
const at = (v: string | undefined, fallback: string) => (v ? new Date(v).toISOString() : fallback);
const VersionParam = intParam(0, 1_000_000).openapi({ param: { name: 'version', in: 'path' } });

// ---------------------------------------------------------------------------------------------
// Schemas

const Discovery = z.object({
  id: Id, clientId: Id, status: z.enum(['planned', 'completed']), ownerRole: z.string(), format: z.string(), scheduledFor: z.string().nullable(), preWork: z.array(z.string()),
  notes: z.array(z.object({ text: z.string(), tags: z.array(z.string()) })), insights: z.array(z.object({ text: z.string(), route: z.enum(INSIGHT_ROUTES), targetId: z.string().optional() })),
  goalRescore: z.object({ maturity: z.number(), appetite: z.number(), rationale: z.string(), changed: z.boolean() }).nullable(), nextEngagementAt: z.string().nullable(),
  completedAt: z.string().nullable(), recapDueAt: z.string().nullable(), recapSentAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
}).openapi('Discovery');
const Assessment = z.object({
  id: Id, clientId: Id, status: z.enum(['designed', 'completed']), template: z.string(), scope: z.enum(ASSESSMENT_SCOPES), ownerRole: z.string(),
  requirement: z.string().openapi({ description: 'What the goal level asks for (R-69).' }), discoveryId: z.string().nullable(),
  categories: z.array(z.object({ name: z.string(), score: z.enum(CATEGORY_SCORES), publicComment: z.string().nullable(), privateComment: z.string().nullable() })),
  findings: z.array(z.object({ title: z.string(), category: z.string().nullable(), initiativeId: z.string().nullable() })),
  adoption: z.object({ mfaPct: z.number().optional(), endpointPct: z.number().optional() }).nullable(), completedAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
}).openapi('Assessment');
const Report = z.object({
  id: Id, clientId: Id, title: z.string(), format: z.string(), ownerRole: z.string(), contactStakeholderId: z.string().nullable(), url: z.string().nullable(),
  deliveredAt: z.string(), openedAt: z.string().nullable(), createdAt: z.string(),
}).openapi('DeliveredReport');
const Backlog = z.object({ id: Id, clientId: Id, title: z.string(), meetingId: z.string(), ownerRole: z.string().nullable(), nextCadence: z.boolean(), status: z.string(), createdAt: z.string() }).openapi('BacklogItem');
const Line = z.object({ lineNo: z.number().int(), initiativeId: z.string(), quarter: z.string(), amountUsd: z.number(), spendType: z.string().nullable(), decisionFlag: z.boolean(), preApprovalId: z.string().nullable(), label: z.string().nullable() });
const Item = z.object({ itemNo: z.number().int(), initiativeId: z.string(), proposalId: z.string().nullable(), quarter: z.string(), lane: z.string(), bigRock: z.boolean(), note: z.string().nullable() });
const BudgetVersion = z.object({ id: z.string(), clientId: Id, version: z.number().int(), label: z.string(), note: z.string(), source: z.string(), sourceRef: z.string().nullable(), format: z.string(), createdAt: z.string() }).openapi('BudgetVersion');
const RoadmapVersion = z.object({ id: z.string(), clientId: Id, version: z.number().int(), note: z.string(), source: z.string(), sourceRef: z.string().nullable(), changed: z.boolean(), createdAt: z.string() }).openapi('RoadmapVersion');
const Snapshot = z.object({
  totalUsd: z.number(), byQuarter: z.record(z.string(), z.number()), bySpendType: z.record(z.string(), z.number()),
  topRisks: z.array(z.object({ initiativeId: z.string(), title: z.string(), quarter: z.string(), amountUsd: z.number(), why: z.string() })),
  decisions: z.array(z.object({ initiativeId: z.string(), title: z.string(), quarter: z.string(), amountUsd: z.number() })),
}).openapi('BudgetSnapshot');

const PlanSourceBody = z.enum(['manual', 'sales', 'onboarding']).default('manual').openapi({ description: '`sales` makes a client\'s first version v0 (R-82); `onboarding` marks Budget/Roadmap v1 (R-53).' });
const LineBody = z.object({
  initiativeId: Id, quarter: Quarter, amountUsd: Usd, spendType: z.enum(['OpEx', 'CapEx']).optional(), decisionFlag: z.boolean().optional(),
  preApprovalId: text(1, 100).optional().openapi({ description: 'A format: the pre-approval behind the line (R-81).' }), label: text(1, 200).optional(),
}).strict();
const ItemBody = z.object({ initiativeId: Id, proposalId: Id.optional(), quarter: Quarter, lane: Lane, note: text(1, 500).optional() }).strict();

const discoveryView = (r: DiscoveryRow) => ({ ...r, status: r.status as 'planned' });
const assessmentView = (r: AssessmentRow) => ({ ...r, status: r.status as 'designed', scope: r.scope as 'portfolio' });
const reportView = (r: ReportRow) => ({ ...r });
const budgetLabel = (v: number) => `v${v}`;

// ---------------------------------------------------------------------------------------------
// Routes

const DiscoveryParams = ClientParams.extend({ discoveryId: Id.openapi({ param: { name: 'discoveryId', in: 'path' } }) });
const AssessmentParams = ClientParams.extend({ assessmentId: Id.openapi({ param: { name: 'assessmentId', in: 'path' } }) });
const ReportParams = ClientParams.extend({ reportId: Id.openapi({ param: { name: 'reportId', in: 'path' } }) });
const VersionParams = ClientParams.extend({ version: VersionParam });

const routes = {
  listDiscoveries: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/discoveries', operationId: 'listDiscoveries', tags: ['Planning'], summary: 'Discoveries (R-67, R-68), planned or completed',
    request: { params: ClientParams, query: Pagination.extend({ status: z.enum(['planned', 'completed']).optional() }) }, responses: { 200: jsonResponse(page(Discovery), 'A page of discoveries, by id') },
  }),
  planDiscovery: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/discoveries', operationId: 'planDiscovery', tags: ['Planning'],
    summary: 'Plan a Discovery: owner and format by segment (R-67: A quarterly multi-stakeholder … D annual light intake), its pre-work (health, tickets, roadmap, leadership changes)',
    request: { params: ClientParams, ...jsonBody(z.object({ scheduledFor: IsoDate.optional(), preWork: uniqueList(z.enum(DISCOVERY_PRE_WORK), DISCOVERY_PRE_WORK.length, 'preWork').optional() }).strict()) },
    responses: { 201: jsonResponse(Discovery, 'Planned') },
  }),
  getDiscovery: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/discoveries/{discoveryId}', operationId: 'getDiscovery', tags: ['Planning'], summary: 'One Discovery',
    request: { params: DiscoveryParams }, responses: { 200: jsonResponse(Discovery, 'The discovery') },
  }),
  completeDiscovery: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/discoveries/{discoveryId}/complete', operationId: 'completeDiscovery', tags: ['Planning'],
    summary: 'Discovery done (R-68): notes tagged, each insight routed to an assessment (planned), an initiative (created) or the roadmap (created and placed on a new roadmap version); the goal level re-scored through placement with its rationale (R-7); recap due 48h; next engagement booked (else a CTA)',
    request: {
      params: DiscoveryParams,
      ...jsonBody(z.object({
        notes: z.array(z.object({ text: text(1, 4000), tags: uniqueList(text(1, 40), 10, 'tags').default([]) }).strict()).max(100).default([]),
        insights: z.array(z.object({
          text: text(1, 2000), route: z.enum(INSIGHT_ROUTES),
          initiative: CardBody.optional().openapi({ description: 'Route initiative or roadmap: its Initiative Card (R-71).' }),
          assessment: z.object({ template: text(1, 100), scope: z.enum(ASSESSMENT_SCOPES) }).strict().optional().openapi({ description: 'Route assessment: what to validate (R-70).' }),
        }).strict()).max(50).default([]),
        rescore: z.object({ maturity: Score, appetite: Score, rationale: text(10, 2000) }).strict().optional().openapi({ description: 'Goal level re-scored (R-68); a change re-runs placement with the rationale on the timeline (R-7).' }),
        nextEngagementAt: IsoInstant.optional().openapi({ description: 'The next engagement booked (R-68); without it a booking CTA.' }),
        completedAt: IsoInstant.optional(),
      }).strict()),
    },
    responses: { 200: jsonResponse(Discovery.extend({ initiatives: z.array(z.string()), assessments: z.array(z.string()), roadmapVersion: z.number().int().nullable(), ctasOpened: z.array(z.string()) }), 'Completed') },
  }),
  recapDiscovery: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/discoveries/{discoveryId}/recap', operationId: 'recordDiscoveryRecap', tags: ['Planning'],
    summary: 'The Discovery recap (client summary) was sent (R-68: 48h)', request: { params: DiscoveryParams, ...jsonBody(z.object({ sentAt: IsoInstant.optional() }).strict()) },
    responses: { 200: jsonResponse(Discovery, 'Recorded') },
  }),
  listAssessments: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/assessments', operationId: 'listAssessments', tags: ['Planning'], summary: 'Assessments (R-69, R-70)',
    request: { params: ClientParams, query: Pagination.extend({ status: z.enum(['designed', 'completed']).optional(), scope: z.enum(ASSESSMENT_SCOPES).optional() }) },
    responses: { 200: jsonResponse(page(Assessment), 'A page of assessments, by id') },
  }),
  designAssessment: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/assessments', operationId: 'designAssessment', tags: ['Planning'],
    summary: 'Design an assessment: template and scope (portfolio, single project, risk-targeted); owner by segment; what the goal level asks for (R-69, R-70)',
    request: { params: ClientParams, ...jsonBody(z.object({ template: text(1, 100), scope: z.enum(ASSESSMENT_SCOPES), discoveryId: Id.optional() }).strict()) },
    responses: { 201: jsonResponse(Assessment, 'Designed') },
  }),
  getAssessment: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/assessments/{assessmentId}', operationId: 'getAssessment', tags: ['Planning'], summary: 'One assessment',
    request: { params: AssessmentParams }, responses: { 200: jsonResponse(Assessment, 'The assessment') },
  }),
  completeAssessment: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/assessments/{assessmentId}/complete', operationId: 'completeAssessment', tags: ['Planning'],
    summary: 'Assessment done (R-70): 5–7 categories scored with public and private comments, findings → initiatives; fires the cadence\'s roadmap review (R-15) and its adoption figures reach the cadence (R-18) and the fix-first gate (R-121)',
    request: {
      params: AssessmentParams,
      ...jsonBody(z.object({
        categories: z.array(z.object({ name: text(1, 100), score: z.enum(CATEGORY_SCORES), publicComment: text(1, 4000).optional(), privateComment: text(1, 4000).optional() }).strict()).max(20),
        findings: z.array(z.object({ title: text(3, 300), category: text(1, 100).optional(), initiative: CardBody.optional().openapi({ description: 'The initiative the finding becomes (R-70, R-71).' }) }).strict()).max(50).default([]),
        adoption: z.object({ mfaPct: z.number().min(0).max(100).optional(), endpointPct: z.number().min(0).max(100).optional() }).strict().optional(),
        completedAt: IsoInstant.optional(),
      }).strict()),
    },
    responses: { 200: jsonResponse(Assessment.extend({ initiatives: z.array(z.string()), roadmapReview: z.string().openapi({ description: 'What the cadence did with R-15: `told`, `no-cadence`, `refused`, `unavailable`.' }), onboarding: z.string() }), 'Completed') },
  }),
  listReports: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/reports', operationId: 'listReports', tags: ['Planning'], summary: 'Delivered reports (R-88), opened or not',
    request: { params: ClientParams, query: Pagination.extend({ opened: z.enum(['true', 'false']).optional() }) }, responses: { 200: jsonResponse(page(Report), 'A page of reports, by id') },
  }),
  deliverReport: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/reports', operationId: 'recordReportDelivered', tags: ['Planning'],
    summary: 'A report was delivered (R-88, format by segment): unopened 5 business days → reminder to the client contact and a management alert; 5 more → escalation',
    request: {
      params: ClientParams,
      ...jsonBody(z.object({
        title: text(3, 300), format: z.enum(['autoEmailPortal', 'asyncPdfVideo', 'liveHybrid', 'live']).optional().openapi({ description: 'Default: the segment\'s (deliverables.reportFormat, R-88).' }),
        deliveredAt: IsoInstant.optional(), contactStakeholderId: Id.optional(), url: text(1, 2000).optional(),
      }).strict()),
    },
    responses: { 201: jsonResponse(Report, 'Recorded') },
  }),
  getReport: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/reports/{reportId}', operationId: 'getReport', tags: ['Planning'], summary: 'One delivered report', request: { params: ReportParams }, responses: { 200: jsonResponse(Report, 'The report') },
  }),
  openReport: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/reports/{reportId}/opened', operationId: 'recordReportOpened', tags: ['Planning'],
    summary: 'The client opened the report: clears its unopened reminder, alert and escalation (R-88)', request: { params: ReportParams, ...jsonBody(z.object({ openedAt: IsoInstant.optional() }).strict()) },
    responses: { 200: jsonResponse(Report, 'Recorded') },
  }),
  listBacklog: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/backlog', operationId: 'listBacklog', tags: ['Planning'], summary: 'Asks beyond a session\'s two (R-27), flagged for the next cadence',
    request: { params: ClientParams, query: Pagination.extend({ nextCadence: z.enum(['true', 'false']).optional(), status: z.enum(['open', 'scheduled', 'closed']).optional() }) },
    responses: { 200: jsonResponse(page(Backlog), 'A page of backlog items, by id') },
  }),
  getBudget: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/budget', operationId: 'getBudget', tags: ['Planning'],
    summary: 'The budget in force with its lines and the Budget Snapshot a session opens with (R-82: totals by quarter, OpEx/CapEx, top 3 risks, ≤2 decisions), and recorded actuals (R-84)',
    request: { params: ClientParams },
    responses: { 200: jsonResponse(z.object({ version: BudgetVersion.nullable(), lines: z.array(Line), snapshot: Snapshot, actuals: z.array(z.object({ quarter: z.string(), actualUsd: z.number(), note: z.string().nullable(), recordedAt: z.string() })) }), 'The budget') },
  }),
  listBudgetVersions: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/budget/versions', operationId: 'listBudgetVersions', tags: ['Planning'], summary: 'Budget versions, newest first (R-82: v0 sales, v1 onboarding, v2…)',
    request: { params: ClientParams, query: Pagination.extend({ source: z.enum(['manual', 'sales', 'onboarding', 'recap', 'park']).optional() }) }, responses: { 200: jsonResponse(page(BudgetVersion), 'A page of versions') },
  }),
  getBudgetVersion: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/budget/versions/{version}', operationId: 'getBudgetVersion', tags: ['Planning'], summary: 'One budget version with its lines',
    request: { params: VersionParams }, responses: { 200: jsonResponse(BudgetVersion.extend({ lines: z.array(Line) }), 'The version') },
  }),
  createBudgetVersion: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/budget/versions', operationId: 'createBudgetVersion', tags: ['Planning'],
    summary: 'A new budget version with its one-line note (R-82): every line has an initiative id of this client (no orphans, 422), format by segment (R-81: OpEx/CapEx for A/B, the pre-approval field for A), ≤2 decision flags',
    request: { params: ClientParams, ...jsonBody(z.object({ note: text(3, 200), source: PlanSourceBody, lines: z.array(LineBody).max(200) }).strict()) },
    responses: { 201: jsonResponse(BudgetVersion.extend({ lines: z.array(Line) }), 'Created') },
  }),
  recordActuals: securedRoute(ROLE_SETS.signal, {
    method: 'post', path: '/v1/clients/{clientId}/budget/actuals', operationId: 'recordBudgetActuals', tags: ['Planning'],
    summary: 'A quarter\'s actual spend, compared with the forecast at quarter close (R-84: >20 % → investigate CTA and an At-Risk signal)',
    request: { params: ClientParams, ...jsonBody(z.object({ quarter: Quarter, actualUsd: Usd, note: text(1, 500).optional() }).strict()) },
    responses: { 200: jsonResponse(z.object({ quarter: z.string(), actualUsd: z.number() }), 'Recorded') },
  }),
  getRoadmap: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/roadmap', operationId: 'getRoadmap', tags: ['Planning'],
    summary: 'The roadmap in force: items by quarter and lane (R-85), big rocks (R-86), when it was last reviewed and changed and when its next review is due (120/180/365 days)',
    request: { params: ClientParams },
    responses: { 200: jsonResponse(z.object({ version: RoadmapVersion.nullable(), items: z.array(Item), byQuarter: z.record(z.string(), z.record(z.string(), z.array(z.string()))), reviewDueAt: z.string().nullable(), lastChangedAt: z.string().nullable() }), 'The roadmap') },
  }),
  listRoadmapVersions: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/roadmap/versions', operationId: 'listRoadmapVersions', tags: ['Planning'], summary: 'Roadmap versions, newest first, with their notes',
    request: { params: ClientParams, query: Pagination.extend({ source: z.enum(['manual', 'sales', 'onboarding', 'recap', 'park']).optional() }) }, responses: { 200: jsonResponse(page(RoadmapVersion), 'A page of versions') },
  }),
  getRoadmapVersion: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/roadmap/versions/{version}', operationId: 'getRoadmapVersion', tags: ['Planning'], summary: 'One roadmap version with its items',
    request: { params: VersionParams }, responses: { 200: jsonResponse(RoadmapVersion.extend({ items: z.array(Item) }), 'The version') },
  }),
  createRoadmapVersion: securedRoute(ROLE_SETS.decide, {
    method: 'post', path: '/v1/clients/{clientId}/roadmap/versions', operationId: 'createRoadmapVersion', tags: ['Planning'],
    summary: 'A new roadmap version with its note: every item linked to an initiative (and proposal) id of this client (R-85, orphans 422); at most two big rocks a quarter, an extra one placed in the next free quarter with a note (R-86)',
    request: { params: ClientParams, ...jsonBody(z.object({ note: text(3, 200), source: PlanSourceBody, items: z.array(ItemBody).max(200) }).strict()) },
    responses: { 201: jsonResponse(RoadmapVersion.extend({ items: z.array(Item), moved: z.array(z.object({ initiativeId: z.string(), from: z.string(), to: z.string() })) }), 'Created') },
  }),
  getPlanning: securedRoute(ROLE_SETS.read, {
    method: 'get', path: '/v1/clients/{clientId}/planning', operationId: 'getPlanningLoop', tags: ['Planning'],
    summary: 'The client\'s planning-loop clocks: the next due steps (quarter close, roadmap freshness, unopened reports, Discovery and Assessment due)',
    request: { params: ClientParams }, responses: { 200: jsonResponse(z.object({ clientId: Id, phase: z.enum(['starting', 'running', 'not-started']), startedAt: z.string().optional(), dues: z.array(z.object({ key: z.string(), at: z.string() })).optional(), handled: z.number().int().optional() }), 'The loop') },
  }),
};

// ---------------------------------------------------------------------------------------------

export function registerPlanningRoutes(app: OpenAPIHono<ApiEnv>) {
  const db = (c: Context<ApiEnv>) => c.get('deps').db;

  app.openapi(routes.listDiscoveries, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listDiscoveries(db(c), clientId, { ...(q.status ? { status: q.status } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(discoveryView), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.planDiscovery, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const plan = discoveryPlan(policy, client.segment as 'A');
    const ctx = await planningCtx(c, 'discovery');
    const id = requestScopedId(c, 'discovery');
    const row = await db(c).transaction(async (tx) => {
      const inserted = await tx.insert(discoveries).values({ id, clientId, ownerRole: plan.ownerRole, format: plan.format, scheduledFor: b.scheduledFor ?? null, preWork: b.preWork ?? [...DISCOVERY_PRE_WORK], createdAt: ctx.at, updatedAt: ctx.at }).onConflictDoNothing().returning();
      if (!inserted[0]) return (await tx.select().from(discoveries).where(eq(discoveries.id, id)))[0]!;
      await appendEvent(tx, {
        id: `discovery/${id}/planned`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'discovery.planned', ruleId: 'R-67', actor: ctx.actor,
        why: { segment: client.segment, cadence: plan.cadence, preWork: inserted[0].preWork }, data: { discoveryId: id, ownerRole: plan.ownerRole, format: plan.format, scheduledFor: b.scheduledFor ?? null },
      });
      await noticeLoop(tx, clientId);
      return inserted[0];
    });
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    c.header('Location', `/v1/clients/${clientId}/discoveries/${row.id}`);
    return c.json(discoveryView(row), 201);
  });

  app.openapi(routes.getDiscovery, async (c) => {
    const { clientId, discoveryId } = c.req.valid('param');
    const row = await getDiscovery(db(c), clientId, discoveryId);
    if (!row) throw notFound('Discovery', discoveryId);
    return c.json(discoveryView(row), 200);
  });

  app.openapi(routes.completeDiscovery, async (c) => {
    const { clientId, discoveryId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const d = await getDiscovery(db(c), clientId, discoveryId);
    if (!d) throw notFound('Discovery', discoveryId);
    if (d.status === 'completed') throw conflict(`Discovery ${discoveryId} was already completed at ${d.completedAt}.`, { ruleId: 'R-68' });
    const ip = insightProblems(b.insights);
    if (ip.length) throw unprocessable(`Insights: ${ip.map((p) => p.message).join('; ')}.`, 'R-68', ip);
    const ctx = await planningCtx(c, `discovery-complete/${discoveryId}`);
    const completedAt = at(b.completedAt, ctx.at);
    const cal = calendarOfClient(client, policy);
    const sourceDate = localDateOf(completedAt, cal);
    // each insight to its route; initiatives carry this discovery as their source.
    const inits: NewInitiative[] = [];
    const routed: { text: string; route: 'assessment' | 'initiative' | 'roadmap'; targetId?: string }[] = [];
    const planned: { id: string; template: string; scope: string }[] = [];
    for (const [i, x] of b.insights.entries()) {
      if (x.route === 'assessment') {
        const id = idempotencyKeyOf(c) ? requestScopedId(c, `discovery-assessment/${i}`) : crypto.randomUUID();
        planned.push({ id, template: x.assessment?.template ?? 'insight validation', scope: x.assessment?.scope ?? 'riskTargeted' });
        routed.push({ text: x.text, route: x.route, targetId: id });
      } else {
        const id = idempotencyKeyOf(c) ? requestScopedId(c, `discovery-initiative/${i}`) : crypto.randomUUID();
        inits.push(await newInitiativeFrom(c, client, policy, x.initiative!, { id, sourceKind: 'discovery', sourceRef: discoveryId, sourceDate }, `insights.${i}.initiative`));
        routed.push({ text: x.text, route: x.route, targetId: id });
      }
    }
    const roadmapBound = b.insights.map((x, i) => ({ x, i })).filter(({ x }) => x.route === 'roadmap').map(({ i }) => routed[i]!.targetId!);
    const rescore = b.rescore ? { ...b.rescore, changed: b.rescore.maturity !== client.maturity || b.rescore.appetite !== client.appetite } : null;
    const owner = d.ownerRole;
    const requirement = assessmentRequirement(policy, client.goalLevel, client.appetite).requirement;
    const result = await db(c).transaction(async (tx) => {
      for (const n of inits) await insertInitiative(tx, n, ctx);
      for (const a of planned) {
        await tx.insert(assessments).values({ id: a.id, clientId, template: a.template, scope: a.scope, ownerRole: assessmentOwner(policy, client.segment as 'A'), requirement, discoveryId, createdAt: ctx.at, updatedAt: ctx.at }).onConflictDoNothing();
        await appendEvent(tx, { id: `assessment/${a.id}/designed`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'assessment.designed', ruleId: 'R-68', actor: ctx.actor, why: { fromDiscovery: discoveryId, route: 'needs validation (R-68)' }, data: { assessmentId: a.id, template: a.template, scope: a.scope as 'portfolio', ownerRole: assessmentOwner(policy, client.segment as 'A'), requirement } });
      }
      let roadmapVersionNo: number | null = null;
      if (roadmapBound.length) {
        const road = await latestRoadmap(tx, clientId);
        const items = (road?.items ?? []).map((i) => ({ initiativeId: i.initiativeId, ...(i.proposalId ? { proposalId: i.proposalId } : {}), quarter: i.quarter, lane: i.lane, ...(i.note ? { note: i.note } : {}) }));
        for (const id of roadmapBound) {
          const n = inits.find((x) => x.id === id)!;
          if (!items.some((i) => i.initiativeId === id)) items.push({ initiativeId: id, quarter: n.quarter, lane: n.lane, note: `from discovery ${discoveryId} (R-68)` });
        }
        const bigRock = (id: string) => ((inits.find((x) => x.id === id)?.costBand?.maxUsd ?? 0) >= policy.initiatives.bigRockMinCostUsd) || !!road?.items.some((i) => i.initiativeId === id && i.bigRock);
        roadmapVersionNo = (await insertRoadmapVersion(tx, clientId, { note: `timed/funded insights from discovery ${discoveryId.slice(0, 8)} (R-68)`, source: 'manual', sourceRef: discoveryId, items }, { isBigRock: bigRock, maxBigRocks: policy.initiatives.bigRocksPerQuarter }, ctx)).version;
      }
      const recapDueAt = addElapsedHours(completedAt, policy.meeting.recapHours, cal);
      const [row] = await tx.update(discoveries).set({ status: 'completed', notes: b.notes, insights: routed, goalRescore: rescore, nextEngagementAt: b.nextEngagementAt ? new Date(b.nextEngagementAt).toISOString() : null, completedAt, recapDueAt, updatedAt: ctx.at }).where(eq(discoveries.id, discoveryId)).returning();
      await appendEvent(tx, {
        id: `discovery/${discoveryId}/completed`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'discovery.completed', ruleId: 'R-68', actor: ctx.actor,
        why: { notes: b.notes.length, tags: [...new Set(b.notes.flatMap((n) => n.tags))], ...(rescore ? { rescore } : {}), recapDueAt },
        data: {
          discoveryId, insights: b.insights.length, routed: { assessment: routed.filter((r) => r.route === 'assessment').length, initiative: routed.filter((r) => r.route === 'initiative').length, roadmap: routed.filter((r) => r.route === 'roadmap').length },
          createdInitiatives: inits.map((n) => n.id), createdAssessments: planned.map((a) => a.id), goalRescored: rescore?.changed ?? false, nextEngagementAt: row!.nextEngagementAt,
        },
      });
      const ctas: CtaRow[] = [];
      // the client summary (recap) within 48h — a deliverable, escalating at its due.
      ctas.push(await openCta(tx as never, { key: `planning/discovery/${discoveryId}/recap`, clientId, process: PLANNING_PROCESS, kind: 'discovery-recap', title: `Send the Discovery recap (client summary) by ${localDateOf(recapDueAt, cal)} (R-68)`, ruleId: 'R-68', ownerRole: owner, dueAt: recapDueAt, firstActionHours: policy.meeting.firstActionHours, openedAt: ctx.at, actor: ctx.actor, why: { discoveryId, recapHours: policy.meeting.recapHours }, clock: 'due' }));
      if (!b.nextEngagementAt) {
        ctas.push(await openCta(tx as never, { key: `planning/discovery/${discoveryId}/next`, clientId, process: PLANNING_PROCESS, kind: 'book-next-engagement', title: 'Book the next engagement after the Discovery (R-68)', ruleId: 'R-68', ownerRole: owner, dueAt: addElapsedHours(ctx.at, policy.meeting.firstActionHours, cal), firstActionHours: policy.meeting.firstActionHours, openedAt: ctx.at, actor: ctx.actor, why: { discoveryId } }));
      }
      await noticeLoop(tx, clientId);
      return { row: row!, roadmapVersionNo, ctas };
    });
    await dispatchAfterCommit(c, [...inits.map((n) => ({ kind: 'initiative' as const, id: n.id })), ...result.ctas.map((x) => ({ kind: 'cta-clock' as const, id: x.id })), { kind: 'planning-loop', id: clientId }]);
    // a changed goal level goes through placement with its rationale.
    if (rescore?.changed) {
      const updated = await updateClient(db(c), clientId, { maturity: rescore.maturity, appetite: rescore.appetite }, { actor: ctx.actor, at: ctx.at }, undefined, { rationale: `Discovery ${discoveryId}: ${rescore.rationale}` });
      if (updated?.changed) await notifyCadenceOfClientChange(c, client, updated.row);
    }
    return c.json({ ...discoveryView(result.row), initiatives: inits.map((n) => n.id), assessments: planned.map((a) => a.id), roadmapVersion: result.roadmapVersionNo, ctasOpened: result.ctas.map((x) => x.id) }, 200);
  });

  app.openapi(routes.recapDiscovery, async (c) => {
    const { clientId, discoveryId } = c.req.valid('param');
    const b = c.req.valid('json');
    const d = await getDiscovery(db(c), clientId, discoveryId);
    if (!d) throw notFound('Discovery', discoveryId);
    if (d.status !== 'completed') throw conflict('The recap follows the completed Discovery (R-68).', { ruleId: 'R-68' });
    if (d.recapSentAt) throw conflict(`The recap was already sent at ${d.recapSentAt}.`, { ruleId: 'R-68' });
    const ctx = await planningCtx(c, `discovery-recap/${discoveryId}`);
    const sentAt = at(b.sentAt, ctx.at);
    const ctaId = ctaIdFor(`planning/discovery/${discoveryId}/recap`);
    const row = await db(c).transaction(async (tx) => {
      const [r] = await tx.update(discoveries).set({ recapSentAt: sentAt, updatedAt: ctx.at }).where(eq(discoveries.id, discoveryId)).returning();
      await appendEvent(tx, { id: `discovery/${discoveryId}/recap`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'discovery.recap_sent', ruleId: 'R-68', actor: ctx.actor, why: { dueAt: d.recapDueAt }, data: { discoveryId, sentAt, onTime: Date.parse(sentAt) <= Date.parse(d.recapDueAt!) } });
      await completeCta(tx as never, ctaId, `recap sent at ${sentAt}`, { actor: ctx.actor, at: ctx.at });
      return r!;
    });
    await notifyCtas(c, [ctaId]);
    return c.json(discoveryView(row), 200);
  });

  app.openapi(routes.listAssessments, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listAssessments(db(c), clientId, { ...(q.status ? { status: q.status } : {}), ...(q.scope ? { scope: q.scope } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(assessmentView), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.designAssessment, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    if (b.discoveryId && !(await getDiscovery(db(c), clientId, b.discoveryId))) throw unprocessable(`${b.discoveryId} is not a discovery of client ${clientId}.`, 'R-68', [{ path: 'discoveryId', message: 'unknown discovery' }]);
    const ctx = await planningCtx(c, 'assessment');
    const id = requestScopedId(c, 'assessment');
    const ownerRole = assessmentOwner(policy, client.segment as 'A');
    const requirement = assessmentRequirement(policy, client.goalLevel, client.appetite).requirement;
    const row = await db(c).transaction(async (tx) => {
      const inserted = await tx.insert(assessments).values({ id, clientId, template: b.template, scope: b.scope, ownerRole, requirement, discoveryId: b.discoveryId ?? null, createdAt: ctx.at, updatedAt: ctx.at }).onConflictDoNothing().returning();
      if (!inserted[0]) return (await tx.select().from(assessments).where(eq(assessments.id, id)))[0]!;
      await appendEvent(tx, { id: `assessment/${id}/designed`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'assessment.designed', ruleId: 'R-70', actor: ctx.actor, why: { goalLevel: client.goalLevel, cadence: policy.discoveryAssessment.assessmentCadence[client.segment as 'A'] }, data: { assessmentId: id, template: b.template, scope: b.scope, ownerRole, requirement } });
      await noticeLoop(tx, clientId);
      return inserted[0];
    });
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    c.header('Location', `/v1/clients/${clientId}/assessments/${row.id}`);
    return c.json(assessmentView(row), 201);
  });

  app.openapi(routes.getAssessment, async (c) => {
    const { clientId, assessmentId } = c.req.valid('param');
    const row = await getAssessment(db(c), clientId, assessmentId);
    if (!row) throw notFound('Assessment', assessmentId);
    return c.json(assessmentView(row), 200);
  });

  app.openapi(routes.completeAssessment, async (c) => {
    const { clientId, assessmentId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const a = await getAssessment(db(c), clientId, assessmentId);
    if (!a) throw notFound('Assessment', assessmentId);
    if (a.status === 'completed') throw conflict(`Assessment ${assessmentId} was already completed at ${a.completedAt}.`, { ruleId: 'R-70' });
    const cp = categoryProblems(b.categories, policy);
    if (cp.length) throw unprocessable(`Categories: ${cp.map((p) => p.message).join('; ')}.`, 'R-70', cp);
    const ctx = await planningCtx(c, `assessment-complete/${assessmentId}`);
    const completedAt = at(b.completedAt, ctx.at);
    const sourceDate = localDateOf(completedAt, calendarOfClient(client, policy));
    const inits: NewInitiative[] = [];
    const findings: { title: string; category: string | null; initiativeId: string | null }[] = [];
    for (const [i, f] of b.findings.entries()) {
      let initiativeId: string | null = null;
      if (f.initiative) {
        initiativeId = idempotencyKeyOf(c) ? requestScopedId(c, `assessment-initiative/${i}`) : crypto.randomUUID();
        inits.push(await newInitiativeFrom(c, client, policy, f.initiative, { id: initiativeId, sourceKind: 'assessment', sourceRef: assessmentId, sourceDate }, `findings.${i}.initiative`));
      }
      findings.push({ title: f.title, category: f.category ?? null, initiativeId });
    }
    const categories = b.categories.map((x) => ({ name: x.name, score: x.score, publicComment: x.publicComment ?? null, privateComment: x.privateComment ?? null }));
    const scores: Record<string, number> = {};
    for (const x of categories) scores[x.score] = (scores[x.score] ?? 0) + 1;
    const adoption = b.adoption && (b.adoption.mfaPct !== undefined || b.adoption.endpointPct !== undefined) ? b.adoption : null;
    const row = await db(c).transaction(async (tx) => {
      for (const n of inits) await insertInitiative(tx, n, ctx);
      const [r] = await tx.update(assessments).set({ status: 'completed', categories, findings, adoption, completedAt, updatedAt: ctx.at }).where(eq(assessments.id, assessmentId)).returning();
      await appendEvent(tx, {
        id: `assessment/${assessmentId}/completed`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'assessment.completed', ruleId: 'R-70', actor: ctx.actor,
        why: { template: a.template, scope: a.scope, completedAt, firesRule: 'R-15', publicComments: categories.filter((x) => x.publicComment).length },
        data: { assessmentId, categories: categories.length, scores, findings: findings.length, createdInitiatives: inits.map((n) => n.id), ...(adoption ? { adoption } : {}) },
      });
      await noticeLoop(tx, clientId);
      return r!;
    });
    await dispatchAfterCommit(c, [...inits.map((n) => ({ kind: 'initiative' as const, id: n.id })), { kind: 'planning-loop', id: clientId }]);
    // the cadence's roadmap review; R-18: the adoption figures (the cadence's remediation trigger).
    const roadmapReview = await tellCadence(c, clientId, { type: 'assessmentCompleted', assessmentId, completedAt }, `assessment/${assessmentId}/completed`);
    if (adoption) await tellCadence(c, clientId, { type: 'adoptionMeasured', ...(adoption.mfaPct !== undefined ? { mfaPct: adoption.mfaPct } : {}), ...(adoption.endpointPct !== undefined ? { endpointPct: adoption.endpointPct } : {}), measuredAt: completedAt }, `assessment/${assessmentId}/adoption`);
    // Onboarding step 3 records from this assessment (version-2 onboardings).
    const onboardingFindings = findings.length ? findings.map((f) => ({ title: f.title, score: scoreOrdinal[categories.find((x) => x.name === f.category)?.score ?? 'NeedsAttention'] })) : categories.map((x) => ({ title: x.name, score: scoreOrdinal[x.score] }));
    const onboarding = await feedOnboarding(c, clientId, { type: 'assessmentCompleted', findings: onboardingFindings.slice(0, 100).map((f) => ({ title: f.title.length >= 3 ? f.title : `${f.title}…`, score: f.score })) }, `assessment/${assessmentId}/onboarding`);
    return c.json({ ...assessmentView(row), initiatives: inits.map((n) => n.id), roadmapReview, onboarding: onboarding.outcome }, 200);
  });

  app.openapi(routes.listReports, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listReports(db(c), clientId, { ...(q.opened ? { opened: q.opened === 'true' } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items.map(reportView), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.deliverReport, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    if (b.contactStakeholderId) {
      const people = (await listStakeholders(db(c), clientId)).map(asClientStakeholder);
      if (!people.some((p) => p.id === b.contactStakeholderId)) throw unprocessable(`${b.contactStakeholderId} is not a stakeholder of client ${clientId}.`, 'R-88', [{ path: 'contactStakeholderId', message: 'unknown stakeholder' }]);
    }
    const ctx = await planningCtx(c, 'report');
    const id = requestScopedId(c, 'report');
    const format = b.format ?? policy.deliverables.reportFormat[client.segment as 'A'];
    const ownerRole = policy.deliverables.reportOwner[client.segment as 'A'];
    const row = await db(c).transaction(async (tx) => {
      const inserted = await tx.insert(deliveredReports).values({ id, clientId, title: b.title, format, ownerRole, contactStakeholderId: b.contactStakeholderId ?? null, url: b.url ?? null, deliveredAt: at(b.deliveredAt, ctx.at), createdAt: ctx.at }).onConflictDoNothing().returning();
      if (!inserted[0]) return (await tx.select().from(deliveredReports).where(eq(deliveredReports.id, id)))[0]!;
      await appendEvent(tx, { id: `report/${id}/delivered`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'report.delivered', ruleId: 'R-88', actor: ctx.actor, why: { segment: client.segment, deliveredAt: inserted[0].deliveredAt, unopenedReminderBusinessDays: policy.deliverables.unopenedReminderBusinessDays }, data: { reportId: id, title: b.title, format } });
      await noticeLoop(tx, clientId);
      return inserted[0];
    });
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    c.header('Location', `/v1/clients/${clientId}/reports/${row.id}`);
    return c.json(reportView(row), 201);
  });

  app.openapi(routes.getReport, async (c) => {
    const { clientId, reportId } = c.req.valid('param');
    const row = await getReport(db(c), clientId, reportId);
    if (!row) throw notFound('Report', reportId);
    return c.json(reportView(row), 200);
  });

  app.openapi(routes.openReport, async (c) => {
    const { clientId, reportId } = c.req.valid('param');
    const b = c.req.valid('json');
    const r = await getReport(db(c), clientId, reportId);
    if (!r) throw notFound('Report', reportId);
    if (r.openedAt) throw conflict(`The report was already opened at ${r.openedAt}.`, { ruleId: 'R-88' });
    const ctx = await planningCtx(c, `report-opened/${reportId}`);
    const openedAt = at(b.openedAt, ctx.at);
    // opened clears the reminder, the management alert and the escalation the planning loop opened.
    const ctaIds = ['reminder', 'manager-alert', 'escalation'].map((k) => ctaIdFor(`${planningLoopWorkflowId(clientId)}/report/${reportId}/${k}`));
    const row = await db(c).transaction(async (tx) => {
      const [x] = await tx.update(deliveredReports).set({ openedAt }).where(eq(deliveredReports.id, reportId)).returning();
      await appendEvent(tx, { id: `report/${reportId}/opened`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'report.opened', ruleId: 'R-88', actor: ctx.actor, why: { deliveredAt: r.deliveredAt }, data: { reportId, openedAt } });
      for (const id of ctaIds) await completeCta(tx as never, id, `report opened at ${openedAt} (R-88)`, { actor: ctx.actor, at: ctx.at });
      await noticeLoop(tx, clientId);
      return x!;
    });
    await notifyCtas(c, ctaIds);
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    return c.json(reportView(row), 200);
  });

  app.openapi(routes.listBacklog, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listBacklog(db(c), clientId, { ...(q.nextCadence ? { nextCadence: q.nextCadence === 'true' } : {}), ...(q.status ? { status: q.status } : {}), ...(q.after ? { after: q.after } : {}), limit: q.limit });
    return c.json({ items: p.items, ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.getBudget, async (c) => {
    const { clientId } = c.req.valid('param');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const latest = await latestBudget(db(c), clientId);
    const refs = await planningRefs(db(c), clientId);
    const lines = latest?.lines ?? [];
    const snapshot = budgetSnapshot(lines, new Map([...refs.initiatives].map(([k, v]) => [k, { title: v.title, state: v.state, flags: v.flags }])), policy);
    return c.json({ version: latest ? { ...latest.version, label: budgetLabel(latest.version.version) } : null, lines: lines.map(lineView), snapshot, actuals: await listActuals(db(c), clientId) }, 200);
  });

  app.openapi(routes.listBudgetVersions, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listBudgetVersions(db(c), clientId, { ...(q.source ? { source: q.source } : {}), ...(q.after && /^\d+$/.test(q.after) ? { before: Number(q.after) } : {}), limit: q.limit });
    return c.json({ items: p.items.map((v) => ({ ...v, label: budgetLabel(v.version) })), ...(p.next ? { next: p.next } : {}) }, 200);
  });

  app.openapi(routes.getBudgetVersion, async (c) => {
    const { clientId, version } = c.req.valid('param');
    const v = await budgetVersion(db(c), clientId, version);
    if (!v) throw notFound('Budget version', String(version));
    return c.json({ ...v.version, label: budgetLabel(v.version.version), lines: v.lines.map(lineView) }, 200);
  });

  app.openapi(routes.createBudgetVersion, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const refs = await planningRefs(db(c), clientId);
    const lines = b.lines as BudgetLineInput[];
    const problems = budgetProblems(lines, { segment: client.segment as 'A', initiatives: new Set(refs.initiatives.keys()), preApprovals: refs.preApprovals, policy });
    if (problems.length) throw unprocessable(`Budget version refused: ${problems.map((p) => p.message).join('; ')}.`, problems.some((p) => p.message.includes('R-82')) ? 'R-82' : 'R-81', problems);
    const ctx = await planningCtx(c, 'budget-version');
    const format = policy.cadence[client.segment as 'A'].budget.view;
    const created = await db(c).transaction(async (tx) => insertBudgetVersion(tx, clientId, { note: b.note, source: b.source, format, lines }, ctx));
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    await feedOnboardingPlans(c, client, `budget/${created.id}/onboarding`);
    const v = (await budgetVersion(db(c), clientId, created.version))!;
    c.header('Location', `/v1/clients/${clientId}/budget/versions/${created.version}`);
    return c.json({ ...v.version, label: budgetLabel(v.version.version), lines: v.lines.map(lineView) }, 201);
  });

  app.openapi(routes.recordActuals, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    await mustGetClient(c, clientId);
    const ctx = await planningCtx(c, 'actuals');
    await db(c).transaction(async (tx) => recordActuals(tx, clientId, { quarter: b.quarter, actualUsd: b.actualUsd, ...(b.note ? { note: b.note } : {}) }, ctx));
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    return c.json({ quarter: b.quarter, actualUsd: b.actualUsd }, 200);
  });

  app.openapi(routes.getRoadmap, async (c) => {
    const { clientId } = c.req.valid('param');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const latest = await latestRoadmap(db(c), clientId);
    const byQuarter: Record<string, Record<string, string[]>> = {};
    for (const i of latest?.items ?? []) ((byQuarter[i.quarter] ??= {})[i.lane] ??= []).push(i.initiativeId);
    const versions = await listRoadmapVersions(db(c), clientId, { limit: 500 });
    const lastChanged = versions.items.find((v) => v.changed)?.createdAt ?? null;
    const reviewDueAt = latest ? new Date(Date.parse(latest.version.createdAt) + policy.roadmap.freshnessDays[client.segment as 'A'] * 86_400_000).toISOString() : null;
    return c.json({ version: latest?.version ?? null, items: latest?.items.map(itemView) ?? [], byQuarter, reviewDueAt, lastChangedAt: lastChanged }, 200);
  });

  app.openapi(routes.listRoadmapVersions, async (c) => {
    const { clientId } = c.req.valid('param');
    const q = c.req.valid('query');
    await mustGetClient(c, clientId);
    const p = await listRoadmapVersions(db(c), clientId, { ...(q.source ? { source: q.source } : {}), ...(q.after && /^\d+$/.test(q.after) ? { before: Number(q.after) } : {}), limit: q.limit });
    return c.json(p, 200);
  });

  app.openapi(routes.getRoadmapVersion, async (c) => {
    const { clientId, version } = c.req.valid('param');
    const v = await roadmapVersion(db(c), clientId, version);
    if (!v) throw notFound('Roadmap version', String(version));
    return c.json({ ...v.version, items: v.items.map(itemView) }, 200);
  });

  app.openapi(routes.createRoadmapVersion, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const client = await mustGetClient(c, clientId);
    const policy = await clientPolicy(c, client);
    const refs = await planningRefs(db(c), clientId);
    const problems = roadmapProblems(b.items, { initiatives: new Set(refs.initiatives.keys()), proposals: refs.proposals, lanes: allowedLanes(policy, client.goalLevel) });
    if (problems.length) throw unprocessable(`Roadmap version refused: ${problems.map((p) => p.message).join('; ')}.`, 'R-85', problems);
    const ctx = await planningCtx(c, 'roadmap-version');
    const bigRock = (id: string) => (refs.initiatives.get(id)?.costBand?.maxUsd ?? 0) >= policy.initiatives.bigRockMinCostUsd;
    const created = await db(c).transaction(async (tx) => insertRoadmapVersion(tx, clientId, { note: b.note, source: b.source, items: b.items }, { isBigRock: bigRock, maxBigRocks: policy.initiatives.bigRocksPerQuarter }, ctx));
    await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
    await feedOnboardingPlans(c, client, `roadmap/${created.id}/onboarding`);
    const v = (await roadmapVersion(db(c), clientId, created.version))!;
    c.header('Location', `/v1/clients/${clientId}/roadmap/versions/${created.version}`);
    return c.json({ ...v.version, items: v.items.map(itemView), moved: created.moved }, 201);
  });

  app.openapi(routes.getPlanning, async (c) => {
    const { clientId } = c.req.valid('param');
    await mustGetClient(c, clientId);
    const t = { process: 'planning-loop', label: 'planning loop', clientId, workflowId: planningLoopWorkflowId(clientId), refusalTypes: {}, startHint: 'it starts with the first planning record' };
    try {
      return c.json((await queryProcess(c, t, planningLoopStatus)) as never, 200);
    } catch (err) {
      if (err instanceof ProblemError && err.status === 404 && err.title !== 'Client not found') return c.json({ clientId, phase: 'not-started' as const }, 200);
      throw err;
    }
  });
}

const lineView = (l: { lineNo: number; initiativeId: string; quarter: string; amountUsd: number; spendType: string | null; decisionFlag: boolean; preApprovalId: string | null; label: string | null }) => ({
  lineNo: l.lineNo, initiativeId: l.initiativeId, quarter: l.quarter, amountUsd: l.amountUsd, spendType: l.spendType, decisionFlag: l.decisionFlag, preApprovalId: l.preApprovalId, label: l.label,
});
const itemView = (i: { itemNo: number; initiativeId: string; proposalId: string | null; quarter: string; lane: string; bigRock: boolean; note: string | null }) => ({
  itemNo: i.itemNo, initiativeId: i.initiativeId, proposalId: i.proposalId, quarter: i.quarter, lane: i.lane, bigRock: i.bigRock, note: i.note,
});

/** Tells the client's cadence a planning fact; the record stands whatever the cadence answers. */
async function tellCadence(c: Context<ApiEnv>, clientId: string, action: Parameters<typeof reportToCadence>[2]['action'], key: string): Promise<string> {
  const { temporal, logger } = c.get('deps');
  if (!temporal) return 'unavailable';
  try {
    const r = await reportToCadence(temporal, clientId, { action, idempotencyKey: key, bodyHash: `${action.type}/${key}`, actor: actorOf(c), at: (await planningCtx(c, 'read')).at });
    return r.outcome === 'accepted' ? 'told' : r.outcome === 'not-running' ? 'no-cadence' : 'refused';
  } catch (err) {
    logger.warn({ err, clientId }, 'cadence not told of the planning fact');
    return 'unavailable';
  }
}
