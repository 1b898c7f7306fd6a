/**
 * Signed unsubscribe links (issue 15 email; RFC 8058 one-click): the token names one person and
 * one email category and is signed with HMAC-SHA256 under a key derived (HKDF) from
 * BATON_INTEGRATION_KEY, so it works without a login, cannot be forged or moved to another person
 * or category, and is never stored. It does not expire: an unsubscribe link in an old message
 * must still work (RFC 8058 §3.1 asks the link to keep working for a reasonable time).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { sameSecret } from '../domain/same-secret.js';
import { EMAIL_CATEGORIES, type EmailCategory } from '../domain/email.js';
import { integrationKey } from './secret-box.js';

const signingKey = (key: Buffer) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'baton/email-unsubscribe/v1', 32));
const mac = (body: string, key: Buffer) => createHmac('sha256', signingKey(key)).update(body).digest('base64url');

/** `u1.<base64url "personId:category">.<base64url HMAC>`. */
export function unsubscribeToken(personId: string, category: EmailCategory, key = integrationKey()): string {
  const body = Buffer.from(`${personId}:${category}`).toString('base64url');
  return `u1.${body}.${mac(`u1.${body}`, key)}`;
}

/** The person and category a token names, or undefined when it is malformed or its signature does not verify. */
export function verifyUnsubscribeToken(token: string, key = integrationKey()): { personId: string; category: EmailCategory } | undefined {
  const parts = token.split('.');
  const [v, body, sig] = parts;
  if (parts.length !== 3 || v !== 'u1' || !body || !sig || token.length > 512) return undefined;
  if (!sameSecret(sig, mac(`u1.${body}`, key))) return undefined;
  const text = Buffer.from(body, 'base64url').toString('utf8');
  const at = text.lastIndexOf(':');
  const personId = text.slice(0, at);
  const category = text.slice(at + 1) as EmailCategory;
  if (at <= 0 || !EMAIL_CATEGORIES.includes(category)) return undefined;
  return { personId, category };
}

/** The one-click link for an email, under the API's public address (BATON_PUBLIC_URL); undefined without one. */
export function unsubscribeUrl(publicUrl: string | undefined, personId: string, category: EmailCategory): string | undefined {
  if (!publicUrl) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe?token=${encodeURIComponent(unsubscribeToken(personId, category))}`;
}
