import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SignalDefinition, type Workflow } from '@temporalio/common';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { activePolicy } from '../db/policies.js';
import { clients, ctas } from '../db/schema.js';
import { clockSettled, ctasAwaitingFirstAction, getCta, type CtaRow } from '../db/ctas.js';
import { markWorkflowStarted, markWorkflowsStarted, markWorkflowStartFailed, pendingWorkflowStarts, type WorkflowStartKind } from '../db/outbox.js';
import { safeErrorMessage } from '../db/errors.js';
import { getDelivery } from '../db/deliveries.js';
import { POLLED_TYPES } from '../db/connectors.js';
import { dispatchCapacityGap } from '../db/portfolio.js';
import { ROUTINES, type Routine } from '../domain/governance.js';
import type { Logger } from './logger.js';
import {
  CADENCE_REFUSAL_TYPES, HEALTH_REFUSAL_TYPES, NOTIFICATION_SCHEDULE_ID, PORTFOLIO_SCOPE, RISK_REFUSAL_TYPES, WORKFLOW_TYPES, cadenceAction, cadenceWorkflowId, ctaClocksChanged, ctaClocksWorkflowId, type CtaClocksInput,
  governanceWorkflowId, healthAction, healthWorkflowId, initiativeWorkflowId, onboardingWorkflowId, placementReviewWorkflowId, planningLoopAction, planningLoopWorkflowId,
  proposalWorkflowId, riskAction, riskWorkflowId,
  type CadenceActionRequest, type CadenceActionResult, type CadenceInput, type CtaSlaInput, type DeliveryInput, deliveryWorkflowId, type MsgraphSubscriptionsInput, msgraphSubscriptionsWorkflowId, msgraphConnectorChanged, type GovernanceInput, type HealthActionRequest, type HealthActionResult, type HealthInput,
  type InitiativeInput, type OnboardingInput, type PlacementReviewInput, type PlacementReviewPlan, type PlanningLoopInput, type ProcessKind, type ProcessRefusal, type ProposalInput,
  type RiskActionRequest, type RiskActionResult, type RiskInput, type SaleInput, saleWorkflowId, type UpsellInput, upsellWorkflowId,
  type ConnectorPollerInput, connectorPollerWorkflowId, PLANNING_CYCLE_REFUSAL_TYPES, planningCycleAction, planningCycleWorkflowId, type PlanningCycleActionRequest, type PlanningCycleActionResult, type PlanningCycleInput,
} from '../workflows/contracts.js';
import type { UpdateDefinition } from '@temporalio/common';
import { connectors, initiatives, proposals } from '../db/schema.js';
import { clientsWithHealth } from '../db/health.js';
import { getRisk, risksToRun } from '../db/risks.js';
import { getUpsellById } from '../db/upsell.js';
import { ClientIdKey, ProcessKey, SegmentKey } from './search-attributes.js';
import { everyWithoutOverlap } from './periodic.js';

/**
 * The narrow port through which the API and activities start and notify processes
 * (../shared/DESIGN.md "How processes talk to each other"). Workflows are named by their type
 * string (workflows/contracts.ts), never imported, so activities do not depend on workflow code.
 */
export interface TemporalTarget {
  client: Client;
  taskQueue: string;
}

interface ProcessInputs {
  ctaClock: CtaSlaInput;
  ctaClocks: CtaClocksInput;
  placementReview: PlacementReviewInput;
  onboarding: OnboardingInput;
  cadence: CadenceInput;
  governance: GovernanceInput;
  initiative: InitiativeInput;
  proposal: ProposalInput;
  planningLoop: PlanningLoopInput;
  health: HealthInput;
  risk: RiskInput;
  delivery: DeliveryInput;
  sale: SaleInput;
  upsell: UpsellInput;
  planningCycle: PlanningCycleInput;
  notificationSweep: Record<string, never>;
  connectorPoller: ConnectorPollerInput;
  msgraphSubscriptions: MsgraphSubscriptionsInput;
}

interface StartOptions {
  workflowId: string;
  /** What a second start does: join the running one, or fail (the API answers 409). */
  ifRunning: 'use-existing' | 'fail';
  /** Whether a finished process may run again under the same id (e.g. a failed onboarding, restarted). */
  reuse: 'allow' | 'failed-only' | 'never';
  searchAttributes: { clientId: string; segment?: string };
  /** The request that starts it (its Idempotency-Key), kept in the memo: a retry after a crash recognises its own start (issue 10). */
  startedBy?: string;
  /**
   * What the Temporal Web UI shows for the run instead of its id (the SDK's static summary and
   * details): the client's name and, for a process about one thing (a CTA's clock), what it is about.
   * Without it (a start deep in an activity that has no name at hand) the client id stands in.
   */
  describe?: { clientName: string; subject?: string };
}

