/**
 * R-12 D Defense Loop on top of the cadence's deliverables: the cadence already plans D's monthly
 * auto report (risk intake + stability check + 1-page assurance summary) and the quarterly
 * digital touch that carries the assurance brief (domain/deliverables-plan.ts). What this adds is
 * the monthly intake's figures and the loop's three triggers — an incident spike, a rising
 * exception age, two months over the cost-to-serve target (the client's monthly CS budget, R-5) —
 * each a stability-review CTA to the TAM and an At-Risk signal (R-93 seam, issue 12).
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { defenseLoopTriggers, type DefenseTrigger } from '../domain/governance.js';
import { applyClientOverrides, type Policy } from '../domain/policy.js';
import { clientInvestment, type SegmentKey } from '../domain/portfolio.js';
import type { Db } from './client.js';
import { ctaIdFor, openCta, type CtaRow } from './ctas.js';
import { appendEvent, type WriteContext } from './ledger.js';
import { activePolicy } from './policies.js';
import { clients, ctas, defenseLoopIntakes } from './schema.js';

export interface IntakeInput {
  month: string;
  incidents: number;
  oldestExceptionAgeDays?: number | null;
  costToServeUsd?: number | null;
  stable: boolean;
  risks?: string[];
  notes?: string;
}

export type IntakeOutcome =
  | { ok: true; intake: typeof defenseLoopIntakes.$inferSelect; triggers: { trigger: DefenseTrigger; ctaId: string; why: Record<string, unknown> }[]; opened: CtaRow[]; costTargetUsdPerMonth: number }
  | { ok: false; status: 404 | 409; message: string };

const BUCKET: Record<DefenseTrigger, 'Service' | 'Financial'> = { incidentSpike: 'Service', exceptionAgeRising: 'Service', costToServeOverTarget: 'Financial' };
const TITLE: Record<DefenseTrigger, string> = {
  incidentSpike: 'Defense Loop: incident spike — stability review',
  exceptionAgeRising: 'Defense Loop: exception age rising — stability review',
  costToServeOverTarget: 'Defense Loop: over the cost-to-serve target two months running — stability review',
};

/** The policy for a client (its overrides applied). */
async function clientPolicy(db: Db, overrides: unknown): Promise<Policy> {
  const active = await activePolicy(db);
  const applied = applyClientOverrides(active.document, overrides);
  return applied.ok ? applied.policy : active.document;
}

/**
 * Records (or corrects) a month's intake and fires the loop's triggers for it, once per client,
 * month and trigger (the CTA is keyed by them, so a corrected intake does not open a second one).
 */
