import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from './client.js';
import { enqueueWorkflowStart } from './outbox.js';
import { latestBudget, latestRoadmap } from './planning.js';
import { markCapacityChanged } from './portfolio.js';
import { clients, clientStakeholders, initiatives, preApprovals } from './schema.js';
import type { HandoffPacket } from '../domain/sale.js';

/**
 * The prospect's side of the consultative sale (R-40..R-44): the signature turns the prospect into
 * a client, and the handoff packet is read from the planning records the sale wrote on it.
 */

/** Bounds of the packet (it travels in the onboarding's start input, so its history stays small). */
const MAX_PACKET_ROWS = 50;

/**
 * Day 0: the prospect becomes a client in one transaction with what a new client gets — its
 * placement review through the outbox and the capacity recount. A second call finds it
 * converted and changes nothing.
 */
export async function convertProspect(db: Db, clientId: string, at: string): Promise<{ converted: boolean; name: string; segment: string } | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(clients).set({ stage: 'client', updatedAt: at }).where(and(eq(clients.id, clientId), eq(clients.stage, 'prospect'))).returning();
    if (row) {
      await enqueueWorkflowStart(tx, 'placement-review', row.id);
      await markCapacityChanged(tx);
      return { converted: true, name: row.name, segment: row.segment };
    }
    const [existing] = await tx.select({ name: clients.name, segment: clients.segment }).from(clients).where(eq(clients.id, clientId));
    return existing ? { converted: false, ...existing } : undefined;
  });
}

/** The planning records of the packet: Initiative Cards, the pre-approval log, roadmap and budget snapshot, the stakeholder map. */
export async function handoffRecords(db: Pick<Db, 'select'>, clientId: string): Promise<Pick<HandoffPacket, 'initiatives' | 'preApprovals' | 'roadmap' | 'budget' | 'stakeholders'>> {
  const [cards, approvals, roadmap, budget, people] = await Promise.all([
    db.select({ id: initiatives.id, title: initiatives.title, state: initiatives.state, quarter: initiatives.quarter, lane: initiatives.lane }).from(initiatives)
      .where(eq(initiatives.clientId, clientId)).orderBy(asc(initiatives.createdAt), asc(initiatives.id)).limit(MAX_PACKET_ROWS),
    db.select().from(preApprovals).where(and(eq(preApprovals.clientId, clientId), inArray(preApprovals.status, ['active', 'used']))).orderBy(asc(preApprovals.loggedAt), asc(preApprovals.id)).limit(MAX_PACKET_ROWS),
    latestRoadmap(db, clientId),
    latestBudget(db, clientId),
    db.select({ id: clientStakeholders.id, name: clientStakeholders.name, roles: clientStakeholders.roles }).from(clientStakeholders)
      .where(and(eq(clientStakeholders.clientId, clientId), eq(clientStakeholders.active, true))).orderBy(asc(clientStakeholders.name)).limit(MAX_PACKET_ROWS),
  ]);
  const iso = (d: Date | string) => new Date(d).toISOString();
  return {
    initiatives: cards,
    preApprovals: approvals.map((a) => ({ id: a.id, initiativeId: a.initiativeId, quarter: a.quarter, minUsd: a.minUsd, maxUsd: a.maxUsd, ownerRole: a.owner.role, loggedAt: iso(a.loggedAt) })),
    roadmap: roadmap ? { version: roadmap.version.version, createdAt: iso(roadmap.version.createdAt) } : null,
    budget: budget ? { version: budget.version.version, createdAt: iso(budget.version.createdAt), totalUsd: budget.lines.reduce((s, l) => s + Number(l.amountUsd), 0) } : null,
    stakeholders: people.map((p) => ({ id: p.id, name: p.name, roles: [...p.roles] })),
  };
}