/** The process names people read in the Temporal UI's summary. */
const PROCESS_LABELS: Record<ProcessKind, string> = {
  ctaClock: 'CTA clock',
  ctaClocks: 'CTA clocks (C-5, R-122)',
  placementReview: 'Placement review (R-7)',
  onboarding: 'Onboarding Day 0–90',
  cadence: 'Engagement cadence',
  initiative: 'Initiative (R-71..R-75)',
  proposal: 'Proposal (R-76..R-80)',
  planningLoop: 'Planning loop',
  health: 'Health (R-104..R-121)',
  risk: 'At Risk save play (R-93..R-103)',
  governance: 'Governance routine (R-125)',
  delivery: 'Delivery (outbox, issue 15)',
  sale: 'Consultative sale (R-40..R-45)',
  upsell: 'Upsell play (R-89..R-92)',
  planningCycle: 'Annual planning cycle (R-62..R-66)',
  notificationSweep: 'Notification sweep (due soon, digest; issue 15)',
  connectorPoller: 'Connector poller (issue 15)',
  msgraphSubscriptions: 'Microsoft Graph subscriptions (issue 15)',
};

/** Temporal markdown, one line: no line breaks, and at most a few hundred characters. */
const oneLine = (s: string, max = 200) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The run's human summary in the Temporal Web UI (client, process, subject); the current step comes from the kernel's `step()`. */
export function processSummary(kind: ProcessKind, d: NonNullable<StartOptions['describe']>): { staticSummary: string; staticDetails: string } {
  const summary = `${d.clientName} · ${PROCESS_LABELS[kind]}${d.subject ? ` · ${d.subject}` : ''}`;
  return {
    staticSummary: oneLine(summary),
    staticDetails: [`**Client:** ${oneLine(d.clientName)}`, `**Process:** ${PROCESS_LABELS[kind]}`, ...(d.subject ? [`**About:** ${oneLine(d.subject, 500)}`] : [])].join('\n\n'),
  };
}

/** The Process search attribute of each kind, where it is not the kind's own name. */
const PROCESS_KEYS: Partial<Record<ProcessKind, string>> = {
  ctaClock: 'cta', ctaClocks: 'cta-clocks', placementReview: 'placement-review', planningLoop: 'planning-loop', planningCycle: 'planning-cycle',
  connectorPoller: 'connector-poller', msgraphSubscriptions: 'msgraph-subscriptions',
};

/** The start options every process shares: summary, memo, search attributes, what a finished run's id allows. */
function startOptions<K extends ProcessKind>(t: TemporalTarget, kind: K, input: ProcessInputs[K], o: Omit<StartOptions, 'ifRunning'>) {
  return {
    ...(o.startedBy ? { memo: { startedBy: o.startedBy } } : {}),
    ...processSummary(kind, o.describe ?? { clientName: `client ${o.searchAttributes.clientId}` }),
    workflowId: o.workflowId,
    taskQueue: t.taskQueue,
    args: [input] as [ProcessInputs[K]],
    workflowIdReusePolicy: { allow: WorkflowIdReusePolicy.ALLOW_DUPLICATE, 'failed-only': WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, never: WorkflowIdReusePolicy.REJECT_DUPLICATE }[o.reuse],
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ClientIdKey, value: o.searchAttributes.clientId },
      ...(o.searchAttributes.segment !== undefined ? [{ key: SegmentKey, value: o.searchAttributes.segment }] : []),
      { key: ProcessKey, value: PROCESS_KEYS[kind] ?? kind },
    ]),
  };
}

