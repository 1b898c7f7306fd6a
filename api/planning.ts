import { createHash, randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getClient, type ClientRow } from '../db/clients.js';
import { addBacklog, getInitiative, insertBudgetVersion, insertInitiative, insertRoadmapVersion, intakeDone, latestBudget, latestRoadmap, planningRefs, type NewInitiative, type PlanningCtx } from '../db/planning.js';
import { policyForClient } from '../db/policies.js';
import { asClientStakeholder, listStakeholders } from '../db/stakeholders.js';
import { localDateOf, makeCalendar } from '../domain/business-time.js';
import type { CadenceAction } from '../domain/cadence.js';
import { askGaps, cardProblems, LANES, SOURCE_KINDS, type InitiativeAction } from '../domain/initiatives.js';
import type { Policy, Role } from '../domain/policy.js';
import { quarterBasis, quarterOf } from '../domain/quarters.js';
import { dispatchWorkflowStart, notifyCtaClocks, reportToCadence, reportToProcess } from '../runtime/processes.js';
import { INITIATIVE_REFUSAL_TYPES, initiativeAction, initiativeWorkflowId, type InitiativeActionResult } from '../workflows/contracts.js';
import { actorOf } from './actor.js';
import { currentTime, type ApiEnv } from './context.js';
import { idempotencyKeyOf, requestScopedId } from './idempotency.js';
import { notFound, ProblemError, validationProblem } from './problem.js';
import { Id, IsoDate, MspRole, text, uniqueList } from './schemas.js';
import { tellOnboarding } from '../activities/planning.js';
import { appendEvent } from '../db/ledger.js';
import type { WorkflowStartKind } from '../db/outbox.js';
import { and, eq, sql } from 'drizzle-orm';
import { openCta } from '../db/ctas.js';
import { events, roadmapVersions } from '../db/schema.js';
import { pairedMspRoles } from '../domain/stakeholders.js';

/**
 * What the planning routes share (issue 11): schemas of the Initiative Card and owners, the
 * client and its policy, the write context, what to tell after a commit (workflow starts and the
 * planning loop through the outbox, onboarding steps 3–6), and the wiring into the cadence's
 * meeting reports (decisions → initiatives, R-27 backlog, R-28 flags, R-31 versions at recap).
 */

export const Quarter = z.string().max(7).regex(/^\d{4}-Q[1-4]$/, 'a quarter is YYYY-Qn (C-7)').openapi({ example: '2027-Q2', description: 'A quarter, YYYY-Qn (calendar quarters unless the policy counts fiscal ones, C-7).' });
export const Lane = z.enum(LANES).openapi({ description: 'Roadmap lane (A-4): Stability, Efficiency, Growth; Innovation for Goal-5 clients.' });
export const Usd = z.number().min(0).max(1e12);
export const ReasonText = text(1, 40).openapi({ description: 'A reason from the policy\'s list (R-80; default price, timing, relevance, dependency, other).' });
export const OwnerBody = z.object({
  role: MspRole.optional().openapi({ description: 'The MSP role Accountable; default for a client stakeholder: the role paired with them (R-123).' }),
  stakeholderId: Id.optional().openapi({ description: 'A client stakeholder who owns it (R-27 "owner CFO").' }),
}).strict().refine((o) => o.role !== undefined || o.stakeholderId !== undefined, { message: 'give role, stakeholderId or both', path: ['role'] })
  // The cross-field rule, stated in the OpenAPI document too (a generated client or fuzzer sees it).
  .openapi({ anyOf: [{ required: ['role'] }, { required: ['stakeholderId'] }] } as never);
export const ClientParams = z.object({ clientId: Id.openapi({ param: { name: 'clientId', in: 'path' } }) });

/** The Initiative Card (glossary): R-71 needs source + date, lane and quarter — missing ones are a 422 naming each gap. */
export const CardBody = z.object({
  title: text(3, 200),
  whatWhyNow: text(1, 2000).optional(),
  source: z.object({ kind: z.enum(SOURCE_KINDS).optional(), ref: text(1, 200).optional(), date: IsoDate.optional() }).strict().optional()
    .openapi({ description: 'Where it came from and when (R-71): Discovery, Assessment, Health, signal, decision, onboarding or by hand.' }),
  goalLink: text(1, 200).optional(),
  quarter: Quarter.optional().openapi({ description: 'Its quarter (R-71).' }),
  lane: Lane.optional().openapi({ description: 'Its lane (R-71, A-4).' }),
  expectedOutcome: text(1, 2000).optional(),
  dependencies: uniqueList(text(1, 200), 20, 'dependencies').optional(),
  costBand: z.object({ minUsd: Usd, maxUsd: Usd }).strict().optional().openapi({ description: 'Cost band; at or above initiatives.bigRockMinCostUsd it is a big rock (R-86).' }),
  spendType: z.enum(['OpEx', 'CapEx']).optional(),
  owners: z.array(OwnerBody).max(10).optional(),
  tier: z.union([z.literal(1), z.literal(2)]).optional().openapi({ description: 'Tier 2 needs adoption over the line (R-121).' }),
  remediation: z.boolean().optional().openapi({ description: 'Remediation work: allowed through the fix-first gate (R-121).' }),
}).strict();
export type Card = z.infer<typeof CardBody>;

