import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, gt, inArray, isNull, type SQL } from 'drizzle-orm';
import { getClient } from '../../db/clients.js';
import { listCreditGates } from '../../db/credit-gates.js';
import { defenseLoopView, recordDefenseIntake } from '../../db/defense-loop.js';
import { getSession, listSessions, smokeTest, triggerCoverageOf, type GovernanceSessionRow } from '../../db/governance.js';
import { KPI_FAMILY_IDS, kpiCsv, kpiReport, type KpiFamilyId } from '../../db/kpis/index.js';
import { activePolicy, policyForClient } from '../../db/policies.js';
import { capacityFigures, capacityGapAlert, rebalanceProposals, segmentMonthSpread } from '../../db/portfolio.js';
import { events, people } from '../../db/schema.js';
import { nextSession, ROUTINE_SPECS, ROUTINES, SESSION_ID_RE, type Routine } from '../../domain/governance.js';
import { periodAt, previousPeriod } from '../../domain/kpi.js';
import { clientInvestment, type SegmentKey } from '../../domain/portfolio.js';
import { dispatchWorkflowStart } from '../../runtime/processes.js';
import { GOVERNANCE_REFUSAL_TYPES, governanceAction, governanceWorkflowId, type GovernanceActionRequest } from '../../workflows/contracts.js';
import { writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { reportEnvelope, sendProcessAction } from '../process-actions.js';
import { notFound, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { csv, Id, IsoInstant, intParam, MonthOrQuarter, page, Pagination, text, uniqueList, utcInstant, YearMonth } from '../schemas.js';

/**
 * The portfolio view (R-4..R-6, R-12, R-23, R-37, R-39, R-57, R-60, R-125): investment per client,
 * capacity and the gap, the KPI families, the governance sessions and their held reports, credit
 * gates, trigger coverage, the D Defense Loop intake, and the portfolio's own timeline. Figures are
 * read by managers, admins and ops (as the radar); reports come from ops, automations and managers.
 */
const READ = ROLE_SETS.timeline;
const FIGURES = z.record(z.string(), z.unknown());
const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });

const Investment = z.object({
  clientId: Id, segment: z.enum(['A', 'B', 'C', 'D']), mrrUsd: z.number(),
  investmentPct: z.number().openapi({ description: 'R-4 investment model, % of MRR.' }),
  csBudgetYearUsd: z.number().openapi({ description: 'R-5: MRR × 12 × %.' }),
  hoursPerYear: z.number().openapi({ description: 'R-5: budget ÷ hourly cost.' }),
  proactiveHoursPerYear: z.number().openapi({ description: 'R-5: hours × proactive share.' }),
  playbookBudgetYearUsd: z.number().openapi({ description: 'R-5: budget × planned (proactive) share × playbook share.' }),
  playbookHoursPerYear: z.number().openapi({ description: 'R-5: playbook budget ÷ hourly cost.' }),
  requiredHoursPerYear: z.number().openapi({ description: 'R-6: hours the segment requires per client and year.' }),
  inputs: FIGURES.openapi({ description: 'The inputs that produced each figure (policy values and the client\'s MRR and segment).' }),
  formulas: z.record(z.string(), z.string()),
  ruleIds: z.array(z.string()), policyKeys: z.array(z.string()), policyVersion: z.number().int(),
}).openapi('ClientInvestment');

const investmentRoute = securedRoute(READ, {
  method: 'get', path: '/v1/clients/{clientId}/investment', operationId: 'getClientInvestment', tags: ['Portfolio'],
  summary: 'The client\'s CS investment from its MRR and segment: investment %, CS budget per year, hours, proactive hours, playbook time, with the inputs (R-4, R-5)',
  request: { params: ClientParams }, responses: { 200: jsonResponse(Investment, 'The investment figures') },
});

