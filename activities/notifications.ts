import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import { queueDigests, queueDueSoonEmails } from '../db/notifications.js';
import { activePolicy } from '../db/policies.js';
import { digestDateAt } from '../domain/email.js';
import { policySchema } from '../domain/policy.js';
import { mailEnabled } from '../runtime/mailer.js';
import { dispatchWorkflowStart } from '../runtime/processes.js';
import type { NotificationSweepResult } from '../workflows/contracts.js';

/**
 * The notification sweep's I/O (issue 15 email): under the policy in force, queue the "due soon"
 * reminders (`integrations.dueSoonHours`) and, from `integrations.digestLocalTime` in
 * `governance.timeZone`, the day's digest per person, into the delivery outbox (db/notifications.ts,
 * idempotent by id), then start their deliveries (the outbox dispatcher would too).
 */
export function notificationActivities({ db }: { db: Db }) {
  return {
    async sweepNotifications(input: { at: string }): Promise<NotificationSweepResult> {
      if (!mailEnabled()) return { dueSoon: 0, digests: 0, digestDate: null };
      const stored = await activePolicy(db);
      const integrations = policySchema().shape.integrations.parse((stored.document as { integrations?: unknown }).integrations ?? {});
      const dueSoon = await queueDueSoonEmails(db, input.at, integrations.dueSoonHours);
      const digestDate = digestDateAt(input.at, stored.document.governance.timeZone, integrations.digestLocalTime) ?? null;
      const digests = digestDate ? await queueDigests(db, digestDate, input.at, integrations.dueSoonHours) : [];
      const ctx = Context.current();
      const target = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      for (const id of [...dueSoon, ...digests]) await dispatchWorkflowStart(target, db, 'delivery', id);
      return { dueSoon: dueSoon.length, digests: digests.length, digestDate };
    },
  };
}
