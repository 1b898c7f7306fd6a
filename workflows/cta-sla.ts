import { condition, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';
import { ctaChanged, ctaSlaStatus, type CtaSlaInput, type CtaSlaStatus } from './contracts.js';

const checks = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // only reads and conditional updates: retried until the database is back
} as const;
const regular = proxyActivities<Activities>(checks);
// The same checks as local activities (issue 17): a clock is the most numerous workflow a portfolio
// runs (one per CTA), and each check then takes no task round trip through the server.
const local = proxyLocalActivities<Activities>(checks);
/** Patch id of the local checks; runs recorded before it keep regular activities on replay. */
export const CTA_SLA_LOCAL_PATCH = 'cta-sla-local';

/**
 * The durable first-action clock of one CTA (C-5, R-122). The database holds the CTA; this
 * workflow only keeps time: when the first-action SLA passes with no first action, the CTA moves
 * to the next level of the policy's escalation chain (named backup, then CS Lead), each level
 * with a fresh window. A first action, completion or cancellation ends the clock.
 */
export async function ctaSla(input: CtaSlaInput): Promise<CtaSlaStatus> {
  const status: CtaSlaStatus = { ctaId: input.ctaId, step: 'waiting', level: 'none', nextDeadline: input.firstActionDueAt, policyVersion: input.policyVersion };
  let changes = 0;
  setHandler(ctaChanged, () => void changes++);
  setHandler(ctaSlaStatus, () => status);
  upsertSearchAttributes([{ key: ProcessKey, value: 'cta' }, { key: StepKey, value: 'waiting' }]);

  const { ctaClockState, escalateCtaLevel } = patched(CTA_SLA_LOCAL_PATCH) ? local : regular;
  let deadline = Date.parse(input.firstActionDueAt);
  for (const level of input.escalationChain) {
    // Wait for the deadline; a change signal wakes us early to check whether the clock can stop.
    for (;;) {
      const seen = changes;
      const remaining = deadline - Date.now();
      const woke = remaining > 0 && (await condition(() => changes !== seen, remaining));
      if ((await ctaClockState(input.ctaId)).settled) return finish('settled');
      if (!woke) break;
    }
    status.step = 'escalating';
    const windowEndedAt = new Date(deadline).toISOString();
    const result = await escalateCtaLevel(input.ctaId, level, windowEndedAt);
    if (result !== 'applied') return finish('settled');
    status.level = level;
    deadline += input.escalationWindowHours * 3_600_000;
    status.nextDeadline = new Date(deadline).toISOString();
    status.step = 'waiting';
    upsertSearchAttributes([{ key: StepKey, value: `escalated-${level}` }]);
  }
  return finish('exhausted');

  function finish(step: 'settled' | 'exhausted'): CtaSlaStatus {
    status.step = step;
    delete status.nextDeadline;
    upsertSearchAttributes([{ key: StepKey, value: step }]);
    return status;
  }
}