/** Starts a process by kind; ids are deterministic, so a retried start never runs a process twice. */
export async function startProcess<K extends ProcessKind>(t: TemporalTarget, kind: K, input: ProcessInputs[K], o: StartOptions) {
  return t.client.workflow.start(WORKFLOW_TYPES[kind], {
    ...startOptions(t, kind, input, o),
    workflowIdConflictPolicy: o.ifRunning === 'fail' ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Sends a signal to a process by kind, starting it first when it does not run (one call: signal-with-start). */
async function signalProcess<K extends ProcessKind, S>(t: TemporalTarget, kind: K, input: ProcessInputs[K], signal: SignalDefinition<[S]>, arg: S, o: Omit<StartOptions, 'ifRunning'>) {
  return t.client.workflow.signalWithStart<Workflow, [S]>(WORKFLOW_TYPES[kind], { ...startOptions(t, kind, input, o), signal, signalArgs: [arg] });
}

/**
 * The governance routines (R-125) run for as long as Baton does: each is started unless it runs
 * (the worker calls this at start; rehearsals when a scenario asks for them). `after`: plan the
 * first sessions after this instant (default now).
 */
export async function ensureGovernanceRoutines(t: TemporalTarget, routines: readonly Routine[] = ROUTINES, after?: string): Promise<number> {
  for (const routine of routines) {
    await startProcess(t, 'governance', { routine, ...(after ? { after } : {}) }, {
      workflowId: governanceWorkflowId(routine), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId: PORTFOLIO_SCOPE },
    });
  }
  return routines.length;
}

/** Issue 15: one poller per active connector of a polled type, by id; a second start joins the running one. */
async function ensureConnectorPoller(t: TemporalTarget, c: { id: string; name: string }) {
  await startProcess(t, 'connectorPoller', { connectorId: c.id }, {
    workflowId: connectorPollerWorkflowId(c.id), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId: '' },
    describe: { clientName: 'all clients', subject: `connector ${c.name}` },
  });
}

/** After downtime (or a poller terminated by hand): every active connector of a polled type has its poller. */
export async function ensureAllConnectorPollers(t: TemporalTarget, db: Db): Promise<number> {
  const rows = await db.select({ id: connectors.id, name: connectors.name }).from(connectors).where(and(eq(connectors.active, true), inArray(connectors.type, [...POLLED_TYPES])));
  for (const r of rows) await ensureConnectorPoller(t, r);
  return rows.length;
}

/**
 * Issue 15 email: the Temporal Schedule that runs the notification sweep every
 * `integrations.notificationSweepMinutes` (due-soon reminders; the daily digest from
 * `integrations.digestLocalTime`). Created at worker start, or updated to the policy's interval;
 * an overlapping run is skipped (each sweep is idempotent anyway).
 */
export async function ensureNotificationSchedule(t: TemporalTarget, db: Db): Promise<string> {
  const stored = await activePolicy(db);
  const minutes = (stored.document as { integrations?: { notificationSweepMinutes?: number } }).integrations?.notificationSweepMinutes ?? 15;
  const spec = { intervals: [{ every: `${minutes} minutes` as const }] };
  const action = { type: 'startWorkflow' as const, workflowType: WORKFLOW_TYPES.notificationSweep, taskQueue: t.taskQueue, args: [{}], workflowId: 'notification-sweep' };
  const create = () => t.client.schedule.create({ scheduleId: NOTIFICATION_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } });
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = t.client.schedule.getHandle(NOTIFICATION_SCHEDULE_ID);
    try {
      await handle.update((prev) => ({ ...prev, spec, action }));
    } catch {
      // The schedule exists but this process cannot read it (its action was sealed under a payload key
      // this process does not hold, or written by another version). It is ours entirely (spec, action,
      // policies above), so it is replaced rather than left to stop the start.
      await handle.delete();
      await create();
    }
  }
  return NOTIFICATION_SCHEDULE_ID;
}

/** Tells a running process something changed (a signal by name). Best effort: false when it is not running. */
export async function notifyProcess(t: TemporalTarget, workflowId: string, signal: string, ...args: unknown[]): Promise<boolean> {
  try {
    await t.client.workflow.getHandle(workflowId).signal(signal, ...args);
    return true;
  } catch {
    return false; // finished or never started: nothing to tell
  }
}

/** Starts a client's placement review (R-7) unless it already runs. */
export async function ensurePlacementReview(t: TemporalTarget, c: { id: string; name: string; segment: string; createdAt: string }, policyVersion: number, plan?: PlacementReviewPlan) {
  await startProcess(t, 'placementReview', { clientId: c.id, policyVersion, anchor: new Date(c.createdAt).toISOString(), ...(plan ? { plan } : {}) }, {
    workflowId: placementReviewWorkflowId(c.id), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId: c.id, segment: c.segment }, describe: { clientName: c.name },
  });
}

/**
 * A new client's outbox row: its placement review started with the row, policy version and plan
 * registration has just written, then marked (issue 17: nothing read back, and no activity in the
 * review's first task, on every registration).
 */
export async function dispatchPlacementReview(t: TemporalTarget, db: Db, client: { id: string; name: string; segment: string; createdAt: string }, policyVersion: number, plan?: PlacementReviewPlan): Promise<void> {
  await ensurePlacementReview(t, client, policyVersion, plan);
  await markWorkflowStarted(db, 'placement-review', client.id);
}

