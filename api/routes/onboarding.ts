import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Context } from 'hono';
import { getClient } from '../../db/clients.js';
import { accessRecordOf, ensureAccessRecord, recordAccess } from '../../db/access.js';
import { appendEvent } from '../../db/ledger.js';
import { activePolicy, policyForClient } from '../../db/policies.js';
import { events } from '../../db/schema.js';
import { applyGrant } from '../../domain/access-record.js';
import { atLocalTime, makeCalendar } from '../../domain/business-time.js';
import { HEALTH_DIMENSIONS, VERIFIED_CONTROLS, type OnboardingAction } from '../../domain/onboarding.js';
import { reportToRisk, startedByRequest, startOnboarding } from '../../runtime/processes.js';
import { openRiskOf } from '../../db/risks.js';
import { idempotencyKeyOf, requestScopedId } from '../idempotency.js';
import { ONBOARDING_REFUSAL_TYPES, onboardingAction, onboardingStatus, onboardingWorkflowId, type OnboardingActionRequest } from '../../workflows/contracts.js';
import { currentTime, type ApiEnv } from '../context.js';
import { conflict, notFound, unprocessable } from '../problem.js';
import { logLateSignal, queryProcess, reportEnvelope, requireTemporal, sendProcessAction, type LateReport, type ProcessTarget } from '../process-actions.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, IsoDate, IsoInstant, MspRole, text, uniqueList } from '../schemas.js';

/**
 * Onboarding Day 0–90 (R-46..R-57) over HTTP: ops start it, ops and automations report what
 * happened, everyone with read access sees its status. Each report is a Workflow Update, so the
 * response carries the workflow's verdict: 200 accepted, 409 refused in the current state (e.g. a
 * project kickoff while the R-48 gate is shut), 422 never applicable as sent (e.g. a third decision,
 * R-27; an unknown access-matrix system, R-49).
 */

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case-with-dashes').max(60);
/** Bounds of report lists (payloads stay small in workflow history). */
const MAX_SYSTEMS = 100;
const MAX_ATTENDEES = 50;
const MAX_LIST = 100;

const StartBody = z.object({
  signedAt: z.union([IsoInstant, IsoDate]).openapi({
    description: 'Day 0: the signature instant, or a date (then the calendar\'s dayStart in the client\'s zone). May lie in the past: deadlines already passed are missed at once and marked late.',
    example: '2026-03-02T09:00:00-06:00',
  }),
  riskFlag: z.boolean().default(false).openapi({ description: 'R-51: a D client with a known risk gets discovery and assessment.' }),
  accessSystems: uniqueList(Slug, MAX_SYSTEMS, 'systems').min(1).optional()
    .openapi({ description: 'Access-matrix rows (R-49); default the policy\'s onboarding.accessMatrixSystems.' }),
}).strict();

const Started = z.object({ clientId: Id, workflowId: z.string(), runId: z.string(), signedAt: z.string(), policyVersion: z.number().int() }).openapi('OnboardingStarted');