export async function recordDefenseIntake(db: Db, clientId: string, input: IntakeInput, { actor, at }: WriteContext): Promise<IntakeOutcome> {
  const [client] = await db.select().from(clients).where(eq(clients.id, clientId));
  if (!client) return { ok: false, status: 404, message: `No client ${clientId}.` };
  const policy = await clientPolicy(db, client.policyOverrides);
  const segment = client.segment as SegmentKey;
  const loop = policy.cadence[segment].defenseLoop;
  if (!loop.enabled) return { ok: false, status: 409, message: `The Defense Loop runs for segments whose cadence.<segment>.defenseLoop.enabled is set (D by default, R-12); client ${client.name} is ${segment}.` };
  // the client's monthly CS budget is its cost-to-serve target.
  const costTarget = Math.round((clientInvestment({ mrr: client.mrr, segment }, policy).csBudgetYearUsd / 12) * 100) / 100;
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const values = {
      clientId, month: input.month, incidents: input.incidents, oldestExceptionAgeDays: input.oldestExceptionAgeDays ?? null, costToServeUsd: input.costToServeUsd ?? null,
      stable: input.stable, risks: input.risks ?? [], notes: input.notes ?? null, recordedAt: at,
    };
    const [intake] = await tx.insert(defenseLoopIntakes).values(values)
      .onConflictDoUpdate({ target: [defenseLoopIntakes.clientId, defenseLoopIntakes.month], set: { ...values } }).returning();
    await appendEvent(tx, {
      occurredAt: at, clientId, process: 'defense-loop', type: 'defense.intake_recorded', ruleId: 'R-12', actor, why: { costTargetUsdPerMonth: costTarget, ...(input.notes ? { notes: input.notes } : {}) },
      data: { month: input.month, incidents: input.incidents, oldestExceptionAgeDays: values.oldestExceptionAgeDays, costToServeUsd: values.costToServeUsd, stable: input.stable, risks: values.risks },
    });
    // The months up to this one, oldest first, consecutive from this one back.
    const history = (await tx.select().from(defenseLoopIntakes).where(and(eq(defenseLoopIntakes.clientId, clientId), sql`${defenseLoopIntakes.month} <= ${input.month}`))
      .orderBy(desc(defenseLoopIntakes.month)).limit(Math.max(loop.trailingMonths, loop.exceptionAgeRisingMonths, loop.costToServeOverMonths) + 1)).reverse();
    const consecutive: typeof history = [];
    for (let i = history.length - 1; i >= 0; i--) {
      if (consecutive.length && monthAfter(history[i]!.month) !== consecutive[0]!.month) break;
      consecutive.unshift(history[i]!);
    }
    const fired = defenseLoopTriggers(consecutive.map((h) => ({ month: h.month, incidents: h.incidents, oldestExceptionAgeDays: h.oldestExceptionAgeDays, costToServeUsd: h.costToServeUsd })), costTarget, loop);
    const triggers: { trigger: DefenseTrigger; ctaId: string; why: Record<string, unknown> }[] = [];
    const opened: CtaRow[] = [];
    for (const f of fired) {
      const key = `defense/${clientId}/${input.month}/${f.trigger}`;
      const existed = (await tx.select({ id: ctas.id }).from(ctas).where(eq(ctas.id, ctaIdFor(key)))).length > 0;
      const cta = await openCta(tx, {
        key, clientId, process: 'defense-loop', kind: 'defense-review', ruleId: 'R-12', ownerRole: policy.raci[segment].cadenceOwner, title: `${TITLE[f.trigger]} (${input.month})`,
        dueAt: new Date(Date.parse(at) + loop.triggerCtaDueDays * 86_400_000).toISOString(), firstActionHours: policy.meeting.firstActionHours, openedAt: at, actor,
        why: { rule: 'R-12', ...f.why }, data: { trigger: f.trigger, month: input.month },
      });
      triggers.push({ trigger: f.trigger, ctaId: cta.id, why: f.why });
      if (existed) continue;
      opened.push(cta);
      await appendEvent(tx, { id: `${key}/fired`, occurredAt: at, clientId, process: 'defense-loop', type: 'defense.trigger_fired', ruleId: 'R-12', actor, why: f.why, data: { trigger: f.trigger, month: input.month, ctaId: cta.id } });
      // The R-93 seam: the at-risk process (issue 12) opens or extends a risk in this bucket.
      await appendEvent(tx, { id: `${key}/risk-signal`, occurredAt: at, clientId, process: 'defense-loop', type: 'risk.signal_raised', ruleId: 'R-12', actor, why: { rule: 'R-93' }, data: { trigger: f.trigger, bucket: BUCKET[f.trigger], evidence: f.why, firstActionCta: cta.id } });
    }
    return { ok: true, intake: intake!, triggers, opened, costTargetUsdPerMonth: costTarget };
  });
}

function monthAfter(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** The loop's state for one client: intakes (newest first), trigger CTAs, and the policy figures it judges by. */
export async function defenseLoopView(db: Db, clientId: string) {
  const [client] = await db.select().from(clients).where(eq(clients.id, clientId));
  if (!client) return undefined;
  const policy = await clientPolicy(db, client.policyOverrides);
  const segment = client.segment as SegmentKey;
  const intakes = await db.select().from(defenseLoopIntakes).where(eq(defenseLoopIntakes.clientId, clientId)).orderBy(desc(defenseLoopIntakes.month)).limit(24);
  const reviews = await db.select().from(ctas).where(and(eq(ctas.clientId, clientId), eq(ctas.kind, 'defense-review'))).orderBy(asc(ctas.createdAt), asc(ctas.id));
  const deliverables = await db.select().from(ctas).where(and(eq(ctas.clientId, clientId), sql`${ctas.kind} in ('deliverable-autoReport', 'deliverable-digitalTouch')`)).orderBy(desc(ctas.dueAt)).limit(24);
  return {
    clientId, segment, enabled: policy.cadence[segment].defenseLoop.enabled, loop: policy.cadence[segment].defenseLoop,
    costTargetUsdPerMonth: Math.round((clientInvestment({ mrr: client.mrr, segment }, policy).csBudgetYearUsd / 12) * 100) / 100,
    intakes, reviews, deliverables,
  };
}