export async function mustGetClient(c: Context<ApiEnv>, clientId: string): Promise<ClientRow> {
  const row = await getClient(c.get('deps').db, clientId);
  if (!row) throw notFound('Client', clientId);
  return row;
}

export async function clientPolicy(c: Context<ApiEnv>, client: ClientRow) {
  return (await policyForClient(c.get('deps').db, client.policyOverrides)).policy;
}

export function calendarOfClient(client: ClientRow, policy: Policy) {
  return makeCalendar({ timeZone: client.timeZone, holidays: [...policy.calendar.holidays, ...client.holidays], workdays: policy.calendar.workdays, dayStart: policy.calendar.dayStart, dayEnd: policy.calendar.dayEnd });
}

/** The quarter of today (C-7) for a client. */
export function currentQuarter(client: ClientRow, policy: Policy, at: string) {
  return quarterOf(localDateOf(at, calendarOfClient(client, policy)), quarterBasis(policy.calendar.quarters, client.fiscalYearEnd));
}

/** Who and when, and the id of the change's first ledger event (from the Idempotency-Key, so a retry after a crash lands once). */
export async function planningCtx(c: Context<ApiEnv>, kind: string): Promise<PlanningCtx> {
  const at = (await currentTime(c.get('deps'))).toISOString();
  return { actor: actorOf(c), at, ...(idempotencyKeyOf(c) ? { eventId: `request/${requestScopedId(c, kind)}` } : {}) };
}

/** After the commit: start or tell what the outbox holds for these subjects now (the worker's dispatcher catches up should this fail). */
export async function dispatchAfterCommit(c: Context<ApiEnv>, subjects: { kind: WorkflowStartKind; id: string }[]) {
  const { temporal, db, logger } = c.get('deps');
  if (!temporal) return;
  for (const s of subjects) {
    await dispatchWorkflowStart(temporal, db, s.kind, s.id).catch((err) => logger.warn({ err, kind: s.kind, subjectId: s.id }, 'planning: workflow not started or told; the outbox dispatcher will'));
  }
}

/** Tells the clocks of CTAs the request closed (their SLA stops at once; they re-check at their deadline anyway). */
export async function notifyCtas(c: Context<ApiEnv>, ctaIds: string[]) {
  const { temporal, db } = c.get('deps');
  if (!temporal) return;
  await notifyCtaClocks(temporal, db, ctaIds).catch(() => undefined);
}

/** A stakeholder owner resolved against the registry: 422 naming the field when unknown; the MSP role defaults to the paired one (R-123). */
export async function resolveOwner(c: Context<ApiEnv>, clientId: string, o: z.infer<typeof OwnerBody>, path: string, policy: Policy): Promise<{ role: Role; stakeholderId?: string; name?: string }> {
  if (!o.stakeholderId) return { role: o.role! };
  const people = (await listStakeholders(c.get('deps').db, clientId)).map(asClientStakeholder);
  const person = people.find((p) => p.id === o.stakeholderId && p.active);
  if (!person) throw new ProblemError(422, 'unprocessable', 'Request cannot be applied', `${o.stakeholderId} is not an active stakeholder of client ${clientId}.`, { errors: [{ location: 'body', path, message: 'unknown or inactive stakeholder' }] });
  return { role: (o.role ?? pairedMspRoles(person, policy)[0] ?? 'CSM') as Role, stakeholderId: person.id, name: person.name };
}

