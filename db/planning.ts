import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { budgetProblems, budgetSnapshot, nextBudgetVersion, round, type BudgetLineInput, type PlanSource } from '../domain/budget.js';
import type { Adoption } from '../domain/initiatives.js';
import type { CloseFacts, LoopSnapshot } from '../domain/planning-loop.js';
import type { PlanningWrite } from '../domain/planning-writes.js';
import type { Policy } from '../domain/policy.js';
import type { QuarterBasis } from '../domain/quarters.js';
import { placeBigRocks, roadmapChanged, type RoadmapItemInput } from '../domain/roadmap.js';
import type { Db } from './client.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { enqueueWorkflowNotice, enqueueWorkflowStart } from './outbox.js';
import {
  assessments, backlogItems, budgetActuals, budgetLines, budgetVersions, deliveredReports, discoveries, events, initiatives, planningMarks, preApprovals, priceTests, proposals,
  roadmapItems, roadmapVersions, type Actor,
} from './schema.js';

/**
 * The planning loop's records (issue 11, DOMAIN §2.11–§2.15). Writes made by the API run in one
 * transaction with their ledger events (process `planning`); initiatives and proposals change
 * through their workflows, whose `planning` effects land here (`applyPlanningWrite`) in the
 * kernel's transaction. Version numbers are taken under a per-client advisory lock.
 */
type Tx = Pick<Db, 'select' | 'insert' | 'update' | 'execute'>;
export type InitiativeRow = typeof initiatives.$inferSelect;
export type ProposalRow = typeof proposals.$inferSelect;
export type DiscoveryRow = typeof discoveries.$inferSelect;
export type AssessmentRow = typeof assessments.$inferSelect;
export type ReportRow = typeof deliveredReports.$inferSelect;
export type BacklogRow = typeof backlogItems.$inferSelect;
export type PriceTestRow = typeof priceTests.$inferSelect;
export type PreApprovalRow = typeof preApprovals.$inferSelect;

export const PLANNING_PROCESS = 'planning';
export const planningLoopWorkflowId = (clientId: string) => `client/${clientId}/planning-loop`;

/** Who, when, and the id the change's first ledger event takes (derived from the request's Idempotency-Key, else random). */
export interface PlanningCtx extends WriteContext { eventId?: string; workflowId?: string | null; process?: string }
const eid = (ctx: PlanningCtx, suffix: string) => (ctx.eventId ? `${ctx.eventId}/${suffix}` : randomUUID());