const Deadline = z.object({
  key: z.string().openapi({ example: 'kickoff.held' }), step: z.string(), dueAt: z.string().openapi({ description: 'Instant with the client zone\'s offset.' }),
  ruleId: z.string(), clock: z.string(), ownerRole: z.string(), status: z.enum(['pending', 'met', 'missed', 'skipped', 'reached']),
  resolvedAt: z.string().nullable(), lateByMs: z.number().optional(), why: z.record(z.string(), z.unknown()),
});
const Status = z.object({
  clientId: Id, phase: z.enum(['starting', 'running', 'completed']), segment: z.string().optional(), signedAt: z.string().optional(), timeZone: z.string().optional(),
  policyVersion: z.number().int().optional(),
  currentStep: z.object({ number: z.number().int(), name: z.string(), ruleId: z.string() }).nullable().optional(),
  steps: z.array(z.object({ number: z.number().int(), name: z.string(), ruleId: z.string(), state: z.enum(['open', 'done', 'skipped']), completedAt: z.string().nullable(), late: z.boolean() })).optional(),
  gates: z.array(z.object({ gate: z.string(), ruleId: z.string(), open: z.boolean(), conditions: z.record(z.string(), z.boolean()) })).optional(),
  deadlines: z.array(Deadline).optional(),
  kpis: z.object({ kickoffWithinBusinessDays: z.boolean().nullable(), accessByCheckpoint: z.boolean().nullable(), earlyWinsByCheckpoint: z.boolean().nullable() }).optional()
    .openapi({ description: 'R-57 KPI flags for this client; null while undecided.' }),
  access: z.object({ percent: z.number(), thresholdPct: z.number(), items: z.array(z.object({ system: z.string(), grantedAt: z.string().nullable() })) }).optional(),
  kickoff: z.record(z.string(), z.unknown()).optional(),
  quickWins: z.array(z.object({ title: z.string(), at: z.string() })).optional(),
  roadmap: z.object({ confirmedAt: z.string(), initiatives: z.array(z.string()), budgetV1Usd: z.number().nullable(), formal: z.boolean() }).nullable().optional()
    .openapi({ description: 'Step 5: the roadmap with Budget v1 (R-53), or D\'s operational initiatives without a budget (`formal: false`, R-57).' }),
  processVersion: z.number().int().optional().openapi({ description: 'The process definition the run follows (2: D without a formal roadmap, Working Agreement CTA, A-26 kickoff CTAs, access record; 3: step 0 reads the sale\'s handoff packet; 4: the kickoff invite waits for a complete handoff packet, R-46).' }),
  closedAt: z.string().nullable().optional(),
}).openapi('OnboardingStatus');

const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: no second effect (C-6).' }),
  currentStep: z.object({ number: z.number().int(), name: z.string() }).nullable(), gateOpen: z.boolean(), ctasOpened: z.array(z.string()),
}).openapi('OnboardingActionResult');

const AccessRecordItem = z.object({ system: z.string(), grantedAt: z.string().nullable(), source: z.string() });
const LateAccessResult = z.object({
  accepted: z.literal(true), action: z.literal('accessGranted'), late: z.literal(true), appliedTo: z.literal('accessRecord'), ruleId: z.literal('R-124'),
  duplicate: z.boolean().openapi({ description: 'A repeat of an earlier late report with the same Idempotency-Key: nothing recorded again (C-6).' }),
  granted: z.array(z.string()), alreadyGranted: z.array(z.string()),
  access: z.object({ percent: z.number(), thresholdPct: z.number(), items: z.array(AccessRecordItem) }),
  risksUpdated: z.array(z.object({ riskId: z.string(), conditionCleared: z.boolean() })),
}).openapi('LateAccessResult', { description: 'Access granted after the onboarding closed (R-124): the client\'s access record and its open Delivery risks were updated, not the closed onboarding.' });

// ---------------------------------------------------------------------------------------------
// The actions: one route each, all handled the same way

interface ActionSpec<S extends z.ZodType> {
  slug: string;
  operationId: string;
  summary: string;
  body: S;
  toAction: (body: z.infer<S>, now: Date) => OnboardingAction;
}
const spec = <S extends z.ZodType>(s: ActionSpec<S>) => s;
const iso = (d: Date) => d.toISOString();
const norm = (s: string) => new Date(s).toISOString();

