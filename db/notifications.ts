/**
 * Email that no ledger event causes (issue 15): "due soon" reminders and the daily digest, queued
 * by the notification sweep (activities/notifications.ts) into the delivery outbox like every
 * other email, and each person's per-category opt-outs (the unsubscribe link, the preferences API).
 * Idempotent by construction: the delivery id derives from (CTA, due instant) and from
 * (person, date), so a repeated sweep queues nothing new.
 */
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { deliveryIdFor, SMTP_CONNECTOR } from './deliveries.js';
import { enqueueWorkflowStart } from './outbox.js';
import { clients, ctas, deliveries, people } from './schema.js';
import { EMAIL_CATEGORIES, type CtaEmail, type DigestEmail, type EmailCategory } from '../domain/email.js';

/** The CTA states in which a CTA still waits for its owner. */
const OPEN_STATES = ['open', 'first_action', 'escalated'];
/** At most this many CTAs are listed in one digest; the rest are counted ("…and N more"). */
export const DIGEST_MAX_ITEMS = 50;

export const DUE_SOON_EVENT = 'cta.due_soon';
export const DIGEST_EVENT = 'email.digest';

async function queue(tx: Pick<Db, 'insert'>, id: string, eventType: string, clientId: string | null, payload: object): Promise<boolean> {
  const [row] = await tx.insert(deliveries).values({ id, channel: 'email', connector: SMTP_CONNECTOR, subscriptionId: null, eventId: null, eventType, clientId, payload: payload as Record<string, unknown> })
    .onConflictDoNothing().returning({ id: deliveries.id });
  if (row) await enqueueWorkflowStart(tx as Db, 'delivery', id);
  return !!row;
}

/**
 * One reminder per CTA and due instant for every open CTA due within `hours` of `at` whose owner is
 * active and has not unsubscribed from `dueSoon`. Returns the deliveries queued now.
 */
export async function queueDueSoonEmails(db: Db, at: string, hours: number): Promise<string[]> {
  const until = new Date(Date.parse(at) + hours * 3_600_000).toISOString();
  const rows = await db.select({
    ctaId: ctas.id, clientId: ctas.clientId, title: ctas.title, dueAt: ctas.dueAt, firstActionDueAt: ctas.firstActionDueAt, personId: people.id, name: people.name, email: people.email, clientName: clients.name,
  }).from(ctas).innerJoin(people, eq(people.id, ctas.ownerPersonId)).leftJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(inArray(ctas.state, OPEN_STATES), gt(ctas.dueAt, at), lte(ctas.dueAt, until), eq(people.active, true), sql`not (${people.emailOptOuts} ? 'dueSoon')`))
    .orderBy(asc(ctas.dueAt), asc(ctas.id));
  const queued: string[] = [];
  await db.transaction(async (tx) => {
    for (const r of rows) {
      const dueAt = new Date(r.dueAt).toISOString();
      const payload: CtaEmail = { kind: 'cta.due_soon', personId: r.personId, to: r.email, toName: r.name, ctaId: r.ctaId, title: r.title, clientName: r.clientName ?? 'your portfolio', dueAt, firstActionDueAt: new Date(r.firstActionDueAt).toISOString() };
      const id = deliveryIdFor(`email/due-soon/${r.ctaId}/${dueAt}`);
      if (await queue(tx as unknown as Db, id, DUE_SOON_EVENT, r.clientId, payload)) queued.push(id);
    }
  });
  return queued;
}

/**
 * The digest of `date` for every active person with open CTAs who has not unsubscribed from
 * `digest`: overdue first, then by due instant. One per person per date. Returns the deliveries queued now.
 */
export async function queueDigests(db: Db, date: string, at: string, dueSoonHours: number): Promise<string[]> {
  const rows = await db.select({
    ctaId: ctas.id, title: ctas.title, dueAt: ctas.dueAt, state: ctas.state, personId: people.id, name: people.name, email: people.email, clientName: clients.name,
  }).from(ctas).innerJoin(people, eq(people.id, ctas.ownerPersonId)).leftJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(inArray(ctas.state, OPEN_STATES), eq(people.active, true), sql`not (${people.emailOptOuts} ? 'digest')`))
    .orderBy(asc(people.id), asc(ctas.dueAt), asc(ctas.id));
  const byPerson = new Map<string, typeof rows>();
  for (const r of rows) byPerson.set(r.personId, [...(byPerson.get(r.personId) ?? []), r]);
  const now = Date.parse(at);
  const soon = now + dueSoonHours * 3_600_000;
  const queued: string[] = [];
  await db.transaction(async (tx) => {
    for (const [personId, items] of byPerson) {
      const first = items[0]!;
      const all = items.map((r) => {
        const due = Date.parse(new Date(r.dueAt).toISOString());
        return { ctaId: r.ctaId, title: r.title, clientName: r.clientName ?? 'portfolio', dueAt: new Date(r.dueAt).toISOString(), state: r.state, overdue: due <= now, dueSoon: due > now && due <= soon };
      });
      const payload: DigestEmail = { kind: 'digest', personId, to: first.email, toName: first.name, date, items: all.slice(0, DIGEST_MAX_ITEMS), more: Math.max(0, all.length - DIGEST_MAX_ITEMS) };
      const id = deliveryIdFor(`email/digest/${personId}/${date}`);
      if (await queue(tx as unknown as Db, id, DIGEST_EVENT, null, payload)) queued.push(id);
    }
  });
  return queued;
}

/** A person's email opt-outs: every category with whether it is sent. */
export async function emailPreferences(db: Pick<Db, 'select'>, personId: string): Promise<Record<EmailCategory, boolean> | undefined> {
  const [row] = await db.select({ optOuts: people.emailOptOuts }).from(people).where(eq(people.id, personId));
  return row ? prefsOf(row.optOuts) : undefined;
}

const prefsOf = (optOuts: string[]) => Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, !optOuts.includes(c)])) as Record<EmailCategory, boolean>;

/** Sets some categories on or off (the others stay); answers the result, or undefined for an unknown person. */
export async function setEmailPreferences(db: Db, personId: string, change: Partial<Record<EmailCategory, boolean>>, at: string): Promise<Record<EmailCategory, boolean> | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ optOuts: people.emailOptOuts }).from(people).where(eq(people.id, personId)).for('update');
    if (!row) return undefined;
    const optOuts = EMAIL_CATEGORIES.filter((c) => (change[c] === undefined ? row.optOuts.includes(c) : !change[c]));
    await tx.update(people).set({ emailOptOuts: optOuts, updatedAt: at }).where(eq(people.id, personId));
    return prefsOf(optOuts);
  });
}