/** R-71: a card with every gap named (422), or the new initiative's row input. */
export async function newInitiativeFrom(c: Context<ApiEnv>, client: ClientRow, policy: Policy, card: Card, defaults: { id: string; sourceKind?: string; sourceRef?: string; sourceDate?: string; state?: 'Identified' | 'Qualified' }, path = ''): Promise<NewInitiative> {
  const source = { kind: card.source?.kind ?? defaults.sourceKind, ref: card.source?.ref ?? defaults.sourceRef, date: card.source?.date ?? defaults.sourceDate };
  const problems = cardProblems({ title: card.title, ...(card.lane ? { lane: card.lane } : {}), ...(card.quarter ? { quarter: card.quarter } : {}), source: source as never }, policy, client.goalLevel);
  if (problems.length) {
    throw new ProblemError(422, 'unprocessable', 'Orphan initiative refused', `An initiative needs source + date, lane and quarter (R-71): ${problems.map((p) => p.message).join('; ')}.`, {
      ruleId: 'R-71', errors: problems.map((p) => ({ location: 'body', path: path ? `${path}.${p.path}` : p.path, message: p.message })),
    });
  }
  const owners = [];
  for (const [i, o] of (card.owners ?? []).entries()) owners.push(await resolveOwner(c, client.id, o, `${path ? `${path}.` : ''}owners.${i}`, policy));
  if (card.costBand && card.costBand.maxUsd < card.costBand.minUsd) throw validationProblem([{ location: 'body', path: `${path ? `${path}.` : ''}costBand.maxUsd`, message: 'maxUsd is below minUsd' }]);
  return {
    id: defaults.id, clientId: client.id, title: card.title, ...(card.whatWhyNow ? { whatWhyNow: card.whatWhyNow } : {}), sourceKind: source.kind!, ...(source.ref ? { sourceRef: source.ref } : {}), sourceDate: source.date!,
    ...(card.goalLink ? { goalLink: card.goalLink } : {}), quarter: card.quarter!, lane: card.lane!, ...(card.expectedOutcome ? { expectedOutcome: card.expectedOutcome } : {}),
    dependencies: card.dependencies ?? [], ...(card.costBand ? { costBand: card.costBand } : {}), ...(card.spendType ? { spendType: card.spendType } : {}), owners,
    tier: card.tier ?? 1, remediation: card.remediation ?? false, state: defaults.state ?? 'Identified',
  };
}

// ---------------------------------------------------------------------------------------------
// Onboarding steps 3–6 from the planning records (version-2 onboardings only)

/** Tells a running v2 onboarding what a planning record completes (R-51, R-53, R-57); best effort, keyed for C-6. */
export async function feedOnboarding(c: Context<ApiEnv>, clientId: string, action: Parameters<typeof tellOnboarding>[1]['action'], key: string) {
  const { temporal, logger } = c.get('deps');
  if (!temporal) return { outcome: 'not-running' as const };
  try {
    const r = await tellOnboarding(temporal, { clientId, action, key, actor: actorOf(c), at: (await currentTime(c.get('deps'))).toISOString() });
    return { outcome: r.outcome, ...(r.detail ? { detail: r.detail } : {}) };
  } catch (err) {
    logger.warn({ err, clientId }, 'onboarding not told of the planning record');
    return { outcome: 'unavailable' as const };
  }
}

/** R-53: roadmap and Budget v1 (D: its operational initiatives, R-57) once the client has both versions. */
export async function feedOnboardingPlans(c: Context<ApiEnv>, client: ClientRow, key: string) {
  const db = c.get('deps').db;
  const road = await latestRoadmap(db, client.id);
  const budget = await latestBudget(db, client.id);
  if (!road || (client.segment !== 'D' && !budget)) return { outcome: 'waiting' as const, detail: client.segment === 'D' ? 'no roadmap yet' : 'roadmap and budget both needed (R-53)' };
  const refs = await planningRefs(db, client.id);
  const titles = [...new Set(road.items.map((i) => refs.initiatives.get(i.initiativeId)?.title ?? i.initiativeId))].slice(0, 100);
  if (!titles.length) return { outcome: 'waiting' as const, detail: 'the roadmap has no items' };
  const action = client.segment === 'D'
    ? { type: 'operationalInitiativesRecorded' as const, initiatives: titles.slice(0, 10) }
    : { type: 'roadmapConfirmed' as const, initiatives: titles, budgetV1Usd: budget!.lines.reduce((s, l) => s + l.amountUsd, 0) };
  return feedOnboarding(c, client.id, action, key);
}

// ---------------------------------------------------------------------------------------------
// Reports to an initiative's workflow from the API

