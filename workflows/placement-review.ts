import {
  continueAsNew, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { makeCalendar } from '../domain/business-time.js';
import { nextPlacementReview } from '../domain/placement-review.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';
import { placementReviewStatus, type PlacementReviewInput, type PlacementReviewStatus } from './contracts.js';

const { loadPlacementReviewPlan, appendLedgerEvent, activePolicyVersion } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // only reads and conditional updates: retried until the database is back
});

/**
 * Annual placement review: one per client, for as long as the client exists. Each cycle
 * waits for the review date, records `segment.review_due` on the client's timeline with the
 * inputs that set the date, and continues as new under the policy version then in force.
 */
export async function placementReview(input: PlacementReviewInput): Promise<PlacementReviewStatus> {
  const cycle = input.cycle ?? 1;
  const status: PlacementReviewStatus = { clientId: input.clientId, cycle, policyVersion: input.policyVersion, step: 'planning', ruleId: 'R-7' };
  setHandler(placementReviewStatus, () => status);
  upsertSearchAttributes([{ key: ProcessKey, value: 'placement-review' }, { key: StepKey, value: 'planning' }]);

  const plan = input.plan ?? (await loadPlacementReviewPlan(input.clientId, input.policyVersion));
  if (!plan) {
    status.step = 'client-gone';
    return status;
  }
  const cal = makeCalendar({ timeZone: plan.timeZone, holidays: plan.holidays, dayStart: plan.dayStart, dayEnd: plan.dayEnd, workdays: plan.workdays });
  const due = nextPlacementReview(input.anchor, plan.intervalMonths, plan.dayStart, cal);
  status.nextReviewAt = due.dueAt;
  status.step = 'waiting';
  upsertSearchAttributes([{ key: StepKey, value: 'waiting' }]);

  const waitMs = Date.parse(due.dueAt) - Date.now();
  if (waitMs > 0) await sleep(waitMs);

  status.step = 'recording';
  const { workflowId } = workflowInfo();
  await appendLedgerEvent({
    id: `${workflowId}/cycle-${cycle}/review-due`,
    occurredAt: due.dueAt,
    clientId: input.clientId,
    process: 'placement-review',
    workflowId,
    type: 'segment.review_due',
    ruleId: 'R-7',
    why: { anchor: input.anchor, intervalMonths: plan.intervalMonths, timeZone: plan.timeZone, holidays: plan.holidays, rolledTo: due.localDate, policyVersion: input.policyVersion },
    actor: { kind: 'system' },
    data: { cycle, segment: plan.segment, goalLevel: plan.goalLevel, source: plan.segmentSource },
  });

  const nextVersion = await activePolicyVersion();
  return continueAsNew<typeof placementReview>({ clientId: input.clientId, policyVersion: nextVersion, anchor: due.dueAt, cycle: cycle + 1 });
}
