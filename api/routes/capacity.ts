import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { capacityReport } from '../../db/capacity.js';
import { activePolicy } from '../../db/policies.js';
import { portfolioRadar } from '../../db/radar.js';
import { currentTime, type ApiEnv } from '../context.js';
import { jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, intParam, Pagination } from '../schemas.js';

const Pct = z.number().nullable().openapi({ description: 'Percent, one decimal; null when there is nothing to divide by.' });
const SpanLoad = z.object({
  meetings: z.number().int(),
  strategic: z.number().int(),
  hours: z.number().openapi({ description: 'Meeting + prep hours (R-37).' }),
  availableHours: z.number().openapi({ description: 'Weekly capacity hours × days ÷ 7.' }),
  loadPct: Pct,
}).openapi('SpanLoad');
const WeekLoad = z.object({
  week: z.string().openapi({ example: '2027-W11', description: 'ISO week in capacity.weekTimeZone.' }),
  startsOn: z.string().openapi({ example: '2027-03-15', description: 'The week\'s Monday.' }),
  meetings: z.number().int(),
  strategicMeetings: z.number().int(),
  hours: z.number(),
  availableHours: z.number(),
  loadPct: Pct,
  overRebalance: z.boolean().openapi({ description: 'loadPct > capacity.rebalanceAbovePct (R-37).' }),
  overAutoBookCap: z.boolean().openapi({ description: 'loadPct > capacity.autoBookCapPct: auto-booking refuses more (R-37).' }),
}).openapi('WeekLoad');
const PersonLoad = z.object({
  personId: Id, name: z.string(), roles: z.array(z.string()), weeklyCapacityHours: z.number(),
  next30: SpanLoad, next90: SpanLoad, weeks: z.array(WeekLoad),
}).openapi('PersonLoad');
const RoleLoad = z.object({
  role: z.string(),
  people: z.number().int().openapi({ description: 'Active people holding the role.' }),
  weeklyCapacityHours: z.number().openapi({ description: 'Σ weeklyCapacityHours of those people.' }),
  next30: SpanLoad, next90: SpanLoad, weeks: z.array(WeekLoad),
}).openapi('RoleLoad');
const FlaggedWeek = z.object({
  personId: Id.nullable(), role: z.string().nullable(), week: z.string(), startsOn: z.string(), loadPct: z.number(),
  nextWeek: z.boolean().openapi({ description: 'The week after the current one: the R-37 rebalance alert.' }),
}).openapi('FlaggedWeek');
const CapacityReport = z.object({
  asOf: z.string(),
  policyVersion: z.number().int(),
  weekTimeZone: z.string(),
  thresholds: z.object({ autoBookCapPct: z.number(), loadTargetPct: z.number(), rebalanceAbovePct: z.number() }),
  currentWeek: z.string(),
  nextWeek: z.string(),
  people: z.array(PersonLoad).openapi({ description: 'A page of people (by name, then id); `next` continues.' }),
  next: z.string().optional().openapi({ description: 'Pass as `after` for the next page of people; absent on the last page.' }),
  roles: z.array(RoleLoad),
  flaggedWeeks: z.array(FlaggedWeek).openapi({ description: 'Flagged weeks of the roles and of the people on this page.' }),
}).openapi('CapacityReport');