export async function tellInitiative(c: Context<ApiEnv>, initiativeId: string, action: InitiativeAction, key: string) {
  const { temporal } = c.get('deps');
  if (!temporal) return { outcome: 'not-running' as const };
  const r = await reportToProcess(temporal, initiativeWorkflowId(initiativeId), initiativeAction, INITIATIVE_REFUSAL_TYPES, {
    action, idempotencyKey: key, bodyHash: createHash('sha256').update(JSON.stringify(action)).digest('hex'), actor: actorOf(c), at: (await currentTime(c.get('deps'))).toISOString(),
  });
  return r.outcome === 'accepted' ? { outcome: 'accepted' as const, result: r.result as InitiativeActionResult } : r.outcome === 'refused' ? { outcome: 'refused' as const, refusal: r.refusal } : { outcome: 'not-running' as const };
}

// ---------------------------------------------------------------------------------------------
// Cadence wiring: meeting decisions → initiatives (R-31, R-32, R-16), third ask → backlog (R-27), R-28, R-31 at recap

export const DecisionPlanning = {
  initiativeId: Id.optional().openapi({ description: 'The initiative this decision decides (issue 11): a credited decision (owner + date + budget, R-32) approves it and fires the delivery kickoff (R-16); otherwise a capture-budget CTA to the AM, due 72h after the meeting ends (A-26).' }),
  lane: Lane.optional().openapi({ description: 'Without initiativeId: creates a Qualified initiative in this lane with the decision as its source (and price test).' }),
  quarter: Quarter.optional().openapi({ description: 'Quarter of a created initiative; default the quarter of targetDate, else the current one.' }),
};

export interface PlannedDecision { index: number; initiativeId: string; create?: NewInitiative }

/** Before the cadence hears of the held meeting: each decision's initiative, named (must be this client's) or to be created (its id allocated now so the Decision Log names it). */
export async function planDecisions(c: Context<ApiEnv>, clientId: string, meetingId: string, decisions: { title: string; initiativeId?: string; lane?: string; quarter?: string; targetDate?: string }[]): Promise<PlannedDecision[]> {
  const out: PlannedDecision[] = [];
  if (!decisions.some((d) => d.initiativeId || d.lane)) return out;
  const client = await mustGetClient(c, clientId);
  const policy = await clientPolicy(c, client);
  const at = (await currentTime(c.get('deps'))).toISOString();
  for (const [i, d] of decisions.entries()) {
    if (d.initiativeId) {
      if (!(await getInitiative(c.get('deps').db, clientId, d.initiativeId))) {
        throw new ProblemError(422, 'cadence-unprocessable', 'Cannot be applied', `Decision ${i + 1} names initiative ${d.initiativeId}, which is not one of client ${clientId}'s.`, { errors: [{ location: 'body', path: `decisions.${i}.initiativeId`, message: 'unknown initiative' }] });
      }
      out.push({ index: i, initiativeId: d.initiativeId });
    } else if (d.lane) {
      const id = idempotencyKeyOf(c) ? requestScopedId(c, `decision-initiative/${meetingId}/${i}`) : randomUUID();
      const quarter = d.quarter ?? (d.targetDate ? quarterOf(d.targetDate, quarterBasis(policy.calendar.quarters, client.fiscalYearEnd)) : currentQuarter(client, policy, at));
      const create = await newInitiativeFrom(c, client, policy, { title: d.title, lane: d.lane as never, quarter }, { id, sourceKind: 'decision', sourceRef: meetingId, sourceDate: localDateOf(at, calendarOfClient(client, policy)), state: 'Qualified' }, `decisions.${i}`);
      out.push({ index: i, initiativeId: id, create });
    }
  }
  return out;
}