const ACTIONS = [
  spec({
    slug: 'handoff-items', operationId: 'recordHandoffItems', summary: 'Handoff packet items received (R-44, R-46); step 0 completes when all are in',
    body: z.object({ items: uniqueList(Slug, MAX_LIST, 'items').min(1) }).strict(),
    toAction: (b) => ({ type: 'handoffItemsReceived', items: b.items }),
  }),
  spec({
    slug: 'kickoff-scheduled', operationId: 'scheduleKickoff', summary: 'Kickoff booked (R-47: held ≤ Day 0 + 5 business days); refused with 409 while the handoff packet is incomplete (R-46, process version 4)',
    body: z.object({ startsAt: IsoInstant, endsAt: IsoInstant }).strict(),
    toAction: (b) => ({ type: 'kickoffScheduled', startsAt: norm(b.startsAt), endsAt: norm(b.endsAt) }),
  }),
  spec({
    slug: 'kickoff-held', operationId: 'recordKickoffHeld', summary: 'Kickoff held with at most two decisions (R-27, R-47); sets the recap deadline (R-29) and opens a CTA per decision (R-30)',
    body: z.object({
      heldAt: IsoInstant.optional().openapi({ description: 'Start of the meeting; default endedAt − 60 min.' }),
      endedAt: IsoInstant.optional().openapi({ description: 'End of the meeting; default now. The recap is due 48h after it (R-29).' }),
      attendees: z.array(text(1, 200)).min(1).max(MAX_ATTENDEES),
      decisions: z.array(z.object({ title: text(3, 300), ownerRole: MspRole }).strict()).max(20).default([])
        .openapi({ description: 'At most `meeting.maxDecisions` (2, R-27); a third is refused with 422 and goes to the backlog.' }),
    }).strict(),
    toAction: (b, now) => {
      const endedAt = b.endedAt ? norm(b.endedAt) : iso(now);
      return { type: 'kickoffHeld', heldAt: b.heldAt ? norm(b.heldAt) : new Date(Date.parse(endedAt) - 3_600_000).toISOString(), endedAt, attendees: b.attendees, decisions: b.decisions };
    },
  }),
  spec({
    slug: 'recap-sent', operationId: 'recordRecapSent', summary: 'Kickoff recap sent (R-29: ≤48h after the end)',
    body: z.object({ sentAt: IsoInstant.optional() }).strict(),
    toAction: (b, now) => ({ type: 'recapSent', sentAt: b.sentAt ? norm(b.sentAt) : iso(now) }),
  }),
  spec({
    slug: 'access-granted', operationId: 'recordAccessGranted', summary: 'Access-matrix rows granted (R-49); the access % is computed from the rows',
    body: z.object({ systems: uniqueList(Slug, MAX_SYSTEMS, 'systems').min(1) }).strict(),
    toAction: (b) => ({ type: 'accessGranted', systems: b.systems }),
  }),
  spec({
    slug: 'documentation-baselined', operationId: 'recordDocumentationBaselined', summary: 'Documentation pack baselined (R-49: by Day 21; R-48 gate condition)',
    body: z.object({ sections: z.array(text(1, 100)).max(MAX_LIST).default([]) }).strict(),
    toAction: (b) => ({ type: 'documentationBaselined', sections: b.sections }),
  }),
  spec({
    slug: 'controls-verified', operationId: 'recordControlVerified', summary: 'MFA or backup monitoring verified (R-48 gate conditions)',
    body: z.object({ control: z.enum(VERIFIED_CONTROLS) }).strict(),
    toAction: (b) => ({ type: 'controlVerified', control: b.control }),
  }),
  spec({
    slug: 'assessment-completed', operationId: 'recordAssessmentCompleted', summary: 'Discovery/assessment completed with scored findings (R-51: by Day 28)',
    body: z.object({ findings: z.array(z.object({ title: text(3, 300), score: z.number().int().min(1).max(5) }).strict()).min(1).max(MAX_LIST) }).strict(),
    toAction: (b) => ({ type: 'assessmentCompleted', findings: b.findings }),
  }),
  spec({
    slug: 'quick-wins', operationId: 'recordQuickWin', summary: 'A quick win completed (R-52); it may use only access already granted (R-48)',
    body: z.object({ title: text(3, 300), systems: uniqueList(Slug, MAX_SYSTEMS, 'systems').default([]) }).strict(),
    toAction: (b) => ({ type: 'quickWinCompleted', title: b.title, systems: b.systems }),
  }),
  spec({
    slug: 'early-wins-report', operationId: 'publishEarlyWinsReport', summary: 'Early Wins report published (R-52: with ≥2 quick wins by Day 30)',
    body: z.object({ url: z.url().max(2000).optional() }).strict(),
    toAction: (b) => ({ type: 'earlyWinsReportPublished', ...(b.url ? { url: b.url } : {}) }),
  }),
  spec({
    slug: 'project-kickoffs', operationId: 'requestProjectKickoff', summary: 'Kick off a project; refused with 409 while the delivery gate is shut (R-48), unless it is a quick win',
    body: z.object({ project: text(3, 300), quickWin: z.boolean().default(false) }).strict(),
    toAction: (b) => ({ type: 'projectKickoff', project: b.project, quickWin: b.quickWin }),
  }),
  spec({
    slug: 'roadmap-confirmed', operationId: 'confirmRoadmap', summary: 'Roadmap and Budget v1 confirmed (R-53: Day 30–45)',
    body: z.object({ initiatives: z.array(text(1, 300)).min(1).max(MAX_LIST), budgetV1Usd: z.number().min(0).max(1e12) }).strict(),
    toAction: (b) => ({ type: 'roadmapConfirmed', initiatives: b.initiatives, budgetV1Usd: b.budgetV1Usd }),
  }),
  spec({
    slug: 'operational-initiatives', operationId: 'recordOperationalInitiatives', summary: 'D only: its 1–2 operational initiatives, recorded without a budget instead of a formal roadmap (R-57); completes step 5',
    body: z.object({ initiatives: uniqueList(text(1, 300), 10, 'initiatives').min(1) }).strict(),
    toAction: (b) => ({ type: 'operationalInitiativesRecorded', initiatives: b.initiatives }),
  }),
  spec({
    slug: 'proposals', operationId: 'recordProposalSent', summary: 'A proposal with EDS sent (R-54: Day 30–60, ≤14 days after the roadmap)',
    body: z.object({ title: text(3, 300), initiative: text(1, 300).optional() }).strict(),
    toAction: (b) => ({ type: 'proposalSent', title: b.title, ...(b.initiative ? { initiative: b.initiative } : {}) }),
  }),
  spec({
    slug: 'health-baseline', operationId: 'recordHealthBaseline', summary: 'Health baseline on all five dimensions (R-55: Day 45–60)',
    body: z.object({ scores: z.object(Object.fromEntries(HEALTH_DIMENSIONS.map((d) => [d, z.number().min(0).max(100)])) as Record<(typeof HEALTH_DIMENSIONS)[number], z.ZodNumber>).strict() }).strict(),
    toAction: (b) => ({ type: 'healthBaselineRecorded', scores: b.scores }),
  }),
  spec({
    slug: 'cadence-locked', operationId: 'lockCadence', summary: 'Cadence locked (R-55, R-10: Day 45–60)',
    body: z.object({}).strict(),
    toAction: () => ({ type: 'cadenceLocked' }),
  }),
  spec({
    slug: 'day60-review', operationId: 'recordDay60Review', summary: 'Day 60 review held, with NPS/CSAT (R-56)',
    body: z.object({ nps: z.number().int().min(-100).max(100).optional(), csat: z.number().min(1).max(5).optional() }).strict(),
    toAction: (b) => ({ type: 'day60ReviewHeld', ...(b.nps !== undefined ? { nps: b.nps } : {}), ...(b.csat !== undefined ? { csat: b.csat } : {}) }),
  }),
  spec({
    slug: 'closeout', operationId: 'closeOnboarding', summary: 'Day 90 closeout and handoff to Engagement (R-56); open exceptions become CTAs and the onboarding finishes',
    body: z.object({ note: text(3, 4000) }).strict(),
    toAction: (b) => ({ type: 'closeout', note: b.note }),
  }),
] as const;

const startRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/onboarding', operationId: 'startOnboarding', tags: ['Onboarding'],
  summary: 'Start the client\'s Day 0–90 onboarding (R-46..R-57); one per client, a second start is a 409',
  request: { params: ClientParams, ...jsonBody(StartBody) },
  responses: { 201: jsonResponse(Started, 'Started') },
});
const statusRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/onboarding', operationId: 'getOnboarding', tags: ['Onboarding'],
  summary: 'Current step, gates, every deadline in the client\'s zone with its rule, KPI flags and the policy version',
  request: { params: ClientParams },
  responses: { 200: jsonResponse(Status, 'The onboarding') },
});

export function registerOnboardingRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(startRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const body = c.req.valid('json');
    const deps = c.get('deps');
    const temporal = requireTemporal(c);
    const client = await getClient(deps.db, clientId);
    if (!client) throw notFound('Client', clientId);
    const policy = await activePolicy(deps.db);
    const cal = makeCalendar({ timeZone: client.timeZone, holidays: [], dayStart: policy.document.calendar.dayStart, dayEnd: policy.document.calendar.dayEnd, workdays: [...policy.document.calendar.workdays] });
    const signedAt = body.signedAt.length === 10 ? atLocalTime(body.signedAt, policy.document.calendar.dayStart, cal) : body.signedAt;
    const now = await currentTime(deps);
    if (Date.parse(signedAt) > now.getTime()) {
      throw unprocessable(`The signature (${signedAt}) is in the future; start the onboarding once the contract is signed.`, { errors: [{ location: 'body', path: 'signedAt', message: 'must not be in the future' }] });
    }
    // the onboarding ends at Day closeoutDay; a signature older than that has no onboarding left to run.
    const closeoutDays = policy.document.onboarding.closeoutDay;
    if (Date.parse(signedAt) < now.getTime() - closeoutDays * 86_400_000) {
      throw unprocessable(`The signature (${signedAt}) is more than ${closeoutDays} days ago: its Day ${closeoutDays} closeout (R-56) has passed, so there is no onboarding left to run.`, {
        ruleId: 'R-56', errors: [{ location: 'body', path: 'signedAt', message: `must be within the last ${closeoutDays} days (onboarding.closeoutDay)` }],
      });
    }
    const startedBy = idempotencyKeyOf(c) ? requestScopedId(c, 'workflow-start') : undefined;
    try {
      const handle = await startOnboarding(temporal, { clientId, signedAt, policyVersion: policy.version, riskFlag: body.riskFlag, ...(body.accessSystems ? { accessSystems: body.accessSystems } : {}) }, client, startedBy);
      c.header('Location', `/v1/clients/${clientId}/onboarding`);
      return c.json({ clientId, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, signedAt, policyVersion: policy.version }, 201);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // An earlier attempt of this request started it and died before answering: answer with that run.
        const mine = await startedByRequest(temporal, onboardingWorkflowId(clientId), startedBy);
        if (mine) {
          c.header('Location', `/v1/clients/${clientId}/onboarding`);
          return c.json({ clientId, workflowId: mine.workflowId, runId: mine.runId, signedAt, policyVersion: policy.version }, 201);
        }
        throw conflict(`An onboarding was already started for client ${clientId}; a client is onboarded once.`, { workflowId: onboardingWorkflowId(clientId) });
      }
      throw err;
    }
  });

  app.openapi(statusRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    return c.json((await queryProcess(c, target(clientId), onboardingStatus)) as z.infer<typeof Status>, 200);
  });

  for (const a of ACTIONS) {
    const access = a.slug === 'access-granted';
    const route = securedRoute(ROLE_SETS.signal, {
      method: 'post', path: `/v1/clients/{clientId}/onboarding/${a.slug}`, operationId: a.operationId, tags: ['Onboarding'], summary: a.summary,
      request: { params: ClientParams, ...jsonBody(a.body as z.ZodType) },
      responses: {
        200: jsonResponse(access ? z.union([ActionResult, LateAccessResult]) : ActionResult, access
          ? 'Accepted, or a duplicate acknowledged (C-6); after the onboarding closed, the grant updates the client\'s access record instead (R-124)'
          : 'Accepted, or a duplicate acknowledged (C-6)'),
      },
    }, 'workflow');
    app.openapi(route, async (c) => {
      const { clientId } = c.req.valid('param');
      const body = c.req.valid('json' as never) as never;
      const { now, ...envelope } = await reportEnvelope(c, a.slug);
      const request: OnboardingActionRequest = { action: (a.toAction as (b: unknown, now: Date) => OnboardingAction)(body, now), ...envelope };
      // access completed after the onboarding closed updates the client's access record, not the closed onboarding.
      const late = request.action.type === 'accessGranted' ? (l: LateReport) => accessAfterCloseout(c, clientId, request, l) : undefined;
      return c.json(await sendProcessAction(c, target(clientId), onboardingAction, request, late) as never, 200);
    });
  }

  app.openapi(accessRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { db } = c.get('deps');
    const client = await getClient(db, clientId);
    if (!client) throw notFound('Client', clientId);
    const { policy } = await policyForClient(db, client.policyOverrides);
    const rows = await accessRecordOf(db, clientId);
    const items = rows.map((r) => ({ system: r.system, grantedAt: r.grantedAt, source: r.source }));
    return c.json({ clientId, percent: percentOf(items), thresholdPct: policy.onboarding.accessThresholdPct, items }, 200);
  });
}

const accessRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/access', operationId: 'getClientAccess', tags: ['Onboarding'],
  summary: 'The client\'s access record (R-49): each access-matrix system and when it was granted, kept by the onboarding and by grants reported after it closed (R-124)',
  request: { params: ClientParams },
  responses: { 200: jsonResponse(z.object({ clientId: Id, percent: z.number(), thresholdPct: z.number(), items: z.array(AccessRecordItem) }).openapi('ClientAccessRecord'), 'The access record (empty until an onboarding starts)') },
});

const percentOf = (items: { grantedAt: string | null }[]) => (items.length ? Math.floor((items.filter((i) => i.grantedAt !== null).length * 10_000) / items.length) / 100 : 0);

/**
 * R-124 (C-6): access granted after the onboarding closed. The systems must be rows of the client's
 * access record (rebuilt from the onboarding's facts for runs that kept none); then, in one
 * transaction, the report is logged as late (once per Idempotency-Key), the record updated
 * (`access.updated`) and evidence appended to each open Delivery risk (`risk.evidence_added`). A
 * repeat of the key changes nothing and answers `duplicate`.
 */
async function accessAfterCloseout(c: Context<ApiEnv>, clientId: string, request: OnboardingActionRequest, late: LateReport) {
  const action = request.action as Extract<OnboardingAction, { type: 'accessGranted' }>;
  const { db } = c.get('deps');
  const client = await getClient(db, clientId);
  if (!client) throw notFound('Client', clientId);
  const thresholdPct = (await policyForClient(db, client.policyOverrides)).policy.onboarding.accessThresholdPct;
  const t = target(clientId);
  const result = await db.transaction(async (tx) => {
    const record = await ensureAccessRecord(tx, clientId, request.at);
    const grant = applyGrant(record.map((r) => ({ system: r.system, grantedAt: r.grantedAt })), action.systems, request.at);
    if (grant.unknown.length) {
      throw unprocessable(`Unknown access-matrix system(s): ${grant.unknown.join(', ')} (R-49).`, { ruleId: 'R-49', details: { unknown: grant.unknown, known: record.map((r) => r.system) } });
    }
    const logged = await logLateSignal(tx, t, request, late.finishedAt);
    const risksUpdated: { riskId: string; conditionCleared: boolean }[] = [];
    // an open Delivery risk run by its own process (R-50 in onboarding v2) gets the evidence through that process.
    const process = await openRiskOf(tx, clientId, 'Delivery');
    const toProcess = process && !logged.duplicate
      ? { riskId: process.id, key: `${logged.eventId}/risk/${process.id}`, conditionCleared: (process.source.evidence as { deadline?: string }).deadline === 'access.checkpoint' && grant.percent >= thresholdPct }
      : undefined;
    if (toProcess) risksUpdated.push({ riskId: toProcess.riskId, conditionCleared: toProcess.conditionCleared });
    if (!logged.duplicate) {
      await recordAccess(tx, clientId, grant.granted.map((system) => ({ system, grantedAt: request.at })), 'late-report', request.at);
      await appendEvent(tx, {
        id: `${logged.eventId}/access`, occurredAt: request.at, clientId, process: 'onboarding', workflowId: t.workflowId, type: 'access.updated', ruleId: 'R-124', actor: request.actor,
        why: { reason: 'access reported after the onboarding closed: the client\'s access record changes, not the closed onboarding (R-124)', lateEventId: logged.eventId },
        data: { granted: grant.granted, alreadyGranted: grant.alreadyGranted, accessPercent: grant.percent, thresholdPct },
      });
      for (const risk of await openDeliveryRisks(tx, clientId)) {
        const conditionCleared = risk.endsWith('/access.checkpoint') && grant.percent >= thresholdPct;
        await appendEvent(tx, {
          id: `${logged.eventId}/risk/${risk}`, occurredAt: request.at, clientId, process: 'onboarding', workflowId: t.workflowId, type: 'risk.evidence_added', ruleId: 'R-124', actor: request.actor,
          why: { lateEventId: logged.eventId, rule: 'R-93: a new signal on an open risk appends evidence; exit to green follows R-102' },
          data: { riskId: risk, evidence: `access granted after the onboarding closed (${grant.granted.join(', ') || 'nothing new'}): ${grant.percent} % of the access matrix, threshold ${thresholdPct} %`, conditionCleared },
        });
        risksUpdated.push({ riskId: risk, conditionCleared });
      }
    }
    return { grant, duplicate: logged.duplicate, risksUpdated, toProcess };
  });
  if (result.toProcess) {
    await reportToRisk(requireTemporal(c), result.toProcess.riskId, clientId, {
      action: {
        type: 'evidenceAdded', source: 'onboarding', conditionCleared: result.toProcess.conditionCleared, signal: { trigger: 'accessGrantedAfterCloseout', ruleId: 'R-124' },
        evidence: `access granted after the onboarding closed (${result.grant.granted.join(', ') || 'nothing new'}): ${result.grant.percent} % of the access matrix, threshold ${thresholdPct} %`,
      },
      idempotencyKey: result.toProcess.key, bodyHash: result.toProcess.key, actor: request.actor, at: request.at,
    });
  }
  const items = (await accessRecordOf(db, clientId)).map((r) => ({ system: r.system, grantedAt: r.grantedAt, source: r.source }));
  return {
    accepted: true as const, action: 'accessGranted' as const, late: true as const, appliedTo: 'accessRecord' as const, ruleId: 'R-124' as const, duplicate: result.duplicate,
    granted: result.duplicate ? [] : result.grant.granted, alreadyGranted: result.duplicate ? [...action.systems] : result.grant.alreadyGranted,
    access: { percent: percentOf(items), thresholdPct, items }, risksUpdated: result.risksUpdated,
  };
}

/**
 * Delivery risks opened on the ledger only (R-50 of onboarding runs before version 2) that no
 * `risk.closed` event has closed; risks with a process of their own (`process = 'risk'`) get their
 * evidence through it.
 */
async function openDeliveryRisks(db: Pick<Db, 'select'>, clientId: string): Promise<string[]> {
  const rows = await db.select({ type: events.type, data: events.data }).from(events)
    .where(and(eq(events.clientId, clientId), inArray(events.type, ['risk.opened', 'risk.closed']), ne(events.process, 'risk'))).orderBy(asc(events.seq));
  const open = new Set<string>();
  for (const r of rows) {
    const d = r.data as { riskId?: string; bucket?: string };
    if (!d.riskId) continue;
    if (r.type === 'risk.opened' && d.bucket === 'Delivery') open.add(d.riskId);
    else if (r.type === 'risk.closed') open.delete(d.riskId);
  }
  return [...open].sort();
}

const target = (clientId: string): ProcessTarget => ({
  process: 'onboarding', label: 'onboarding', clientId, workflowId: onboardingWorkflowId(clientId), refusalTypes: ONBOARDING_REFUSAL_TYPES,
  startHint: `start one with POST /v1/clients/${clientId}/onboarding`,
});