const Share = z.object({ value: Pct, numerator: z.number().int(), denominator: z.number().int() }).openapi('KpiShare');
const Figure = z.object({
  value: Pct,
  numerator: z.number().int(),
  denominator: z.number().int(),
  target: z.number().openapi({ description: 'Percent, from policy kpis.cadence.*.' }),
  meets: z.boolean().nullable().openapi({ description: 'value ≥ target; null when the denominator is 0.' }),
}).openapi('KpiFigure');
const PastDueMeeting = z.object({
  meetingId: Id, clientId: Id, clientName: z.string(), kind: z.string(), startsAt: z.string(), state: z.enum(['scheduled', 'missed']),
  owner: z.object({ personId: Id.nullable(), name: z.string().nullable(), role: z.string().nullable() }),
  nextDate: z.string().nullable().openapi({ description: 'The client\'s next scheduled strategic meeting after now.' }),
}).openapi('PastDueMeeting');
const PortfolioRadar = z.object({
  asOf: z.string(),
  lookbackDays: z.number().int(),
  policyVersion: z.number().int(),
  windows: z.object({ lookbackFrom: z.string(), coverageTo: z.string(), sponsorFrom: z.string(), pastDueEndedBefore: z.string() }),
  pastDue: z.object({ total: z.number().int(), items: z.array(PastDueMeeting) }),
  coverageNext30Days: Figure,
  recapWithin48h: Figure,
  firstActionWithin72h: Figure,
  meetingsWithDecision: Figure,
  sponsorSeenBySegment: z.object({ A: Figure, B: Figure, C: Figure, D: Figure }),
  loadByRole: z.array(SpanLoad.extend({ role: z.string(), people: z.number().int(), overAutoBookCap: z.boolean(), overRebalance: z.boolean() })),
  atRisk: z.object({
    open: z.object({
      total: z.number().int(), overdue: z.number().int(),
      bySeverity: z.object({ High: z.number().int(), Medium: z.number().int(), Low: z.number().int() }),
      byBucket: z.object({ Service: z.number().int(), Delivery: z.number().int(), Strategic: z.number().int(), Financial: z.number().int() }),
    }),
    acknowledgedInTimeHigh: Share.extend({ targetBusinessHours: z.number() }),
    savePlanInTime: Share.extend({ targetBusinessDays: z.number() }),
    firstActionInTime: Share,
    actionsOnTime: Figure,
    resolvedInTime: Share.extend({ targetDays: z.number(), medianDays: z.number().nullable() }),
    repeatRisk: Figure.openapi({ description: 'meets = below kpis.atRisk.repeatRiskMaxPct.' }),
  }).openapi({ description: 'R-103 At Risk KPIs over risks opened (closed) in the lookback, and what is open now.' }),
  capacityGap: z.object({
    requiredHours: z.number(), availableHours: z.number(), gapHours: z.number(), utilisationPct: z.number().nullable(), gap: z.boolean(),
    alert: z.object({ ctaId: Id, state: z.string() }).nullable(),
  }).openapi({ description: 'R-6: required vs available CS hours and the open capacity-gap alert (GET /v1/portfolio/capacity has the detail).' }),
}).openapi('PortfolioRadar');

const capacityRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/capacity', operationId: 'getCapacity', tags: ['Capacity'],
  summary: 'Load per person and per role: next 30/90 days and each ISO week of the next 90 days, with weeks over the rebalance line (R-37)',
  request: { query: Pagination.extend({ after: Id.optional().openapi({ description: 'Cursor from the previous page\'s `next` (a person id).' }) }) },
  responses: { 200: jsonResponse(CapacityReport, 'The capacity report') },
});
const radarRoute = securedRoute(ROLE_SETS.timeline, {
  method: 'get', path: '/v1/portfolio/radar', operationId: 'getPortfolioRadar', tags: ['Capacity'],
  summary: 'The weekly Cadence Radar: past-due strategic meetings, cadence KPIs against their targets, 30-day load by role (R-38, R-39), At Risk KPIs (R-103)',
  request: {
    query: z.object({
      lookbackDays: intParam(1, 365).optional().transform((v) => v ?? 30).openapi({ description: 'Window of the held-meeting and CTA KPIs, days back from now.' }),
    }),
  },
  responses: { 200: jsonResponse(PortfolioRadar, 'The radar') },
});

export function registerCapacityRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(capacityRoute, async (c) => {
    const { db } = c.get('deps');
    const q = c.req.valid('query');
    const now = await currentTime(c.get('deps'));
    const report = await capacityReport(db, now, await activePolicy(db));
    const start = q.after ? report.people.findIndex((p) => p.personId === q.after) + 1 : 0;
    const people = report.people.slice(start, start + q.limit);
    const onPage = new Set(people.map((p) => p.personId));
    const more = start + q.limit < report.people.length;
    return c.json({
      ...report, people, flaggedWeeks: report.flaggedWeeks.filter((f) => f.personId === null || onPage.has(f.personId)),
      ...(more ? { next: people.at(-1)!.personId } : {}),
    }, 200);
  });

  app.openapi(radarRoute, async (c) => {
    const { lookbackDays } = c.req.valid('query');
    const { db } = c.get('deps');
    const now = await currentTime(c.get('deps'));
    return c.json(await portfolioRadar(db, now, await activePolicy(db), { lookbackDays }), 200);
  });
}
