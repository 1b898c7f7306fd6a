import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, gt, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import type { Policy } from '../domain/policy.js';
import { segmentClient, touchTierFor, type Segment, type SegmentationResult } from '../domain/segmentation.js';
import type { Db } from './client.js';
import type { ClientStakeholder, StakeholderInput } from '../domain/stakeholders.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { enqueueWorkflowStart } from './outbox.js';
import { markCapacityChanged } from './portfolio.js';
import { activePolicy } from './policies.js';
import { clients, people, roleAssignments } from './schema.js';
import { syncStakeholders, type StakeholderRow } from './stakeholders.js';

export type ClientRow = typeof clients.$inferSelect;

export interface ClientInput {
  name: string;
  externalRef?: string | null;
  mrr: number;
  maturity: number;
  appetite: number;
  ownsInnovationAgenda?: boolean;
  timeZone: string;
  holidays?: string[];
  /** C-1: ISO 3166-1 country, optionally with its subdivision ('US-IL'); seeds the public holidays. */
  region?: string | null;
  /** Public holidays of the region the client works anyway (C-1). */
  publicHolidayExceptions?: string[];
  renewalDate?: string | null;
  fiscalYearEnd?: string;
  /** The former whole-list input: applied to the stakeholder registry (db/stakeholders.ts). */
  stakeholders?: StakeholderInput[];
  /** a prospect (its sale runs; no placement review, not in the capacity count) until its signature makes it a client. */
  stage?: 'prospect' | 'client';
}

/** Says whether a stakeholder left out of a `stakeholders` list is an R-19 stakeholder change. */
export type StakeholderChangeOf = (s: ClientStakeholder) => { stakeholderRole: string; ruleId: string } | undefined;

const PLACEMENT_INPUTS = ['maturity', 'appetite', 'mrr', 'ownsInnovationAgenda'] as const;

function placement(input: Pick<ClientInput, (typeof PLACEMENT_INPUTS)[number]>, policy: Policy): SegmentationResult {
  return segmentClient(
    { maturity: input.maturity, appetite: input.appetite, mrr: input.mrr, ownsInnovationAgenda: input.ownsInnovationAgenda ?? false },
    policy.segmentation,
  );
}

const placementColumns = (p: SegmentationResult, policyVersion: number) => ({
  segment: p.segment, goalLevel: p.goalLevel, archetype: p.archetype, mrrTier: p.mrrTier, touchTier: p.touchTier,
  segmentRuleIds: p.ruleIds, placementPolicyVersion: policyVersion,
});

/**
 * Registers a client and, in the same transaction, its placement review's start (outbox, R-7).
 * With an `id` chosen by the caller (derived from an Idempotency-Key) a second call with the same
 * id returns the client first created (`existed: true`) and writes nothing.
 */
export async function createClient(db: Db, input: ClientInput, { actor, at }: WriteContext, id: string = randomUUID()) {
  const policy = await activePolicy(db);
  const p = placement(input, policy.document);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(clients)
      .values({
        id, name: input.name, externalRef: input.externalRef ?? null, mrr: input.mrr, maturity: input.maturity,
        appetite: input.appetite, ownsInnovationAgenda: input.ownsInnovationAgenda ?? false, timeZone: input.timeZone,
        holidays: input.holidays ?? [], region: input.region ?? null, publicHolidayExceptions: input.publicHolidayExceptions ?? [], renewalDate: input.renewalDate ?? null, fiscalYearEnd: input.fiscalYearEnd ?? '12-31',
        ...placementColumns(p, policy.version), stage: input.stage ?? 'client', createdAt: at, updatedAt: at,
      })
      .onConflictDoNothing({ target: clients.id })
      .returning();
    if (!row) {
      const [existing] = await tx.select().from(clients).where(eq(clients.id, id));
      return { row: existing!, placement: p, policyVersion: existing!.placementPolicyVersion, policy: undefined, existed: true };
    }
    await appendEvent(tx, {
      occurredAt: at, clientId: row.id, process: 'registry', type: 'client.registered', ruleId: 'R-1', actor,
      why: { maturity: input.maturity, appetite: input.appetite, mrr: input.mrr, ownsInnovationAgenda: input.ownsInnovationAgenda ?? false, ruleIds: p.ruleIds, explanation: p.explanation, policyVersion: policy.version },
      data: { segment: p.segment, goalLevel: p.goalLevel, mrrTier: p.mrrTier, touchTier: p.touchTier, archetype: p.archetype },
    });
    if (input.stakeholders?.length) await syncStakeholders(tx, row.id, input.stakeholders, { actor, at }, 'not listed at registration');
    if (row.stage === 'client') {
      await enqueueWorkflowStart(tx, 'placement-review', row.id);
      await markCapacityChanged(tx); // a new client changes the required hours
    }
    return { row, placement: p, policyVersion: policy.version, policy: policy.document, existed: false };
  });
}

export async function getClient(db: Pick<Db, 'select'>, id: string): Promise<ClientRow | undefined> {
  const [row] = await db.select().from(clients).where(eq(clients.id, id));
  return row;
}