const Capacity = z.object({
  asOf: z.string(), policyVersion: z.number().int(),
  bySegment: FIGURES.openapi({ description: 'Per segment: clients, MRR, CS budget, funded hours, required hours per client and in all (R-4..R-6).' }),
  requiredHours: z.number(), availableHours: z.number(), gapHours: z.number(), gap: z.boolean(), utilisationPct: z.number().nullable(),
  team: FIGURES, options: z.array(FIGURES).openapi({ description: 'R-6: raise boundaries, cut hours per segment, lower the investment % — each with what closing the gap that way takes.' }),
  alert: z.object({ ctaId: Id, state: z.string(), openedAt: z.string(), completedAt: z.string().nullable() }).nullable().openapi({ description: 'The capacity-gap alert: open while the gap is, else the last one.' }),
  monthSpread: z.array(FIGURES).openapi({ description: 'R-37 month rule per segment, this quarter and the next, with the moves that fix a month over the line.' }),
  rebalance: z.array(FIGURES).openapi({ description: 'R-37: people whose next week is over the rebalance line, with the B/C meetings proposed to move.' }),
  ruleIds: z.array(z.string()),
}).openapi('PortfolioCapacity');

const capacityRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/capacity', operationId: 'getPortfolioCapacity', tags: ['Portfolio'],
  summary: 'Required CS hours by segment against the team\'s hours, the gap and its options (R-6), the alert, the R-37 month spread and next-week rebalance proposals',
  responses: { 200: jsonResponse(Capacity, 'The portfolio capacity') },
});

const Trend = z.object({ previousValue: z.number().nullable(), delta: z.number().nullable(), direction: z.enum(['up', 'down', 'flat']).nullable(), improving: z.boolean().nullable() });
const Scoped = z.object({ value: z.number().nullable(), numerator: z.number().int(), denominator: z.number().int(), target: z.number().nullable(), meets: z.boolean().nullable(), trend: Trend });
const KpiFigure = Scoped.extend({
  id: z.string(), label: z.string(), ruleId: z.string(), kind: z.enum(['share', 'median', 'count']), unit: z.enum(['pct', 'days', 'count']), better: z.enum(['higher', 'lower']),
  definition: z.object({ denominator: z.string(), numerator: z.string() }), policyKeys: z.array(z.string()),
  ids: z.array(z.string()).openapi({ description: 'Ids behind the numerator (meetings, CTAs, clients, onboarding deadlines), at most 500.' }), idsTruncated: z.boolean(),
  bySegment: z.record(z.string(), Scoped), byOwner: z.array(Scoped.extend({ personId: Id.nullable() })),
}).openapi('PortfolioKpiFigure');
const Period = z.object({ kind: z.enum(['month', 'quarter']), label: z.string(), from: z.string(), to: z.string(), asOf: z.string() });
const KpiReport = z.object({
  family: z.string(), title: z.string(), ruleIds: z.array(z.string()), policyVersion: z.number().int(), period: Period, previousPeriod: Period,
  figures: z.array(KpiFigure), owners: z.array(z.object({ personId: Id, name: z.string() })),
}).openapi('PortfolioKpiReport');

const kpiRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/kpis/{family}', operationId: 'getPortfolioKpis', tags: ['Portfolio'],
  summary: 'One KPI family (cadence R-39, onboarding R-57, governance R-60, sales R-45): each figure with numerator, denominator, target, trend against the previous period, the ids behind the numerator, by segment and by owner; `format=csv` (or Accept: text/csv) for a spreadsheet',
  request: {
    params: z.object({ family: z.enum(KPI_FAMILY_IDS as [KpiFamilyId, ...KpiFamilyId[]]).openapi({ param: { name: 'family', in: 'path' } }) }),
    query: z.object({
      period: MonthOrQuarter.optional().openapi({ example: '2027-03', description: 'Default: the period holding now (month, or quarter for quarterly families), measured up to now.' }),
      periodKind: z.enum(['month', 'quarter']).optional().openapi({ description: 'Without `period`: the month or quarter holding now.' }),
      format: z.enum(['json', 'csv']).optional(),
    }),
  },
  responses: { 200: { description: 'The figures (JSON, or CSV with one row per figure and scope)', content: { 'application/json': { schema: KpiReport }, 'text/csv': { schema: z.string() } } } },
});

