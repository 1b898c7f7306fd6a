/**
 * Connector secrets at rest (issue 15): webhook signing secrets are stored sealed with AES-256-GCM
 * under the integration key from the environment (`BATON_INTEGRATION_KEY`, 32 bytes in base64),
 * never in clear, never logged. Without the key, Baton refuses to create or use a secret rather
 * than store one unprotected.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const INTEGRATION_KEY_ENV = 'BATON_INTEGRATION_KEY';

export class IntegrationKeyMissingError extends Error {
  override name = 'IntegrationKeyMissingError';
  constructor(detail = `${INTEGRATION_KEY_ENV} is not set (32 random bytes in base64, e.g. \`openssl rand -base64 32\`)`) {
    super(`connector secrets cannot be sealed or opened: ${detail}`);
  }
}

let configured: string | undefined;

/** Start-up hands over the configured key (runtime/config.ts reads it from the environment or `.env`). */
export function setIntegrationKey(raw: string | undefined): void {
  configured = raw;
}

/** The key: the configured one, else the process environment's. */
export function integrationKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const raw = configured ?? env[INTEGRATION_KEY_ENV];
  if (!raw) throw new IntegrationKeyMissingError();
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new IntegrationKeyMissingError(`${INTEGRATION_KEY_ENV} must be 32 bytes in base64 (it decodes to ${key.length})`);
  return key;
}

/** `v1.<iv>.<tag>.<ciphertext>` (base64url); `context` (e.g. the subscription id) is bound as associated data, so a sealed value cannot be moved to another row. */
export function seal(plain: string, context: string, key = integrationKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function unseal(sealed: string, context: string, key = integrationKey()): string {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