export interface ClientFilter { segment?: string[]; touchTier?: string[]; q?: string; stage?: 'client' | 'prospect' | 'all'; after?: string; limit: number }

export async function listClients(db: Db, f: ClientFilter) {
  const where: SQL[] = [];
  if (f.segment?.length) where.push(inArray(clients.segment, f.segment));
  if (f.touchTier?.length) where.push(inArray(clients.touchTier, f.touchTier));
  if (f.q) where.push(ilike(clients.name, `%${f.q.replace(/[%_\\]/g, '\\$&')}%`));
  if (f.stage !== 'all') where.push(eq(clients.stage, f.stage ?? 'client'));
  if (f.after) where.push(gt(clients.id, f.after));
  const rows = await db.select().from(clients).where(where.length ? and(...where) : undefined).orderBy(asc(clients.id)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), next: rows.length > f.limit ? rows[f.limit - 1]!.id : undefined };
}

/**
 * Applies a partial update. A change to maturity, appetite, MRR or the innovation flag re-runs
 * placement under the active policy (R-1..R-3); a manual override stays in force. The
 * caller's `rationale` (R-7: why the placement inputs changed) goes to the timeline with the
 * update and with the placement change it causes.
 */
export async function updateClient(db: Db, id: string, input: Partial<ClientInput>, { actor, at }: WriteContext, stakeholderChangeOf?: StakeholderChangeOf, { rationale }: { rationale?: string } = {}) {
  const policy = await activePolicy(db);
  const { stakeholders, ...patch } = input;
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(clients).where(eq(clients.id, id)).for('update');
    if (!current) return undefined;
    // The former `stakeholders` list replaces the client's active people in the registry (issue 9).
    const stakeholdersLeft: StakeholderRow[] = stakeholders
      ? (await syncStakeholders(tx, id, stakeholders, { actor, at }, 'left out of the client\'s stakeholders list', stakeholderChangeOf)).deactivated
      : [];
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const before = current[key as keyof ClientRow];
      if (JSON.stringify(before) !== JSON.stringify(value)) changes[key] = { before, after: value };
    }
    if (Object.keys(changes).length === 0) return { row: current, changed: false, stakeholdersLeft };
    const merged = { ...current, ...patch } as ClientRow;
    let set: Partial<ClientRow> = { ...patch } as Partial<ClientRow>;
    let placed: SegmentationResult | undefined;
    if (PLACEMENT_INPUTS.some((k) => k in changes)) {
      placed = placement(merged, policy.document);
      const computed = placementColumns(placed, policy.version);
      set = current.segmentOverride
        // Under an override the touch tier follows the overridden segment.
        ? { ...set, mrrTier: placed.mrrTier, touchTier: touchTierFor(current.segmentOverride.segment as Segment, placed.mrrTier, policy.document.segmentation), placementPolicyVersion: policy.version }
        : { ...set, ...computed };
    }
    const [row] = await tx.update(clients).set({ ...set, revision: sql`${clients.revision} + 1`, updatedAt: at }).where(eq(clients.id, id)).returning();
    await appendEvent(tx, { occurredAt: at, clientId: id, process: 'registry', type: 'client.updated', actor, ...(rationale ? { why: { rationale } } : {}), data: { changes } });
    if ('mrr' in changes || row!.segment !== current.segment) await markCapacityChanged(tx); // R-4..R-6 read MRR and segment
    const segmentMoved = current.segment !== row!.segment || current.goalLevel !== row!.goalLevel;
    if (placed && (segmentMoved || current.touchTier !== row!.touchTier)) {
      await appendEvent(tx, {
        occurredAt: at, clientId: id, process: 'registry', type: 'segment.changed', ruleId: segmentMoved ? 'R-1' : 'R-3', actor,
        why: { ruleIds: placed.ruleIds, explanation: placed.explanation, policyVersion: policy.version, ...(rationale ? { rationale, rationaleRule: 'R-7' } : {}) },
        data: { before: { segment: current.segment, goalLevel: current.goalLevel, touchTier: current.touchTier }, after: { segment: row!.segment, goalLevel: row!.goalLevel, touchTier: row!.touchTier } },
      });
    }
    return { row: row!, changed: true, stakeholdersLeft };
  });
}

/** Manual placement: needs a rationale, which goes to the ledger. */
export async function overrideSegment(db: Db, id: string, o: { segment: string; goalLevel: number; rationale: string }, { actor, at }: WriteContext) {
  const policy = await activePolicy(db);
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(clients).where(eq(clients.id, id)).for('update');
    if (!current) return undefined;
    const computed = placement(current, policy.document);
    const override = { ...o, by: actor.name ?? actor.kind, at };
    const touchTier = touchTierFor(o.segment as Segment, computed.mrrTier, policy.document.segmentation);
    const [row] = await tx.update(clients)
      .set({ segment: o.segment, goalLevel: o.goalLevel, touchTier, segmentSource: 'override', segmentOverride: override, segmentRuleIds: ['R-7'], revision: sql`${clients.revision} + 1`, updatedAt: at })
      .where(eq(clients.id, id)).returning();
    await appendEvent(tx, {
      occurredAt: at, clientId: id, process: 'registry', type: 'segment.overridden', ruleId: 'R-7', actor,
      why: { rationale: o.rationale, computed: { segment: computed.segment, goalLevel: computed.goalLevel, ruleIds: computed.ruleIds }, policyVersion: policy.version },
      data: { before: { segment: current.segment, goalLevel: current.goalLevel, touchTier: current.touchTier }, after: { segment: o.segment, goalLevel: o.goalLevel, touchTier } },
    });
    await markCapacityChanged(tx);
    return row!;
  });
}