async function lockPlans(tx: Tx, clientId: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`baton/plans/${clientId}`}))`);
}

/** The client's planning loop should re-read its records (roadmap, reports, discoveries…) after this transaction. */
export async function noticeLoop(tx: Pick<Db, 'insert'>, clientId: string) {
  await enqueueWorkflowNotice(tx, 'planning-loop', clientId);
}

// ---------------------------------------------------------------------------------------------
// Pages

export interface Page<T> { items: T[]; next?: string }
function paged<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  return { items: rows.slice(0, limit), ...(rows.length > limit ? { next: rows[limit - 1]!.id } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Initiatives, price tests, pre-approvals

export interface NewInitiative {
  id: string; clientId: string; title: string; whatWhyNow?: string; sourceKind: string; sourceRef?: string; sourceDate: string; goalLink?: string;
  quarter: string; lane: string; expectedOutcome?: string; dependencies?: string[]; costBand?: { minUsd: number; maxUsd: number }; spendType?: string;
  owners?: { role: string; stakeholderId?: string; name?: string }[]; tier: number; remediation: boolean; state: 'Identified' | 'Qualified';
}

/** Creates an Initiative Card (R-71) and queues the start of its workflow `initiative/{id}`; a retry with the same id returns the first. */
export async function insertInitiative(tx: Tx, n: NewInitiative, ctx: PlanningCtx): Promise<{ row: InitiativeRow; created: boolean }> {
  const inserted = await tx.insert(initiatives).values({
    id: n.id, clientId: n.clientId, title: n.title, whatWhyNow: n.whatWhyNow ?? null, sourceKind: n.sourceKind, sourceRef: n.sourceRef ?? null, sourceDate: n.sourceDate,
    goalLink: n.goalLink ?? null, quarter: n.quarter, lane: n.lane, expectedOutcome: n.expectedOutcome ?? null, dependencies: n.dependencies ?? [], costBand: n.costBand ?? null,
    spendType: n.spendType ?? null, owners: (n.owners ?? []) as never, state: n.state, stateChangedAt: ctx.at, tier: n.tier, remediation: n.remediation, createdAt: ctx.at, updatedAt: ctx.at,
  }).onConflictDoNothing().returning();
  if (!inserted[0]) return { row: (await tx.select().from(initiatives).where(eq(initiatives.id, n.id)))[0]!, created: false };
  await appendEvent(tx, {
    id: `initiative/${n.id}/created`, occurredAt: ctx.at, clientId: n.clientId, process: ctx.process ?? PLANNING_PROCESS, workflowId: ctx.workflowId ?? null, type: 'initiative.created', ruleId: 'R-71', actor: ctx.actor,
    why: { card: 'id, title, source + date, lane, quarter (R-71)', ...(n.costBand ? { costBand: n.costBand } : {}), ...(n.whatWhyNow ? { whatWhyNow: n.whatWhyNow } : {}) },
    data: {
      initiativeId: n.id, title: n.title, state: n.state, lane: n.lane, quarter: n.quarter, tier: n.tier, remediation: n.remediation,
      source: { kind: n.sourceKind, ...(n.sourceRef ? { ref: n.sourceRef } : {}), date: n.sourceDate },
    },
  });
  await enqueueWorkflowStart(tx, 'initiative', n.id);
  await noticeLoop(tx, n.clientId);
  return { row: inserted[0], created: true };
}

export async function getInitiative(db: Pick<Db, 'select'>, clientId: string, id: string): Promise<InitiativeRow | undefined> {
  return (await db.select().from(initiatives).where(and(eq(initiatives.clientId, clientId), eq(initiatives.id, id))))[0];
}

export async function getInitiativeById(db: Pick<Db, 'select'>, id: string): Promise<InitiativeRow | undefined> {
  return (await db.select().from(initiatives).where(eq(initiatives.id, id)))[0];
}

export interface InitiativeFilter { state?: string[]; lane?: string[]; quarter?: string; flag?: string; sourceKind?: string; after?: string; limit: number }
export async function listInitiatives(db: Pick<Db, 'select'>, clientId: string, f: InitiativeFilter): Promise<Page<InitiativeRow>> {
  const where: SQL[] = [eq(initiatives.clientId, clientId)];
  if (f.state?.length) where.push(inArray(initiatives.state, f.state));
  if (f.lane?.length) where.push(inArray(initiatives.lane, f.lane));
  if (f.quarter) where.push(eq(initiatives.quarter, f.quarter));
  if (f.flag) where.push(sql`${initiatives.flags} ? ${f.flag}`);
  if (f.sourceKind) where.push(eq(initiatives.sourceKind, f.sourceKind));
  if (f.after) where.push(gt(initiatives.id, f.after));
  return paged(await db.select().from(initiatives).where(and(...where)).orderBy(asc(initiatives.id)).limit(f.limit + 1), f.limit);
}

export async function listPriceTests(db: Pick<Db, 'select'>, clientId: string, f: { initiativeId?: string; outcome?: string; after?: string; limit: number }): Promise<Page<PriceTestRow>> {
  const where: SQL[] = [eq(priceTests.clientId, clientId)];
  if (f.initiativeId) where.push(eq(priceTests.initiativeId, f.initiativeId));
  if (f.outcome) where.push(eq(priceTests.outcome, f.outcome));
  if (f.after) where.push(gt(priceTests.id, f.after));
  return paged(await db.select().from(priceTests).where(and(...where)).orderBy(asc(priceTests.id)).limit(f.limit + 1), f.limit);
}

export async function listPreApprovals(db: Pick<Db, 'select'>, clientId: string, f: { initiativeId?: string; status?: string[]; after?: string; limit: number }): Promise<Page<PreApprovalRow>> {
  const where: SQL[] = [eq(preApprovals.clientId, clientId)];
  if (f.initiativeId) where.push(eq(preApprovals.initiativeId, f.initiativeId));
  if (f.status?.length) where.push(inArray(preApprovals.status, f.status));
  if (f.after) where.push(gt(preApprovals.id, f.after));
  return paged(await db.select().from(preApprovals).where(and(...where)).orderBy(asc(preApprovals.id)).limit(f.limit + 1), f.limit);
}

export async function getPriceTest(db: Pick<Db, 'select'>, clientId: string, id: string) {
  return (await db.select().from(priceTests).where(and(eq(priceTests.clientId, clientId), eq(priceTests.id, id))))[0];
}
export async function getPreApproval(db: Pick<Db, 'select'>, clientId: string, id: string) {
  return (await db.select().from(preApprovals).where(and(eq(preApprovals.clientId, clientId), eq(preApprovals.id, id))))[0];
}

/** What the initiative's workflow starts from: its row, price tests, active pre-approval and open proposal. */
export async function initiativeRecord(db: Pick<Db, 'select'>, id: string) {
  const row = await getInitiativeById(db, id);
  if (!row) return undefined;
  const tests = await db.select().from(priceTests).where(eq(priceTests.initiativeId, id)).orderBy(asc(priceTests.loggedAt));
  const [pa] = await db.select().from(preApprovals).where(and(eq(preApprovals.initiativeId, id), inArray(preApprovals.status, ['active', 'used']))).orderBy(desc(preApprovals.loggedAt)).limit(1);
  const [open] = await db.select({ id: proposals.id }).from(proposals).where(and(eq(proposals.initiativeId, id), eq(proposals.status, 'sent')));
  return { row, priceTests: tests, preApproval: pa, openProposalId: open?.id };
}

// ---------------------------------------------------------------------------------------------
// Proposals

export async function getProposal(db: Pick<Db, 'select'>, clientId: string, id: string): Promise<ProposalRow | undefined> {
  return (await db.select().from(proposals).where(and(eq(proposals.clientId, clientId), eq(proposals.id, id))))[0];
}
export async function getProposalById(db: Pick<Db, 'select'>, id: string): Promise<ProposalRow | undefined> {
  return (await db.select().from(proposals).where(eq(proposals.id, id)))[0];
}

export interface ProposalFilter { status?: string[]; initiativeId?: string; bucket?: string; after?: string; limit: number }
export async function listProposals(db: Pick<Db, 'select'>, clientId: string, f: ProposalFilter): Promise<Page<ProposalRow>> {
  const where: SQL[] = [eq(proposals.clientId, clientId)];
  if (f.status?.length) where.push(inArray(proposals.status, f.status));
  if (f.initiativeId) where.push(eq(proposals.initiativeId, f.initiativeId));
  if (f.bucket) where.push(eq(proposals.bucket, f.bucket));
  if (f.after) where.push(gt(proposals.id, f.after));
  return paged(await db.select().from(proposals).where(and(...where)).orderBy(asc(proposals.id)).limit(f.limit + 1), f.limit);
}

/** A proposal open (draft or sent) for the initiative, if any. */
export async function openProposalOf(db: Pick<Db, 'select'>, initiativeId: string): Promise<ProposalRow | undefined> {
  return (await db.select().from(proposals).where(and(eq(proposals.initiativeId, initiativeId), inArray(proposals.status, ['draft', 'sent']))).orderBy(desc(proposals.version)).limit(1))[0];
}

/** Creates a proposal version as a Draft (R-76, R-77; R-124 for a late acceptance's next version) and queues its workflow. */
export async function insertProposal(tx: Tx, n: { id: string; clientId: string; initiativeId: string; eds: Record<string, unknown>; format: string; previousId?: string; remediationRiskId?: string; reason: string }, ctx: PlanningCtx): Promise<{ row: ProposalRow; created: boolean }> {
  const existing = (await tx.select().from(proposals).where(eq(proposals.id, n.id)))[0];
  if (existing) return { row: existing, created: false };
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`baton/proposals/${n.initiativeId}`}))`);
  const [{ v }] = (await tx.select({ v: sql<number>`coalesce(max(${proposals.version}), 0)::int` }).from(proposals).where(eq(proposals.initiativeId, n.initiativeId))) as [{ v: number }];
  const [row] = await tx.insert(proposals).values({
    id: n.id, clientId: n.clientId, initiativeId: n.initiativeId, version: v + 1, previousId: n.previousId ?? null, status: 'draft', eds: n.eds, format: n.format,
    remediationRiskId: n.remediationRiskId ?? null, createdAt: ctx.at, updatedAt: ctx.at,
  }).returning();
  await appendEvent(tx, {
    id: `proposal/${n.id}/created`, occurredAt: ctx.at, clientId: n.clientId, process: ctx.process ?? PLANNING_PROCESS, workflowId: ctx.workflowId ?? null, type: 'proposal.created', ruleId: n.previousId ? 'R-124' : 'R-76', actor: ctx.actor,
    why: { reason: n.reason, format: n.format, edsFirst: 'R-77' },
    data: { proposalId: n.id, initiativeId: n.initiativeId, version: v + 1, ...(n.previousId ? { previousProposalId: n.previousId } : {}), options: (n.eds.options as unknown[]).length, status: 'draft' },
  });
  await enqueueWorkflowStart(tx, 'proposal', n.id);
  return { row: row!, created: true };
}

