import { randomUUID } from 'node:crypto';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { and, eq } from 'drizzle-orm';
import { getClient } from '../../db/clients.js';
import { meetings } from '../../db/schema.js';
import { activePolicy } from '../../db/policies.js';
import type { CadenceAction } from '../../domain/cadence.js';
import { ensureCadence, startedByRequest } from '../../runtime/processes.js';
import { idempotencyKeyOf, requestScopedId } from '../idempotency.js';
import { onboardingStatus, onboardingWorkflowId } from '../../workflows/contracts.js';
import { CADENCE_REFUSAL_TYPES, cadenceAction, cadenceStatus, cadenceWorkflowId, type CadenceActionRequest } from '../../workflows/contracts.js';
import { actorOf } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { queryProcess, reportEnvelope, requireTemporal, sendProcessAction, type ProcessTarget } from '../process-actions.js';
import { conflict, notFound, ProblemError } from '../problem.js';
import { asClientStakeholder, listStakeholders } from '../../db/stakeholders.js';
import { creditGateOf } from '../../db/health.js';
import { attendanceOf, pairedMspRoles, preflight, resolveDecisionOwner } from '../../domain/stakeholders.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, IsoDate, IsoInstant, MspRole, text, uniqueList } from '../schemas.js';
import { afterMeetingHeld, DecisionPlanning, planDecisions, recapVersions, thirdAskToBacklog, type PlannedDecision } from '../planning.js';

/**
 * The engagement cadence (R-9..R-35) over HTTP: ops start it for an existing client (onboarding
 * starts it at cadence lock, R-55), automations report each meeting's cycle and outcome and the
 * trigger facts (assessment completed, initiative approved, adoption figures, stakeholder change),
 * everyone with read access sees the booked horizon, triggers and misses.
 */

const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });
const MeetingParams = ClientParams.extend({ meetingId: Id.openapi({ param: { name: 'meetingId', in: 'path' } }) });
const Title = text(3, 300);
const norm = (s: string) => new Date(s).toISOString();

const Started = z.object({ clientId: Id, workflowId: z.string(), runId: z.string(), lockedAt: z.string(), policyVersion: z.number().int() }).openapi('CadenceStarted');
const Status = z.object({
  clientId: Id, phase: z.enum(['starting', 'running']), segment: z.string().optional(), touchTier: z.string().optional(), timeZone: z.string().optional(),
  policyVersion: z.number().int().optional(), lockedAt: z.string().optional(), bookedThrough: z.string().optional().openapi({ description: 'Last month of the booked rolling horizon (R-10).' }),
  consecutiveMisses: z.number().int().optional(), autoRebookSuspended: z.boolean().optional().openapi({ description: 'R-35: no automatic rebooking until the cadence review is recorded.' }),
  next: z.record(z.string(), z.unknown()).nullable().optional(),
  meetings: z.array(z.record(z.string(), z.unknown())).optional(),
  triggers: z.array(z.record(z.string(), z.unknown())).optional(),
  pendingDecisions: z.array(z.record(z.string(), z.unknown())).optional(),
}).openapi('CadenceStatus');
const ActionResult = z.object({
  accepted: z.literal(true), action: z.string(), sequence: z.number().int(), duplicate: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: no second effect (C-6).' }),
  ctasOpened: z.array(z.string()), meetingsBooked: z.array(z.object({ meetingId: z.string(), template: z.string(), startsAt: z.string(), state: z.string() })),
  planning: z.record(z.string(), z.unknown()).optional().openapi({
    description: 'Issue 11: what the planning loop did — a held meeting\'s decisions and their initiatives (approved → delivery kickoff, R-16; credit gate failed → capture-budget CTA, R-32; R-28 flags); a recap\'s roadmap and budget versions (R-31).',
  }),
}).openapi('CadenceActionResult');

interface ActionSpec<S extends z.ZodType> {
  slug: string;
  operationId: string;
  summary: string;
  body: S;
  /** Meeting-level reports carry the meeting id from the path. */
  meeting: boolean;
  /** Kept working but superseded (documented as deprecated in the OpenAPI document). */
  deprecated?: boolean;
  toAction: (body: z.infer<S>, now: Date, meetingId: string) => CadenceAction;
}
const spec = <S extends z.ZodType>(s: ActionSpec<S>) => s;
const at = (v: string | undefined, now: Date) => (v ? norm(v) : now.toISOString());

