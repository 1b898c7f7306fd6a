import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { accept, decide, due, initialState, isFinished, nextDue, opened, statusView, type UpsellAction, type UpsellState, type UpsellStatus, type UpsellStep } from '../domain/upsell.js';
import { UPSELL_REFUSAL_TYPES, upsellAction, upsellStatus, type UpsellActionResult, type UpsellInput } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * One upsell play (DOMAIN §2.16, R-89..R-92), from the logged signal to a credited approval, a
 * decline or a re-sequence: the price test due signal + 3 d ROLL, the roadmap card and
 * budget line the same day as the pre-approval, the proposal at the next touch with its
 * recap 48h and close-out CTA 72h, and the R-32 credit verdict at the logged approval. The
 * rules live in domain/upsell.ts; the planning records it names (initiative, price test,
 * pre-approval, versions, proposal) are written by their own processes and the API. A step whose
 * due passes undone is recorded once; its CTA escalates on its own clock.
 */
const SYSTEM: Actor = { kind: 'system' };

const { prepareUpsell } = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });

export async function upsell(input: UpsellInput): Promise<UpsellStatus | null> {
  let firstActionHours: number | undefined; // from the play's policy once it is read
  const kernel = new ProcessKernel<UpsellState, UpsellAction, UpsellActionResult>({
    process: 'upsell', clientId: input.clientId, refusalTypes: UPSELL_REFUSAL_TYPES, initialStep: 'starting', firstActionHours: () => firstActionHours,
  });
  kernel.serveStatus(upsellStatus, statusView);
  kernel.serveReports(upsellAction, {
    decide,
    async accept(st, req) {
      const step = accept(st, req.action, req.at);
      const result: UpsellActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, state: st.state, ctasOpened: [] };
      return {
        result,
        async complete() {
          result.ctasOpened = await kernel.record(`a${result.sequence}`, step.effects, req.actor, req.at);
          result.state = st.state;
          kernel.step(st.state);
        },
      };
    },
  });

  const setup = await prepareUpsell(input.signalId);
  if (!setup) return null; // the row is gone (client deleted)
  const s = initialState(setup);
  firstActionHours = setup.policy.meeting.firstActionHours;
  // the signal on the timeline and the price-test CTA, before any report is taken.
  await kernel.record('opened', opened(s).effects, SYSTEM, setup.loggedAt);
  kernel.ready(s);
  kernel.step(s.state);

  await kernel.runDue({
    until: () => isFinished(s),
    next: () => nextDue(s),
    async act(d) {
      const at = dueInstant(d.at);
      await kernel.record(`t${s.ticks + 1}-${d.key}`, due(s, d.key as UpsellStep, at).effects, SYSTEM, at);
      kernel.step(s.state);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  kernel.step(s.state);
  return statusView(s);
}