const Session = z.object({
  id: z.string(), routine: z.enum(ROUTINES), period: z.string(), scheduledFor: z.string(), endsAt: z.string(), heldBy: z.string(),
  state: z.enum(['convened', 'held', 'missed']), heldAt: z.string().nullable(), attendees: z.array(z.object({ personId: Id, name: z.string() })), notes: z.string().nullable(), late: z.boolean(),
  policyVersion: z.number().int(), agenda: FIGURES.openapi({ description: 'The agenda assembled from the data when the session met: its sections and their items (docs/portfolio.md).' }),
}).openapi('GovernanceSession');
const sessionView = (r: GovernanceSessionRow) => ({
  id: r.id, routine: r.routine as Routine, period: r.period, scheduledFor: r.scheduledFor, endsAt: r.endsAt, heldBy: r.heldBy, state: r.state as 'held', heldAt: r.heldAt,
  attendees: r.attendees, notes: r.notes, late: r.late, policyVersion: r.policyVersion, agenda: r.agenda,
});
const SessionParams = z.object({ sessionId: z.string().max(40).regex(SESSION_ID_RE, 'a session id such as monthlySegmentReview-2027-03').openapi({ param: { name: 'sessionId', in: 'path' }, example: 'monthlySegmentReview-2027-03' }) });

const routinesRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/governance', operationId: 'getGovernanceRoutines', tags: ['Governance'],
  summary: 'The four governance routines (R-125): when each meets next under the policy, and its latest session',
  responses: { 200: jsonResponse(z.object({ asOf: z.string(), policyVersion: z.number().int(), routines: z.array(z.object({ routine: z.enum(ROUTINES), title: z.string(), ruleIds: z.array(z.string()), next: FIGURES.nullable(), latest: Session.omit({ agenda: true }).nullable() })) }), 'The routines') },
});
const sessionsRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/governance/sessions', operationId: 'listGovernanceSessions', tags: ['Governance'],
  summary: 'Governance sessions, newest first, with their agendas',
  request: { query: Pagination.extend({ routine: csv(z.enum(ROUTINES)), state: csv(z.enum(['convened', 'held', 'missed'])), after: z.string().max(40).regex(SESSION_ID_RE).optional().openapi({ description: 'Cursor from the previous page\'s `next` (a session id).' }) }) },
  responses: { 200: jsonResponse(page(Session), 'A page of sessions') },
});
const sessionRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/governance/sessions/{sessionId}', operationId: 'getGovernanceSession', tags: ['Governance'],
  summary: 'One governance session with its agenda', request: { params: SessionParams }, responses: { 200: jsonResponse(Session, 'The session') },
});
const heldRoute = securedRoute(ROLE_SETS.assign, {
  method: 'post', path: '/v1/portfolio/governance/sessions/{sessionId}/held', operationId: 'recordGovernanceSessionHeld', tags: ['Governance'],
  summary: 'The session was held: who attended and notes (R-125). After its grace, or once recorded missed, it is accepted as late.',
  request: {
    params: SessionParams,
    ...jsonBody(z.object({
      heldAt: IsoInstant.optional().openapi({ description: 'Default: the scheduled start.' }),
      attendeeIds: uniqueList(Id, 50, 'attendees').min(1).openapi({ description: 'MSP people who attended.' }),
      notes: text(1, 4000).optional(),
    }).strict()),
  },
  responses: { 200: jsonResponse(z.object({ accepted: z.literal(true), sessionId: z.string(), sequence: z.number().int(), duplicate: z.boolean(), late: z.boolean() }), 'Recorded') },
}, 'workflow');

const CreditGate = z.object({
  id: z.string(), ruleId: z.string(), personId: Id.nullable(), segment: z.string().nullable(), openedAt: z.string(), closedAt: z.string().nullable(),
  reason: FIGURES, releaseReason: FIGURES.nullable(), ctaId: z.string().nullable(),
}).openapi('CreditGate');
const gatesRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/credit-gates', operationId: 'listCreditGates', tags: ['Governance'],
  summary: 'Credit gates (R-60: an owner × segment whose governance KPIs breached two months running, until green); the R-32 credit gate reads the open ones',
  request: { query: z.object({ open: z.enum(['true', 'false']).optional() }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(CreditGate) }), 'The gates, oldest first') },
});

const coverageRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/trigger-coverage', operationId: 'getTriggerCoverage', tags: ['Governance'],
  summary: 'R-23: each client\'s six triggers, automated or in the Trigger Queue, and the monthly smoke test (each trigger fired at least once)',
  request: { query: Pagination.extend({ month: YearMonth.optional().openapi({ description: 'Smoke-test month; default the last complete month.' }), after: Id.optional() }) },
  responses: { 200: jsonResponse(z.object({ automatedClients: z.number().int(), clients: z.number().int(), pct: z.number().nullable(), target: z.number(), smokeTest: FIGURES, items: z.array(FIGURES), next: z.string().optional() }), 'Coverage and smoke test') },
});

const TimelineEvent = z.object({ id: z.string(), seq: z.number().int(), occurredAt: z.string(), process: z.string(), workflowId: z.string().nullable(), type: z.string(), ruleId: z.string().nullable(), why: FIGURES, actor: FIGURES, data: FIGURES });
const timelineRoute = securedRoute(READ, {
  method: 'get', path: '/v1/portfolio/timeline', operationId: 'getPortfolioTimeline', tags: ['Governance'],
  summary: 'The portfolio\'s own ledger events (no client): policy versions, capacity-gap alerts, governance sessions, credit gates',
  request: {
    query: z.object({
      type: csv(z.string().min(1).max(100).regex(/^[a-z_.]+$/, 'an event type such as credit.gated')),
      limit: intParam(1, 1000).optional().transform((v) => v ?? 200).openapi({ description: 'Page size, default 200, at most 1000.' }),
      after: intParam(0, 999_999_999).optional().openapi({ description: 'Cursor: an event sequence number.' }),
    }),
  },
  responses: { 200: jsonResponse(page(TimelineEvent), 'Events, oldest first') },
});

const Intake = z.object({
  month: YearMonth,
  incidents: z.number().int().min(0).max(1_000_000).openapi({ description: 'Incidents in the month (incident spike trigger).' }),
  oldestExceptionAgeDays: z.number().int().min(0).max(100_000).nullish().openapi({ description: 'Age of the oldest open exception (rising exception age trigger).' }),
  costToServeUsd: z.number().min(0).max(1e9).nullish().openapi({ description: 'What serving the client cost in the month; over the monthly CS budget (R-5) two months running fires the cost trigger.' }),
  stable: z.boolean().openapi({ description: 'Stability check passed.' }),
  risks: uniqueList(text(1, 300), 50, 'risks').optional().openapi({ description: 'Risks taken in.' }),
  notes: text(1, 4000).optional(),
}).strict();
const intakeRoute = securedRoute(ROLE_SETS.signal, {
  method: 'post', path: '/v1/clients/{clientId}/defense-loop/intakes', operationId: 'recordDefenseLoopIntake', tags: ['Portfolio'],
  summary: 'R-12 D Defense Loop: the month\'s risk intake and stability check; fires the loop\'s triggers (incident spike, rising exception age, two months over the cost-to-serve target) as stability-review CTAs to the TAM',
  request: { params: ClientParams, ...jsonBody(Intake) },
  responses: { 201: jsonResponse(z.object({ intake: FIGURES, triggers: z.array(z.object({ trigger: z.string(), ctaId: z.string(), why: FIGURES })), costTargetUsdPerMonth: z.number() }), 'Recorded') },
});
const defenseRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/defense-loop', operationId: 'getDefenseLoop', tags: ['Portfolio'],
  summary: 'R-12: the client\'s Defense Loop: intakes, trigger CTAs, the monthly assurance summary and quarterly brief deliverables, the cost-to-serve target',
  request: { params: ClientParams }, responses: { 200: jsonResponse(FIGURES, 'The loop') },
});

const pct1 = (n: number, d: number) => (d ? Math.round((n / d) * 1000) / 10 : null);

