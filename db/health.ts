import { and, asc, desc, eq, gte, inArray, isNull, lte, notInArray, sql } from 'drizzle-orm';
import type { CreditVerdict, GateView } from '../domain/effects.js';
import type { AlignmentFact, ComplaintFact, DmiFact, HealthFacts, MeetingFact, PulseFact, ServiceFact } from '../domain/health.js';
import type { ConditionFacts } from '../domain/health-process.js';
import type { Policy } from '../domain/policy.js';
import type { Db } from './client.js';
import type { ClientRow } from './clients.js';
import { ctaIdFor } from './ctas.js';
import { appendEvent } from './ledger.js';
import { clientHealth, clients, creditDecisions, ctas, events, healthInputs, healthSnapshots, meetings, type Actor } from './schema.js';

type Executor = Pick<Db, 'select' | 'insert' | 'update'>;
const DAY_MS = 86_400_000;
export type HealthInputKind = 'pulse' | 'complaint' | 'dmi' | 'serviceMetrics' | 'alignment';

/**
 * Stores one health input and puts it on the timeline (`health.input_recorded`), once: the id comes
 * from the request's Idempotency-Key, so a repeat finds the first row (C-6). Returns whether it was new.
 */
export async function recordHealthInput(tx: Executor, input: { id: string; clientId: string; kind: HealthInputKind; observedAt: string; data: Record<string, unknown> }, actor: Actor, at: string): Promise<boolean> {
  const inserted = await tx.insert(healthInputs).values({ id: input.id, clientId: input.clientId, kind: input.kind, observedAt: input.observedAt, data: input.data, createdAt: at })
    .onConflictDoNothing().returning({ id: healthInputs.id });
  if (!inserted.length) return false;
  await appendEvent(tx, {
    id: `health-input/${input.id}`, occurredAt: at, clientId: input.clientId, process: 'health', workflowId: null, type: 'health.input_recorded', ruleId: RULE_OF[input.kind], actor,
    why: { rule: 'C-6: a repeat of the Idempotency-Key changes nothing', evaluatedBy: 'the client\'s health process, at once (real-time signal) and at the monthly snapshot' },
    data: { inputId: input.id, kind: input.kind, observedAt: new Date(input.observedAt).toISOString(), values: input.data as never },
  });
  return true;
}
const RULE_OF: Record<HealthInputKind, string> = { pulse: 'R-104', complaint: 'R-104', dmi: 'R-105', serviceMetrics: 'R-107', alignment: 'R-108' };

export async function healthInput(db: Pick<Db, 'select'>, id: string) {
  return (await db.select().from(healthInputs).where(eq(healthInputs.id, id)))[0];
}

const iso = (t: number) => new Date(t).toISOString();

