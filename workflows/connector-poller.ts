import { continueAsNew, proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';
import type { ConnectorPollerInput, ConnectorPollerResult } from './contracts.js';

const { pollConnector } = proxyActivities<Activities>({
  // A poll reads a few pages; the vendor's own timeout (integrations.requestTimeoutSeconds ≤ 120 s) bounds each call.
  startToCloseTimeout: '10 minutes',
  // Only the infrastructure (the database) fails a poll: a vendor failure is an outcome (the cursor stays).
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Polls before the history is handed to a fresh run (the cursor travels with it). */
const POLLS_PER_RUN = 200;

/**
 * A connector's durable poller (issue 15: "where a vendor has no webhook for an entity, a durable
 * poller per connector diffs completion fields on a schedule"), one per connector, id
 * `connector-poller/<connectorId>`. A thin loop: the `pollConnector` activity reads the vendor's
 * changes since the cursor, applies each completion once, and answers the next cursor and the
 * wait (`integrations.pollIntervalSeconds`, read at each poll); the loop sleeps and asks again.
 * It ends when the connector is gone or inactive; re-activating it starts it again.
 */
export async function connectorPoller(input: ConnectorPollerInput): Promise<ConnectorPollerResult> {
  upsertSearchAttributes([{ key: ProcessKey, value: 'connector-poller' }, { key: StepKey, value: 'polling' }]);
  let cursor = input.cursor;
  for (let i = 0; i < POLLS_PER_RUN; i++) {
    const step = await pollConnector(input.connectorId, cursor);
    if (step.stop) {
      upsertSearchAttributes([{ key: StepKey, value: 'stopped' }]);
      return { connectorId: input.connectorId, outcome: 'stopped' };
    }
    cursor = step.cursor ?? cursor;
    await sleep(step.waitMs);
  }
  return continueAsNew<typeof connectorPoller>({ connectorId: input.connectorId, ...(cursor ? { cursor } : {}) });
}