/** R-79, R-80: the reason of an expired or declined proposal, captured afterwards; closes the decline-reason CTA. */
export async function captureProposalReason(tx: Tx, p: ProposalRow, reason: string, note: string | undefined, ctx: PlanningCtx): Promise<ProposalRow> {
  const decision = { ...(p.decision ?? { outcome: p.status }), reason, ...(note ? { note } : {}) };
  const [row] = await tx.update(proposals).set({ decision, updatedAt: ctx.at }).where(eq(proposals.id, p.id)).returning();
  await appendEvent(tx, {
    id: eid(ctx, 'reason'), occurredAt: ctx.at, clientId: p.clientId, process: PLANNING_PROCESS, workflowId: `proposal/${p.id}`, type: 'proposal.reason_captured', ruleId: 'R-80', actor: ctx.actor,
    why: { outcome: p.status, ...(note ? { note } : {}) }, data: { proposalId: p.id, reason },
  });
  return row!;
}

// ---------------------------------------------------------------------------------------------
// Roadmap and budget versions

export async function latestRoadmap(db: Pick<Db, 'select'>, clientId: string) {
  const [v] = await db.select().from(roadmapVersions).where(eq(roadmapVersions.clientId, clientId)).orderBy(desc(roadmapVersions.version)).limit(1);
  if (!v) return undefined;
  return { version: v, items: await db.select().from(roadmapItems).where(eq(roadmapItems.roadmapVersionId, v.id)).orderBy(asc(roadmapItems.itemNo)) };
}

export async function roadmapVersion(db: Pick<Db, 'select'>, clientId: string, version: number) {
  const [v] = await db.select().from(roadmapVersions).where(and(eq(roadmapVersions.clientId, clientId), eq(roadmapVersions.version, version)));
  if (!v) return undefined;
  return { version: v, items: await db.select().from(roadmapItems).where(eq(roadmapItems.roadmapVersionId, v.id)).orderBy(asc(roadmapItems.itemNo)) };
}

export async function listRoadmapVersions(db: Pick<Db, 'select'>, clientId: string, f: { source?: string; before?: number; limit: number }) {
  const where: SQL[] = [eq(roadmapVersions.clientId, clientId)];
  if (f.source) where.push(eq(roadmapVersions.source, f.source));
  if (f.before !== undefined) where.push(sql`${roadmapVersions.version} < ${f.before}`);
  const rows = await db.select().from(roadmapVersions).where(and(...where)).orderBy(desc(roadmapVersions.version)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), ...(rows.length > f.limit ? { next: String(rows[f.limit - 1]!.version) } : {}) };
}

