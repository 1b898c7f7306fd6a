import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';
import type { DeliveryInput, DeliveryResult } from './contracts.js';

const { prepareDelivery, attemptDelivery } = proxyActivities<Activities>({
  // Longer than the policy's longest request timeout (integrations.requestTimeoutSeconds ≤ 120 s).
  startToCloseTimeout: '3 minutes',
  // Only the infrastructure (the database) fails an attempt activity: an HTTP failure is an outcome, not an error.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One outbox delivery (issue 15), a thin interpreter: each attempt (activities/deliveries.ts)
 * calls the receiver unless its connector's breaker is open, records the outcome and answers the
 * pure model's next step (domain/delivery.ts): done, dead-lettered, or retry after a wait that
 * honours Retry-After. The policy is read once at the start, so history fixes it for the run.
 */
export async function delivery(input: DeliveryInput): Promise<DeliveryResult> {
  upsertSearchAttributes([{ key: ProcessKey, value: 'delivery' }, { key: StepKey, value: 'delivering' }]);
  const plan = await prepareDelivery(input.deliveryId);
  if (!plan.pending) return finish('settled');
  for (;;) {
    const next = await attemptDelivery(input.deliveryId, plan.policy);
    if (next.step === 'done') return finish('delivered');
    if (next.step === 'dead') return finish('dead');
    upsertSearchAttributes([{ key: StepKey, value: 'retrying' }]);
    await sleep(next.delayMs);
  }

  function finish(outcome: DeliveryResult['outcome']): DeliveryResult {
    upsertSearchAttributes([{ key: StepKey, value: outcome }]);
    return { deliveryId: input.deliveryId, outcome };
  }
}