const Decision = z.object({
  title: Title,
  ownerRole: MspRole.optional().openapi({ description: 'The MSP role Accountable for it; default for a client-owned decision: the role paired with that person (R-123).' }),
  ownerStakeholderId: Id.optional().openapi({ description: 'A client stakeholder who owns the decision (R-27 "owner CFO"), from /v1/clients/{id}/stakeholders.' }),
  targetDate: IsoDate.optional().openapi({ description: 'R-32: a decision counts for credit only with owner, date and budget in writing.' }),
  budgetUsd: z.number().min(0).max(1e12).optional(),
  ...DecisionPlanning,
  riskReduction: z.boolean().optional().openapi({ description: 'R-32: a risk-reduction item (e.g. MFA) stays allowed while credit is gated and is logged as stability work, not expansion credit.' }),
}).strict().refine((d) => d.ownerRole !== undefined || d.ownerStakeholderId !== undefined, { message: 'give ownerRole, ownerStakeholderId or both', path: ['ownerRole'] })
  .openapi({ anyOf: [{ required: ['ownerRole'] }, { required: ['ownerStakeholderId'] }] } as never);
const StakeholderIds = uniqueList(Id, 50, 'stakeholder ids');

const ACTIONS = [
  spec({
    slug: 'prep-pack', meeting: true, operationId: 'attachPrepPack', summary: 'Prep pack attached to a strategic meeting (R-24: T-5 business days 17:00)',
    body: z.object({}).strict(), toAction: (_b, _n, meetingId) => ({ type: 'prepPackAttached', meetingId }),
  }),
  spec({
    slug: 'prep-signoff', meeting: true, operationId: 'signOffPrepReview', summary: 'Prep review signed off (R-25: after the prep pack, before the pre-read)',
    body: z.object({}).strict(), toAction: (_b, _n, meetingId) => ({ type: 'prepSignedOff', meetingId }),
  }),
  spec({
    slug: 'pre-read', meeting: true, operationId: 'sendPreRead', summary: 'Pre-read sent with the pre-flight (R-26); no confirmed decision-maker rescopes the meeting to a short update and books a decision call',
    body: z.object({
      decisionMakerConfirmed: z.boolean().optional().openapi({ description: 'Whether a decision-maker confirmed; or give the replies by stakeholder below.' }),
      confirmedStakeholderIds: StakeholderIds.optional().openapi({ description: 'Client stakeholders who confirmed the invite.' }),
      declinedStakeholderIds: StakeholderIds.optional().openapi({ description: 'Client stakeholders who declined it (a declining decision-maker is who the decision call is booked with).' }),
    }).strict().refine((b) => b.decisionMakerConfirmed !== undefined || b.confirmedStakeholderIds !== undefined || b.declinedStakeholderIds !== undefined, { message: 'give decisionMakerConfirmed or the replies by stakeholder', path: ['decisionMakerConfirmed'] })
      .openapi({ minProperties: 1 }),
    toAction: (b, _n, meetingId) => ({ type: 'preReadSent', meetingId, decisionMakerConfirmed: b.decisionMakerConfirmed ?? false }),
  }),
  spec({
    slug: 'held', meeting: true, operationId: 'recordMeetingHeld', summary: 'Meeting held: attendees, sponsor present, at most two decisions (R-27, a third is a 422); recap due 48h (R-29), a CTA per decision (R-30), Decision Log (R-31, R-32)',
    body: z.object({
      heldAt: IsoInstant.optional().openapi({ description: 'Start; default the booked start.' }),
      endedAt: IsoInstant.optional().openapi({ description: 'End; default the booked end.' }),
      attendees: z.array(text(1, 200)).max(50).default([]).openapi({ description: 'Who attended, by name; at least one name or attendeeStakeholderIds.' }),
      attendeeStakeholderIds: StakeholderIds.optional().openapi({ description: 'Client stakeholders who attended: sets sponsor and decision-maker presence from the registry (R-104, R-106).' }),
      sponsorPresent: z.boolean().default(false).openapi({ description: 'A client executive sponsor attended (sponsor heartbeat, R-104, R-39); derived from attendeeStakeholderIds when given.' }),
      decisions: z.array(Decision).max(20).default([]),
      undecided: z.array(z.object({ title: Title, ownerRole: MspRole, checkpointDate: IsoDate }).strict()).max(20).default([])
        .openapi({ description: 'R-27: undecidable asks get a checkpoint date and owner; pending ≥30 days fires the engagement-drop trigger (R-17).' }),
    }).strict().refine((b) => b.attendees.length > 0 || (b.attendeeStakeholderIds?.length ?? 0) > 0, { message: 'name at least one attendee (attendees or attendeeStakeholderIds)', path: ['attendees'] })
      .openapi({ anyOf: [{ required: ['attendees'], properties: { attendees: { minItems: 1 } } }, { required: ['attendeeStakeholderIds'], properties: { attendeeStakeholderIds: { minItems: 1 } } }] } as never),
    toAction: (b, now, meetingId) => ({
      type: 'meetingHeld', meetingId, heldAt: b.heldAt ? norm(b.heldAt) : '', endedAt: b.endedAt ? norm(b.endedAt) : '', attendees: b.attendees, sponsorPresent: b.sponsorPresent,
      decisions: b.decisions.map((d) => ({ title: d.title, ownerRole: d.ownerRole ?? 'CSM', ...(d.targetDate ? { targetDate: d.targetDate } : {}), ...(d.budgetUsd !== undefined ? { budgetUsd: d.budgetUsd } : {}), ...(d.riskReduction ? { riskReduction: true } : {}) })),
      undecided: b.undecided,
    }),
  }),
  spec({
    slug: 'no-show', meeting: true, operationId: 'recordMeetingNoShow', summary: 'The client did not show up: a miss (§2.5), recovered per R-33..R-35',
    body: z.object({}).strict(), toAction: (_b, _n, meetingId) => ({ type: 'meetingNoShow', meetingId }),
  }),
  spec({
    slug: 'cancelled', meeting: true, operationId: 'recordMeetingCancelled', summary: 'Meeting cancelled; less than 24h before the start it counts as a miss (§2.5)',
    body: z.object({ noticeAt: IsoInstant.optional().openapi({ description: 'When the client cancelled; default now.' }), reason: text(0, 500).optional() }).strict(),
    toAction: (b, now, meetingId) => ({ type: 'meetingCancelled', meetingId, noticeAt: at(b.noticeAt, now), ...(b.reason ? { reason: b.reason } : {}) }),
  }),
  spec({
    slug: 'rescheduled', meeting: true, operationId: 'recordMeetingRescheduled', summary: 'Meeting moved; agreed ≥24h ahead to ≤ original + 7 days it is not a miss (§2.5)',
    body: z.object({ newStartsAt: IsoInstant, newEndsAt: IsoInstant.optional().openapi({ description: 'Default: the same length as booked.' }), agreedAt: IsoInstant.optional() }).strict(),
    toAction: (b, now, meetingId) => ({ type: 'meetingRescheduled', meetingId, agreedAt: at(b.agreedAt, now), newStartsAt: norm(b.newStartsAt), newEndsAt: b.newEndsAt ? norm(b.newEndsAt) : '' }),
  }),
  spec({
    slug: 'recap', meeting: true, operationId: 'recordRecapSentForMeeting', summary: 'Recap sent (R-29: within 48h of the end)',
    body: z.object({ sentAt: IsoInstant.optional() }).strict(), toAction: (b, now, meetingId) => ({ type: 'recapSent', meetingId, sentAt: at(b.sentAt, now) }),
  }),
  spec({
    slug: 'assessments', meeting: false, operationId: 'recordAssessmentForCadence', deprecated: true,
    summary: 'Deprecated (issue 11): complete the assessment itself with POST /v1/clients/{clientId}/assessments/{assessmentId}/complete, which fires this. Assessment completed: roadmap review on completion + 10 days (R-15), merged into a strategic meeting in range (R-21)',
    body: z.object({ assessmentId: text(1, 100), completedAt: IsoInstant.optional() }).strict(),
    toAction: (b, now) => ({ type: 'assessmentCompleted', assessmentId: b.assessmentId, completedAt: at(b.completedAt, now) }),
  }),
  spec({
    slug: 'initiative-approvals', meeting: false, operationId: 'recordInitiativeApproved', summary: 'Initiative approved: delivery kickoff within 10 business days, PM CTA (R-16); refused while the onboarding delivery gate is shut (R-48)',
    body: z.object({ initiativeId: text(1, 100), title: Title, approvedAt: IsoInstant.optional() }).strict(),
    toAction: (b, now) => ({ type: 'initiativeApproved', initiativeId: b.initiativeId, title: b.title, approvedAt: at(b.approvedAt, now) }),
  }),
  spec({
    slug: 'adoption', meeting: false, operationId: 'recordAdoption', summary: 'Adoption figures: MFA < 60 % or endpoint < 80 % fires the remediation trigger (R-18); back over the line clears it',
    body: z.object({ mfaPct: z.number().min(0).max(100).optional(), endpointPct: z.number().min(0).max(100).optional(), measuredAt: IsoInstant.optional() }).strict(),
    toAction: (b, now) => ({ type: 'adoptionMeasured', ...(b.mfaPct !== undefined ? { mfaPct: b.mfaPct } : {}), ...(b.endpointPct !== undefined ? { endpointPct: b.endpointPct } : {}), measuredAt: at(b.measuredAt, now) }),
  }),
  spec({
    slug: 'stakeholder-changes', meeting: false, operationId: 'recordStakeholderChange', summary: 'Sponsor or champion left: new-sponsor intro within 10 days, handoff note 24h (R-19)',
    body: z.object({ name: text(1, 200), stakeholderRole: text(1, 100), changedAt: IsoInstant.optional() }).strict(),
    toAction: (b, now) => ({ type: 'stakeholderChanged', name: b.name, stakeholderRole: b.stakeholderRole, changedAt: at(b.changedAt, now) }),
  }),
  spec({
    slug: 'decision-resolutions', meeting: false, operationId: 'resolveDecisionRequest', summary: 'A pending decision request was decided (stops its R-17 30-day clock)',
    body: z.object({ title: Title }).strict(), toAction: (b) => ({ type: 'decisionResolved', title: b.title }),
  }),
  spec({
    slug: 'cadence-review', meeting: false, operationId: 'recordCadenceReview', summary: 'Segmentation & cadence review done (R-35): resets the miss count and resumes automatic rebooking',
    body: z.object({ outcome: z.enum(['keep', 'downgrade', 'executiveReset']), note: text(3, 4000) }).strict(),
    toAction: (b) => ({ type: 'cadenceReviewed', outcome: b.outcome, note: b.note }),
  }),
] as const;

const startRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/{clientId}/cadence', operationId: 'startCadence', tags: ['Cadence'],
  summary: 'Lock the cadence now and start it (R-10): books 12 months from the cadence matrix and keeps them rolling; a second start is a 409',
  request: { params: ClientParams, ...jsonBody(z.object({}).strict()) },
  responses: { 201: jsonResponse(Started, 'Started') },
});
const statusRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/clients/{clientId}/cadence', operationId: 'getCadence', tags: ['Cadence'],
  summary: 'Booked horizon with each meeting\'s cycle (prep, pre-read, held, recap), triggers, misses and pending decisions',
  request: { params: ClientParams },
  responses: { 200: jsonResponse(Status, 'The cadence') },
});

const target = (clientId: string): ProcessTarget => ({
  process: 'cadence', label: 'cadence', clientId, workflowId: cadenceWorkflowId(clientId), refusalTypes: CADENCE_REFUSAL_TYPES,
  startHint: `start it with POST /v1/clients/${clientId}/cadence or lock it in onboarding`,
});

export function registerCadenceRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(startRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const deps = c.get('deps');
    const temporal = requireTemporal(c);
    const client = await getClient(deps.db, clientId);
    if (!client) throw notFound('Client', clientId);
    const policy = await activePolicy(deps.db);
    const lockedAt = (await currentTime(deps)).toISOString();
    const startedBy = idempotencyKeyOf(c) ? requestScopedId(c, 'workflow-start') : undefined;
    try {
      const handle = await ensureCadence(temporal, { clientId, lockedAt, policyVersion: policy.version }, client, 'fail', startedBy);
      c.header('Location', `/v1/clients/${clientId}/cadence`);
      return c.json({ clientId, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, lockedAt, policyVersion: policy.version }, 201);
    } catch (err) {
      // An earlier attempt of this request started it and died before answering: answer with that run.
      const mine = err instanceof WorkflowExecutionAlreadyStartedError ? await startedByRequest(temporal, cadenceWorkflowId(clientId), startedBy) : undefined;
      if (mine) {
        c.header('Location', `/v1/clients/${clientId}/cadence`);
        return c.json({ clientId, workflowId: mine.workflowId, runId: mine.runId, lockedAt: mine.startTime.toISOString(), policyVersion: policy.version }, 201);
      }
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`The cadence of client ${clientId} is already running.`, { workflowId: cadenceWorkflowId(clientId) });
      throw err;
    }
  });

  app.openapi(statusRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    return c.json((await queryProcess(c, target(clientId), cadenceStatus)) as z.infer<typeof Status>, 200);
  });

  for (const a of ACTIONS) {
    const route = securedRoute(ROLE_SETS.signal, {
      method: 'post', path: a.meeting ? `/v1/clients/{clientId}/cadence/meetings/{meetingId}/${a.slug}` : `/v1/clients/{clientId}/cadence/${a.slug}`,
      operationId: a.operationId, tags: ['Cadence'], summary: a.summary, ...('deprecated' in a && a.deprecated ? { deprecated: true } : {}),
      request: { params: a.meeting ? MeetingParams : ClientParams, ...jsonBody(a.body as z.ZodType) },
      responses: { 200: jsonResponse(ActionResult, 'Accepted, or a duplicate acknowledged (C-6)') },
    }, 'workflow');
    app.openapi(route, async (c) => {
      const params = c.req.valid('param') as { clientId: string; meetingId?: string };
      const body = c.req.valid('json' as never) as never;
      const { now, ...envelope } = await reportEnvelope(c, `${a.slug}\n${params.meetingId ?? ''}`);
      const action = (a.toAction as (b: unknown, now: Date, meetingId: string) => CadenceAction)(body, now, params.meetingId ?? '');
      if (action.type === 'initiativeApproved') await requireDeliveryGate(c, params.clientId);
      let resolved = await withStakeholders(c, params.clientId, action, body);
      // Issue 11: each decision's initiative, named or to be created, so the Decision Log carries its id.
      let planned: PlannedDecision[] = [];
      if (resolved.type === 'meetingHeld') {
        const given = ((body as { decisions?: { title: string; initiativeId?: string; lane?: string; quarter?: string; targetDate?: string }[] }).decisions ?? []);
        if (given.length <= 2) planned = await planDecisions(c, params.clientId, resolved.meetingId, given);
        const ids = new Map(planned.map((p) => [p.index, p.initiativeId]));
        resolved = { ...resolved, decisions: resolved.decisions.map((d, i) => (ids.has(i) ? { ...d, initiativeId: ids.get(i)! } : d)) };
      }
      if (resolved.type === 'meetingHeld' && resolved.decisions.length) {
        // the credit gate is read at decision time from the health process's read model; the cadence stores the verdict.
        const gate = await creditGateOf(c.get('deps').db, params.clientId);
        resolved = { ...resolved, creditGate: { closed: gate.closed, reasons: gate.reasons } };
      }
      const request: CadenceActionRequest = { action: await withMeetingDefaults(c, params.clientId, resolved), ...envelope };
      let result;
      try {
        result = await sendProcessAction(c, target(params.clientId), cadenceAction, request);
      } catch (err) {
        // a third ask goes to the client's backlog, flagged for the next cadence (its prep pack shows it), not only into the error.
        const backlog = err instanceof ProblemError && err.status === 422 && err.extra.ruleId === 'R-27' ? (err.extra.details as { backlog?: string[] } | undefined)?.backlog : undefined;
        if (backlog?.length && request.action.type === 'meetingHeld' && err instanceof ProblemError) {
          const items = await thirdAskToBacklog(c, params.clientId, request.action.meetingId, backlog, envelope.idempotencyKey);
          throw new ProblemError(err.status, err.kind, err.title, `${err.detail} They are on the client's backlog, flagged for the next cadence (R-27).`, { ...err.extra, backlogItems: items });
        }
        throw err;
      }
      if (request.action.type === 'meetingHeld' && planned.length) {
        return c.json({ ...result, planning: { decisions: await afterMeetingHeld(c, params.clientId, request.action.meetingId, request.action, planned, envelope.idempotencyKey) } }, 200);
      }
      if (request.action.type === 'recapSent') {
        return c.json({ ...result, planning: await recapVersions(c, params.clientId, request.action.meetingId) }, 200);
      }
      return c.json(result, 200);
    });
  }
}