export async function latestBudget(db: Pick<Db, 'select'>, clientId: string) {
  const [v] = await db.select().from(budgetVersions).where(eq(budgetVersions.clientId, clientId)).orderBy(desc(budgetVersions.version)).limit(1);
  if (!v) return undefined;
  return { version: v, lines: await db.select().from(budgetLines).where(eq(budgetLines.budgetVersionId, v.id)).orderBy(asc(budgetLines.lineNo)) };
}

export async function budgetVersion(db: Pick<Db, 'select'>, clientId: string, version: number) {
  const [v] = await db.select().from(budgetVersions).where(and(eq(budgetVersions.clientId, clientId), eq(budgetVersions.version, version)));
  if (!v) return undefined;
  return { version: v, lines: await db.select().from(budgetLines).where(eq(budgetLines.budgetVersionId, v.id)).orderBy(asc(budgetLines.lineNo)) };
}

export async function listBudgetVersions(db: Pick<Db, 'select'>, clientId: string, f: { source?: string; before?: number; limit: number }) {
  const where: SQL[] = [eq(budgetVersions.clientId, clientId)];
  if (f.source) where.push(eq(budgetVersions.source, f.source));
  if (f.before !== undefined) where.push(sql`${budgetVersions.version} < ${f.before}`);
  const rows = await db.select().from(budgetVersions).where(and(...where)).orderBy(desc(budgetVersions.version)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), ...(rows.length > f.limit ? { next: String(rows[f.limit - 1]!.version) } : {}) };
}

/** Ids and big-rock sizes of the client's initiatives, and its proposals by initiative (validation of versions, R-82, R-85, R-86). */
export async function planningRefs(db: Pick<Db, 'select'>, clientId: string) {
  const inits = await db.select({ id: initiatives.id, costBand: initiatives.costBand, title: initiatives.title, state: initiatives.state, flags: initiatives.flags, lane: initiatives.lane, quarter: initiatives.quarter, spendType: initiatives.spendType })
    .from(initiatives).where(eq(initiatives.clientId, clientId));
  const props = await db.select({ id: proposals.id, initiativeId: proposals.initiativeId }).from(proposals).where(eq(proposals.clientId, clientId));
  const pas = await db.select({ id: preApprovals.id, initiativeId: preApprovals.initiativeId }).from(preApprovals).where(eq(preApprovals.clientId, clientId));
  return {
    initiatives: new Map(inits.map((i) => [i.id, i])),
    proposals: new Map(props.map((p) => [p.id, p.initiativeId])),
    preApprovals: new Map(pas.map((p) => [p.id, p.initiativeId])),
  };
}

/**
 * A new roadmap version (R-85..R-87): big rocks placed (R-86), `changed` against the previous one,
 * `roadmap.versioned` on the timeline. The caller has validated the items (no orphans).
 */
export async function insertRoadmapVersion(
  tx: Tx, clientId: string, v: { note: string; source: PlanSource; sourceRef?: string; ruleId?: string; items: RoadmapItemInput[] }, opts: { isBigRock: (initiativeId: string) => boolean; maxBigRocks: number }, ctx: PlanningCtx,
) {
  await lockPlans(tx, clientId);
  const prev = await latestRoadmap(tx, clientId);
  const placed = placeBigRocks(v.items, opts.isBigRock, opts.maxBigRocks);
  const changed = roadmapChanged(prev?.items, placed.items);
  const version = (prev?.version.version ?? 0) + 1;
  const id = randomUUID();
  await tx.insert(roadmapVersions).values({ id, clientId, version, note: v.note, source: v.source, sourceRef: v.sourceRef ?? null, changed, createdAt: ctx.at });
  if (placed.items.length) {
    await tx.insert(roadmapItems).values(placed.items.map((it, i) => ({
      roadmapVersionId: id, itemNo: i + 1, initiativeId: it.initiativeId, proposalId: it.proposalId ?? null, quarter: it.quarter, lane: it.lane, bigRock: it.bigRock, note: it.note ?? null,
    })));
  }
  await appendEvent(tx, {
    id: eid(ctx, 'roadmap'), occurredAt: ctx.at, clientId, process: ctx.process ?? PLANNING_PROCESS, workflowId: ctx.workflowId ?? null, type: 'roadmap.versioned', ruleId: v.ruleId ?? (v.source === 'recap' ? 'R-31' : 'R-85'), actor: ctx.actor,
    why: { previousVersion: prev?.version.version ?? null, ...(v.sourceRef ? { sourceRef: v.sourceRef } : {}), bigRockRule: 'R-86', maxBigRocksPerQuarter: opts.maxBigRocks },
    data: { version, note: v.note, items: placed.items.length, changed, moved: placed.moved, source: v.source },
  });
  await noticeLoop(tx, clientId);
  return { id, version, changed, moved: placed.moved, items: placed.items };
}