export function registerPortfolioRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(investmentRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { db } = c.get('deps');
    const client = await getClient(db, clientId);
    if (!client) throw notFound('Client', clientId);
    // R-4..R-6 are MSP-wide areas (never overridden per client), so the active policy is the client's.
    const { version, policy } = await policyForClient(db, client.policyOverrides);
    const i = clientInvestment({ mrr: client.mrr, segment: client.segment as SegmentKey }, policy);
    return c.json({ clientId, segment: client.segment as SegmentKey, mrrUsd: client.mrr, ...i, inputs: { ...i.inputs }, policyVersion: version }, 200);
  });

  app.openapi(capacityRoute, async (c) => {
    const { db } = c.get('deps');
    const now = (await currentTime(c.get('deps'))).toISOString();
    const policy = await activePolicy(db);
    const [cap, alert, spread, rebalance] = await Promise.all([
      capacityFigures(db, policy.document), capacityGapAlert(db), segmentMonthSpread(db, policy.document, now), rebalanceProposals(db, policy.document, now),
    ]);
    return c.json(({
      asOf: now, policyVersion: policy.version, bySegment: cap.bySegment, requiredHours: cap.requiredHours, availableHours: cap.availableHours, gapHours: cap.gapHours, gap: cap.gap,
      utilisationPct: cap.utilisationPct, team: cap.team, options: cap.options as never, alert: alert ? { ctaId: alert.id, state: alert.state, openedAt: alert.createdAt, completedAt: alert.completedAt } : null,
      monthSpread: spread, rebalance, ruleIds: cap.ruleIds,
    }) as never, 200);
  });

  app.openapi(kpiRoute, async (c) => {
    const { family } = c.req.valid('param');
    const q = c.req.valid('query');
    const { db } = c.get('deps');
    const now = (await currentTime(c.get('deps'))).toISOString();
    const report = await kpiReport(db, family, { ...(q.period ? { period: q.period } : {}), ...(q.periodKind ? { periodKind: q.periodKind } : {}) }, now, await activePolicy(db));
    const wantsCsv = q.format === 'csv' || (!q.format && /\btext\/csv\b/.test(c.req.header('accept') ?? ''));
    if (wantsCsv) {
      return c.body(kpiCsv(report), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="kpis-${report.family}-${report.period.label}.csv"` }) as never;
    }
    return c.json(report as never, 200);
  });

  app.openapi(routinesRoute, async (c) => {
    const { db } = c.get('deps');
    const now = (await currentTime(c.get('deps'))).toISOString();
    const policy = await activePolicy(db);
    const routines = [];
    for (const routine of ROUTINES) {
      const latest = (await listSessions(db, { routine: [routine], limit: 1 })).items[0];
      const { agenda: _a, ...rest } = latest ? sessionView(latest) : ({} as ReturnType<typeof sessionView>);
      routines.push({ routine, title: ROUTINE_SPECS[routine].title, ruleIds: ROUTINE_SPECS[routine].ruleIds, next: (nextSession(routine, now, policy.document) ?? null) as never, latest: latest ? rest : null });
    }
    return c.json({ asOf: now, policyVersion: policy.version, routines } as never, 200);
  });

  app.openapi(sessionsRoute, async (c) => {
    const q = c.req.valid('query');
    const pageOf = await listSessions(c.get('deps').db, { routine: q.routine, state: q.state, after: q.after, limit: q.limit });
    return c.json({ items: pageOf.items.map(sessionView), ...(pageOf.next ? { next: pageOf.next } : {}) } as never, 200);
  });

  app.openapi(sessionRoute, async (c) => {
    const { sessionId } = c.req.valid('param');
    const row = await getSession(c.get('deps').db, sessionId);
    if (!row) throw notFound('Governance session', sessionId);
    return c.json(sessionView(row) as never, 200);
  });

  app.openapi(heldRoute, async (c) => {
    const { sessionId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db } = c.get('deps');
    const session = await getSession(db, sessionId);
    if (!session) throw notFound('Governance session', sessionId);
    const found = await db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, b.attendeeIds));
    const missing = b.attendeeIds.map((id, i) => ({ id, i })).filter((x) => !found.some((p) => p.id === x.id));
    if (missing.length) throw unprocessable(`Unknown people: ${missing.map((m) => m.id).join(', ')}.`, { errors: missing.map((m) => ({ location: 'body', path: `attendeeIds.${m.i}`, message: 'unknown person' })) });
    const env = await reportEnvelope(c, `governance-held/${sessionId}`);
    const attendees = b.attendeeIds.map((id) => ({ personId: id, name: found.find((p) => p.id === id)!.name }));
    const request: GovernanceActionRequest = {
      action: { type: 'sessionHeld', sessionId, heldAt: b.heldAt ? utcInstant(b.heldAt) : session.scheduledFor, attendees, ...(b.notes ? { notes: b.notes } : {}) },
      idempotencyKey: env.idempotencyKey, bodyHash: env.bodyHash, actor: env.actor, at: env.at,
    };
    const routine = session.routine as Routine;
    const result = await sendProcessAction(c, {
      process: 'governance', label: `${ROUTINE_SPECS[routine].title} routine`, clientId: null, workflowId: governanceWorkflowId(routine), refusalTypes: GOVERNANCE_REFUSAL_TYPES,
      startHint: 'the worker starts the governance routines', whenMissing: () => new ProblemError(404, 'not-found', 'Routine not running', `The ${ROUTINE_SPECS[routine].title} routine is not running; the worker starts it at start-up.`),
    }, governanceAction, request);
    return c.json({ accepted: true as const, sessionId, sequence: result.sequence, duplicate: result.duplicate, late: result.late }, 200);
  });

  app.openapi(gatesRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listCreditGates(c.get('deps').db, q.open === undefined ? {} : { open: q.open === 'true' });
    return c.json({ items: q.open === 'false' ? rows.filter((r) => r.closedAt !== null) : rows } as never, 200);
  });

  app.openapi(coverageRoute, async (c) => {
    const q = c.req.valid('query');
    const { db } = c.get('deps');
    const now = (await currentTime(c.get('deps'))).toISOString();
    const policy = await activePolicy(db);
    const zone = policy.document.governance.timeZone;
    const month = q.month ? periodAt(`${q.month}-15T12:00:00Z`, 'month', zone) : previousPeriod(periodAt(now, 'month', zone), zone);
    const all = await triggerCoverageOf(db);
    const automated = all.filter((x) => !x.queued.length).length;
    const start = q.after ? all.findIndex((x) => x.clientId === q.after) + 1 : 0;
    const items = all.slice(start, start + q.limit);
    return c.json({
      automatedClients: automated, clients: all.length, pct: pct1(automated, all.length), target: policy.document.triggers.coverageTargetPct,
      smokeTest: await smokeTest(db, policy.document, month), items, ...(start + q.limit < all.length ? { next: items.at(-1)!.clientId } : {}),
    } as never, 200);
  });

  app.openapi(timelineRoute, async (c) => {
    const q = c.req.valid('query');
    const where: SQL[] = [isNull(events.clientId)];
    if (q.type?.length) where.push(inArray(events.type, q.type));
    if (q.after !== undefined) where.push(gt(events.seq, q.after));
    const rows = await c.get('deps').db.select().from(events).where(and(...where)).orderBy(asc(events.seq)).limit(q.limit + 1);
    const items = rows.slice(0, q.limit).map(({ clientId: _c, recordedAt: _r, ...e }) => e);
    return c.json({ items, ...(rows.length > q.limit ? { next: String(items.at(-1)!.seq) } : {}) } as never, 200);
  });

  app.openapi(intakeRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const b = c.req.valid('json');
    const { db, temporal, logger } = c.get('deps');
    const r = await recordDefenseIntake(db, clientId, b, await writeContext(c));
    if (!r.ok) throw r.status === 404 ? notFound('Client', clientId) : new ProblemError(409, 'conflict', 'Refused in the current state', r.message, { ruleId: 'R-12' });
    for (const cta of r.opened) {
      if (temporal) await dispatchWorkflowStart(temporal, db, 'cta-clock', cta.id).catch((err) => logger.warn({ err, ctaId: cta.id }, 'CTA clock not started; the outbox dispatcher will'));
    }
    return c.json({ intake: r.intake, triggers: r.triggers, costTargetUsdPerMonth: r.costTargetUsdPerMonth } as never, 201);
  });

  app.openapi(defenseRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const view = await defenseLoopView(c.get('deps').db, clientId);
    if (!view) throw notFound('Client', clientId);
    return c.json(view as never, 200);
  });
}