/** Everything the health scores and conditions read for one client at `asOf` (R-104..R-121, R-93). */
export async function healthFactsOf(db: Pick<Db, 'select'>, client: Pick<ClientRow, 'id' | 'segment' | 'createdAt' | 'segmentSource'>, asOf: string, policy: Policy): Promise<{ facts: HealthFacts; conditions: ConditionFacts; roadmapResetAt: string | null; aQuarter: { attendancePct: number | null; latencyDays: number | null } | null }> {
  const h = policy.health;
  const windowFrom = iso(Date.parse(asOf) - Math.max(h.windowDays, h.cx.complaintWindowDays, policy.atRisk.detractorWindowDays) * DAY_MS);
  const inputsOf = (kind: HealthInputKind, opts: { from?: string; last?: number }) =>
    db.select({ observedAt: healthInputs.observedAt, data: healthInputs.data }).from(healthInputs)
      .where(and(eq(healthInputs.clientId, client.id), eq(healthInputs.kind, kind), lte(healthInputs.observedAt, asOf), ...(opts.from ? [gte(healthInputs.observedAt, opts.from)] : [])))
      .orderBy(desc(healthInputs.observedAt), desc(healthInputs.id)).limit(opts.last ?? 1000)
      .then((rows) => rows.reverse());
  const [pulseRows, complaintRows, dmiRows, svcRows, alignRows, meetingRows, sponsorRow, ledger, decisionCtas] = await Promise.all([
    inputsOf('pulse', { from: windowFrom }),
    inputsOf('complaint', { from: windowFrom }),
    inputsOf('dmi', { last: policy.playsAndGates.dmiFlatCycles + 2 }),
    inputsOf('serviceMetrics', { last: Math.max(policy.atRisk.slaBreachTrendCycles, 2) + 1 }),
    inputsOf('alignment', { last: 1 }),
    db.select({
      startsAt: meetings.startsAt, state: meetings.state, strategic: meetings.strategic, heldAt: meetings.heldAt, decisionCount: meetings.decisionCount,
      sponsorPresent: meetings.sponsorPresent, recapDueAt: meetings.recapDueAt, recapSentAt: meetings.recapSentAt, data: meetings.data,
    }).from(meetings).where(and(eq(meetings.clientId, client.id), eq(meetings.process, 'cadence'), eq(meetings.strategic, true), lte(meetings.startsAt, asOf)))
      .orderBy(desc(meetings.startsAt)).limit(200),
    db.select({ at: sql<string | null>`max(coalesce(${meetings.heldAt}, ${meetings.endsAt}))` }).from(meetings)
      .where(and(eq(meetings.clientId, client.id), eq(meetings.state, 'held'), eq(meetings.sponsorPresent, true), sql`coalesce(${meetings.heldAt}, ${meetings.endsAt}) <= ${asOf}::timestamptz`)),
    db.select({ type: events.type, occurredAt: events.occurredAt, data: events.data, id: events.id }).from(events)
      .where(and(eq(events.clientId, client.id), lte(events.occurredAt, asOf), inArray(events.type, [
        'proposal.sent', 'proposal.decided', 'decision.logged', 'roadmap.versioned', 'initiative.state_changed', 'stakeholder.deactivated', 'process.fact_recorded',
      ]), sql`(${events.type} <> 'process.fact_recorded' or ${events.data}->>'fact' = 'roadmapConfirmed')`))
      .orderBy(asc(events.seq)),
    db.select({ firstActionDueAt: ctas.firstActionDueAt, firstActionAt: ctas.firstActionAt }).from(ctas)
      .where(and(eq(ctas.clientId, client.id), eq(ctas.process, 'cadence'), eq(ctas.kind, 'decision'), gte(ctas.createdAt, iso(Date.parse(asOf) - h.windowDays * DAY_MS)), lte(ctas.createdAt, asOf))),
  ]);

  const pulses: PulseFact[] = pulseRows.map((r) => ({ observedAt: r.observedAt, ...(r.data as Omit<PulseFact, 'observedAt'>) }));
  const complaints: ComplaintFact[] = complaintRows.map((r) => ({ observedAt: r.observedAt, tag: (r.data as { tag: ComplaintFact['tag'] }).tag }));
  const dmi: DmiFact[] = dmiRows.map((r) => ({ observedAt: r.observedAt, insights: (r.data as { insights: DmiFact['insights'] }).insights }));
  const serviceMetrics: ServiceFact[] = svcRows.map((r) => ({ observedAt: r.observedAt, ...(r.data as Omit<ServiceFact, 'observedAt'>) }));
  const alignment: AlignmentFact[] = alignRows.map((r) => ({ observedAt: r.observedAt, ...(r.data as Omit<AlignmentFact, 'observedAt'>) }) as AlignmentFact);
  const meetingFacts: MeetingFact[] = meetingRows.map((m) => ({
    startsAt: m.startsAt, state: m.state, strategic: m.strategic, heldAt: m.heldAt, decisionCount: m.decisionCount, sponsorPresent: m.sponsorPresent,
    decisionMakerPresent: typeof (m.data as { decisionMakerPresent?: unknown }).decisionMakerPresent === 'boolean' ? (m.data as { decisionMakerPresent: boolean }).decisionMakerPresent : null,
    recapDueAt: m.recapDueAt, recapSentAt: m.recapSentAt,
  }));
  const lastSponsorSeenAt = sponsorRow[0]?.at ? new Date(sponsorRow[0].at).toISOString() : null;

  // Decision latency (R-106): proposals sent → decided (issue 11's proposal events), decisions taken in the session (0 d),
  // and proposals still undecided beyond the target at their age so far. The A-quarter gate uses the quarter's samples.
  const windowStart = Date.parse(asOf) - h.windowDays * DAY_MS;
  const target = h.engagement.latencyTargetDays[client.segment as 'A'];
  const sent = new Map<string, string>();
  const samples: { at: string; days: number }[] = [];
  const declines: string[] = [];
  let roadmapLastMovementAt: string | null = null;
  let roadmapResetAt: string | null = null;
  const left: ConditionFacts['stakeholdersLeft'] = [];
  for (const e of ledger) {
    const d = e.data as Record<string, unknown>;
    const proposalId = typeof d.proposalId === 'string' ? d.proposalId : undefined;
    if (e.type === 'proposal.sent' && proposalId) sent.set(proposalId, e.occurredAt);
    else if (e.type === 'proposal.decided' && proposalId) {
      const from = sent.get(proposalId);
      sent.delete(proposalId);
      if (from && Date.parse(e.occurredAt) >= windowStart) samples.push({ at: e.occurredAt, days: (Date.parse(e.occurredAt) - Date.parse(from)) / DAY_MS });
      const reason = String(d.reason ?? d.declineReason ?? '');
      if (d.outcome !== 'approved' && d.outcome !== 'accepted' && (reason === 'relevance' || reason === 'timing') && Date.parse(e.occurredAt) >= windowStart) declines.push(e.occurredAt);
    } else if (e.type === 'decision.logged' && Date.parse(e.occurredAt) >= windowStart) samples.push({ at: e.occurredAt, days: 0 });
    else if (e.type === 'roadmap.versioned' || e.type === 'initiative.state_changed' || e.type === 'process.fact_recorded') {
      roadmapLastMovementAt = e.occurredAt;
      if (e.type === 'roadmap.versioned') roadmapResetAt = e.occurredAt;
    } else if (e.type === 'stakeholder.deactivated' && Date.parse(e.occurredAt) >= windowStart) {
      const roles = (d.roles as string[] | undefined) ?? [];
      if (roles.some((r) => r === 'executiveSponsor' || r === 'champion')) left.push({ id: String(d.stakeholderId), at: e.occurredAt, roles });
    }
  }
  for (const from of sent.values()) {
    const age = (Date.parse(asOf) - Date.parse(from)) / DAY_MS;
    if (age > target) samples.push({ at: asOf, days: age });
  }

  // an A client's quarter to date — executive attendance of held strategic meetings, decision latency.
  let aQuarter: { attendancePct: number | null; latencyDays: number | null } | null = null;
  if (client.segment === 'A') {
    const d = new Date(asOf);
    const qStart = Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
    const heldInQuarter = meetingFacts.filter((m) => m.state === 'held' && Date.parse(m.startsAt) >= qStart);
    const withExec = heldInQuarter.filter((m) => m.sponsorPresent === true).length;
    const qSamples = samples.filter((x) => Date.parse(x.at) >= qStart).map((x) => x.days).sort((a, b) => a - b);
    const mid = Math.floor(qSamples.length / 2);
    aQuarter = {
      attendancePct: heldInQuarter.length ? Math.round((withExec * 10_000) / heldInQuarter.length) / 100 : null,
      latencyDays: qSamples.length ? Math.round((qSamples.length % 2 ? qSamples[mid]! : (qSamples[mid - 1]! + qSamples[mid]!) / 2) * 100) / 100 : null,
    };
  }

  const facts: HealthFacts = {
    asOf, segment: client.segment as HealthFacts['segment'], clientSince: client.createdAt, pulses, complaints, dmi, serviceMetrics, alignment, meetings: meetingFacts,
    lastSponsorSeenAt, decisionLatencyDays: samples.map((x) => Math.round(x.days * 100) / 100),
    decisionCtas: decisionCtas.map((c) => ({ firstActionDueAt: c.firstActionDueAt, firstActionAt: c.firstActionAt })),
  };
  const slaHistory = serviceMetrics.map((s) => [s.slaResponsePct, s.slaResolutionPct].filter((x): x is number => x !== undefined)).filter((xs) => xs.length).map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const conditions: ConditionFacts = {
    segment: client.segment as ConditionFacts['segment'], segmentSource: client.segmentSource === 'override' ? 'override' : 'computed',
    roadmapLastMovementAt, relevanceTimingDeclines: declines, stakeholdersLeft: left, sponsorAnchor: lastSponsorSeenAt ?? client.createdAt, slaHistory,
  };
  return { facts, conditions, roadmapResetAt, aQuarter };
}

