import { RetryState, TemporalFailure, type QueryDefinition, type UpdateDefinition } from '@temporalio/common';
import {
  ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { waitsOnAnotherProcess, type ProcessEffect } from '../domain/effects.js';
import { repeatOf } from '../domain/repeats.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';
import { PORTFOLIO_SCOPE, PROCESS_FAILURE_TYPE, type ProcessRefusal, type ProcessReport, type ProcessStall } from './contracts.js';

/**
 * The one process kernel every report-driven workflow runs on (../shared/DESIGN.md "One kernel
 * for every process"). A workflow supplies its pure model (`decide`, what an accepted report does,
 * when it next has to act) and reads like the process it runs; the kernel owns the plumbing:
 *
 * - reports as Workflow Updates: the validator refuses without leaving history; C-6 repeats (same
 *   key → the first result, once more on the timeline as `signal.duplicate`; same key with another
 *   body → 422); refusals become ApplicationFailures the API maps to 404/409/422;
 * - the due-instant loop, which re-plans whenever a report changed the state — only once the
 *   report's effects (and bookings) are recorded, so a meeting booked by a report has its timers
 *   armed at once (issue 9's durability fix); reports and due steps change the state one at a
 *   time. Both behind `patched('kernel-v2')`, so runs recorded before replay unchanged;
 * - recording effects through the one activity (`recordProcessEffects`), keyed by workflow and
 *   batch so a retried activity lands once;
 * - since `patched('kernel-v3')` (issue 17), fewer round trips and history events for the same
 *   process: a batch that waits on no other process is recorded in a local activity, the due
 *   timer stays armed across reports that leave the next instant where it was, and the Step
 *   search attribute is written only when the step changes;
 * - since `patched('patches-at-start')` (issue 17), every patch the run will ask about is decided
 *   in its first activation, before anything is awaited (`patch()`), so its markers lead the
 *   history and replay reads them exactly as the live run did;
 * - failures that retrying cannot fix: the state is put back as it was, the report is refused
 *   (nothing changed) or the due step is retried later, and `process.failed` goes on the
 *   timeline instead of the state silently diverging from the ledger;
 * - status query, search attributes, idempotency keys carried across continue-as-new.
 */

/** Accepted-report results carry at least these (the API answers with them). */
export interface ReportResult { sequence: number; duplicate: boolean }

/** What a model does with an accepted report: the result to answer with, and the recording to do. */
export interface Accepted<R> {
  result: R;
  /** Records effects and bookings; may fill more of `result` (CTAs opened, meetings booked). */
  complete(): Promise<void>;
}

export interface ProcessModel<S extends { actions: number }, A extends { type: string }, R extends ReportResult> {
  /** Pure: whether the action may apply now (404/409/422), or undefined. */
  decide(state: S, action: A, at: string): ProcessRefusal | undefined;
  /** Applies an accepted report to the state (synchronously, or after an activity) and says how to record it. */
  accept(state: S, report: ProcessReport<A>): Promise<Accepted<R>>;
  /**
   * The batch naming a C-6 repeat's `signal.duplicate` event. The kernel names it itself (unique
   * across the workflow's runs); a model overrides it only where its state counts repeats in its
   * own sequence (the released cadence, and the models built on its shape).
   */
  duplicateBatch?(state: S, prior: R): string;
  /** Extra facts on the repeat's `signal.duplicate` event (e.g. the first report's event id). */
  duplicateData?(prior: R): Record<string, unknown>;
}

export interface Due { key: string; at: string }

export interface KernelOptions {
  process: string;
  /** Null for a portfolio process (the governance routines). */
  clientId: string | null;
  /** Refusal failure types by HTTP status (contracts.ts); the API recognises them. */
  refusalTypes: Partial<Record<404 | 409 | 422, string>>;
  /**
   * C-5: first-action hours for the CTAs this process opens (read when recording), from the policy
   * the process runs on; absent, the recording reads the client's (or the active) policy's
   * `meeting.firstActionHours`.
   */
  firstActionHours?: () => number | undefined;
  /** Idempotency keys carried from the previous run (continue-as-new). */
  seen?: [string, Seen<unknown>][];
  /** The Step search attribute while the process sets up. */
  initialStep: string;
}

interface Seen<R> { bodyHash: string; result: R }

const SYSTEM: Actor = { kind: 'system' };
/** Patch id of the kernel's second version (rearm after effects, one step at a time, failures undone). */
const KERNEL_V2 = 'kernel-v2';
/** Patch id of the third (issue 17): local effect recording, the due timer kept across reports, Step written on change. */
const KERNEL_V3 = 'kernel-v3';
/**
 * Patch id: the run decides its patches in its first activation (`ProcessKernel.patch`). During
 * replay `patched()` is true only once the SDK has read the workflow task holding the marker; a
 * call made right after a local activity's result can replay one task earlier than it ran live
 * (when the result raced the task's heartbeat, the marker went out with one task and the code
 * after it with the next), read false and fail the replay (TMPRL1100, found at 2,000 cadences).
 */
const PATCHES_AT_START = 'patches-at-start';
/** Retrying a failed due step: the first wait, doubling to at most a day (engineering backoff, not a domain deadline). */
const STALL_RETRY_FIRST_MS = 5 * 60_000;
const STALL_RETRY_MAX_MS = 24 * 3_600_000;

// Bounded retries (issue 10): a database outage is ridden out for about five minutes; a permanent
// failure (non-retryable ApplicationFailure from the activity wrapper) fails at once. A worker that
// dies mid-activity is noticed by the heartbeat (long activities) or the short start-to-close.
const recording = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
} as const;
const activities = proxyActivities<Activities>({
  ...recording,
  heartbeatTimeout: '10 seconds', // recordProcessEffects heartbeats per effect
});
// The same recording as a local activity (kernel v3), for batches that wait on no other process
// (domain/effects.ts `waitsOnAnotherProcess`): it runs in the worker that holds the workflow task,
// with the same bounded retries (each backoff under the SDK's one-minute local retry threshold,
// so retries stay in the worker; a worker that dies mid-way loses the task, and the next worker
// runs the batch again, which lands once by its key).
const localRecorder = proxyLocalActivities<Activities>(recording);
const failureRecorder = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export class ProcessKernel<S extends { actions: number }, A extends { type: string }, R extends ReportResult> {
  private state: S | undefined;
  /** Bumped by every accepted report, so the due loop re-plans. */
  private changes = 0;
  private readonly seen: Map<string, Seen<R>>;
  /** Reports accepted by their validator whose handler has not produced a result yet, by key (body hash). */
  private readonly inFlight = new Map<string, string>();
  private stall: ProcessStall | undefined;
  /** A report or due step is changing the state (kernel v2: one at a time). */
  private busy = false;
  private currentStep: string;
  readonly workflowId = workflowInfo().workflowId;
  private readonly runId = workflowInfo().runId;
  /** C-6 repeats acknowledged in this run (names their `signal.duplicate` batches). */
  private duplicates = 0;
  /** The Step search attribute as last written (kernel v3 writes it only when it changes). */
  private upsertedStep: string;
  /** Kernel v3: the timer armed for the next due instant, kept while re-planning leaves that instant unchanged. */
  private dueTimer: { at: string; fired: boolean; scope: CancellationScope } | undefined;
  /** Whether this run decides its patches at start (see PATCHES_AT_START). */
  private readonly patchesAtStart: boolean;
  private readonly v2: () => boolean;
  private readonly v3: () => boolean;

  constructor(private readonly opts: KernelOptions) {
    this.seen = new Map((opts.seen ?? []) as [string, Seen<R>][]);
    this.currentStep = opts.initialStep;
    this.upsertedStep = opts.initialStep;
    upsertSearchAttributes([{ key: ProcessKey, value: opts.process }, { key: StepKey, value: opts.initialStep }]);
    this.patchesAtStart = patched(PATCHES_AT_START);
    this.v2 = this.patch(KERNEL_V2);
    this.v3 = this.patch(KERNEL_V3);
    this.describe();
  }

  /**
   * A patch decision for a call made later in the run (after something was awaited). Runs that
   * decide their patches at start ask `patched(id)` now, in the first activation, and keep the
   * answer; runs recorded before that ask at each call, where their markers are.
   * Workflow code only, before its first await.
   */
  patch(id: string): () => boolean {
    if (!this.patchesAtStart) return () => patched(id);
    const on = patched(id);
    return () => on;
  }

  /** The state is set up: reports waiting for it may run. */
  ready(state: S): void {
    this.state = state;
  }

  /**
   * The Step search attribute (what the Temporal UI lists the run by) and the run's current
   * details there (the static summary, set at start, names the client and process). Current
   * details are answered by the SDK's metadata query and add no command to the history, so runs
   * recorded before them replay unchanged.
   */
  step(name: string): void {
    this.currentStep = name;
    if (!this.stall && (name !== this.upsertedStep || !this.v3())) this.upsertStep(name);
    this.describe();
  }

  private upsertStep(name: string): void {
    this.upsertedStep = name;
    upsertSearchAttributes([{ key: StepKey, value: name }]);
  }

  private describe(): void {
    setCurrentDetails(this.stall
      ? `**Step:** ${this.currentStep} — **stalled** since ${this.stall.since} (${this.stall.failureType}), retrying at ${this.stall.retryAt}`
      : `**Step:** ${this.currentStep}`);
  }

  /** The status query: the model's view once set up (plus a stall, if any), `starting` before. */
  serveStatus<V extends object>(query: QueryDefinition<V | { clientId: string; phase: 'starting' }>, view: (state: S) => V): void {
    setHandler(query, () => {
      if (!this.state) return { clientId: this.opts.clientId ?? PORTFOLIO_SCOPE, phase: 'starting' as const };
      const v = view(this.state);
      return this.stall ? { ...v, stalled: this.stall } : v;
    });
  }

  /** Serves reports as Workflow Updates with the C-6 repeat check and the model's verdict. */
  serveReports(update: UpdateDefinition<R, [ProcessReport<A>]>, model: ProcessModel<S, A, R>): void {
    const validate = (req: ProcessReport<A>): void => {
      // A repeat of a report still being handled (a retry racing its first delivery) is a repeat too (C-6).
      const pending = this.inFlight.get(req.idempotencyKey);
      const repeat = repeatOf(this.seen.get(req.idempotencyKey) ?? (pending !== undefined ? { bodyHash: pending } : undefined), req);
      if (typeof repeat === 'object') this.refuse(repeat);
      if (repeat === 'duplicate') return; // acknowledged by the handler, no second effect (C-6)
      if (this.state) {
        const refusal = model.decide(this.state, req.action, req.at);
        if (refusal) this.refuse(refusal);
      }
    };
    const handle = async (req: ProcessReport<A>): Promise<R> => {
      const key = req.idempotencyKey;
      // The first delivery of a key marks it before anything can interleave; a repeat waits for its result.
      const first = !this.seen.has(key) && !this.inFlight.has(key);
      if (first) this.inFlight.set(key, req.bodyHash);
      else if (!this.seen.has(key)) await condition(() => this.seen.has(key) || !this.inFlight.has(key));
      try {
        await condition(() => this.state !== undefined);
        if (!this.v2()) return await this.handleV1(req, model);
        return await this.exclusive(() => this.handleV2(req, model));
      } finally {
        if (first) this.inFlight.delete(key);
      }
    };
    setHandler(update, handle, { validator: validate });
  }

  /**
   * Runs recorded before the kernel's second version: the due loop was woken before the report's
   * effects were recorded, so it re-planned without what the report booked (issue 9), and reports
   * and due steps could interleave. Kept only so those histories replay unchanged.
   */
  private async handleV1(req: ProcessReport<A>, model: ProcessModel<S, A, R>): Promise<R> {
    const st = this.state!;
    const prior = this.seen.get(req.idempotencyKey);
    if (prior) return this.duplicate(st, req, prior.result, model);
    const refusal = model.decide(st, req.action, req.at);
    if (refusal) this.refuse(refusal);
    const accepted = await model.accept(st, req);
    this.changes += 1;
    this.seen.set(req.idempotencyKey, { bodyHash: req.bodyHash, result: accepted.result });
    await accepted.complete();
    return accepted.result;
  }

  /** One report at a time; the due loop re-plans only once its effects and bookings are recorded. */
  private async handleV2(req: ProcessReport<A>, model: ProcessModel<S, A, R>): Promise<R> {
    const st = this.state!;
    const prior = this.seen.get(req.idempotencyKey);
    if (prior) return this.duplicate(st, req, prior.result, model);
    const refusal = model.decide(st, req.action, req.at); // the state may have moved since validation
    if (refusal) this.refuse(refusal);
    const before = snapshot(st);
    try {
      const accepted = await model.accept(st, req);
      this.seen.set(req.idempotencyKey, { bodyHash: req.bodyHash, result: accepted.result });
      await accepted.complete();
      return accepted.result;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Nothing the report did may stand without its record: put the state back (keeping its
      // sequence used, so a later report never reuses the batch names of a partial record) and refuse.
      this.seen.delete(req.idempotencyKey);
      restore(st, before, { actions: Math.max(before.actions, st.actions) } as Partial<S>);
      const failure = describeFailure(err);
      await this.recordFailure({ stage: 'report', action: req.action.type, ...failure }, req.actor, req.at);
      throw ApplicationFailure.create({
        type: PROCESS_FAILURE_TYPE, nonRetryable: true,
        message: `The ${req.action.type} report could not be recorded (${failure.failureType}: ${failure.message}); nothing changed. It is on the timeline as process.failed.`,
        details: [{ retryable: failure.retryable, failureType: failure.failureType }],
      });
    } finally {
      this.changes += 1;
    }
  }

  /** C-6: acknowledged and ignored, but visible on the timeline. */
  private async duplicate(st: S, req: ProcessReport<A>, prior: R, model: ProcessModel<S, A, R>): Promise<R> {
    await this.record(model.duplicateBatch?.(st, prior) ?? `duplicate/${this.runId}/${++this.duplicates}`, [{
      kind: 'event', type: 'signal.duplicate', ruleId: 'C-6', why: { firstSequence: prior.sequence },
      data: { signal: req.action.type, idempotencyKey: req.idempotencyKey, ...(model.duplicateData?.(prior) ?? {}) },
    }], req.actor, req.at);
    return { ...prior, duplicate: true };
  }

  /** Runs `fn` while no other report or due step changes the state. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.busy);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /**
   * The due-instant loop: sleeps until the model's next instant and acts, re-planning whenever a
   * report changed the state. `act` returns 'stop' to leave the loop (e.g. to continue as new).
   * A due step whose recording fails is undone and retried later with backoff (a stall on status).
   */
  async runDue(loop: { until: () => boolean; next: () => Due | undefined; act: (due: Due) => Promise<'continue' | 'stop'> }): Promise<void> {
    while (!loop.until()) {
      const next = loop.next();
      const before = this.changes;
      if (!next) {
        await condition(() => this.changes !== before);
        continue;
      }
      const wait = Date.parse(next.at) - Date.now();
      if (wait > 0 && (await this.changedBefore(next.at, wait, before))) continue;
      if (!this.v2()) {
        if ((await loop.act(next)) === 'stop') return;
        continue;
      }
      const outcome = await this.exclusive(async () => {
        // A report may have moved things while this step waited for its turn: plan again.
        if (this.changes !== before) return 'replan' as const;
        const st = this.state!;
        const saved = snapshot(st);
        try {
          const done = await loop.act(next);
          if (this.stall) this.clearStall();
          return done;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          restore(st, saved);
          return err;
        }
      });
      if (outcome === 'stop') return;
      if (outcome instanceof ActivityFailure) await this.stalled(next, outcome);
    }
  }

  /**
   * Waits until the due instant `at` (`wait` ms from now) or a report's change, whichever comes
   * first; true when the change came first. Kernel v3 keeps the timer armed across changes that
   * leave the instant where it was (most reports move no deadline): no cancelled and restarted
   * timer in the history for each of them.
   */
  private async changedBefore(at: string, wait: number, before: number): Promise<boolean> {
    if (!this.v3()) return condition(() => this.changes !== before, wait);
    if (this.dueTimer?.at !== at) {
      this.dueTimer?.scope.cancel();
      const timer = { at, fired: false, scope: new CancellationScope() };
      timer.scope.run(() => sleep(wait)).then(() => { timer.fired = true; }, (err: unknown) => { if (!isCancellation(err)) throw err; });
      this.dueTimer = timer;
    }
    const timer = this.dueTimer;
    await condition(() => this.changes !== before || timer.fired);
    if (!timer.fired) return true;
    this.dueTimer = undefined;
    return false;
  }

  /** Records a batch of effects; returns the CTAs opened (each with its first-action clock, C-5). */
  async record(batchKey: string, effects: ProcessEffect[], actor: Actor, at: string): Promise<string[]> {
    if (!effects.length) return [];
    const input = { clientId: this.opts.clientId, process: this.opts.process, workflowId: this.workflowId, batchKey, actor, at, firstActionHours: this.opts.firstActionHours?.() ?? null, effects };
    if (waitsOnAnotherProcess(this.opts.process, effects) || !this.v3()) return (await activities.recordProcessEffects(input)).ctas;
    try {
      return (await localRecorder.recordProcessEffects(input)).ctas;
    } catch (err) {
      // A local activity's final failure reaches the workflow as its cause alone (e.g. the
      // activity's ApplicationFailure), not wrapped as a regular activity's is: wrap it, so the
      // callers undo and refuse (or stall) exactly as for a regular activity.
      if (err instanceof TemporalFailure && !(err instanceof ActivityFailure)) throw new ActivityFailure(err.message, 'recordProcessEffects', undefined, RetryState.RETRY_STATE_UNSPECIFIED, undefined, err);
      throw err;
    }
  }

  /** Idempotency keys to carry into the next run (C-6), newest last. */
  carriedSeen(limit: number): [string, Seen<R>][] {
    return [...this.seen.entries()].slice(-limit);
  }

  private clearStall() {
    this.stall = undefined;
    this.upsertStep(this.currentStep);
    this.describe();
  }

  private async stalled(due: Due, err: ActivityFailure) {
    const failure = describeFailure(err);
    const attempts = (this.stall?.due === due.key ? this.stall.attempts : 0) + 1;
    const waitMs = Math.min(STALL_RETRY_FIRST_MS * 2 ** (attempts - 1), STALL_RETRY_MAX_MS);
    const now = new Date(Date.now()).toISOString();
    this.stall = { since: this.stall?.due === due.key ? this.stall.since : now, due: due.key, failureType: failure.failureType, message: failure.message, attempts, retryAt: new Date(Date.now() + waitMs).toISOString() };
    this.upsertStep('stalled');
    this.describe();
    if (attempts === 1) await this.recordFailure({ stage: 'due', due: due.key, ...failure, retryAt: this.stall.retryAt }, SYSTEM, now);
    const before = this.changes;
    await condition(() => this.changes !== before, waitMs);
  }

  /** `process.failed` on the timeline; best effort (if the database itself is gone, the status query still shows it). */
  private async recordFailure(data: Record<string, unknown>, actor: Actor, at: string) {
    try {
      await failureRecorder.recordProcessFailure({ clientId: this.opts.clientId, process: this.opts.process, workflowId: this.workflowId, actor, at, data });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }

  private refuse(r: ProcessRefusal): never {
    const type = this.opts.refusalTypes[r.status] ?? this.opts.refusalTypes[422]!;
    throw ApplicationFailure.create({ type, message: r.message, nonRetryable: true, details: [r] });
  }
}

function describeFailure(err: ActivityFailure) {
  const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
  return {
    activity: err.activityType,
    failureType: cause?.type ?? err.cause?.name ?? 'ActivityFailure',
    message: (err.cause?.message ?? err.message).slice(0, 500),
    retryable: !(cause?.nonRetryable ?? false),
  };
}

/** Timers fire a little after their instant: a due step judged within this of it is recorded at the instant itself. */
const ON_TIME_TOLERANCE_MS = 60_000;

/**
 * The instant a due step is recorded at: its due instant when the timer fired on time (so the
 * timeline shows the exact instant the rule names), else now (a step noticed late, e.g. after an
 * outage, says when it really happened). Workflow code only.
 */
export function dueInstant(dueAt: string): string {
  const now = Date.now();
  return now - Date.parse(dueAt) > ON_TIME_TOLERANCE_MS ? new Date(now).toISOString() : new Date(Date.parse(dueAt)).toISOString();
}

/** A deep copy of plain (JSON) process state. */
function snapshot<S>(state: S): S {
  return JSON.parse(JSON.stringify(state)) as S;
}

/** Puts a snapshot back into the same object (workflow code holds references to it). */
function restore<S extends object>(state: S, saved: S, keep: Partial<S> = {}): void {
  for (const k of Object.keys(state)) delete (state as Record<string, unknown>)[k];
  Object.assign(state, saved, keep);
}