/**
 * Reports that name the client's people by stakeholder id are resolved against the registry here, at
 * the edge, so the workflow receives facts: attendance (sponsor and decision-maker present, R-104,
 * R-106), decision owners at the client (R-27, paired MSP role by R-123) and the R-26 pre-flight.
 * An id that is not this client's stakeholder is a 422 naming the field.
 */
async function withStakeholders(c: Context<ApiEnv>, clientId: string, action: CadenceAction, body: Record<string, unknown>): Promise<CadenceAction> {
  type Ids = string[] | undefined;
  const decisions = (body.decisions ?? []) as { ownerRole?: string; ownerStakeholderId?: string }[];
  const attendeeIds = body.attendeeStakeholderIds as Ids;
  const confirmed = body.confirmedStakeholderIds as Ids;
  const declined = body.declinedStakeholderIds as Ids;
  const needed = action.type === 'meetingHeld' ? attendeeIds !== undefined || decisions.some((d) => d.ownerStakeholderId) : action.type === 'preReadSent' && (confirmed !== undefined || declined !== undefined);
  if (!needed) return action;
  const db = c.get('deps').db;
  const people = (await listStakeholders(db, clientId)).map(asClientStakeholder);
  const unknown = (field: string, ids: string[]) => new ProblemError(422, 'cadence-unprocessable', 'Cannot be applied', `Unknown stakeholder ids in ${field}: not people of client ${clientId} (/v1/clients/${clientId}/stakeholders).`, {
    errors: ids.map((id) => ({ location: 'body' as const, path: field, message: `${id} is not a stakeholder of client ${clientId}` })),
  });
  if (action.type === 'preReadSent') {
    const missing = [...(confirmed ?? []), ...(declined ?? [])].filter((id) => !people.some((p) => p.id === id));
    if (missing.length) throw unknown(confirmed?.some((id) => missing.includes(id)) ? 'confirmedStakeholderIds' : 'declinedStakeholderIds', missing);
    const pf = preflight(people, { confirmed: confirmed ?? [], declined: declined ?? [] });
    return { ...action, decisionMakerConfirmed: pf.decisionMakerConfirmed, ...(pf.decisionCallWith ? { decisionCallWith: { stakeholderId: pf.decisionCallWith.stakeholderId, name: pf.decisionCallWith.name } } : {}) };
  }
  if (action.type !== 'meetingHeld') return action;
  let out = { ...action };
  if (attendeeIds) {
    const att = attendanceOf(people, attendeeIds);
    if (att.unknown.length) throw unknown('attendeeStakeholderIds', att.unknown);
    const names = att.stakeholderIds.map((id) => people.find((p) => p.id === id)!.name).filter((n) => !out.attendees.includes(n));
    out = { ...out, attendees: [...out.attendees, ...names], attendeeStakeholderIds: att.stakeholderIds, sponsorPresent: out.sponsorPresent || att.sponsorPresent, decisionMakerPresent: att.decisionMakerPresent };
  }
  const policy = (await activePolicy(db)).document;
  out.decisions = out.decisions.map((d, i) => {
    const given = decisions[i];
    if (!given?.ownerStakeholderId) return d;
    const r = resolveDecisionOwner({ kind: 'stakeholder', stakeholderId: given.ownerStakeholderId }, people);
    if (!r.ok) throw new ProblemError(422, 'cadence-unprocessable', 'Cannot be applied', r.message, { ruleId: r.ruleId, errors: [{ location: 'body', path: `decisions.${i}.ownerStakeholderId`, message: r.message }] });
    const person = people.find((p) => p.id === given.ownerStakeholderId)!;
    const paired = pairedMspRoles(person, policy)[0];
    return { ...d, ownerRole: (given.ownerRole as typeof d.ownerRole | undefined) ?? paired ?? 'CSM', ownerStakeholder: { id: person.id, name: person.name } };
  });
  return out;
}