/** Which of this process's play CTAs are still open (by their keys within the workflow). */
export async function openPlayCtas(db: Pick<Db, 'select'>, workflowId: string, keys: string[]): Promise<string[]> {
  if (!keys.length) return [];
  const ids = new Map(keys.map((k) => [ctaIdFor(`${workflowId}/${k}`), k]));
  const rows = await db.select({ id: ctas.id }).from(ctas).where(and(inArray(ctas.id, [...ids.keys()]), notInArray(ctas.state, ['done', 'cancelled'])));
  return rows.map((r) => ids.get(r.id)!).sort();
}

// ---------------------------------------------------------------------------------------------
// Current health, snapshots, credit

export async function upsertCurrentHealth(tx: Executor, clientId: string, v: { evaluatedAt: string; occasion: string; policyVersion: number; scores: { composite: { score: number | null; colour: string | null } } & Record<string, unknown>; credit: GateView; pause: GateView }) {
  const row = {
    clientId, evaluatedAt: v.evaluatedAt, occasion: v.occasion, policyVersion: v.policyVersion, compositeScore: v.scores.composite.score, compositeColour: v.scores.composite.colour,
    scores: v.scores as Record<string, unknown>, credit: v.credit, pause: v.pause, updatedAt: v.evaluatedAt,
  };
  // An older evaluation (a retried batch) never overwrites a newer one.
  await tx.insert(clientHealth).values(row).onConflictDoUpdate({ target: clientHealth.clientId, set: row, setWhere: sql`${clientHealth.evaluatedAt} <= ${v.evaluatedAt}::timestamptz` });
}

