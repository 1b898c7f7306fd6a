import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { StakeholderRole } from '../domain/roles.js';
import { planStakeholderSync, type ClientStakeholder, type StakeholderInput } from '../domain/stakeholders.js';
import type { Db } from './client.js';
import { isUniqueViolation } from './errors.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { clientStakeholders } from './schema.js';

/**
 * The client stakeholder registry (issue 9): the client's own people and their roles in the client.
 * Every change is one transaction with its ledger event (`stakeholder.*`, process `registry`).
 */
export type StakeholderRow = typeof clientStakeholders.$inferSelect;
type Executor = Pick<Db, 'select' | 'insert' | 'update'>;

/** Why a write was refused: another active person has the email, or the client already has an active executive sponsor. */
export type StakeholderConflict = { conflict: 'email' | 'sponsor'; existing: { id: string; name: string } };

export const asClientStakeholder = (r: StakeholderRow): ClientStakeholder => ({ id: r.id, name: r.name, title: r.title, email: r.email, roles: [...r.roles], active: r.active });

export async function listStakeholders(db: Pick<Db, 'select'>, clientId: string, f: { active?: boolean } = {}): Promise<StakeholderRow[]> {
  const where = [eq(clientStakeholders.clientId, clientId), ...(f.active === undefined ? [] : [eq(clientStakeholders.active, f.active)])];
  return db.select().from(clientStakeholders).where(and(...where)).orderBy(asc(clientStakeholders.name), asc(clientStakeholders.id));
}

export async function getStakeholder(db: Pick<Db, 'select'>, clientId: string, id: string): Promise<StakeholderRow | undefined> {
  const [row] = await db.select().from(clientStakeholders).where(and(eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.id, id)));
  return row;
}

/** Active stakeholders of several clients at once (client lists show them). */
export async function activeStakeholdersOf(db: Pick<Db, 'select'>, clientIds: string[]): Promise<Map<string, StakeholderRow[]>> {
  const out = new Map<string, StakeholderRow[]>(clientIds.map((id) => [id, []]));
  if (!clientIds.length) return out;
  const rows = await db.select().from(clientStakeholders)
    .where(and(inArray(clientStakeholders.clientId, clientIds), eq(clientStakeholders.active, true)))
    .orderBy(asc(clientStakeholders.name), asc(clientStakeholders.id));
  for (const r of rows) out.get(r.clientId)!.push(r);
  return out;
}

/** The first active stakeholder (other than `exceptId`) the input would collide with, if any. */
async function conflictFor(db: Pick<Db, 'select'>, clientId: string, s: { email?: string | null; roles: StakeholderRole[] }, exceptId?: string): Promise<StakeholderConflict | undefined> {
  const base = [eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.active, true), ...(exceptId ? [ne(clientStakeholders.id, exceptId)] : [])];
  if (s.email) {
    const [same] = await db.select({ id: clientStakeholders.id, name: clientStakeholders.name }).from(clientStakeholders)
      .where(and(...base, sql`lower(${clientStakeholders.email}) = lower(${s.email})`));
    if (same) return { conflict: 'email', existing: same };
  }
  if (s.roles.includes('executiveSponsor')) {
    const [sponsor] = await db.select({ id: clientStakeholders.id, name: clientStakeholders.name }).from(clientStakeholders)
      .where(and(...base, sql`${clientStakeholders.roles} ? 'executiveSponsor'`));
    if (sponsor) return { conflict: 'sponsor', existing: sponsor };
  }
  return undefined;
}

const payload = (s: { name: string; title: string | null; email: string | null; roles: StakeholderRole[] }) => ({
  name: s.name, ...(s.title ? { title: s.title } : {}), ...(s.email ? { email: s.email } : {}), roles: [...s.roles],
});