/** Held/rescheduled reports may leave times out: the booked times (and length) fill them in. */
async function withMeetingDefaults(c: Context<ApiEnv>, clientId: string, action: CadenceAction): Promise<CadenceAction> {
  if (action.type !== 'meetingHeld' && action.type !== 'meetingRescheduled') return action;
  const needs = action.type === 'meetingHeld' ? !action.heldAt || !action.endedAt : !action.newEndsAt;
  if (!needs) return action;
  // The cadence's own view first (its times are what the workflow judges against); when it does not list
  // the meeting (or cannot answer), the ledger's booking: a rescheduled report never reaches the workflow
  // without an end.
  const status = await requireTemporal(c).client.workflow.getHandle(cadenceWorkflowId(clientId)).query(cadenceStatus).catch(() => undefined);
  const listed = status && 'meetings' in status ? status.meetings.find((x) => x.meetingId === action.meetingId) : undefined;
  const [booked] = listed ? [] : await c.get('deps').db.select({ startsAt: meetings.startsAt, endsAt: meetings.endsAt }).from(meetings)
    .where(and(eq(meetings.id, action.meetingId), eq(meetings.clientId, clientId)));
  const m = listed ?? booked;
  if (!m) {
    if (action.type === 'meetingRescheduled') throw notFound('Meeting', action.meetingId);
    return { ...action, heldAt: action.heldAt || action.endedAt, endedAt: action.endedAt || action.heldAt }; // the workflow answers 404
  }
  if (action.type === 'meetingHeld') return { ...action, heldAt: action.heldAt || m.startsAt, endedAt: action.endedAt || m.endsAt };
  return { ...action, newEndsAt: new Date(Date.parse(action.newStartsAt) + Date.parse(m.endsAt) - Date.parse(m.startsAt)).toISOString() };
}