/** After the cadence accepted the held meeting: create decision-sourced initiatives, tell each initiative its decision, flag asks without intake (R-28). */
export async function afterMeetingHeld(c: Context<ApiEnv>, clientId: string, meetingId: string, action: Extract<CadenceAction, { type: 'meetingHeld' }>, planned: PlannedDecision[], keyBase: string) {
  const db = c.get('deps').db;
  const ctx = await planningCtx(c, `meeting-held/${meetingId}`);
  const results: { decision: number; initiativeId: string; created: boolean; outcome: string; state?: string; kickoff?: InitiativeActionResult['kickoff']; detail?: string }[] = [];
  const created = new Set<string>();
  for (const p of planned) {
    if (!p.create) continue;
    const r = await db.transaction(async (tx) => insertInitiative(tx, p.create!, { ...ctx, workflowId: null }));
    if (r.created) created.add(p.initiativeId);
  }
  if (planned.some((p) => p.create)) await dispatchAfterCommit(c, [...planned.filter((p) => p.create).map((p) => ({ kind: 'initiative' as const, id: p.initiativeId })), { kind: 'planning-loop', id: clientId }]);
  // R-28: an ask needs a Discovery "why" and an Assessment "what/when".
  const intake = await intakeDone(db, clientId);
  for (const p of planned) {
    const d = action.decisions[p.index]!;
    const init = await getInitiative(db, clientId, p.initiativeId);
    const gaps = askGaps({ sourceKind: init?.sourceKind, ...intake });
    if (gaps.length) await flagAsk(c, clientId, meetingId, d.title, gaps, p.initiativeId, `${keyBase}/flag/${p.index}`);
    const t = await tellInitiative(c, p.initiativeId, {
      type: 'decisionLogged', meetingId, title: d.title, ownerRole: d.ownerRole, ...(d.ownerStakeholder ? { ownerStakeholder: d.ownerStakeholder } : {}),
      ...(d.targetDate ? { targetDate: d.targetDate } : {}), ...(d.budgetUsd !== undefined ? { budgetUsd: d.budgetUsd } : {}), endedAt: action.endedAt,
    }, `${keyBase}/decision/${p.index}`);
    results.push({
      decision: p.index + 1, initiativeId: p.initiativeId, created: created.has(p.initiativeId), outcome: t.outcome,
      ...(t.outcome === 'accepted' ? { state: t.result.state, ...(t.result.kickoff ? { kickoff: t.result.kickoff } : {}) } : {}), ...(t.outcome === 'refused' ? { detail: t.refusal.message } : {}),
    });
  }
  return results;
}

async function flagAsk(c: Context<ApiEnv>, clientId: string, meetingId: string, title: string, missing: ('discoveryWhy' | 'assessmentWhatWhen')[], initiativeId: string | undefined, key: string) {
  const db = c.get('deps').db;
  const client = await mustGetClient(c, clientId);
  const policy = await clientPolicy(c, client);
  const at = (await currentTime(c.get('deps'))).toISOString();
  const id = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const cta = await db.transaction(async (tx) => {
    await appendEvent(tx, {
      id: `ask/${id}`, occurredAt: at, clientId, process: 'planning', type: 'ask.flagged', ruleId: 'R-28', actor: actorOf(c),
      why: { rule: 'an ask needs both a Discovery "why" and an Assessment "what/when"; otherwise close the gap first (R-28)' },
      data: { meetingId, title, ...(initiativeId ? { initiativeId } : {}), missing },
    });
    return openCta(tx as never, {
      key: `planning/ask/${id}`, clientId, process: 'planning', kind: 'close-intake-gap', title: `Close the gap behind "${title}": ${missing.map((m) => (m === 'discoveryWhy' ? 'a Discovery "why"' : 'an Assessment "what/when"')).join(' and ')} (R-28)`,
      ruleId: 'R-28', ownerRole: policy.raci[client.segment as 'A'].roadmapBudget.accountable, dueAt: new Date(Date.parse(at) + policy.meeting.firstActionHours * 3_600_000).toISOString(),
      firstActionHours: policy.meeting.firstActionHours, openedAt: at, actor: actorOf(c), why: { meetingId, missing },
    });
  });
  await dispatchAfterCommit(c, [{ kind: 'cta-clock', id: cta.id }]);
}

/** R-27: asks beyond the two go to the client's backlog, flagged for the next cadence; the cadence shows them in the next prep pack. */
export async function thirdAskToBacklog(c: Context<ApiEnv>, clientId: string, meetingId: string, titles: string[], keyBase: string) {
  const db = c.get('deps').db;
  const ctx = await planningCtx(c, `backlog/${meetingId}`);
  const items = titles.map((title, i) => ({ id: idempotencyKeyOf(c) ? requestScopedId(c, `backlog/${meetingId}/${i}`) : randomUUID(), title }));
  const rows = await db.transaction(async (tx) => addBacklog(tx, clientId, meetingId, items, ctx));
  const { temporal } = c.get('deps');
  if (temporal) {
    const action: CadenceAction = { type: 'backlogAdded', meetingId, items: rows.map((r) => ({ id: r.id, title: r.title })) };
    await reportToCadence(temporal, clientId, { action, idempotencyKey: `${keyBase}/backlog`, bodyHash: createHash('sha256').update(JSON.stringify(action)).digest('hex'), actor: actorOf(c), at: ctx.at }).catch(() => undefined);
  }
  return rows.map((r) => ({ id: r.id, title: r.title, nextCadence: r.nextCadence }));
}

