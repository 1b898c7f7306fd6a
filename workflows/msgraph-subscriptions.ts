import { condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ProcessKey } from '../runtime/search-attributes.js';
import { msgraphConnectorChanged, type MsgraphSubscriptionsInput, type MsgraphSubscriptionsResult } from './contracts.js';

const { syncMsgraphSubscriptions } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // A Graph failure is an outcome (retried at the next round); only the database fails the activity.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Rounds per run before the history is handed to a fresh run. */
const ROUNDS_PER_RUN = 100;

/**
 * A Microsoft Graph connector's change-notification subscriptions (issue 15), kept alive: each
 * round the activity creates the missing ones and renews those within
 * `integrations.msgraphRenewalMarginMinutes` of expiry, and answers when to come back (the
 * earliest renewal, sooner after a failure); with Teams meetings on, the same activity reads the
 * attendance reports of meetings that have ended and the next round comes within the connector's
 * `attendanceEveryMinutes`. A change to the connector wakes it at once; an
 * inactive or deleted connector ends it. A thin interpreter: the policy and Graph are the activity's.
 */
export async function msgraphSubscriptions(input: MsgraphSubscriptionsInput): Promise<MsgraphSubscriptionsResult> {
  upsertSearchAttributes([{ key: ProcessKey, value: 'msgraph-subscriptions' }]);
  let changed = false;
  setHandler(msgraphConnectorChanged, () => { changed = true; });
  for (let round = 1; round <= ROUNDS_PER_RUN; round++) {
    changed = false;
    const sync = await syncMsgraphSubscriptions(input.connectorId);
    if (!sync.active) return { connectorId: input.connectorId, rounds: round, outcome: 'stopped' };
    await condition(() => changed, Math.max(1_000, sync.nextAt - Date.now()));
  }
  return continueAsNew<typeof msgraphSubscriptions>(input);
}