/**
 * Reconciles after downtime: every client has its placement review running. Registration starts
 * it too, but a client saved while Temporal was unreachable is picked up here.
 */
export async function ensureAllPlacementReviews(t: TemporalTarget, db: Db): Promise<number> {
  const version = (await activePolicy(db)).version;
  const rows = await db.select({ id: clients.id, name: clients.name, segment: clients.segment, createdAt: clients.createdAt }).from(clients).orderBy(asc(clients.id));
  for (const row of rows) await ensurePlacementReview(t, row, version);
  return rows.length;
}

/** What whoever opened a CTA has already read (the active policy, the client's name), so the clock's start reads it again only when absent. */
export interface KnownToOpener { policy?: Awaited<ReturnType<typeof activePolicy>>; clientName?: string }

type ClockedCta = Pick<CtaRow, 'id' | 'clientId' | 'firstActionDueAt'>;

/**
 * Starts the SLA clocks of CTAs (C-5, R-122): each client's clocks run in one workflow, its keeper
 * (workflows/cta-clocks.ts), so the CTAs of one client are one signal-with-start, whatever their
 * number. Opening a clock that runs already changes nothing (by CTA id).
 */
export async function ensureCtaClocks(t: TemporalTarget, rows: readonly ClockedCta[], db: Db, known: KnownToOpener = {}): Promise<void> {
  if (rows.length === 0) return;
  const byScope = groupBy(rows, (r) => r.clientId ?? PORTFOLIO_SCOPE);
  const clientIds = [...byScope.keys()].filter((id) => id !== PORTFOLIO_SCOPE);
  const [policy, names] = await Promise.all([
    known.policy ?? activePolicy(db),
    known.clientName !== undefined && clientIds.length === 1 ? new Map([[clientIds[0]!, known.clientName]])
      : clientIds.length ? db.select({ id: clients.id, name: clients.name }).from(clients).where(inArray(clients.id, clientIds)).then((r) => new Map(r.map((c) => [c.id, c.name])))
      : new Map<string, string>(),
  ]);
  const { escalationChain, escalationWindowHours } = policy.document.ctas;
  await Promise.all([...byScope].map(([scope, scoped]) => signalProcess(t, 'ctaClocks', { scope }, ctaClocksChanged, {
    opened: scoped.map((cta) => ({ ctaId: cta.id, firstActionDueAt: new Date(cta.firstActionDueAt).toISOString(), escalationChain: [...escalationChain], escalationWindowHours, policyVersion: policy.version })),
  }, {
    workflowId: ctaClocksWorkflowId(scope), reuse: 'allow', searchAttributes: { clientId: scope },
    describe: { clientName: scope === PORTFOLIO_SCOPE ? 'the portfolio' : names.get(scope) ?? scope },
  })));
}

/**
 * Tells the clocks of these CTAs that their CTAs changed; each re-reads its CTA at once (and at its
 * deadline anyway, so a lost notice only delays the clock's end: it never escalates a CTA that no
 * longer waits). Clocks of runs recorded before the per-client keeper (a workflow per CTA) get no
 * notice: they re-read at their deadline and stop there.
 */
export async function notifyCtaClocks(t: TemporalTarget, db: Pick<Db, 'select'>, ctaIds: readonly string[]): Promise<void> {
  if (ctaIds.length === 0) return;
  const rows = await db.select({ id: ctas.id, clientId: ctas.clientId }).from(ctas).where(inArray(ctas.id, [...ctaIds]));
  const byScope = groupBy(rows, (r) => r.clientId ?? PORTFOLIO_SCOPE);
  await Promise.all([...byScope].map(([scope, changed]) => notifyProcess(t, ctaClocksWorkflowId(scope), ctaClocksChanged.name, { changed: changed.map((c) => c.id) })));
}

/** Tells a CTA's clock that the CTA changed (notifyCtaClocks for one). */
export async function notifyCtaClock(t: TemporalTarget, db: Pick<Db, 'select'>, ctaId: string): Promise<void> {
  await notifyCtaClocks(t, db, [ctaId]);
}