export async function upsertSnapshot(tx: Executor, clientId: string, v: { month: string; at: string; scores: { composite: { score: number | null; colour: string | null } } & Record<string, unknown>; credit: GateView; pause: GateView; redStreaks: Record<string, number> }) {
  const row = { clientId, month: v.month, at: v.at, compositeScore: v.scores.composite.score, compositeColour: v.scores.composite.colour, scores: v.scores as Record<string, unknown>, credit: v.credit, pause: v.pause, redStreaks: v.redStreaks };
  await tx.insert(healthSnapshots).values(row).onConflictDoUpdate({ target: [healthSnapshots.clientId, healthSnapshots.month], set: row });
}

export async function currentHealth(db: Pick<Db, 'select'>, clientId: string) {
  return (await db.select().from(clientHealth).where(eq(clientHealth.clientId, clientId)))[0];
}

export async function snapshotHistory(db: Pick<Db, 'select'>, clientId: string, page: { before?: string; limit: number }) {
  const rows = await db.select().from(healthSnapshots)
    .where(and(eq(healthSnapshots.clientId, clientId), ...(page.before ? [sql`${healthSnapshots.month} < ${page.before}`] : [])))
    .orderBy(desc(healthSnapshots.month)).limit(page.limit + 1);
  return { items: rows.slice(0, page.limit), next: rows.length > page.limit ? rows[page.limit - 1]!.month : undefined };
}

