import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { clientCalendar, localYear } from '../db/client-calendar.js';
import { getClient } from '../db/clients.js';
import { policyForClient } from '../db/policies.js';
import { convertProspect, handoffRecords } from '../db/sales.js';
import { localDateOf, makeCalendar } from '../domain/business-time.js';
import { cadenceInvites, hypothesisOf, packetItems, saleRulesOf, type HandoffPacket, type SaleSetup } from '../domain/sale.js';
import { startedByRequest, startOnboarding } from '../runtime/processes.js';
import { onboardingWorkflowId } from '../workflows/contracts.js';

type Segment = 'A' | 'B' | 'C' | 'D';

/**
 * What the sale workflow reads and does outside itself (R-40..R-46): its setup (the prospect's
 * placement as the segment/goal hypothesis, the policy's sale rules), and Day 0 — the prospect
 * becomes a client and its onboarding starts with the handoff packet assembled from the sale.
 */
export function saleActivities({ db }: { db: Db }) {
  async function clientPolicy(clientId: string) {
    const client = await getClient(db, clientId);
    if (!client) return undefined;
    const { policy, version } = await policyForClient(db, client.policyOverrides);
    return { client, policy, version };
  }

  return {
    /** The sale's setup; null when the prospect is gone. */
    async prepareSale(input: { clientId: string; trigger: SaleSetup['trigger'] }): Promise<Omit<SaleSetup, 'trigger'> | null> {
      const cp = await clientPolicy(input.clientId);
      if (!cp) return null;
      const { client, policy, version } = cp;
      const y = localYear(Date.now(), client.timeZone);
      const cal = clientCalendar(client, policy, y - 1, y + 2);
      return {
        clientId: client.id, name: client.name, policyVersion: version,
        hypothesis: hypothesisOf(policy, { segment: client.segment as Segment, goalLevel: client.goalLevel, touchTier: client.touchTier as 'High' }),
        rules: { ...saleRulesOf(policy, client.segment as Segment, { timeZone: client.timeZone, holidays: [] }), calendar: { timeZone: cal.timeZone, holidays: [...cal.holidays], workdays: [...cal.workdays], dayStart: cal.dayStart, dayEnd: cal.dayEnd } },
      };
    },

    /**
     * Day 0: the prospect becomes a client, the handoff packet is assembled from the
     * sale and its planning records, and the onboarding starts with Day 0 = the signature and the
     * packet. Safe to retry: the conversion is idempotent and a running onboarding is left alone.
     */
    async signSale(input: { clientId: string; saleWorkflowId: string; signedAt: string; at: string; discovery: HandoffPacket['discovery'] }): Promise<{ present: string[]; missing: string[]; onboarding: 'started' | 'already-running' } | null> {
      const cp = await clientPolicy(input.clientId);
      if (!cp) return null;
      const { client, policy, version } = cp;
      const converted = await convertProspect(db, client.id, input.at);
      if (!converted) return null;
      const cal = makeCalendar({ timeZone: client.timeZone, holidays: [] });
      const packet: HandoffPacket = {
        saleWorkflowId: input.saleWorkflowId, assembledAt: input.at, discovery: input.discovery, ...(await handoffRecords(db, client.id)),
        cadenceInvites: cadenceInvites(policy, client.segment as Segment, client.touchTier, localDateOf(input.signedAt, cal)),
      };
      const items = packetItems(packet, policy.onboarding.handoffPacketItems);
      const ctx = Context.current();
      let onboarding: 'started' | 'already-running' = 'started';
      const target = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      const startedBy = `${input.saleWorkflowId}/signed`;
      try {
        await startOnboarding(target, { clientId: client.id, signedAt: input.signedAt, policyVersion: version, handoffPacket: packet }, { name: client.name, segment: client.segment }, startedBy);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // A retry of this activity finds its own start; anything else is an onboarding started by hand.
        if (!(await startedByRequest(target, onboardingWorkflowId(client.id), startedBy))) onboarding = 'already-running';
      }
      return { ...items, onboarding };
    },
  };
}
