/**
 * Inbound vendor reports (issue 15), one way for every connector type: a verified callout or a
 * polled change that stands for a CTA reports on it as the API would (completed, first action), in
 * one transaction with the record of the vendor event (inbound_events), so a replay is
 * acknowledged once and changes nothing. The caller notifies the CTA's clock after commit.
 */
import { createHash } from 'node:crypto';
import type { Db } from './client.js';
import { claimInboundEvent, connectorKey, type ConnectorRow } from './connectors.js';
import { completeCta, recordFirstAction } from './ctas.js';
import type { Actor } from './schema.js';

export type InboundReport =
  | { report: 'complete'; note: string }
  | { report: 'firstAction'; note: string; actedAt?: string; personId?: string }
  | { report: 'none'; why: string };

export interface InboundResult { duplicate: boolean; outcome: string; ctaId?: string }

/** The ledger event id of a report: derived from the vendor event, so a retried write lands once. */
const eventSuffix = (eventKey: string) => (eventKey.startsWith('sha256:') ? eventKey.slice(7, 39) : createHash('sha256').update(eventKey).digest('hex').slice(0, 32));

export async function applyInboundReport(db: Db, connector: Pick<ConnectorRow, 'id'>, r: { eventKey: string; entity: string; ctaId: string | undefined; report: InboundReport; actorName: string; at: string; unlinked?: string }): Promise<InboundResult> {
  const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: r.actorName };
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const { ctaId, report } = r;
    const outcome = !ctaId ? (r.unlinked ?? 'not-a-baton-record') : report.report === 'none' ? `no-report: ${report.why}` : report.report;
    if (!(await claimInboundEvent(tx, connector.id, r.eventKey, r.entity, outcome))) return { duplicate: true, outcome: 'already-received' };
    if (!ctaId || report.report === 'none') return { duplicate: false, outcome };
    const eventId = `cta/${ctaId}/inbound/${eventSuffix(r.eventKey)}`;
    const applied = report.report === 'complete'
      ? await completeCta(tx, ctaId, report.note, { actor, at: r.at }, eventId)
      : await recordFirstAction(tx, ctaId, { note: report.note, ...(report.actedAt ? { actedAt: report.actedAt } : {}), ...(report.personId ? { personId: report.personId } : {}) }, { actor, at: r.at }, eventId);
    if (applied.outcome === 'applied') return { duplicate: false, outcome: report.report, ctaId };
    return { duplicate: false, outcome: `unchanged: ${applied.outcome === 'conflict' ? applied.reason : 'no such CTA'}` };
  });
}
