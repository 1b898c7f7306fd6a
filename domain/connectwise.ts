/**
 * ConnectWise PSA (issue 15), pure: how a CTA becomes a service ticket, how a ticket callback
 * becomes a Baton report, and how a callback's signature is computed. No I/O here: the HTTP calls
 * are in activities/connectwise.ts, the receiver in api/routes/connectors.ts.
 *
 * Built from ConnectWise's public developer documentation (cited in docs/integrations.md):
 * REST API 3.0 (Basic auth `companyId+publicKey:privateKey` plus the `clientId` header; `page` /
 * `pageSize` ≤ 1000 with a `Link` header; `conditions` queries; JSON Patch updates) and "PSA
 * Callbacks" (a callback carries `Action`, `Type`, `ID`, `Entity` as a JSON string and
 * `Metadata.key_url`; its `x-content-signature` is the base64 HMAC-SHA256 of the body under the
 * SHA-256 of the `signing_key` fetched from `key_url`).
 */
import { createHash, createHmac } from 'node:crypto';
import { sameSecret } from './same-secret.js';
import { z } from 'zod';

/** Non-secret settings of a ConnectWise connector. */
export const connectWiseSettings = z.strictObject({
  boardId: z.number().int().positive().describe('The service board new tickets go to'),
  newStatus: z.string().min(1).max(50).default('New').describe('The status a ticket opens in; a ticket that leaves it (not closed) counts as the CTA\'s first action (C-5)'),
  closedStatus: z.string().min(1).max(50).default('Closed').describe('The status Baton sets when the CTA is done, and the one (besides `closedFlag`) that means the ticket is closed'),
});
export type ConnectWiseSettings = z.infer<typeof connectWiseSettings>;

/** The secret part, sealed at rest: API member keys and the integration's clientId (ConnectWise asks to treat it as a password). */
export const connectWiseCredentials = z.strictObject({
  companyId: z.string().min(1).max(100).describe('The company identifier typed at the ConnectWise login'),
  publicKey: z.string().min(1).max(200),
  privateKey: z.string().min(1).max(200),
  clientId: z.string().min(1).max(100).describe('The integration\'s clientId (developer.connectwise.com/ClientID)'),
});
export type ConnectWiseCredentials = z.infer<typeof connectWiseCredentials>;

/** `Authorization: Basic base64(companyId+publicKey:privateKey)` and `clientId`. */
export function connectWiseHeaders(c: ConnectWiseCredentials): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientid: c.clientId,
    accept: 'application/json',
  };
}

/**
 * The ticket's external reference: ConnectWise has no idempotency key on create, so Baton stamps
 * `externalXRef` (≤ 100 characters) and looks it up before creating; a retry after a lost answer
 * finds the ticket it already created.
 */
export const ticketXRef = (ctaId: string) => `baton:cta:${ctaId}`;

export interface CtaTicketInput {
  ctaId: string;
  title: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  companyId: number;
  /** The owner's ConnectWise member identifier, when the person is mapped. */
  member?: string;
}

/** ConnectWise dates: ISO-8601 in UTC without milliseconds (`2026-12-11T10:00:00Z`). */
export const cwDate = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}Z`;

/** POST /service/tickets body for a CTA (summary ≤ 100 characters, as ConnectWise requires). */
export function ticketForCta(t: CtaTicketInput, s: ConnectWiseSettings) {
  const summary = t.title.length > 100 ? `${t.title.slice(0, 99)}…` : t.title;
  return {
    summary,
    board: { id: s.boardId },
    company: { id: t.companyId },
    externalXRef: ticketXRef(t.ctaId),
    requiredDate: cwDate(t.dueAt),
    initialDescription: `Baton CTA for ${t.clientName}: ${t.title}\nFirst action due: ${cwDate(t.firstActionDueAt)} (C-5)\nDue: ${cwDate(t.dueAt)}\nBaton CTA id: ${t.ctaId}`,
    ...(t.member ? { owner: { identifier: t.member } } : {}),
  };
}

/** PATCH /service/tickets/{id} body (JSON Patch) that closes the ticket. */
export const closeTicketPatch = (s: ConnectWiseSettings) => [{ op: 'replace', path: 'status', value: { name: s.closedStatus } }];

/** PATCH /service/tickets/{id} body that gives the ticket to another member (the CTA changed hands, R-122). */
export const assignTicketPatch = (member: string) => [{ op: 'replace', path: 'owner', value: { identifier: member } }];

/** A REST callback as ConnectWise posts it. `Entity` is the record as a JSON string. */
export const connectWiseCallback = z.object({
  Action: z.string().max(50),
  Type: z.string().max(50),
  ID: z.union([z.number(), z.string().max(50)]),
  Entity: z.string().max(1_000_000).nullable().optional(),
  Metadata: z.object({ key_url: z.string().max(2000) }),
}).loose();
export type ConnectWiseCallback = z.infer<typeof connectWiseCallback>;

/** What a ticket callback means for the CTA it stands for. */
export type TicketReport =
  | { report: 'complete'; note: string }
  | { report: 'firstAction'; note: string }
  | { report: 'none'; why: string };

/**
 * A ticket callback → the CTA report the API offers: closed (`closedFlag`, or the closed status)
 * → CTA completed; moved out of its opening status → the CTA's first action (C-5: a concrete step
 * by its owner); anything else → nothing. A deleted ticket changes nothing in Baton.
 */
export function ticketReport(cb: ConnectWiseCallback, s: ConnectWiseSettings): TicketReport {
  if (cb.Type.toLowerCase() !== 'ticket') return { report: 'none', why: `a ${cb.Type} callback` };
  if (cb.Action.toLowerCase() === 'deleted') return { report: 'none', why: 'the ticket was deleted' };
  let entity: { closedFlag?: unknown; status?: { name?: unknown } } = {};
  try {
    entity = cb.Entity ? JSON.parse(cb.Entity) : {};
  } catch {
    return { report: 'none', why: 'the callback\'s Entity is not JSON' };
  }
  const status = typeof entity.status?.name === 'string' ? entity.status.name : undefined;
  if (entity.closedFlag === true || status === s.closedStatus) return { report: 'complete', note: `ConnectWise ticket #${cb.ID} closed${status ? ` (${status})` : ''}` };
  if (status && status !== s.newStatus) return { report: 'firstAction', note: `ConnectWise ticket #${cb.ID} moved to ${status}` };
  return { report: 'none', why: status ? `the ticket is still ${status}` : 'no status on the ticket' };
}

/** `x-content-signature`: base64 HMAC-SHA256 of the raw body, keyed with the SHA-256 of the signing key. */
export function callbackSignature(signingKey: string, rawBody: string): string {
  return createHmac('sha256', createHash('sha256').update(signingKey).digest()).update(rawBody).digest('base64');
}

export function verifyCallbackSignature(signingKey: string, rawBody: string, signature: string | undefined): boolean {
  return sameSecret(signature?.trim(), callbackSignature(signingKey, rawBody));
}

/**
 * The key URL is named by the (untrusted) body: it must be on the connector's own ConnectWise
 * host, or anyone could sign a forged callback with a key they serve themselves.
 */
export function trustedKeyUrl(keyUrl: string, baseUrl: string): boolean {
  try {
    const k = new URL(keyUrl);
    const b = new URL(baseUrl);
    return k.origin === b.origin && (k.protocol === 'https:' || k.protocol === 'http:');
  } catch {
    return false;
  }
}

/** The callback's identity for de-duplication: ConnectWise sends no event id, so a replay is the same bytes. */
export const callbackEventKey = (rawBody: string) => `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