/** A new budget version (R-82): numbered v0 (sales) / v1…, its note, its lines; `budget.versioned` on the timeline. */
export async function insertBudgetVersion(tx: Tx, clientId: string, v: { note: string; source: PlanSource; sourceRef?: string; ruleId?: string; format: string; lines: BudgetLineInput[] }, ctx: PlanningCtx) {
  await lockPlans(tx, clientId);
  const prev = await latestBudget(tx, clientId);
  const version = nextBudgetVersion(prev?.version.version, v.source);
  const id = randomUUID();
  await tx.insert(budgetVersions).values({ id, clientId, version, note: v.note, source: v.source, sourceRef: v.sourceRef ?? null, format: v.format, createdAt: ctx.at });
  if (v.lines.length) {
    await tx.insert(budgetLines).values(v.lines.map((l, i) => ({
      budgetVersionId: id, lineNo: i + 1, initiativeId: l.initiativeId, quarter: l.quarter, amountUsd: l.amountUsd, spendType: l.spendType ?? null, decisionFlag: l.decisionFlag ?? false,
      preApprovalId: l.preApprovalId ?? null, label: l.label ?? null,
    })));
  }
  const byQuarter: Record<string, number> = {};
  for (const l of v.lines) byQuarter[l.quarter] = round((byQuarter[l.quarter] ?? 0) + l.amountUsd);
  await appendEvent(tx, {
    id: eid(ctx, 'budget'), occurredAt: ctx.at, clientId, process: ctx.process ?? PLANNING_PROCESS, workflowId: ctx.workflowId ?? null, type: 'budget.versioned', ruleId: v.ruleId ?? (v.source === 'recap' ? 'R-31' : 'R-82'), actor: ctx.actor,
    why: { previousVersion: prev?.version.version ?? null, format: v.format, ...(v.sourceRef ? { sourceRef: v.sourceRef } : {}) },
    data: { version, note: v.note, lines: v.lines.length, totalUsd: round(v.lines.reduce((s, l) => s + l.amountUsd, 0)), byQuarter, source: v.source },
  });
  await noticeLoop(tx, clientId);
  return { id, version };
}

export { budgetProblems, budgetSnapshot };

/** R-84: the quarter's actual spend (a later report for the same quarter replaces it). */
export async function recordActuals(tx: Tx, clientId: string, a: { quarter: string; actualUsd: number; note?: string }, ctx: PlanningCtx) {
  await tx.insert(budgetActuals).values({ clientId, quarter: a.quarter, actualUsd: a.actualUsd, note: a.note ?? null, recordedAt: ctx.at })
    .onConflictDoUpdate({ target: [budgetActuals.clientId, budgetActuals.quarter], set: { actualUsd: a.actualUsd, note: a.note ?? null, recordedAt: ctx.at } });
  await appendEvent(tx, {
    id: eid(ctx, 'actuals'), occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, type: 'budget.actuals_recorded', ruleId: 'R-84', actor: ctx.actor, why: a.note ? { note: a.note } : {}, data: { quarter: a.quarter, actualUsd: a.actualUsd },
  });
  await noticeLoop(tx, clientId);
}

export async function listActuals(db: Pick<Db, 'select'>, clientId: string) {
  return db.select().from(budgetActuals).where(eq(budgetActuals.clientId, clientId)).orderBy(asc(budgetActuals.quarter));
}

// ---------------------------------------------------------------------------------------------
// Discoveries, assessments, reports, backlog

export async function getDiscovery(db: Pick<Db, 'select'>, clientId: string, id: string) {
  return (await db.select().from(discoveries).where(and(eq(discoveries.clientId, clientId), eq(discoveries.id, id))))[0];
}
export async function listDiscoveries(db: Pick<Db, 'select'>, clientId: string, f: { status?: string; after?: string; limit: number }): Promise<Page<DiscoveryRow>> {
  const where: SQL[] = [eq(discoveries.clientId, clientId)];
  if (f.status) where.push(eq(discoveries.status, f.status));
  if (f.after) where.push(gt(discoveries.id, f.after));
  return paged(await db.select().from(discoveries).where(and(...where)).orderBy(asc(discoveries.id)).limit(f.limit + 1), f.limit);
}
export async function getAssessment(db: Pick<Db, 'select'>, clientId: string, id: string) {
  return (await db.select().from(assessments).where(and(eq(assessments.clientId, clientId), eq(assessments.id, id))))[0];
}
export async function listAssessments(db: Pick<Db, 'select'>, clientId: string, f: { status?: string; scope?: string; after?: string; limit: number }): Promise<Page<AssessmentRow>> {
  const where: SQL[] = [eq(assessments.clientId, clientId)];
  if (f.status) where.push(eq(assessments.status, f.status));
  if (f.scope) where.push(eq(assessments.scope, f.scope));
  if (f.after) where.push(gt(assessments.id, f.after));
  return paged(await db.select().from(assessments).where(and(...where)).orderBy(asc(assessments.id)).limit(f.limit + 1), f.limit);
}
export async function getReport(db: Pick<Db, 'select'>, clientId: string, id: string) {
  return (await db.select().from(deliveredReports).where(and(eq(deliveredReports.clientId, clientId), eq(deliveredReports.id, id))))[0];
}
export async function listReports(db: Pick<Db, 'select'>, clientId: string, f: { opened?: boolean; after?: string; limit: number }): Promise<Page<ReportRow>> {
  const where: SQL[] = [eq(deliveredReports.clientId, clientId)];
  if (f.opened !== undefined) where.push(f.opened ? isNotNull(deliveredReports.openedAt) : isNull(deliveredReports.openedAt));
  if (f.after) where.push(gt(deliveredReports.id, f.after));
  return paged(await db.select().from(deliveredReports).where(and(...where)).orderBy(asc(deliveredReports.id)).limit(f.limit + 1), f.limit);
}
export async function listBacklog(db: Pick<Db, 'select'>, clientId: string, f: { nextCadence?: boolean; status?: string; after?: string; limit: number }): Promise<Page<BacklogRow>> {
  const where: SQL[] = [eq(backlogItems.clientId, clientId)];
  if (f.nextCadence !== undefined) where.push(eq(backlogItems.nextCadence, f.nextCadence));
  if (f.status) where.push(eq(backlogItems.status, f.status));
  if (f.after) where.push(gt(backlogItems.id, f.after));
  return paged(await db.select().from(backlogItems).where(and(...where)).orderBy(asc(backlogItems.id)).limit(f.limit + 1), f.limit);
}

