/**
 * The client's access record as pure functions: rebuilding it from an onboarding's
 * facts on the ledger (runs recorded before the record existed), and applying a grant reported after
 * the onboarding closed. Pure and deterministic.
 */
import { accessPercent } from './onboarding-plan.js';

export interface AccessRow { system: string; grantedAt: string | null }

/** The ledger events the rebuild reads (db/ledger.ts rows satisfy it). */
export interface OnboardingFact { type: string; process: string; occurredAt: string; data: Record<string, unknown> }

/**
 * The access matrix an onboarding started with (`process.started` inputs.accessSystems) and the
 * grants it recorded (`process.fact_recorded` accessGranted → details.granted), in ledger order.
 * Empty when the client never started an onboarding.
 */
export function accessFromOnboardingFacts(events: readonly OnboardingFact[]): AccessRow[] {
  const rows = new Map<string, string | null>();
  for (const e of events) {
    if (e.process !== 'onboarding') continue;
    if (e.type === 'process.started') {
      const systems = (e.data.inputs as { accessSystems?: unknown } | undefined)?.accessSystems;
      if (Array.isArray(systems)) for (const s of systems) if (typeof s === 'string' && !rows.has(s)) rows.set(s, null);
    } else if (e.type === 'process.fact_recorded' && e.data.fact === 'accessGranted') {
      const granted = (e.data.details as { granted?: unknown } | undefined)?.granted;
      if (Array.isArray(granted)) for (const s of granted) if (typeof s === 'string' && !rows.get(s)) rows.set(s, e.occurredAt);
    }
  }
  return [...rows.entries()].map(([system, grantedAt]) => ({ system, grantedAt }));
}

/** A late grant: which systems it grants now, which were already granted, which the record does not know; and the record after it. */
export function applyGrant(record: readonly AccessRow[], systems: readonly string[], at: string) {
  const known = new Set(record.map((r) => r.system));
  const unknown = systems.filter((s) => !known.has(s));
  const granted = systems.filter((s) => known.has(s) && record.find((r) => r.system === s)!.grantedAt === null);
  const alreadyGranted = systems.filter((s) => known.has(s) && !granted.includes(s));
  const after = record.map((r) => (granted.includes(r.system) ? { system: r.system, grantedAt: at } : { ...r }));
  return { granted, alreadyGranted, unknown, after, percent: accessPercent(after.map((r) => ({ system: r.system, granted: r.grantedAt !== null }))) };
}