/**
 * R-31: the recap step produces the roadmap and budget versions of the meeting's decisions: each
 * decided initiative on the roadmap (in its quarter and lane), each credited one with its budget
 * line; one version each, noted with the meeting, only when something changes.
 */
export async function recapVersions(c: Context<ApiEnv>, clientId: string, meetingId: string) {
  const db = c.get('deps').db;
  const logged = await db.select({ data: events.data }).from(events).where(and(eq(events.clientId, clientId), eq(events.type, 'decision.logged'), sql`${events.data}->>'meetingId' = ${meetingId}`));
  const decisions = logged.map((e) => e.data as { title: string; initiativeId?: string; targetDate?: string; budgetUsd?: number; credited: boolean }).filter((d) => d.initiativeId);
  if (!decisions.length) return { roadmapVersion: null, budgetVersion: null };
  const client = await mustGetClient(c, clientId);
  const policy = await clientPolicy(c, client);
  const refs = await planningRefs(db, clientId);
  const ctx = await planningCtx(c, `recap/${meetingId}`);
  const basis = quarterBasis(policy.calendar.quarters, client.fiscalYearEnd);
  const out = await db.transaction(async (tx) => {
    const done = await tx.select({ id: roadmapVersions.id }).from(roadmapVersions).where(and(eq(roadmapVersions.clientId, clientId), eq(roadmapVersions.sourceRef, meetingId)));
    if (done.length) return { roadmapVersion: null, budgetVersion: null };
    const road = await latestRoadmap(tx, clientId);
    const items = (road?.items ?? []).map((i) => ({ initiativeId: i.initiativeId, ...(i.proposalId ? { proposalId: i.proposalId } : {}), quarter: i.quarter, lane: i.lane, ...(i.note ? { note: i.note } : {}) }));
    let roadChanged = false;
    for (const d of decisions) {
      const init = refs.initiatives.get(d.initiativeId!);
      if (!init || items.some((i) => i.initiativeId === d.initiativeId)) continue;
      items.push({ initiativeId: d.initiativeId!, quarter: d.targetDate ? quarterOf(d.targetDate, basis) : init.quarter, lane: init.lane, note: `decided at meeting ${meetingId} (R-31)` });
      roadChanged = true;
    }
    const budget = await latestBudget(tx, clientId);
    const lines = (budget?.lines ?? []).map((l) => ({ initiativeId: l.initiativeId, quarter: l.quarter, amountUsd: l.amountUsd, ...(l.spendType ? { spendType: l.spendType as 'OpEx' } : {}), decisionFlag: l.decisionFlag, ...(l.preApprovalId ? { preApprovalId: l.preApprovalId } : {}), ...(l.label ? { label: l.label } : {}) }));
    let budgetChanged = false;
    for (const d of decisions) {
      if (!d.credited || d.budgetUsd === undefined || lines.some((l) => l.initiativeId === d.initiativeId)) continue;
      lines.push({ initiativeId: d.initiativeId!, quarter: quarterOf(d.targetDate!, basis), amountUsd: d.budgetUsd, ...(policy.cadence[client.segment as 'A'].budget.split.length ? { spendType: (refs.initiatives.get(d.initiativeId!)?.spendType ?? 'OpEx') as 'OpEx' } : {}), decisionFlag: false, label: d.title.slice(0, 200) });
      budgetChanged = true;
    }
    const note = `recap of meeting ${meetingId}: ${decisions.map((d) => d.title).join('; ')}`.slice(0, 200);
    const bigRock = (id: string) => ((refs.initiatives.get(id)?.costBand?.maxUsd ?? 0) >= policy.initiatives.bigRockMinCostUsd);
    const rv = roadChanged ? await insertRoadmapVersion(tx, clientId, { note, source: 'recap', sourceRef: meetingId, items }, { isBigRock: bigRock, maxBigRocks: policy.initiatives.bigRocksPerQuarter }, ctx) : null;
    const bvFormat = policy.cadence[client.segment as 'A'].budget.view;
    const bv = budgetChanged ? await insertBudgetVersion(tx, clientId, { note, source: 'recap', sourceRef: meetingId, format: bvFormat, lines }, ctx) : null;
    return { roadmapVersion: rv?.version ?? null, budgetVersion: bv?.version ?? null };
  });
  if (out.roadmapVersion !== null || out.budgetVersion !== null) await dispatchAfterCommit(c, [{ kind: 'planning-loop', id: clientId }]);
  return out;
}