/** R-27: asks beyond a session's two go to the backlog, flagged for the next cadence; a retry with the same ids lands once. */
export async function addBacklog(tx: Tx, clientId: string, meetingId: string, items: { id: string; title: string; ownerRole?: string }[], ctx: PlanningCtx) {
  const out: BacklogRow[] = [];
  for (const it of items) {
    const inserted = await tx.insert(backlogItems).values({ id: it.id, clientId, title: it.title, meetingId, ownerRole: it.ownerRole ?? null, nextCadence: true, createdAt: ctx.at }).onConflictDoNothing().returning();
    if (inserted[0]) {
      await appendEvent(tx, {
        id: `backlog/${it.id}/added`, occurredAt: ctx.at, clientId, process: PLANNING_PROCESS, workflowId: ctx.workflowId ?? null, type: 'backlog.added', ruleId: 'R-27', actor: ctx.actor,
        why: { rule: 'at most two decisions per strategic session; the rest go to the backlog (R-27)' }, data: { backlogItemId: it.id, title: it.title, meetingId, nextCadence: true },
      });
      out.push(inserted[0]);
    } else {
      out.push((await tx.select().from(backlogItems).where(eq(backlogItems.id, it.id)))[0]!);
    }
  }
  return out;
}

/** Whether the client has a completed Discovery and a completed Assessment (R-28). */
export async function intakeDone(db: Pick<Db, 'select'>, clientId: string) {
  const [d] = await db.select({ id: discoveries.id }).from(discoveries).where(and(eq(discoveries.clientId, clientId), eq(discoveries.status, 'completed'))).limit(1);
  const [a] = await db.select({ id: assessments.id }).from(assessments).where(and(eq(assessments.clientId, clientId), eq(assessments.status, 'completed'))).limit(1);
  return { completedDiscovery: !!d, completedAssessment: !!a };
}

/**
 * R-121 reads the client's latest adoption figures from the ledger: the cadence's `adoptionMeasured`
 * facts (R-18) and the adoption an assessment measured, per metric the newest.
 */