/** After downtime: every CTA still waiting for a first action has its clock (one signal per client). */
export async function ensureAllCtaClocks(t: TemporalTarget, db: Db): Promise<number> {
  const waiting = await ctasAwaitingFirstAction(db);
  const policy = await activePolicy(db);
  for (const [, rows] of groupBy(waiting, (c) => c.clientId ?? PORTFOLIO_SCOPE)) await ensureCtaClocks(t, rows, db, { policy });
  return waiting.length;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Starts a client's onboarding (R-46..R-57). One per client: a second start fails with
 * WorkflowExecutionAlreadyStartedError, also after the first completed; only a failed one may be started again.
 */
export async function startOnboarding(t: TemporalTarget, input: OnboardingInput, client: { name: string; segment: string }, startedBy?: string) {
  return startProcess(t, 'onboarding', input, {
    workflowId: onboardingWorkflowId(input.clientId), ifRunning: 'fail', reuse: 'failed-only', searchAttributes: { clientId: input.clientId, segment: client.segment },
    describe: { clientName: client.name }, ...(startedBy ? { startedBy } : {}),
  });
}

/** Starts a prospect's consultative sale (R-40); one at a time per prospect, a finished (parked) one may run again. */
export async function startSale(t: TemporalTarget, input: SaleInput, client: { name: string; segment: string }, startedBy?: string) {
  return startProcess(t, 'sale', input, {
    workflowId: saleWorkflowId(input.clientId), ifRunning: 'fail', reuse: 'allow', searchAttributes: { clientId: input.clientId, segment: client.segment },
    describe: { clientName: client.name, subject: `trigger ${input.trigger.kind}` }, ...(startedBy ? { startedBy } : {}),
  });
}

/**
 * Starts a client's engagement cadence (R-10) unless it already runs: at onboarding's cadence lock
 * (R-55) or through the API for an existing client. The id is deterministic, so a retry is harmless.
 */
export async function ensureCadence(t: TemporalTarget, input: CadenceInput, client: { name: string; segment: string }, conflict: 'use-existing' | 'fail' = 'use-existing', startedBy?: string) {
  return startProcess(t, 'cadence', input, {
    workflowId: cadenceWorkflowId(input.clientId), ifRunning: conflict, reuse: 'allow', searchAttributes: { clientId: input.clientId, segment: client.segment },
    describe: { clientName: client.name }, ...(startedBy ? { startedBy } : {}),
  });
}

/** What became of a report sent to a process from outside its own routes. */
export type ReportOutcome<R> =
  | { outcome: 'accepted'; result: R }
  | { outcome: 'not-running' }
  | { outcome: 'refused'; refusal: ProcessRefusal };
export type CadenceReportOutcome = ReportOutcome<CadenceActionResult>;

/** Sends one report (a Workflow Update) to a running process: its result, its 404/409/422 verdict, or not running. Never starts one. */
async function reportTo<R>(t: TemporalTarget, workflowId: string, refusalTypes: Record<number, string>, run: () => Promise<R>): Promise<ReportOutcome<R>> {
  try {
    return { outcome: 'accepted', result: await run() };
  } catch (err) {
    const types = Object.values(refusalTypes);
    for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
      if (e instanceof ApplicationFailure && types.includes(e.type as string)) return { outcome: 'refused', refusal: e.details?.[0] as ProcessRefusal };
    }
    if (err instanceof WorkflowNotFoundError) return { outcome: 'not-running' };
    try {
      if ((await t.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING') return { outcome: 'not-running' };
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return { outcome: 'not-running' };
    }
    throw err;
  }
}

/**
 * Sends one report to the client's running cadence (e.g. R-19 when the stakeholder registry
 * deactivates the sponsor): accepted (or a C-6 duplicate of an earlier send with the same key),
 * refused by the cadence's rules (its 404/409/422 verdict), or no cadence running. Never starts one.
 */
export async function reportToCadence(t: TemporalTarget, clientId: string, request: CadenceActionRequest): Promise<CadenceReportOutcome> {
  const handle = t.client.workflow.getHandle(cadenceWorkflowId(clientId));
  return reportTo(t, cadenceWorkflowId(clientId), CADENCE_REFUSAL_TYPES, () => handle.executeUpdate(cadenceAction, { args: [request] }));
}

/**
 * Starts a client's health process (R-104..R-121) unless it already runs: forever, a snapshot on
 * the last business day of each month and an evaluation at each input.
 */
export async function ensureHealth(t: TemporalTarget, clientId: string, segment: string) {
  return startProcess(t, 'health', { clientId }, { workflowId: healthWorkflowId(clientId), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId, segment } });
}

/** Reports to the client's health process, starting it first if needed (an input arriving is what starts health). */
export async function reportToHealth(t: TemporalTarget, clientId: string, segment: string, request: HealthActionRequest): Promise<ReportOutcome<HealthActionResult>> {
  await ensureHealth(t, clientId, segment);
  const handle = t.client.workflow.getHandle(healthWorkflowId(clientId));
  return reportTo(t, healthWorkflowId(clientId), HEALTH_REFUSAL_TYPES, () => handle.executeUpdate(healthAction, { args: [request] }));
}

/** After downtime: every client whose health has run has its process running. */
export async function ensureAllHealth(t: TemporalTarget, db: Db): Promise<number> {
  const rows = await clientsWithHealth(db);
  for (const r of rows) await ensureHealth(t, r.clientId, r.segment);
  return rows.length;
}

/** Starts a risk's process (R-93..R-103) unless it runs or has run: one per risk id. */
export async function ensureRisk(t: TemporalTarget, riskId: string, clientId: string) {
  try {
    return await startProcess(t, 'risk', { riskId, clientId }, { workflowId: riskWorkflowId(riskId), ifRunning: 'use-existing', reuse: 'never', searchAttributes: { clientId } });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined; // it ran and finished (After-Action recorded)
    throw err;
  }
}

/** Sends one report (a Workflow Update) to a running process, never starting it: accepted, refused by its rules, or not running. */
export async function reportToProcess<R, Req>(t: TemporalTarget, workflowId: string, update: UpdateDefinition<R, [Req]>, refusalTypes: Record<number, string>, request: Req): Promise<ReportOutcome<R>> {
  const handle = t.client.workflow.getHandle(workflowId);
  return reportTo(t, workflowId, refusalTypes, () => handle.executeUpdate(update, { args: [request] }));
}

/** Starts an initiative's or a proposal's workflow (issue 11) unless it runs; a finished one stays finished (only a failed run starts again). */
export async function ensurePlanningRecord(t: TemporalTarget, kind: 'initiative' | 'proposal', id: string, clientId: string) {
  const input = kind === 'initiative' ? { initiativeId: id, clientId } : { proposalId: id, clientId };
  try {
    await startProcess(t, kind, input as never, { workflowId: kind === 'initiative' ? initiativeWorkflowId(id) : proposalWorkflowId(id), ifRunning: 'use-existing', reuse: 'failed-only', searchAttributes: { clientId } });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  }
}

/** Starts an upsell play's workflow (R-89..R-92) unless it runs; a finished one stays finished. */
export async function ensureUpsell(t: TemporalTarget, signalId: string, clientId: string) {
  try {
    await startProcess(t, 'upsell', { signalId, clientId }, { workflowId: upsellWorkflowId(signalId), ifRunning: 'use-existing', reuse: 'failed-only', searchAttributes: { clientId } });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  }
}

/** Starts the client's planning loop unless it runs, and tells it to re-read its records (roadmap, reports, discoveries…). */
export async function noticePlanningLoop(t: TemporalTarget, clientId: string, at = new Date().toISOString()) {
  await startProcess(t, 'planningLoop', { clientId }, { workflowId: planningLoopWorkflowId(clientId), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId } });
  const r = await reportToProcess(t, planningLoopWorkflowId(clientId), planningLoopAction, {}, { action: { type: 'refresh' }, idempotencyKey: `refresh/${randomUUID()}`, bodyHash: 'refresh', actor: { kind: 'system' }, at });
  return r.outcome;
}

