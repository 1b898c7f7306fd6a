import { allHandlersFinished, condition, continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { healthStatusView, initialHealthState, nextDue, react, type HealthEvaluation, type HealthState } from '../domain/health-process.js';
import { HEALTH_REFUSAL_TYPES, healthAction, healthStatus, type HealthAction, type HealthActionResult, type HealthInput } from './contracts.js';
import { ProcessKernel } from './kernel.js';

/**
 * The health of one client (DOMAIN §2.18, R-104..R-121, R-32): forever, a snapshot on the last
 * business day of each month at 17:00 in the client's zone, and an evaluation at once whenever a
 * health input arrives (a real-time threshold signal) or time alone moves a condition (the sponsor
 * heartbeat's 90/120 days, the roadmap's age). Each evaluation is computed by an activity from the
 * client's facts (domain/health.ts) and applied here to the process's small state
 * (domain/health-process.ts): score changes with their why, plays fired once per condition, At-Risk
 * signals, and at each snapshot the Red months that gate credit. After a year of snapshots it
 * continues as new, carrying only that state.
 */
export const HEALTH_PROCESS_VERSION = 1;
/** Snapshots per run before continuing as new: a year. */
const SNAPSHOTS_PER_RUN = 12;
const SEEN_CARRIED = 500;
const SYSTEM: Actor = { kind: 'system' };

// Reads only: retried until the database answers.
const { evaluateHealth } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function health(input: HealthInput): Promise<void> {
  const s: HealthState = initialHealthState(input.clientId, input.continued?.state);
  let firstActionHours = 72;
  const kernel = new ProcessKernel<HealthState, HealthAction, HealthActionResult>({
    process: 'health', clientId: input.clientId, refusalTypes: HEALTH_REFUSAL_TYPES, initialStep: 'evaluating',
    firstActionHours: () => firstActionHours, seen: input.continued?.seen,
  });
  const now = () => new Date(Date.now()).toISOString();
  kernel.serveStatus(healthStatus, healthStatusView);
  kernel.serveReports(healthAction, {
    decide: () => undefined, // inputs are validated by the API; an evaluation can always run
    async accept(st, req) {
      st.actions += 1;
      const at = req.at;
      const snapshotNow = req.action.type === 'snapshotRequested';
      const ev = await evaluate(snapshotNow ? 'snapshot' : 'signal', at, snapshotNow ? monthOf(at) : undefined);
      const effects = ev ? react(st, ev) : [];
      const result: HealthActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, ctasOpened: [], composite: ev ? { score: ev.scores.composite.score, colour: ev.scores.composite.colour } : null };
      return {
        result,
        async complete() {
          result.ctasOpened = await kernel.record(`a${result.sequence}`, effects, req.actor, at);
        },
      };
    },
    duplicateBatch: (st) => `a${++st.actions}-duplicate`,
  });

  if (!input.continued) {
    // The baseline: the first evaluation records every dimension as it stands, and plans the first snapshot.
    const at = now();
    const ev = await evaluate('signal', at);
    if (ev) await kernel.record('start', react(s, ev), SYSTEM, at);
  }
  kernel.ready(s);
  kernel.step('running');
  let snapshotsThisRun = 0;

  await kernel.runDue({
    until: () => false,
    next: () => nextDue(s),
    async act(due) {
      const at = now();
      const [kind, rest] = due.key.split('|') as [string, string];
      const ev = kind === 'snapshot' ? await evaluate('snapshot', at, rest) : await evaluate('wake', at);
      if (!ev) {
        s.nextSnapshot = null; // the client is gone: nothing more to judge
        s.wakeAt = null;
        return 'continue';
      }
      await kernel.record(`e${s.evaluations + 1}-${kind}`, react(s, ev), SYSTEM, at);
      if (kind === 'snapshot') snapshotsThisRun += 1;
      return snapshotsThisRun >= SNAPSHOTS_PER_RUN || workflowInfo().continueAsNewSuggested ? 'stop' : 'continue';
    },
  });
  await condition(allHandlersFinished);
  await continueAsNew<typeof health>({ clientId: input.clientId, continued: { state: s, seen: kernel.carriedSeen(SEEN_CARRIED) } });

  async function evaluate(occasion: HealthEvaluation['occasion'], at: string, month?: string) {
    const ev = await evaluateHealth({ clientId: input.clientId, workflowId: kernel.workflowId, at, occasion, ...(month ? { month } : {}), playCtaKeys: Object.values(s.plays).map((p) => p.ctaKey) });
    if (ev) firstActionHours = ev.firstActionHours;
    return ev;
  }

  /** The month (yyyy-MM) of a snapshot taken now: the one the next scheduled snapshot closes. */
  function monthOf(at: string): string {
    return s.nextSnapshot?.month ?? at.slice(0, 7);
  }
}
