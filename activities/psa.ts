/**
 * PSA connectors in the outbox (issue 15): one registry by connector type, so the delivery
 * activity and the poller know nothing of a vendor. Each type brings its delivery call (create,
 * close, assign the CTA's record idempotently) and, when it has entities without webhooks, a poll.
 */
import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import { connectorKey, getConnector, type ConnectorRow, type ConnectorType, type PsaDelivery } from '../db/connectors.js';
import { noteConnectorError } from '../db/deliveries.js';
import { activePolicy } from '../db/policies.js';
import type { AttemptOutcome, DeliveryPolicy } from '../domain/delivery.js';
import { policySchema } from '../domain/policy.js';
import { notifyCtaClocks, type TemporalTarget } from '../runtime/processes.js';
import type { ConnectorPollStep } from '../workflows/contracts.js';
import { deliverToAutotask, pollAutotask, readAutotaskCompanies } from './autotask.js';
import { deliverToConnectWise, readConnectWiseCompanies } from './connectwise.js';
import type { PsaCompany } from '../domain/psa-import.js';
import { deliverToHaloPsa, readHaloPsaCompanies } from './halopsa.js';

interface ConnectorModule {
  deliver(db: Db, connector: ConnectorRow, deliveryId: string, p: PsaDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome>;
  /** The client import's read (issue 15, "Getting clients in"): the vendor's companies with their primary contact and renewal; throws VendorError. */
  readCompanies?(connector: ConnectorRow, timeoutSeconds: number, maxCompanies: number): Promise<PsaCompany[]>;
  /** A poll of the entities without webhooks; `temporal` reaches the processes a vendor's word on a meeting is reported to. */
  poll?(db: Db, connectorId: string, cursor: string | undefined, timeoutSeconds: number, temporal: TemporalTarget): Promise<{ stop: boolean; cursor: string; completed: number; ctaIds: string[]; error?: string }>;
}

/** PSA types only: a calendar connector (msgraph) delivers on its own channel (activities/msgraph.ts). */
const MODULES: Partial<Record<ConnectorType, ConnectorModule>> = {
  connectwise: { deliver: deliverToConnectWise, readCompanies: readConnectWiseCompanies },
  autotask: { deliver: deliverToAutotask, poll: pollAutotask, readCompanies: readAutotaskCompanies },
  halopsa: { deliver: deliverToHaloPsa, readCompanies: readHaloPsaCompanies },
};

/** The PSA channel's call: the connector's type module makes it. */
export async function deliverToPsa(db: Db, deliveryId: string, p: PsaDelivery, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  const connector = await getConnector(db, p.connectorId);
  if (!connector) return { outcome: 'failed', permanent: true, error: 'the connector no longer exists' };
  const module = MODULES[connector.type as ConnectorType];
  if (!module) return { outcome: 'failed', permanent: true, error: `no connector module for type ${connector.type}` };
  return module.deliver(db, connector, deliveryId, p, policy);
}

/**
 * A PSA connector's companies for the client import, read from the API process like an admin's
 * read (the import answers in the request, dry run included; nothing is queued). Undefined when the
 * connector's type cannot import (a calendar connector).
 */
export function psaCompanyReader(connector: ConnectorRow): ((timeoutSeconds: number, maxCompanies: number) => Promise<PsaCompany[]>) | undefined {
  const read = MODULES[connector.type as ConnectorType]?.readCompanies;
  return read ? (timeoutSeconds, maxCompanies) => read(connector, timeoutSeconds, maxCompanies) : undefined;
}

export function connectorActivities({ db }: { db: Db }) {
  return {
    /** One poll of a connector (workflows/connector-poller.ts): its changes applied once, the next cursor and the policy's wait. */
    async pollConnector(connectorId: string, cursor: string | undefined): Promise<ConnectorPollStep> {
      const stored = await activePolicy(db);
      const policy = policySchema().shape.integrations.parse((stored.document as { integrations?: unknown }).integrations ?? {});
      const connector = await getConnector(db, connectorId);
      const poll = connector ? MODULES[connector.type as ConnectorType]?.poll : undefined;
      if (!poll) return { stop: true, waitMs: 0, completed: 0 };
      const ctx = Context.current();
      const temporal: TemporalTarget = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      const r = await poll(db, connectorId, cursor, policy.requestTimeoutSeconds, temporal);
      // The connector's status shows a failing poll (e.g. refused credentials) like a failing delivery, and a healthy poll clears it
      // unless deliveries are failing (then theirs is the error shown). Polls never trip the breaker: deliveries do.
      if (r.error) Context.current().log.warn('connector poll failed; the next poll asks again', { connectorId, error: r.error });
      await noteConnectorError(db, connectorKey(connectorId), r.error ? r.error.slice(0, 500) : null);
      await notifyCtaClocks(temporal, db, r.ctaIds).catch(() => undefined);
      return { stop: r.stop, ...(r.cursor ? { cursor: r.cursor } : {}), waitMs: policy.pollIntervalSeconds * 1000, completed: r.completed };
    },
  };
}
