import type { Db } from '../db/client.js';
import { asClientStakeholder, listStakeholders } from '../db/stakeholders.js';
import type { ClientStakeholder } from '../domain/stakeholders.js';

/**
 * Reads of the client stakeholder registry for processes (issue 9). The cadence calls
 * `clientStakeholders` where it needs the client's people — invitees when it books, attendance and
 * decision owners when a meeting is reported, the sponsor for a reset — and hands the
 * snapshot to the pure helpers of domain/stakeholders.ts, so replay sees the registry as it was.
 */
export function stakeholderActivities({ db }: { db: Db }) {
  return {
    /** Every stakeholder of the client, active or not (attendance may name someone who has left since), by name. */
    async clientStakeholders(clientId: string): Promise<ClientStakeholder[]> {
      return (await listStakeholders(db, clientId)).map(asClientStakeholder);
    },
  };
}