/** Reports to a risk's process (evidence from another process, R-124; the held re-engage session, R-97); starts it if its start is still pending. */
export async function reportToRisk(t: TemporalTarget, riskId: string, clientId: string, request: RiskActionRequest): Promise<ReportOutcome<RiskActionResult>> {
  await ensureRisk(t, riskId, clientId);
  const handle = t.client.workflow.getHandle(riskWorkflowId(riskId));
  return reportTo(t, riskWorkflowId(riskId), RISK_REFUSAL_TYPES, () => handle.executeUpdate(riskAction, { args: [request] }));
}

/** After downtime: every risk with work left has its process. */
export async function ensureAllRisks(t: TemporalTarget, db: Db): Promise<number> {
  const rows = await risksToRun(db);
  for (const r of rows) await ensureRisk(t, r.id, r.clientId);
  return rows.length;
}

/**
 * A Microsoft Graph connector's subscription workflow (issue 15): started unless it runs, then told
 * to look again at once (the connector was created, changed or re-activated). The workflow ends by
 * itself when the connector is inactive or gone.
 */
export async function ensureMsgraphSubscriptions(t: TemporalTarget, connectorId: string): Promise<void> {
  const handle = await startProcess(t, 'msgraphSubscriptions', { connectorId }, {
    workflowId: msgraphSubscriptionsWorkflowId(connectorId), ifRunning: 'use-existing', reuse: 'allow', searchAttributes: { clientId: PORTFOLIO_SCOPE },
    describe: { clientName: 'portfolio', subject: `connector ${connectorId}` },
  });
  await handle.signal(msgraphConnectorChanged).catch(() => undefined); // it may have just ended (connector inactive): nothing to wake
}

