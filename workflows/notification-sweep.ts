import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ProcessKey } from '../runtime/search-attributes.js';
import type { NotificationSweepResult } from './contracts.js';

const { sweepNotifications } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // Queueing is idempotent (delivery ids per CTA and due instant, per person and date): retried until the database answers.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One run of the notification schedule (issue 15 email; runtime/processes.ts
 * `ensureNotificationSchedule`): queue the due-soon reminders and, once the day's digest time has
 * come, the digests. A thin interpreter: the activity reads the policy and the data.
 */
export async function notificationSweep(): Promise<NotificationSweepResult> {
  upsertSearchAttributes([{ key: ProcessKey, value: 'notifications' }]);
  return sweepNotifications({ at: new Date(Date.now()).toISOString() });
}
