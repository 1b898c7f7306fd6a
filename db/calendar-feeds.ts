import { randomBytes, randomUUID } from 'node:crypto';
import { sql, and, asc, eq, gt, gte, inArray, isNull, notInArray, or } from 'drizzle-orm';
// Tokens, like API keys, are 32 random bytes: one SHA-256 is enough; only the hash is stored.
import { hashKey as hashToken } from './api-keys.js';
import type { Db } from './client.js';
import { calendarFeeds, clients, ctas, meetings, people, roleAssignments } from './schema.js';

export type CalendarFeedRow = typeof calendarFeeds.$inferSelect;
export const publicFeed = (row: CalendarFeedRow) => ({ id: row.id, personId: row.personId, prefix: row.prefix, createdBy: row.createdBy, createdAt: row.createdAt, revokedAt: row.revokedAt });

/**
 * A new feed with a secret token (only its hash is stored). With an `id` from an Idempotency-Key, a
 * retry whose first attempt died before answering gets the same feed with a fresh token: the
 * first token was never shown to anyone.
 */
export async function createCalendarFeed(db: Db, personId: string, createdBy: string, id: string = randomUUID()) {
  const token = `batcal_${randomBytes(32).toString('base64url')}`;
  const values = { id, personId, prefix: token.slice(0, 14), tokenHash: hashToken(token), createdBy };
  const [row] = await db.insert(calendarFeeds).values(values)
    .onConflictDoUpdate({ target: calendarFeeds.id, set: { prefix: values.prefix, tokenHash: values.tokenHash }, setWhere: and(eq(calendarFeeds.personId, personId), isNull(calendarFeeds.revokedAt)) })
    .returning();
  if (!row) throw new Error(`calendar feed ${id} exists and cannot be re-issued`);
  return { token, feed: publicFeed(row) };
}

/** A person's feeds by id, `limit` after the cursor `after` (an id). */
export async function listCalendarFeeds(db: Db, personId: string, page: { after?: string; limit: number } = { limit: 1000 }) {
  const where = page.after ? and(eq(calendarFeeds.personId, personId), gt(calendarFeeds.id, page.after)) : eq(calendarFeeds.personId, personId);
  return (await db.select().from(calendarFeeds).where(where).orderBy(asc(calendarFeeds.id)).limit(page.limit)).map(publicFeed);
}

/** Revokes a feed; revoking twice keeps the first revocation time. */
export async function revokeCalendarFeed(db: Db, id: string, at: string) {
  const [row] = await db.update(calendarFeeds).set({ revokedAt: at }).where(and(eq(calendarFeeds.id, id), isNull(calendarFeeds.revokedAt))).returning();
  if (row) return publicFeed(row);
  const [existing] = await db.select().from(calendarFeeds).where(eq(calendarFeeds.id, id));
  return existing ? publicFeed(existing) : undefined;
}

/** The person behind a live (not revoked) token, or undefined. */
export async function feedOwner(db: Db, token: string) {
  const [row] = await db.select({ person: people }).from(calendarFeeds).innerJoin(people, eq(people.id, calendarFeeds.personId))
    .where(and(eq(calendarFeeds.tokenHash, hashToken(token)), isNull(calendarFeeds.revokedAt)));
  return row?.person;
}

/**
 * What a person's feed shows: the meetings of every client they hold a role for (as assignee or
 * named backup, R-122) or are Accountable for, from `since` on; and the open CTAs they own.
 */
export async function feedContents(db: Db, personId: string, since: string) {
  const assigned = db.select({ id: roleAssignments.clientId }).from(roleAssignments)
    .where(or(eq(roleAssignments.personId, personId), eq(roleAssignments.backupPersonId, personId)));
  const meetingRows = await db.select({ meeting: meetings, clientName: clients.name }).from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId))
    .where(and(gte(meetings.endsAt, since), or(eq(meetings.accountablePersonId, personId), inArray(meetings.clientId, assigned))))
    .orderBy(asc(meetings.startsAt), asc(meetings.id)).limit(2000);
  // Portfolio CTAs (no client: R-6 capacity gap, R-60 Corrective Play, R-37 rebalance) are shown as the portfolio's.
  const ctaRows = await db.select({ cta: ctas, clientName: sql<string>`coalesce(${clients.name}, 'portfolio')` }).from(ctas).leftJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(eq(ctas.ownerPersonId, personId), notInArray(ctas.state, ['done', 'cancelled'])))
    .orderBy(asc(ctas.dueAt), asc(ctas.id)).limit(2000);
  return { meetings: meetingRows, ctas: ctaRows };
}
