import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  accept, decide, due, initialState, isClosed, nextDue, start, statusView,
  type PlanningCycleAction, type PlanningCycleState, type PlanningCycleStatus, type Step,
} from '../domain/planning-cycle.js';
import { PLANNING_CYCLE_REFUSAL_TYPES, planningCycleAction, planningCycleStatus, type PlanningCycleActionResult, type PlanningCycleInput } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * One client's annual planning cycle for one cycle year (DOMAIN §2.10, R-62..R-66): from the
 * Business Discovery window before M1 to the output that closes it. The cadence books
 * the meetings and runs each one's own cycle; this process learns what became of them from the
 * cadence's activities (meeting booked, held, missed, a date trigger attached, R-21) and from
 * people's reports (discovery, assessments, steps with their hours, outputs). The rules live in
 * domain/planning-cycle.ts; reports, the due instant and recording run on the process kernel.
 * The run ends when the cycle closes.
 */
const SYSTEM: Actor = { kind: 'system' };

// A read (retried until the database answers): the client, its policy and the cycle's meetings on the cadence's anchors.
const { preparePlanningCycle } = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });

export async function planningCycle(input: PlanningCycleInput): Promise<PlanningCycleStatus | null> {
  const kernel = new ProcessKernel<PlanningCycleState, PlanningCycleAction, PlanningCycleActionResult>({
    process: 'planning-cycle', clientId: input.clientId, refusalTypes: PLANNING_CYCLE_REFUSAL_TYPES, initialStep: 'starting',
  });
  kernel.serveStatus(planningCycleStatus, statusView);
  kernel.serveReports(planningCycleAction, {
    decide,
    async accept(st, req) {
      const step = accept(st, req.action, req.at);
      const result: PlanningCycleActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, stage: st.stage, ctasOpened: [] };
      return {
        result,
        async complete() {
          result.ctasOpened = await run(`a${result.sequence}`, step, req.actor, req.at);
          result.stage = st.stage;
          kernel.step(st.stage);
        },
      };
    },
  });

  const setup = await preparePlanningCycle(input);
  if (!setup) return null; // the client is gone, or the cadence plans no such cycle: nothing to run
  const at = new Date(Date.now()).toISOString();
  const s = initialState(setup, at);
  await run('start', start(s, at), SYSTEM, at);
  kernel.ready(s);
  kernel.step(s.stage);

  await kernel.runDue({
    until: () => isClosed(s),
    next: () => nextDue(s),
    async act(d) {
      const when = dueInstant(d.at);
      await run(`t${s.ticks + 1}-${d.key}`, due(s, d.key, when), SYSTEM, when);
      kernel.step(s.stage);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  kernel.step(s.stage);
  return statusView(s);

  async function run(batchKey: string, step: Step, actor: Actor, when: string) {
    return kernel.record(batchKey, step.effects, actor, when);
  }
}