export async function clearSegmentOverride(db: Db, id: string, { actor, at }: WriteContext) {
  const policy = await activePolicy(db);
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(clients).where(eq(clients.id, id)).for('update');
    if (!current) return undefined;
    if (!current.segmentOverride) return current;
    const p = placement(current, policy.document);
    const [row] = await tx.update(clients)
      .set({ ...placementColumns(p, policy.version), segmentSource: 'computed', segmentOverride: null, revision: sql`${clients.revision} + 1`, updatedAt: at })
      .where(eq(clients.id, id)).returning();
    await appendEvent(tx, {
      occurredAt: at, clientId: id, process: 'registry', type: 'segment.override_cleared', ruleId: 'R-7', actor,
      why: { ruleIds: p.ruleIds, explanation: p.explanation, policyVersion: policy.version },
      data: { before: { segment: current.segment, goalLevel: current.goalLevel, touchTier: current.touchTier }, after: { segment: p.segment, goalLevel: p.goalLevel, touchTier: p.touchTier } },
    });
    await markCapacityChanged(tx);
    return row!;
  });
}

export async function setPolicyOverrides(db: Db, id: string, overrides: Record<string, unknown>, { actor, at }: WriteContext) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(clients).where(eq(clients.id, id)).for('update');
    if (!current) return undefined;
    const [row] = await tx.update(clients).set({ policyOverrides: overrides, revision: sql`${clients.revision} + 1`, updatedAt: at }).where(eq(clients.id, id)).returning();
    await appendEvent(tx, { occurredAt: at, clientId: id, process: 'policy', type: 'policy.client_overrides_set', actor, data: { before: current.policyOverrides, after: overrides } });
    return row!;
  });
}

export async function listAssignments(db: Db, clientId: string) {
  return db
    .select({ role: roleAssignments.role, personId: roleAssignments.personId, backupPersonId: roleAssignments.backupPersonId, updatedAt: roleAssignments.updatedAt })
    .from(roleAssignments).where(eq(roleAssignments.clientId, clientId)).orderBy(asc(roleAssignments.role));
}

export async function assignRole(db: Db, clientId: string, role: string, a: { personId: string; backupPersonId?: string | null }, { actor, at }: WriteContext) {
  return db.transaction(async (tx) => {
    const [previous] = await tx.select().from(roleAssignments).where(and(eq(roleAssignments.clientId, clientId), eq(roleAssignments.role, role))).for('update');
    const [row] = await tx.insert(roleAssignments)
      .values({ clientId, role, personId: a.personId, backupPersonId: a.backupPersonId ?? null, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({ target: [roleAssignments.clientId, roleAssignments.role], set: { personId: a.personId, backupPersonId: a.backupPersonId ?? null, updatedAt: at } })
      .returning();
    await appendEvent(tx, { occurredAt: at, clientId, process: 'registry', type: 'role.assigned', ruleId: 'R-122', actor,
      data: { role, personId: a.personId, backupPersonId: a.backupPersonId ?? null, previous: previous ? { personId: previous.personId, backupPersonId: previous.backupPersonId } : null } });
    return row!;
  });
}

export async function unassignRole(db: Db, clientId: string, role: string, { actor, at }: WriteContext) {
  return db.transaction(async (tx) => {
    const rows = await tx.delete(roleAssignments).where(and(eq(roleAssignments.clientId, clientId), eq(roleAssignments.role, role))).returning();
    if (rows.length === 0) return false;
    await appendEvent(tx, { occurredAt: at, clientId, process: 'registry', type: 'role.unassigned', ruleId: 'R-122', actor, data: { role, personId: rows[0]!.personId, backupPersonId: rows[0]!.backupPersonId } });
    return true;
  });
}

/** Clients by id (the names next to CTAs and meetings). */
export async function clientsByIds(db: Pick<Db, 'select'>, ids: string[]): Promise<ClientRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(clients).where(inArray(clients.id, [...new Set(ids)]));
}

/** How many clients each segment and touch tier holds (the portfolio's counts, R-1, R-3). */
export async function clientCounts(db: Pick<Db, 'select'>): Promise<{ segment: string; touchTier: string; clients: number }[]> {
  const rows = await db.select({ segment: clients.segment, touchTier: clients.touchTier, n: count() }).from(clients).where(eq(clients.stage, 'client'))
    .groupBy(clients.segment, clients.touchTier).orderBy(asc(clients.segment), asc(clients.touchTier));
  return rows.map((r) => ({ segment: r.segment, touchTier: r.touchTier, clients: Number(r.n) }));
}

export async function peopleByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  return db.select().from(people).where(inArray(people.id, ids));
}
