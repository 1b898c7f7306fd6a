import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  accept, decide, due, initialState, isTerminal, kickoffRecorded, nextDue, statusView,
  type InitiativeAction, type InitiativeState, type InitiativeStatus, type Step,
} from '../domain/initiatives.js';
import { INITIATIVE_REFUSAL_TYPES, initiativeAction, initiativeStatus, type InitiativeActionResult, type InitiativeInput } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * One initiative (DOMAIN §2.12, R-71..R-75): its states and their preconditions, its price tests
 * and pre-approvals, and its clocks — Stalled after more than 45 days without a state
 * change, the pre-approval's re-engage at age 31 and expiry at 61, the quarter a
 * parked initiative comes back in. An approval (a Decision Log entry through the credit gate, or an
 * accepted proposal) asks the cadence for the delivery kickoff. The rules live in
 * domain/initiatives.ts; reports, due instants and recording run on the process kernel. The run
 * ends with the initiative (Verified, Declined, Cancelled).
 */
const SYSTEM: Actor = { kind: 'system' };

const { prepareInitiative } = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });
// Telling the cadence waits for its Update; bounded like every effect (a failure undoes the step, workflows/kernel.ts).
const { requestDeliveryKickoff } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

export async function initiative(input: InitiativeInput): Promise<InitiativeStatus | null> {
  let firstActionHours: number | undefined; // from the record's policy once it is read
  const kernel = new ProcessKernel<InitiativeState, InitiativeAction, InitiativeActionResult>({
    process: 'initiative', clientId: input.clientId, refusalTypes: INITIATIVE_REFUSAL_TYPES, initialStep: 'starting', firstActionHours: () => firstActionHours,
  });
  kernel.serveStatus(initiativeStatus, statusView);
  kernel.serveReports(initiativeAction, {
    decide,
    async accept(st, req) {
      const step = accept(st, req.action, req.at);
      const result: InitiativeActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, state: st.state, ctasOpened: [] };
      return {
        result,
        async complete() {
          const done = await run(st, `a${result.sequence}`, step, req.actor, req.at);
          result.ctasOpened = done.ctas;
          if (done.kickoff) result.kickoff = done.kickoff;
          result.state = st.state;
          kernel.step(st.state);
        },
      };
    },
  });

  const setup = await prepareInitiative(input.initiativeId);
  if (!setup) return null; // the row is gone (client deleted): nothing to keep time for
  const s = initialState(setup);
  firstActionHours = s.setup.policy.meeting.firstActionHours;
  kernel.ready(s);
  kernel.step(s.state);

  await kernel.runDue({
    until: () => isTerminal(s),
    next: () => nextDue(s),
    async act(d) {
      const at = dueInstant(d.at);
      const step = due(s, d.key, at);
      await run(s, `t${s.ticks}-${d.key}`, step, SYSTEM, at);
      kernel.step(s.state);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  kernel.step(s.state);
  return statusView(s);

  /** Records a step's effects, then runs its follow-ups (R-16 through the cadence) and records what became of them. */
  async function run(st: InitiativeState, batchKey: string, step: Step, actor: Actor, at: string) {
    const ctas = await kernel.record(batchKey, step.effects, actor, at);
    let kickoff: InitiativeActionResult['kickoff'];
    for (const f of step.followUps) {
      const outcome = await requestDeliveryKickoff({ clientId: st.setup.clientId, initiativeId: st.setup.initiativeId, title: f.title, approvedAt: f.approvedAt, key: `${kernel.workflowId}/${batchKey}/kickoff`, actor, at });
      ctas.push(...(await kernel.record(`${batchKey}-kickoff`, kickoffRecorded(st, outcome, at), actor, at)));
      kickoff = { outcome: outcome.outcome, ...(outcome.outcome === 'requested' && outcome.meetingId ? { meetingId: outcome.meetingId } : {}), ...(st.kickoff?.detail ? { detail: st.kickoff.detail } : {}) };
    }
    return { ctas, kickoff };
  }
}