export async function latestAdoption(db: Pick<Db, 'select'>, clientId: string): Promise<Adoption> {
  const rows = await db.select({ type: events.type, data: events.data, occurredAt: events.occurredAt }).from(events)
    .where(and(eq(events.clientId, clientId), sql`(${events.type} = 'process.fact_recorded' and ${events.data}->>'fact' = 'adoptionMeasured') or (${events.type} = 'assessment.completed' and ${events.data} ? 'adoption')`))
    .orderBy(desc(events.seq)).limit(50);
  const out: Adoption = {};
  for (const r of rows) {
    const d = (r.type === 'assessment.completed' ? (r.data as { adoption: Record<string, unknown> }).adoption : (r.data as { details: Record<string, unknown> }).details) as { mfaPct?: number | null; endpointPct?: number | null };
    if (out.mfaPct === undefined && typeof d.mfaPct === 'number') out.mfaPct = { value: d.mfaPct, at: r.occurredAt };
    if (out.endpointPct === undefined && typeof d.endpointPct === 'number') out.endpointPct = { value: d.endpointPct, at: r.occurredAt };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The planning loop's reads

export async function loopMarks(db: Pick<Db, 'select'>, subject: string): Promise<string[]> {
  return (await db.select({ key: planningMarks.key }).from(planningMarks).where(eq(planningMarks.subject, subject))).map((r) => r.key);
}

/** What the client-level clocks look at (domain/planning-loop.ts). */
export async function loopSnapshot(db: Pick<Db, 'select'>, client: { id: string; segment: string; goalLevel: number; appetite: number; fiscalYearEnd: string; createdAt: string }, loopStartedAt: string): Promise<LoopSnapshot> {
  const versions = await db.select({ version: roadmapVersions.version, createdAt: roadmapVersions.createdAt, changed: roadmapVersions.changed }).from(roadmapVersions)
    .where(eq(roadmapVersions.clientId, client.id)).orderBy(desc(roadmapVersions.version)).limit(50);
  const reports = await db.select().from(deliveredReports).where(and(eq(deliveredReports.clientId, client.id), isNull(deliveredReports.openedAt))).orderBy(asc(deliveredReports.deliveredAt)).limit(500);
  const disc = await db.select({ status: discoveries.status, completedAt: discoveries.completedAt, createdAt: discoveries.createdAt }).from(discoveries).where(eq(discoveries.clientId, client.id));
  const ass = await db.select({ status: assessments.status, completedAt: assessments.completedAt, createdAt: assessments.createdAt }).from(assessments).where(eq(assessments.clientId, client.id));
  const completed = (rows: { completedAt: string | null }[]) => rows.map((r) => r.completedAt).filter((x): x is string => !!x).sort();
  const dDone = completed(disc);
  const aDone = completed(ass);
  const lastD = dDone.at(-1) ?? null;
  const lastA = aDone.at(-1) ?? null;
  return {
    clientId: client.id, segment: client.segment as 'A', goalLevel: client.goalLevel, appetite: client.appetite, fiscalYearEnd: client.fiscalYearEnd, clientCreatedAt: client.createdAt, loopStartedAt,
    roadmap: { latest: versions[0] ? { version: versions[0].version, createdAt: versions[0].createdAt } : null, lastChangedAt: versions.find((v) => v.changed)?.createdAt ?? null },
    reports: reports.map((r) => ({ id: r.id, title: r.title, deliveredAt: r.deliveredAt, openedAt: r.openedAt, ownerRole: r.ownerRole, contact: null })),
    discovery: { lastCompletedAt: lastD, firstCompletedAt: dDone[0] ?? null, plannedSince: disc.some((d) => d.status === 'planned' && (!lastD || d.createdAt > lastD)) },
    assessment: { lastCompletedAt: lastA, plannedSince: ass.some((a) => a.status === 'designed' && (!lastA || a.createdAt > lastA)) },
    marks: await loopMarks(db, planningLoopWorkflowId(client.id)),
  };
}

/** What a quarter close judges (R-61, R-84), as of `closeAt`. */
export async function quarterCloseFacts(db: Pick<Db, 'select'>, clientId: string, quarter: string, basis: QuarterBasis, window: { from: string; to: string }): Promise<CloseFacts> {
  const decisions = await db.select({ id: events.id, data: events.data, occurredAt: events.occurredAt }).from(events)
    .where(and(eq(events.clientId, clientId), eq(events.type, 'decision.logged'), gte(events.occurredAt, window.from), lte(events.occurredAt, window.to))).orderBy(asc(events.seq));
  const rv = await db.select({ id: roadmapVersions.id, sourceRef: roadmapVersions.sourceRef, createdAt: roadmapVersions.createdAt }).from(roadmapVersions).where(and(eq(roadmapVersions.clientId, clientId), lte(roadmapVersions.createdAt, window.to)));
  const bv = await db.select({ id: budgetVersions.id, sourceRef: budgetVersions.sourceRef, createdAt: budgetVersions.createdAt }).from(budgetVersions).where(and(eq(budgetVersions.clientId, clientId), lte(budgetVersions.createdAt, window.to))).orderBy(desc(budgetVersions.version));
  const ri = rv.length ? await db.select({ v: roadmapItems.roadmapVersionId, i: roadmapItems.initiativeId }).from(roadmapItems).where(inArray(roadmapItems.roadmapVersionId, rv.map((x) => x.id))) : [];
  const bl = bv.length ? await db.select({ v: budgetLines.budgetVersionId, i: budgetLines.initiativeId, q: budgetLines.quarter, amount: budgetLines.amountUsd }).from(budgetLines).where(inArray(budgetLines.budgetVersionId, bv.map((x) => x.id))) : [];
  const props = await db.select({ initiativeId: proposals.initiativeId, createdAt: proposals.createdAt, id: proposals.id, status: proposals.status, decidedAt: proposals.decidedAt, decision: proposals.decision })
    .from(proposals).where(eq(proposals.clientId, clientId));
  const inits = await db.select({ id: initiatives.id, state: initiatives.state, approvedAt: initiatives.approvedAt }).from(initiatives).where(eq(initiatives.clientId, clientId));
  const [actual] = await db.select().from(budgetActuals).where(and(eq(budgetActuals.clientId, clientId), eq(budgetActuals.quarter, quarter)));
  const previous = await db.select({ data: events.data }).from(events).where(and(eq(events.clientId, clientId), eq(events.type, 'quarter.closed'))).orderBy(desc(events.seq)).limit(8);
  const inForce = bv[0];
  void basis;
  return {
    quarter,
    decisions: decisions.map((d) => {
      const x = d.data as { meetingId: string; title: string; ownerRole: string; initiativeId?: string };
      return { eventId: d.id, meetingId: x.meetingId, title: x.title, ownerRole: x.ownerRole as never, ...(x.initiativeId ? { initiativeId: x.initiativeId } : {}), at: d.occurredAt };
    }),
    versions: [
      ...rv.map((v) => ({ kind: 'roadmap' as const, sourceRef: v.sourceRef, createdAt: v.createdAt, initiativeIds: ri.filter((x) => x.v === v.id).map((x) => x.i) })),
      ...bv.map((v) => ({ kind: 'budget' as const, sourceRef: v.sourceRef, createdAt: v.createdAt, initiativeIds: bl.filter((x) => x.v === v.id).map((x) => x.i) })),
    ],
    proposals: props.filter((p) => p.createdAt <= window.to).map((p) => ({ initiativeId: p.initiativeId, createdAt: p.createdAt })),
    initiatives: inits,
    declined: props.filter((p) => (p.status === 'declined' || p.status === 'expired') && p.decidedAt && p.decidedAt >= window.from && p.decidedAt <= window.to).map((p) => ({ proposalId: p.id, reason: p.decision?.reason ?? null })),
    lines: inForce ? bl.filter((l) => l.v === inForce.id && l.q === quarter).map((l) => ({ initiativeId: l.i, amountUsd: l.amount })) : [],
    actualUsd: actual ? actual.actualUsd : null,
    previousBelow: previous.map((p) => ((p.data as { realization?: { below?: boolean } }).realization?.below ?? false)),
  };
}

// ---------------------------------------------------------------------------------------------
// Row writes of the planning workflows (effect kind `planning`, recorded in the kernel's transaction)

export interface WriteCtx { id: string; clientId: string; process: string; workflowId: string; actor: Actor; at: string }

/** Applies one planning write; returns whether the client's planning loop should re-read its records. */
export async function applyPlanningWrite(tx: Tx, w: PlanningWrite, c: WriteCtx): Promise<{ noticeLoop: boolean }> {
  switch (w.op) {
    case 'initiative':
      await tx.update(initiatives).set({ ...(w.set as Record<string, unknown>), revision: sql`${initiatives.revision} + 1`, updatedAt: c.at } as never).where(eq(initiatives.id, w.initiativeId));
      return { noticeLoop: false };
    case 'priceTest':
      await tx.insert(priceTests).values({
        id: w.row.id, clientId: c.clientId, initiativeId: w.row.initiativeId, owner: w.row.owner as never, quarter: w.row.quarter, minUsd: w.row.minUsd, maxUsd: w.row.maxUsd,
        outcome: w.row.outcome, reason: w.row.reason ?? null, note: w.row.note ?? null, loggedAt: w.row.loggedAt,
      }).onConflictDoNothing();
      return { noticeLoop: false };
    case 'preApproval':
      await tx.insert(preApprovals).values({
        id: w.row.id, clientId: c.clientId, initiativeId: w.row.initiativeId, owner: w.row.owner as never, quarter: w.row.quarter, minUsd: w.row.minUsd, maxUsd: w.row.maxUsd, status: 'active', loggedAt: w.row.loggedAt,
      }).onConflictDoNothing();
      return { noticeLoop: false };
    case 'preApprovalStatus':
      await tx.update(preApprovals).set({ status: w.status, ...(w.reengagedAt ? { reengagedAt: w.reengagedAt } : {}), ...(w.status !== 'active' ? { endedAt: w.at } : { endedAt: null }) }).where(eq(preApprovals.id, w.preApprovalId));
      return { noticeLoop: false };
    case 'proposal':
      await tx.update(proposals).set({ ...(w.set as Record<string, unknown>), updatedAt: c.at } as never).where(eq(proposals.id, w.proposalId));
      return { noticeLoop: false };
    case 'parkPlans':
      await parkPlans(tx, c, w);
      return { noticeLoop: true };
    case 'mark':
      await tx.insert(planningMarks).values({ subject: w.subject, key: w.key, handledAt: c.at }).onConflictDoNothing();
      return { noticeLoop: false };
  }
}

/** R-79, R-83: the initiative moves to `quarter` on a new roadmap version and a new budget version (only where it is on them). */
async function parkPlans(tx: Tx, c: WriteCtx, w: Extract<PlanningWrite, { op: 'parkPlans' }>) {
  const ctx: PlanningCtx = { actor: c.actor, at: c.at, eventId: c.id, workflowId: c.workflowId, process: c.process };
  // A retried batch finds its versions already written.
  const [done] = await tx.select({ id: events.id }).from(events).where(inArray(events.id, [`${c.id}/roadmap`, `${c.id}/budget`])).limit(1);
  if (done) return;
  const road = await latestRoadmap(tx, c.clientId);
  if (road?.items.some((i) => i.initiativeId === w.initiativeId)) {
    const items = road.items.map((i) => ({ initiativeId: i.initiativeId, ...(i.proposalId ? { proposalId: i.proposalId } : {}), quarter: i.initiativeId === w.initiativeId ? w.quarter : i.quarter, lane: i.lane, ...(i.note ? { note: i.note } : {}) }));
    await insertRoadmapVersion(tx, c.clientId, { note: w.note, source: 'park', sourceRef: w.initiativeId, ruleId: w.ruleId, items }, { isBigRock: (id) => road.items.some((i) => i.initiativeId === id && i.bigRock), maxBigRocks: Number.MAX_SAFE_INTEGER }, ctx);
  }
  const budget = await latestBudget(tx, c.clientId);
  if (budget?.lines.some((l) => l.initiativeId === w.initiativeId)) {
    const lines = budget.lines.map((l) => ({
      initiativeId: l.initiativeId, quarter: l.initiativeId === w.initiativeId ? w.quarter : l.quarter, amountUsd: l.amountUsd, ...(l.spendType ? { spendType: l.spendType as 'OpEx' } : {}),
      decisionFlag: l.decisionFlag, ...(l.preApprovalId ? { preApprovalId: l.preApprovalId } : {}), ...(l.label ? { label: l.label } : {}),
    }));
    await insertBudgetVersion(tx, c.clientId, { note: w.note, source: 'park', sourceRef: w.initiativeId, ruleId: w.ruleId, format: budget.version.format, lines }, ctx);
  }
}

export type { Policy };
