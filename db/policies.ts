import { desc, eq, gte, lt, sql } from 'drizzle-orm';
import { quarterWindow, thresholdChanges, thresholdChangeVerdict, type ThresholdVerdict } from '../domain/governance.js';
import { markCapacityChanged } from './portfolio.js';
import { isUniqueViolation } from './errors.js';
import { applyClientOverrides, defaultPolicy, diffPolicies, parsePolicy, parsePolicyForPublishing, type Policy, type PublishMode } from '../domain/policy.js';
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

/**
 * Parsed documents by their digest (PostgreSQL's md5 of the stored text): every request and
 * activity reads a policy, and validating the whole document each time was a large share of their
 * CPU (issue 17); reading, transferring, parsing and re-serialising the whole row to find it in a
 * cache keyed by its text still cost most of that. A read now asks for the version's digest, and
 * the document itself only for a digest not seen yet. Keyed by the content, so no database, version
 * or publication can be served another's document; each caller gets its own copy, as a fresh parse
 * gave it.
 */
const parsedDocuments = new Map<string, Policy>();
/** A document with a client's overrides applied, by the document's digest and the overrides' text (null: they no longer validate). */
const withOverrides = new Map<string, Policy | null>();
const CACHE_MAX = 64;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function parseStored(version: number, document: unknown): Policy {
  // Stored documents were validated on publish; re-parsing fills defaults added by later releases.
  const parsed = parsePolicy(document);
  if (!parsed.ok) throw new Error(`stored policy v${version} no longer validates: ${JSON.stringify(parsed.issues)}`);
  return parsed.policy;
}

/** A stored version with its parsed document shared by every reader: callers copy before handing it out. */
interface StoredVersion { version: number; digest: string; shared: Policy; note: string; publishedBy: string; publishedAt: string }

const headColumns = { version: policies.version, note: policies.note, publishedBy: policies.publishedBy, publishedAt: policies.publishedAt, digest: sql<string>`md5(${policies.document}::text)` };

async function storedVersion(db: Db, version?: number): Promise<StoredVersion | undefined> {
  const query = db.select(headColumns).from(policies);
  const [head] = await (version === undefined ? query.orderBy(desc(policies.version)).limit(1) : query.where(eq(policies.version, version)));
  if (!head) return undefined;
  let shared = parsedDocuments.get(head.digest);
  if (!shared) {
    // Versions are never rewritten, so the document read now is the one the digest names.
    const [row] = await db.select({ document: policies.document }).from(policies).where(eq(policies.version, head.version));
    shared = remember(parsedDocuments, head.digest, parseStored(head.version, row!.document));
  }
  return { ...head, shared };
}

const published = (s: StoredVersion): PolicyVersion =>
  ({ version: s.version, document: structuredClone(s.shared), note: s.note, publishedBy: s.publishedBy, publishedAt: s.publishedAt });

const toVersion = (row: typeof policies.$inferSelect): PolicyVersion =>
  ({ version: row.version, document: parseStored(row.version, row.document), note: row.note, publishedBy: row.publishedBy, publishedAt: row.publishedAt });

/** Version 1 is the seed's defaults (DOMAIN §4), written once on first start. */
export async function ensureDefaultPolicy(db: Db): Promise<void> {
  await db
    .insert(policies)
    .values({ version: 1, document: defaultPolicy as unknown as Record<string, unknown>, note: 'Defaults from DOMAIN §4 (CS Blueprints)', publishedBy: 'system' })
    .onConflictDoNothing();
}

export async function activePolicy(db: Db): Promise<PolicyVersion> {
  return published(await activeStored(db));
}

async function activeStored(db: Db): Promise<StoredVersion> {
  const stored = await storedVersion(db);
  if (stored) return stored;
  await ensureDefaultPolicy(db);
  return activeStored(db);
}

/**
 * A policy version (default the active one; an unknown version falls back to it) with a client's
 * overrides applied — the MSP's own document when the overrides no longer validate against it.
 */
export async function policyForClient(db: Db, overrides: unknown, version?: number): Promise<{ version: number; policy: Policy }> {
  const stored = (version === undefined ? undefined : await storedVersion(db, version)) ?? (await activeStored(db));
  const key = `${stored.digest}\n${JSON.stringify(overrides ?? null)}`;
  let applied = withOverrides.get(key);
  if (applied === undefined) {
    const result = applyClientOverrides(stored.shared, overrides);
    applied = remember(withOverrides, key, result.ok ? result.policy : null);
  }
  return { version: stored.version, policy: structuredClone(applied ?? stored.shared) };
}

