import { allHandlersFinished, condition, continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { addConvened, applyHeld, applyMissed, decide, nextDue, statusView, type GovernanceAction, type GovernanceState } from '../domain/governance-process.js';
import { GOVERNANCE_REFUSAL_TYPES, governanceAction, governanceStatus, type GovernanceActionResult, type GovernanceInput } from './contracts.js';
import { ProcessKernel } from './kernel.js';

/**
 * One governance routine of the MSP: Weekly AM/CSM, Weekly CS Ops and Cadence Radar,
 * the Monthly Segment Review on the policy's first Tuesday, the Quarterly Portfolio. A long-running
 * process per routine rather than a Temporal Schedule: its dates come from the policy through the
 * same pure calendar code as every other date (re-read at each session, so a policy change applies
 * at the next one), the held report and the missed deadline sit in the same process on the kernel,
 * and the time-skipping test server can rehearse months of sessions with exact instants.
 *
 * At each session the activity assembles the agenda from the data and records it (with the CTAs
 * it opens: Corrective Plays R-60, rebalance and month spread R-37, the capacity-gap alert R-6);
 * `POST /v1/portfolio/governance/sessions/{id}/held` reports it held; no report within
 * `governance.heldGraceHours` of its end records it missed.
 */
/** Sessions per run before continuing as new: a year of weekly sessions. */
const SESSIONS_PER_RUN = 52;
const SEEN_CARRIED = 200;
/** While the policy switches the routine off, look again this often (engineering, not a domain deadline). */
const RECHECK_MS = 7 * 86_400_000;
const SYSTEM: Actor = { kind: 'system' };

const { planGovernanceSession, conveneGovernanceSession } = proxyActivities<Activities>({
  // A monthly session over a large portfolio reads a lot; it heartbeats, so a dead worker is noticed in seconds.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

export async function governanceRoutine(input: GovernanceInput): Promise<void> {
  const kernel = new ProcessKernel<GovernanceState, GovernanceAction, GovernanceActionResult>({
    process: 'governance', clientId: null, refusalTypes: GOVERNANCE_REFUSAL_TYPES, initialStep: input.routine,
    seen: input.continued?.seen,
  });
  const now = () => new Date(Date.now()).toISOString();
  kernel.serveStatus(governanceStatus, statusView);
  kernel.serveReports(governanceAction, {
    decide: (st, action) => decide(st, action),
    async accept(st, req) {
      const applied = applyHeld(st, req.action, req.at);
      const result: GovernanceActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, sessionId: req.action.sessionId, late: applied.late };
      return { result, complete: async () => void (await kernel.record(`a${result.sequence}`, applied.effects, req.actor, req.at)) };
    },
    duplicateBatch: (st) => `a${++st.actions}-duplicate`,
  });

  const s: GovernanceState = {
    routine: input.routine, actions: 0, ticks: 0, sessions: [], convenedThisRun: 0,
    ...(input.continued?.carried ?? {}),
  };
  if (!input.continued) {
    const plan = await planGovernanceSession({ routine: input.routine, after: input.after ?? now() });
    if (plan) s.next = plan;
    else s.recheckAt = new Date(Date.now() + RECHECK_MS).toISOString();
  }
  kernel.ready(s);

  await kernel.runDue({
    until: () => false,
    next: () => nextDue(s),
    async act(due) {
      const at = now();
      s.ticks += 1;
      if (due.key.startsWith('missed|')) {
        await kernel.record(`t${s.ticks}-missed`, applyMissed(s, due.key.slice('missed|'.length)), SYSTEM, at);
        return 'continue';
      }
      if (due.key === 'recheck') {
        const plan = await planGovernanceSession({ routine: s.routine, after: at });
        s.recheckAt = plan ? undefined : new Date(Date.now() + RECHECK_MS).toISOString();
        s.next = plan ?? undefined;
        return 'continue';
      }
      // The session is due: the activity re-reads the policy (a changed time or a switched-off routine
      // re-plans instead), assembles the agenda, records the session and its CTAs, and plans the next.
      const r = await conveneGovernanceSession({ routine: s.routine, planned: s.next!, at, workflowId: kernel.workflowId });
      if (r.session) addConvened(s, r.session);
      s.next = r.next ?? undefined;
      s.recheckAt = r.next ? undefined : new Date(Date.now() + RECHECK_MS).toISOString();
      kernel.step(r.session ? `convened ${r.session.sessionId}` : 'replanned');
      return s.convenedThisRun >= SESSIONS_PER_RUN || workflowInfo().continueAsNewSuggested ? 'stop' : 'continue';
    },
  });
  await condition(allHandlersFinished);
  await continueAsNew<typeof governanceRoutine>({
    routine: s.routine,
    continued: { carried: { next: s.next, sessions: s.sessions, recheckAt: s.recheckAt }, seen: kernel.carriedSeen(SEEN_CARRIED) },
  });
}