/** the client's credit gate as the last evaluation left it (open when the client has no health yet). */
export async function creditGateOf(db: Pick<Db, 'select'>, clientId: string): Promise<GateView & { evaluatedAt: string | null; initiativePause: GateView }> {
  const row = await currentHealth(db, clientId);
  if (!row) return { closed: false, reasons: [], since: null, evaluatedAt: null, initiativePause: { closed: false, reasons: [], since: null } };
  return { ...row.credit, evaluatedAt: row.evaluatedAt, initiativePause: row.pause };
}

/** Stores an approval with its credit verdict, and a deferral on the timeline. Idempotent by id. */
export async function recordCreditDecision(tx: Executor, d: { id: string; clientId: string; source: string; title: string; verdict: CreditVerdict; reasons: string[]; decidedAt: string; meetingId?: string; initiativeId?: string; data?: Record<string, unknown> }, ctx: { process: string; workflowId: string | null; actor: Actor; at: string }) {
  const inserted = await tx.insert(creditDecisions).values({
    id: d.id, clientId: d.clientId, source: d.source, title: d.title, verdict: d.verdict, reasons: d.reasons, decidedAt: d.decidedAt,
    meetingId: d.meetingId ?? null, initiativeId: d.initiativeId ?? null, data: d.data ?? {},
  }).onConflictDoNothing().returning({ id: creditDecisions.id });
  if (inserted.length && d.verdict === 'deferred') {
    await appendEvent(tx, {
      id: `credit/${d.id}/deferred`, occurredAt: ctx.at, clientId: d.clientId, process: ctx.process, workflowId: ctx.workflowId, type: 'credit.deferred', ruleId: 'R-32', actor: ctx.actor,
      why: { rule: 'owner + date + budget are in writing, but the credit gate is closed: counted when a snapshot lifts it (R-32, R-120)', source: d.source },
      data: { decisionId: d.id, title: d.title, reasons: d.reasons.length ? d.reasons : ['credit gate closed'] },
    });
  }
}

/** the snapshot lifted the gate: every deferred approval of the client is released, once. */
export async function releaseDeferredCredit(tx: Executor, clientId: string, month: string, ctx: { process: string; workflowId: string | null; actor: Actor; at: string; reason: string }): Promise<number> {
  const released = await tx.update(creditDecisions).set({ verdict: 'released', releasedAt: ctx.at, releasedMonth: month })
    .where(and(eq(creditDecisions.clientId, clientId), eq(creditDecisions.verdict, 'deferred'), isNull(creditDecisions.releasedAt)))
    .returning({ id: creditDecisions.id, title: creditDecisions.title });
  for (const r of released) {
    await appendEvent(tx, {
      id: `credit/${r.id}/released`, occurredAt: ctx.at, clientId, process: ctx.process, workflowId: ctx.workflowId, type: 'credit.released', ruleId: 'R-32', actor: ctx.actor,
      why: { reason: ctx.reason }, data: { decisionId: r.id, title: r.title, month },
    });
  }
  return released.length;
}

export async function creditDecisionsOf(db: Pick<Db, 'select'>, clientId: string, limit = 200) {
  return db.select().from(creditDecisions).where(eq(creditDecisions.clientId, clientId)).orderBy(desc(creditDecisions.decidedAt), asc(creditDecisions.id)).limit(limit);
}

/** R-107 portfolio view: clients by composite colour and segment, against the "≥ 80 % Green" aim. */
export async function portfolioHealth(db: Pick<Db, 'select'>) {
  return db.select({ segment: clients.segment, colour: clientHealth.compositeColour, n: sql<number>`count(*)::int` })
    .from(clientHealth).innerJoin(clients, eq(clients.id, clientHealth.clientId))
    .groupBy(clients.segment, clientHealth.compositeColour);
}

/** Clients whose health process has run (the worker reconciles their workflows at start). */
export async function clientsWithHealth(db: Pick<Db, 'select'>) {
  return db.select({ clientId: clientHealth.clientId, segment: clients.segment }).from(clientHealth).innerJoin(clients, eq(clients.id, clientHealth.clientId)).orderBy(asc(clientHealth.clientId));
}