export async function policyVersion(db: Db, version: number): Promise<PolicyVersion | undefined> {
  const stored = await storedVersion(db, version);
  return stored ? published(stored) : undefined;
}

export async function listPolicyVersions(db: Db, page: { beforeVersion?: number; limit: number }) {
  return db
    .select({ version: policies.version, note: policies.note, publishedBy: policies.publishedBy, publishedAt: policies.publishedAt })
    .from(policies)
    .where(page.beforeVersion !== undefined ? lt(policies.version, page.beforeVersion) : undefined)
    .orderBy(desc(policies.version))
    .limit(page.limit);
}

export type PublishResult =
  | { ok: true; published: true; version: PolicyVersion; previousVersion: number; diff: ReturnType<typeof diffPolicies>; thresholds: Extract<ThresholdVerdict, { ok: true }> }
  /** The document equals the version in force: nothing is published, the active version answers. */
  | { ok: true; published: false; version: PolicyVersion; previousVersion: number; diff: [] }
  | { ok: false; issues: { path: string; message: string }[] }
  /** a threshold change mid-quarter, or a second one in the quarter, without `force`. */
  | { ok: false; refused: Extract<ThresholdVerdict, { ok: false }> };

/**
 * the versions published since `since` whose change against their predecessor touched a
 * threshold (newest first). A handful per quarter at most, so they are diffed here.
 */
export async function thresholdChangesSince(db: Db, since: string, paths: readonly string[]): Promise<{ version: number; publishedAt: string }[]> {
  const rows = await db.select().from(policies).where(gte(policies.publishedAt, since)).orderBy(desc(policies.version));
  const out: { version: number; publishedAt: string }[] = [];
  for (const row of rows) {
    const before = await policyVersion(db, row.version - 1);
    if (!before) continue;
    if (thresholdChanges(diffPolicies(before.document, toVersion(row).document), paths).length) out.push({ version: row.version, publishedAt: row.publishedAt });
  }
  return out;
}

/**
 * Publishes the next version. Versions are dense integers; two concurrent publishers collide on
 * the primary key and the loser retries against the new head. Strict (see
 * `parsePolicyForPublishing`): unknown keys and, in `replace` mode, missing keys are refused; a
 * document identical to the active version is not a new version.
 */
export async function publishPolicy(
  db: Db, document: unknown, note: string, { actor, at }: WriteContext, mode: PublishMode = 'replace', opts: { force?: { rationale: string } } = {},
): Promise<PublishResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await activePolicy(db);
    const parsed = parsePolicyForPublishing(document, mode, current.document);
    if (!parsed.ok) return parsed;
    const diff = diffPolicies(current.document, parsed.policy);
    if (diff.length === 0) return { ok: true, published: false, version: current, previousVersion: current.version, diff: [] };
    // thresholds change at most once a quarter, never mid-quarter, unless an admin forces it with a rationale.
    const window = quarterWindow(at, current.document);
    const verdict = thresholdChangeVerdict({
      at, diff, ...(opts.force ? { force: opts.force } : {}),
      earlierThisQuarter: thresholdChanges(diff, current.document.governance.thresholdPaths).length ? await thresholdChangesSince(db, window.quarterStart, current.document.governance.thresholdPaths) : [],
    }, current.document);
    if (!verdict.ok) return { ok: false, refused: verdict };
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
          why: {
            note, previousVersion: current.version, mode,
            ...(verdict.thresholdChanges.length ? { thresholdChange: { rule: 'R-125', quarter: verdict.window.quarter, paths: verdict.thresholdChanges.map((c) => c.path), ...(verdict.forced ? { forced: true, rationale: verdict.forced.rationale } : { inWindow: true }) } } : {}),
          },
          actor,
          data: { version: inserted!.version, changes: diff },
        });
        await markCapacityChanged(tx); // R-6 reads investment and capacity keys
        return inserted!;
      });
      return { ok: true, published: true, version: toVersion(row), previousVersion: current.version, diff, thresholds: verdict };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error('could not publish the policy: concurrent publishers kept winning');
}
