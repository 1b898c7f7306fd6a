/**
 * The KPI registry: one family per process (cadence R-39, onboarding R-57, governance R-60; sales
 * R-45 and at-risk R-103 join when their processes exist), each a list of figure definitions. A
 * definition is the figure's spec (domain/kpi.ts), its target from the policy and a loader that
 * turns the database into observations for a window. `GET /v1/portfolio/kpis/{family}` serves
 * every registered family; adding one is adding a module here (docs/portfolio.md "Adding a KPI
 * family").
 */
import { inArray } from 'drizzle-orm';
import type { FigureSpec, Observation, PeriodKind } from '../../domain/kpi.js';
import type { Policy } from '../../domain/policy.js';
import type { Db } from '../client.js';
import { clients, people, roleAssignments } from '../schema.js';

/** What a loader measures: events in [from, to), judged as of `asOf` (the period's end, or now while it runs). */
export interface KpiWindow { from: string; to: string; asOf: string }

export interface ClientInfo { segment: string; name: string; renewalDate: string | null; owners: Map<string, string> }

export interface KpiContext {
  db: Db;
  policy: Policy;
  window: KpiWindow;
  /** Every client with its segment and role holders (loaded once per report). */
  clients: () => Promise<Map<string, ClientInfo>>;
}

export interface FigureDefinition extends FigureSpec {
  /** The target in the figure's unit, from the policy; null when the rule sets none. */
  target(policy: Policy): number | null;
  load(ctx: KpiContext): Promise<Observation[]>;
}

export interface KpiFamily {
  id: string;
  title: string;
  ruleIds: string[];
  /** The rule's own rhythm: monthly, R-103 quarterly. */
  defaultPeriod: PeriodKind;
  figures: FigureDefinition[];
}

/** The client directory loaders share: segment, name, renewal date and who holds each role. */
export function clientDirectory(db: Db): () => Promise<Map<string, ClientInfo>> {
  let cached: Promise<Map<string, ClientInfo>> | undefined;
  return () => (cached ??= (async () => {
    const [rows, roles] = await Promise.all([
      db.select({ id: clients.id, segment: clients.segment, name: clients.name, renewalDate: clients.renewalDate }).from(clients),
      db.select({ clientId: roleAssignments.clientId, role: roleAssignments.role, personId: roleAssignments.personId }).from(roleAssignments),
    ]);
    const out = new Map<string, ClientInfo>(rows.map((r) => [r.id, { segment: r.segment, name: r.name, renewalDate: r.renewalDate, owners: new Map() }]));
    for (const a of roles) out.get(a.clientId)?.owners.set(a.role, a.personId);
    return out;
  })());
}

/** The person holding `role` for the client (its Accountable for a client-level figure), or null. */
export function ownerOf(info: ClientInfo | undefined, role: string): string | null {
  return info?.owners.get(role) ?? null;
}

/** Display names of the owners a report mentions. */
export async function ownerNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}