/** delivery kickoffs wait for the onboarding gate while the onboarding runs with the gate shut. */
async function requireDeliveryGate(c: Context<ApiEnv>, clientId: string) {
  const handle = requireTemporal(c).client.workflow.getHandle(onboardingWorkflowId(clientId));
  const status = await handle.query(onboardingStatus).catch(() => undefined);
  if (!status || !('gates' in status) || status.phase !== 'running') return;
  const gate = status.gates?.find((g) => g.gate === 'delivery');
  if (gate && !gate.open) {
    throw new ProblemError(409, 'cadence-refused', 'Refused in the current state', 'The onboarding delivery gate is shut (R-48): no delivery kickoff until access ≥95 %, documentation baselined, MFA and backup monitoring verified (R-16).', { ruleId: 'R-48', details: { conditions: gate.conditions } });
  }
}

/**
 * Tells a running cadence that the client changed (renewal date, FY-end → re-plan date triggers,
 * segment or touch tier → R-9). Best effort: without a cadence there is nothing to tell.
 */
export async function notifyCadenceOfClientChange(c: Context<ApiEnv>, before: { segment: string; touchTier: string; renewalDate: string | null; fiscalYearEnd: string }, after: typeof before & { id: string }) {
  const { temporal, logger } = c.get('deps');
  if (!temporal) return;
  const now = (await currentTime(c.get('deps'))).toISOString();
  const actions: CadenceAction[] = [];
  if (before.renewalDate !== after.renewalDate || before.fiscalYearEnd !== after.fiscalYearEnd) actions.push({ type: 'clientDatesChanged', renewalDate: after.renewalDate, fiscalYearEnd: after.fiscalYearEnd });
  if (before.segment !== after.segment || before.touchTier !== after.touchTier) actions.push({ type: 'segmentChanged', segment: after.segment as 'A', touchTier: after.touchTier as 'VIP', changedAt: now });
  for (const action of actions) {
    try {
      await temporal.client.workflow.getHandle(cadenceWorkflowId(after.id)).executeUpdate(cadenceAction, {
        args: [{ action, idempotencyKey: `client-change/${randomUUID()}`, bodyHash: action.type, actor: actorOf(c), at: now }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) logger.warn({ err, clientId: after.id, action: action.type }, 'cadence not told of the client change');
    }
  }
}
