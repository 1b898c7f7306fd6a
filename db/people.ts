import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { people } from './schema.js';

export type PersonRow = typeof people.$inferSelect;

export interface PeopleFilter { role?: string; active?: boolean; after?: string; limit: number }

/** MSP staff by id, one page (`next`: the last id of this page, when more follow). */
export async function listPeople(db: Pick<Db, 'select'>, f: PeopleFilter): Promise<{ items: PersonRow[]; next?: string }> {
  const where: SQL[] = [];
  if (f.role) where.push(sql`${people.roles} ? ${f.role}`);
  if (f.active !== undefined) where.push(eq(people.active, f.active));
  if (f.after) where.push(gt(people.id, f.after));
  const rows = await db.select().from(people).where(where.length ? and(...where) : undefined).orderBy(asc(people.id)).limit(f.limit + 1);
  const items = rows.slice(0, f.limit);
  return { items, ...(rows.length > f.limit ? { next: items.at(-1)!.id } : {}) };
}

export async function getPerson(db: Pick<Db, 'select'>, id: string): Promise<PersonRow | undefined> {
  return (await db.select().from(people).where(eq(people.id, id)))[0];
}

/** The person with this email (emails are unique regardless of case), e.g. the one signed in to the console. */
export async function personByEmail(db: Pick<Db, 'select'>, email: string): Promise<PersonRow | undefined> {
  return (await db.select().from(people).where(sql`lower(${people.email}) = lower(${email})`))[0];
}