/**
 * Starts the workflow an outbox row asks for (db/outbox.ts) unless it runs already, then marks the
 * row dispatched. A subject that no longer needs it (a CTA settled meanwhile, a client gone) is
 * marked dispatched without a start.
 */
export async function dispatchWorkflowStart(t: TemporalTarget, db: Db, kind: WorkflowStartKind, subjectId: string): Promise<void> {
  if (kind === 'capacity-gap') {
    // The R-6 evaluation claims its own row (a change after the claim re-arms it), so no mark here.
    await evaluateCapacityGap(t, db, new Date().toISOString());
    return;
  }
  if (kind === 'placement-review') {
    const [client] = await db.select({ id: clients.id, name: clients.name, segment: clients.segment, createdAt: clients.createdAt }).from(clients).where(eq(clients.id, subjectId));
    if (client) await ensurePlacementReview(t, client, (await activePolicy(db)).version);
  } else if (kind === 'initiative' || kind === 'proposal') {
    const table = kind === 'initiative' ? initiatives : proposals;
    const [row] = await db.select({ clientId: table.clientId }).from(table).where(eq(table.id, subjectId));
    if (row) await ensurePlanningRecord(t, kind, subjectId, row.clientId);
  } else if (kind === 'upsell') {
    const row = await getUpsellById(db, subjectId);
    if (row) await ensureUpsell(t, row.id, row.clientId);
  } else if (kind === 'planning-loop') {
    const [client] = await db.select({ id: clients.id }).from(clients).where(eq(clients.id, subjectId));
    if (client) await noticePlanningLoop(t, subjectId);
  } else if (kind === 'health') {
    const [client] = await db.select({ id: clients.id, segment: clients.segment }).from(clients).where(eq(clients.id, subjectId));
    if (client) await ensureHealth(t, client.id, client.segment);
  } else if (kind === 'risk') {
    const risk = await getRisk(db, subjectId);
    if (risk) await ensureRisk(t, risk.id, risk.clientId);
  } else if (kind === 'connector-poller') {
    const [row] = await db.select({ id: connectors.id, name: connectors.name, active: connectors.active }).from(connectors).where(eq(connectors.id, subjectId));
    if (row?.active) await ensureConnectorPoller(t, row);
  } else if (kind === 'delivery') {
    const row = await getDelivery(db, subjectId);
    // Issue 15: one workflow per delivery, by id, so a second dispatch joins the first.
    if (row && (row.state === 'pending' || row.state === 'retrying')) {
      await startProcess(t, 'delivery', { deliveryId: row.id }, { workflowId: deliveryWorkflowId(row.id), ifRunning: 'use-existing', reuse: 'never', searchAttributes: { clientId: row.clientId ?? '' },
        describe: { clientName: row.clientId ? `client ${row.clientId}` : 'no client', subject: `${row.eventType} via ${row.connector}` },
      });
    }
  } else if (kind === 'msgraph-subscriptions') {
    await ensureMsgraphSubscriptions(t, subjectId);
  } else {
    await dispatchCtaClock(t, db, await getCta(db, subjectId), subjectId);
    return;
  }
  await markWorkflowStarted(db, kind, subjectId);
}

/**
 * CTAs' outbox rows: the SLA clocks of those that still wait on something started (one signal per
 * client), then the rows marked. Who has just opened the CTAs passes their rows, so nothing is read
 * back (issue 17: one query fewer on every CTA opened).
 */
export async function dispatchCtaClocks(t: TemporalTarget, db: Db, rows: readonly CtaRow[], known: KnownToOpener = {}): Promise<void> {
  await ensureCtaClocks(t, rows.filter((r) => !clockSettled(r)), db, known);
  await markWorkflowsStarted(db, 'cta-clock', rows.map((r) => r.id));
}

/** One CTA's outbox row (dispatchCtaClocks); a CTA that no longer exists is only marked. */
export async function dispatchCtaClock(t: TemporalTarget, db: Db, cta: CtaRow | undefined, ctaId = cta?.id ?? '', known: KnownToOpener = {}): Promise<void> {
  if (cta) await dispatchCtaClocks(t, db, [cta], known);
  else await markWorkflowStarted(db, 'cta-clock', ctaId);
}


