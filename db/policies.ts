import { desc, eq } from 'drizzle-orm';
import { isUniqueViolation } from './errors.js';
import { applyClientOverrides, defaultPolicy, diffPolicies, parsePolicy, type Policy } from '../domain/policy.js';
import type { Db } from './client.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { policies } from './schema.js';

export interface PolicyVersion {
  version: number;
  document: Policy;
  note: string;
  publishedBy: string;
  publishedAt: string;
}

const toVersion = (row: typeof policies.$inferSelect): PolicyVersion => {
  // Stored documents were validated on publish; re-parsing fills defaults added by later releases.
  const parsed = parsePolicy(row.document);
  if (!parsed.ok) throw new Error(`stored policy v${row.version} no longer validates: ${JSON.stringify(parsed.issues)}`);
  return { version: row.version, document: parsed.policy, note: row.note, publishedBy: row.publishedBy, publishedAt: row.publishedAt };
};

/** Version 1 is the seed's defaults (DOMAIN §4), written once on first start. */
export async function ensureDefaultPolicy(db: Db): Promise<void> {
  await db
    .insert(policies)
    .values({ version: 1, document: defaultPolicy as unknown as Record<string, unknown>, note: 'Defaults from DOMAIN §4 (CS Blueprints)', publishedBy: 'system' })
    .onConflictDoNothing();
}

export async function activePolicy(db: Db): Promise<PolicyVersion> {
  const [row] = await db.select().from(policies).orderBy(desc(policies.version)).limit(1);
  if (!row) {
    await ensureDefaultPolicy(db);
    return activePolicy(db);
  }
  return toVersion(row);
}

/** The active policy with a client's overrides applied (the MSP's own when the overrides no longer validate against it). */
export async function policyForClient(db: Db, overrides: unknown): Promise<{ version: number; policy: Policy }> {
  const active = await activePolicy(db);
  const applied = applyClientOverrides(active.document, overrides);
  return { version: active.version, policy: applied.ok ? applied.policy : active.document };
}

export async function policyVersion(db: Db, version: number): Promise<PolicyVersion | undefined> {
  const [row] = await db.select().from(policies).where(eq(policies.version, version));
  return row ? toVersion(row) : undefined;
}

export async function listPolicyVersions(db: Db) {
  return db
    .select({ version: policies.version, note: policies.note, publishedBy: policies.publishedBy, publishedAt: policies.publishedAt })
    .from(policies)
    .orderBy(desc(policies.version));
}

export type PublishResult =
  | { ok: true; version: PolicyVersion; previousVersion: number; diff: ReturnType<typeof diffPolicies> }
  | { ok: false; issues: { path: string; message: string }[] };

/**
 * Publishes the next version. Versions are dense integers; two concurrent publishers collide on
 * the primary key and the loser retries against the new head.
 */
export async function publishPolicy(db: Db, document: unknown, note: string, { actor, at }: WriteContext): Promise<PublishResult> {
  const parsed = parsePolicy(document);
  if (!parsed.ok) return parsed;
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await activePolicy(db);
    const diff = diffPolicies(current.document, parsed.policy);
    try {
      const row = await db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(policies)
          .values({ version: current.version + 1, document: parsed.policy as unknown as Record<string, unknown>, note, publishedBy: actor.name ?? actor.kind, publishedAt: at })
          .returning();
        await appendEvent(tx, {
          occurredAt: at,
          clientId: null,
          process: 'policy',
          type: 'policy.published',
          why: { note, previousVersion: current.version },
          actor,
          data: { version: inserted!.version, changes: diff },
        });
        return inserted!;
      });
      return { ok: true, version: toVersion(row), previousVersion: current.version, diff };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error('could not publish the policy: concurrent publishers kept winning');
}