async function insertStakeholder(tx: Executor, clientId: string, input: StakeholderInput, { actor, at }: WriteContext): Promise<StakeholderRow> {
  const [row] = await tx.insert(clientStakeholders).values({
    id: randomUUID(), clientId, name: input.name, title: input.title ?? null, email: input.email ?? null, roles: [...input.roles], createdAt: at, updatedAt: at,
  }).returning();
  await appendEvent(tx, {
    occurredAt: at, clientId, process: 'registry', type: 'stakeholder.added', ruleId: 'R-123', actor,
    why: {}, data: { stakeholderId: row!.id, ...payload(row!) },
  });
  return row!;
}

/** Adds a person; refused (no write) when another active person has the email or is already the sponsor. */
export async function createStakeholder(db: Db, clientId: string, input: StakeholderInput, ctx: WriteContext): Promise<{ row: StakeholderRow } | StakeholderConflict> {
  try {
    return await db.transaction(async (tx) => {
      const c = await conflictFor(tx, clientId, input);
      if (c) return c;
      return { row: await insertStakeholder(tx, clientId, input, ctx) };
    });
  } catch (err) {
    // A concurrent writer won the race past the check: the unique index says which way.
    if (isUniqueViolation(err)) return (await conflictFor(db, clientId, input)) ?? { conflict: 'email', existing: { id: '', name: 'another stakeholder' } };
    throw err;
  }
}

const FIELDS = ['name', 'title', 'email', 'roles'] as const;

async function applyUpdate(tx: Executor, current: StakeholderRow, patch: Partial<StakeholderInput>, { actor, at }: WriteContext): Promise<{ row: StakeholderRow; changed: boolean }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of FIELDS) {
    if (!(k in patch) || patch[k] === undefined) continue;
    const after = k === 'roles' ? [...(patch.roles ?? [])] : (patch[k] ?? null);
    if (JSON.stringify(current[k]) !== JSON.stringify(after)) changes[k] = { before: current[k], after };
  }
  if (!Object.keys(changes).length) return { row: current, changed: false };
  const set = Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.after]));
  const [row] = await tx.update(clientStakeholders).set({ ...set, revision: sql`${clientStakeholders.revision} + 1`, updatedAt: at }).where(eq(clientStakeholders.id, current.id)).returning();
  await appendEvent(tx, {
    occurredAt: at, clientId: current.clientId, process: 'registry', type: 'stakeholder.updated', ruleId: 'R-123', actor,
    why: {}, data: { stakeholderId: current.id, name: row!.name, changes },
  });
  return { row: row!, changed: true };
}

export async function updateStakeholder(db: Db, clientId: string, id: string, patch: Partial<StakeholderInput>, ctx: WriteContext):
  Promise<{ row: StakeholderRow; before: StakeholderRow; changed: boolean } | StakeholderConflict | undefined> {
  try {
    return await db.transaction(async (tx) => {
      const [current] = await tx.select().from(clientStakeholders).where(and(eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.id, id))).for('update');
      if (!current) return undefined;
      if (current.active) {
        const c = await conflictFor(tx, clientId, { email: patch.email === undefined ? current.email : patch.email, roles: patch.roles ?? current.roles }, id);
        if (c) return c;
      }
      return { ...(await applyUpdate(tx, current, patch, ctx)), before: current };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { conflict: 'email', existing: { id: '', name: 'another stakeholder' } };
    throw err;
  }
}

/**
 * A person left the client (or no longer takes part): deactivated, never deleted, with the reason
 * and when they left. `feedsStakeholderChange` is recorded on the event so the timeline says
 * why the cadence heard of it.
 */
export async function deactivateStakeholder(
  db: Db, clientId: string, id: string, d: { reason?: string; leftAt: string; stakeholderChange?: { stakeholderRole: string; ruleId: string } }, { actor, at }: WriteContext,
): Promise<{ row: StakeholderRow; before: StakeholderRow } | { inactive: StakeholderRow } | undefined> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(clientStakeholders).where(and(eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.id, id))).for('update');
    if (!current) return undefined;
    if (!current.active) return { inactive: current };
    const [row] = await tx.update(clientStakeholders)
      .set({ active: false, deactivatedAt: d.leftAt, deactivationReason: d.reason ?? null, revision: sql`${clientStakeholders.revision} + 1`, updatedAt: at })
      .where(eq(clientStakeholders.id, id)).returning();
    await appendEvent(tx, {
      occurredAt: at, clientId, process: 'registry', type: 'stakeholder.deactivated', ruleId: d.stakeholderChange ? 'R-19' : null, actor,
      why: d.stakeholderChange ? { stakeholderChange: d.stakeholderChange, rule: 'R-19: sponsor, decision-maker or champion left (triggers.stakeholderChange.roles)' } : {},
      data: { stakeholderId: id, name: current.name, roles: [...current.roles], leftAt: d.leftAt, ...(d.reason ? { reason: d.reason } : {}) },
    });
    return { row: row!, before: current };
  });
}

