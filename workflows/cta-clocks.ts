import { allHandlersFinished, condition, continueAsNew, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { addClocks, afterEscalation, dueClocks, nextDeadline, nextLevel, type CtaClock, type FinishedClock } from '../domain/cta-clocks.js';
import { ctaClocksChanged, ctaClocksStatus, type CtaClocksInput, type CtaClocksStatus } from './contracts.js';

// Only reads and conditional updates, retried until the database is back; local, so a check or an
// escalation takes no task round trip through the server.
const { settledCtas, escalateCtaLevel } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * History a run keeps before it continues as new with its running clocks: a busy client opens a
 * few hundred CTAs a year, about ten events each. A bound on replay cost, not a business rule.
 */
const DEFAULT_EVENTS_PER_RUN = 2_000;
/** How many ended clocks the status query lists (the latest). */
const FINISHED_LISTED = 100;

/**
 * The durable first-action clocks of one client's CTAs (C-5, R-122), all in one workflow. The
 * database holds the CTAs; this workflow only keeps time (domain/cta-clocks.ts). When a clock's
 * window ends with no first action, its CTA moves to the next level of the policy's escalation
 * chain (named backup, then CS Lead), each with a fresh window. A first action, completion or
 * cancellation ends the clock. The keeper lives as long as its client, continuing as new to keep its
 * history short; with no clock running it waits for the next CTA at no cost to the server. (It does
 * not complete when idle: a CTA opened while it completed would race the completion, which the
 * server then refuses, and the time-skipping test server fails the task until it times out.)
 */
export async function ctaClocks(input: CtaClocksInput): Promise<never> {
  const running = new Map<string, CtaClock>((input.clocks ?? []).map((c) => [c.ctaId, c]));
  const finished: FinishedClock[] = [];
  /** CTAs reported changed: re-read at once, not only at their deadline. */
  const changedCtas = new Set<string>();
  /** Signals received and timers fired: each wakes the loop. */
  let wakeups = 0;
  setHandler(ctaClocksChanged, ({ opened = [], changed = [] }) => {
    addClocks(running, opened);
    for (const id of changed) if (running.has(id)) changedCtas.add(id);
    wakeups += 1;
  });
  // Timers are never cancelled: a signal wakes the loop without touching the timer, and a timer that
  // is no longer needed wakes it once for nothing. Cancelling one that fired while the task was with
  // the worker strands the run on the time-skipping test server (the rehearsals' and tests' server:
  // it refuses the completion, "invalid history builder state for action", and never sends the task
  // again), and a keeper is woken by every change to any of its client's CTAs.
  const timersAt = new Set<number>();
  const wakeAt = (at: number) => {
    for (const t of timersAt) if (t <= at) return; // an earlier timer wakes the loop first
    timersAt.add(at);
    void sleep(at - Date.now()).then(() => {
      timersAt.delete(at);
      wakeups += 1;
    });
  };
  setHandler(ctaClocksStatus, status);

  for (;;) {
    // Every CTA that changed or whose window ended: does it still wait? One read for all of them.
    const toCheck = [...new Set([...changedCtas, ...dueClocks(running, Date.now()).map((c) => c.ctaId)])];
    changedCtas.clear();
    if (toCheck.length > 0) for (const id of await settledCtas(toCheck)) finish(id, 'settled');
    // What is still due escalates, one level each (conditional in the database: a repeat is harmless).
    for (const clock of dueClocks(running, Date.now())) {
      const level = nextLevel(clock)!;
      if ((await escalateCtaLevel(clock.ctaId, level, clock.deadline)) !== 'applied') {
        finish(clock.ctaId, 'settled');
        continue;
      }
      const next = afterEscalation(clock);
      if (next === 'exhausted') finish(clock.ctaId, 'exhausted', level);
      else running.set(clock.ctaId, next);
    }
    if (changedCtas.size > 0) continue; // reported while the checks ran
    if (workflowInfo().historyLength >= (input.eventsPerRun ?? DEFAULT_EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof ctaClocks>({ scope: input.scope, clocks: [...running.values()], ...(input.eventsPerRun ? { eventsPerRun: input.eventsPerRun } : {}) });
    }
    const seen = wakeups;
    const next = nextDeadline(running);
    if (next !== undefined) {
      if (next <= Date.now()) continue;
      wakeAt(next);
    }
    await condition(() => wakeups !== seen);
  }

  function finish(ctaId: string, step: FinishedClock['step'], level?: FinishedClock['level']) {
    const clock = running.get(ctaId);
    if (!clock) return;
    running.delete(ctaId);
    finished.push({ ctaId, step, level: level ?? clock.level, at: new Date(Date.now()).toISOString(), policyVersion: clock.policyVersion });
    if (finished.length > FINISHED_LISTED) finished.shift();
  }

  function status(): CtaClocksStatus {
    return { scope: input.scope, running: [...running.values()], finished: [...finished] };
  }
}