/**
 * R-6: runs the capacity-gap evaluation the outbox asks for (db/portfolio.ts) and starts the SLA
 * clock of an alert it opens. `at` is the caller's clock (the API's, or the worker's wall time).
 */
export async function evaluateCapacityGap(t: TemporalTarget | undefined, db: Db, at: string) {
  const outcome = await dispatchCapacityGap(db, at);
  if (outcome?.action === 'opened' && outcome.ctaId && t) await dispatchWorkflowStart(t, db, 'cta-clock', outcome.ctaId);
  if (outcome?.action === 'closed' && outcome.ctaId && t) await notifyCtaClock(t, db, outcome.ctaId);
  return outcome;
}

/**
 * Workflow starts one dispatcher pass has in flight at once. One at a time, each start's round trips
 * (the subject's row, Temporal's start, the mark) bounded the outbox at about 2 delivery workflows
 * a second on a loaded 2-vCPU host (`npm run bench -- --only connectors`).
 */
const DISPATCH_CONCURRENCY = 8;

/** One pass over the pending outbox; returns how many it started. A failure is noted on its row and retried next pass. */
export async function dispatchPendingWorkflowStarts(t: TemporalTarget, db: Db, logger?: Logger): Promise<number> {
  let started = 0;
  for (;;) {
    const batch = await pendingWorkflowStarts(db, 100);
    let progressed = 0;
    let next = 0;
    // A batch's rows are distinct workflows (one row per kind and subject): started side by side, a few at a time.
    const lane = async () => {
      while (next < batch.length) {
        const row = batch[next++]!;
        try {
          await dispatchWorkflowStart(t, db, row.kind, row.subjectId);
          started++;
          progressed++;
        } catch (err) {
          await markWorkflowStartFailed(db, row.kind, row.subjectId, safeErrorMessage(err));
          logger?.warn({ err, kind: row.kind, subjectId: row.subjectId }, 'workflow start failed; retried on the next pass');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DISPATCH_CONCURRENCY, batch.length) }, lane));
    if (batch.length < 100 || progressed === 0) return started;
  }
}

/**
 * The continuously running reconciler of the worker: every `intervalMs` it starts whatever the
 * outbox still holds (an API that died between its commit and the start, Temporal unreachable for
 * a while). Returns its stop function.
 */
export function startWorkflowStartDispatcher(t: TemporalTarget, db: Db, logger: Logger, intervalMs = 5_000): () => Promise<void> {
  // One pass at a time: a pass slower than the interval is not joined by a second racing it for the same rows.
  return everyWithoutOverlap(() => dispatchPendingWorkflowStarts(t, db, logger)
    .then((n) => n > 0 && logger.info({ started: n }, 'outbox: started pending workflows'))
    .catch((err) => logger.warn({ err }, 'outbox pass failed')), intervalMs);
}

/**
 * After a start failed as "already started": whether this very request (its `startedBy`, from the
 * Idempotency-Key, kept in the workflow's memo) started it in an earlier attempt that died before
 * answering. Then that run is the answer, not a conflict.
 */
export async function startedByRequest(t: TemporalTarget, workflowId: string, startedBy: string | undefined) {
  if (!startedBy) return undefined;
  const described = await t.client.workflow.getHandle(workflowId).describe();
  return described.memo?.startedBy === startedBy ? described : undefined;
}

/**
 * Starts a client's planning cycle for a cycle year (R-62..R-66) unless it runs; a closed cycle
 * stays closed (only a failed run starts again). Returns whether this call started it.
 */
export async function ensurePlanningCycle(t: TemporalTarget, input: PlanningCycleInput, describe?: { clientName: string }): Promise<boolean> {
  try {
    await startProcess(t, 'planningCycle', input, {
      workflowId: planningCycleWorkflowId(input.clientId, input.fiscalYear), ifRunning: 'fail', reuse: 'failed-only', searchAttributes: { clientId: input.clientId },
      describe: { clientName: describe?.clientName ?? `client ${input.clientId}`, subject: `FY${input.fiscalYear}` },
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** Reports a fact to a client's planning cycle, starting it first if it does not run yet (the cadence booking a cycle starts it). */
export async function reportToPlanningCycle(t: TemporalTarget, clientId: string, fiscalYear: number, request: PlanningCycleActionRequest): Promise<ReportOutcome<PlanningCycleActionResult>> {
  await ensurePlanningCycle(t, { clientId, fiscalYear, startedBy: 'cadence' });
  return reportToProcess(t, planningCycleWorkflowId(clientId, fiscalYear), planningCycleAction, PLANNING_CYCLE_REFUSAL_TYPES, request);
}
