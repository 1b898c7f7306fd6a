import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { accept, decide, due, initialState, isFinished, nextDue, signedEffects, startEffects, statusView, type SaleAction, type SaleState, type SaleStatus } from '../domain/sale.js';
import { SALE_REFUSAL_TYPES, saleAction, saleStatus, type SaleActionResult, type SaleInput } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * The consultative sale, lead to Day 0 (DOMAIN §2.7, R-40..R-44), for one prospect: record the
 * trigger and the segment/goal hypothesis and ask for the decision-first discovery;
 * then, while the AM reports the discovery, the decision review (Snapshot, two asks: recap 48h,
 * CTAs 72h, R-43), the conversion to a proposal with EDS (R-44, R-76 enforced where the proposal
 * is created) and the signature, keep the recap deadline. The signature converts the prospect and
 * starts its onboarding with Day 0 = signature and the handoff packet; a park waits
 * for its re-engagement date and hands the prospect back to the AM. The rules live in
 * domain/sale.ts; reports, deadlines and recording run on the process kernel.
 */
export const SALE_PROCESS_VERSION = 1;
const SYSTEM: Actor = { kind: 'system' };

const { prepareSale } = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });
// Day 0 converts the prospect and starts its onboarding: bounded like every effect.
const { signSale } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

export async function sale(input: SaleInput): Promise<SaleStatus | null> {
  let state: SaleState | undefined;
  const kernel = new ProcessKernel<SaleState, SaleAction, SaleActionResult>({
    process: 'sale', clientId: input.clientId, refusalTypes: SALE_REFUSAL_TYPES, initialStep: 'starting', firstActionHours: () => state?.setup.rules.firstActionHours,
  });
  kernel.serveStatus(saleStatus, statusView);
  kernel.serveReports(saleAction, {
    decide,
    async accept(st, req) {
      const effects = accept(st, req.action, req.at);
      const result: SaleActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, phase: st.phase, ctasOpened: [] };
      return {
        result,
        async complete() {
          result.ctasOpened = await kernel.record(`a${result.sequence}`, effects, req.actor, req.at);
          if (req.action.type === 'signed') {
            const d = st.discovery;
            const handoff = await signSale({
              clientId: input.clientId, saleWorkflowId: kernel.workflowId, signedAt: req.action.signedAt, at: req.at,
              discovery: d ? { heldAt: d.heldAt, summary: d.summary, miniHealth: d.miniHealth, decisionsFirst: d.decisionsFirst, format: st.setup.rules.discoveryFormat } : null,
            });
            if (handoff) {
              result.handoff = handoff;
              await kernel.record(`a${result.sequence}-signed`, signedEffects(st, handoff), req.actor, req.at);
            }
          }
          kernel.step(st.phase);
        },
      };
    },
  });

  const startedAt = input.startedAt ?? new Date(Date.now()).toISOString();
  const setup = await prepareSale({ clientId: input.clientId, trigger: input.trigger });
  if (!setup) return null; // the prospect is gone
  const s = initialState({ ...setup, trigger: input.trigger }, startedAt);
  state = s;
  await kernel.record('start', startEffects(s, SALE_PROCESS_VERSION), SYSTEM, startedAt);
  kernel.ready(s);
  kernel.step(s.phase);

  await kernel.runDue({
    until: () => isFinished(s),
    next: () => nextDue(s),
    async act(d) {
      const at = dueInstant(d.at);
      await kernel.record(`t${s.ticks + 1}-${d.key}`, due(s, d.key as 'recap', at), SYSTEM, at);
      kernel.step(s.phase);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  kernel.step(s.phase);
  return statusView(s);
}