export async function reactivateStakeholder(db: Db, clientId: string, id: string, { actor, at }: WriteContext): Promise<{ row: StakeholderRow } | { active: StakeholderRow } | StakeholderConflict | undefined> {
  try {
    return await db.transaction(async (tx) => {
      const [current] = await tx.select().from(clientStakeholders).where(and(eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.id, id))).for('update');
      if (!current) return undefined;
      if (current.active) return { active: current };
      const c = await conflictFor(tx, clientId, current, id);
      if (c) return c;
      const [row] = await tx.update(clientStakeholders)
        .set({ active: true, deactivatedAt: null, deactivationReason: null, revision: sql`${clientStakeholders.revision} + 1`, updatedAt: at })
        .where(eq(clientStakeholders.id, id)).returning();
      await appendEvent(tx, { occurredAt: at, clientId, process: 'registry', type: 'stakeholder.reactivated', ruleId: 'R-123', actor, why: {}, data: { stakeholderId: id, ...payload(row!) } });
      return { row: row! };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { conflict: 'email', existing: { id: '', name: 'another stakeholder' } };
    throw err;
  }
}

/**
 * The old `stakeholders` list on POST/PATCH /v1/clients, applied to the registry inside the
 * caller's transaction (domain `planStakeholderSync`): matches updated, new ones added, the unlisted
 * deactivated. Deactivations come first so a replaced sponsor or a reused email does not collide.
 * Returns the rows deactivated (the caller tells the cadence of sponsors who left, R-19).
 */
export async function syncStakeholders(
  tx: Executor, clientId: string, wanted: StakeholderInput[], ctx: WriteContext, reason: string,
  changeOf: (s: ClientStakeholder) => { stakeholderRole: string; ruleId: string } | undefined = () => undefined,
): Promise<{ deactivated: StakeholderRow[] }> {
  const current = await tx.select().from(clientStakeholders).where(eq(clientStakeholders.clientId, clientId)).orderBy(asc(clientStakeholders.name), asc(clientStakeholders.id));
  const plan = planStakeholderSync(current.map(asClientStakeholder), wanted);
  const deactivated: StakeholderRow[] = [];
  for (const id of plan.deactivate) {
    const before = current.find((r) => r.id === id)!;
    const change = changeOf(asClientStakeholder(before));
    await tx.update(clientStakeholders)
      .set({ active: false, deactivatedAt: ctx.at, deactivationReason: reason, revision: sql`${clientStakeholders.revision} + 1`, updatedAt: ctx.at })
      .where(eq(clientStakeholders.id, id));
    await appendEvent(tx, {
      occurredAt: ctx.at, clientId, process: 'registry', type: 'stakeholder.deactivated', ruleId: change ? 'R-19' : null, actor: ctx.actor,
      why: { via: 'left out of the clients.stakeholders list', ...(change ? { stakeholderChange: change } : {}) },
      data: { stakeholderId: id, name: before.name, roles: [...before.roles], leftAt: ctx.at, reason },
    });
    deactivated.push(before);
  }
  for (const u of plan.update) await applyUpdate(tx, current.find((r) => r.id === u.id)!, u.changes, ctx);
  for (const input of plan.create) await insertStakeholder(tx, clientId, input, ctx);
  return { deactivated };
}
