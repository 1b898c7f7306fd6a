import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { payloadKeys } from '../db/schema.js';
import type { Config } from './config.js';
import { ActionableError } from './errors.js';
import type { Logger } from './logger.js';
import { generatePayloadKey, parsePayloadKeys, type PayloadKeyring } from './payload-codec.js';

/** Where the embedded setup keeps its generated keys (mode 0600), next to the servers' data. */
export const payloadKeyFile = (dataDir: string) => path.join(dataDir, 'payload-keys');

/**
 * The keys Baton encrypts with (issue 18), in this order: BATON_PAYLOAD_KEYS; the embedded
 * setup's key file; a key generated into that file when the embedded Temporal has no history yet
 * (a new install). An existing install without any key keeps running unencrypted, and says so.
 */
export function resolvePayloadKeyring(config: Config, log: Logger): { keyring?: PayloadKeyring; source?: string } {
  if (config.BATON_PAYLOAD_KEYS) return { keyring: parsePayloadKeys(config.BATON_PAYLOAD_KEYS, config.BATON_PAYLOAD_ACTIVE_KEY), source: 'BATON_PAYLOAD_KEYS' };
  const embeddedTemporal = !config.TEMPORAL_ADDRESS;
  const file = payloadKeyFile(config.dataDir);
  if (embeddedTemporal && fs.existsSync(file)) {
    try {
      return { keyring: parsePayloadKeys(fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).join(',')), source: file };
    } catch (err) {
      throw new ActionableError(`The payload key file ${file} is damaged (${(err as Error).message}); restore it from your backup.`);
    }
  }
  const newInstall = embeddedTemporal && !fs.existsSync(path.join(config.dataDir, 'temporal', 'temporal.db'));
  if (newInstall) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `# Baton payload keys (id=base64key, newest first). Back this file up: without it\n# the workflow histories of this install cannot be read.\n${generatePayloadKey()}\n`, { mode: 0o600 });
    log.warn({ file }, 'generated a payload encryption key: back up this file, or workflow histories become unreadable if it is lost (README: Payload encryption)');
    return resolvePayloadKeyring(config, log);
  }
  log.warn('workflow payloads are NOT encrypted: set BATON_PAYLOAD_KEYS (README: Payload encryption)');
  return {};
}

/**
 * Records the active key as used, then refuses to start if a key that sealed payloads before is
 * missing: failing now with its id beats failing every workflow task that meets one of its payloads.
 */
export async function checkPayloadKeys(db: Db, keyring: PayloadKeyring | undefined, retired: readonly string[] = []): Promise<void> {
  if (keyring) {
    await db.insert(payloadKeys).values({ keyId: keyring.activeKeyId })
      .onConflictDoUpdate({ target: payloadKeys.keyId, set: { lastActiveAt: sql`now()` } });
  }
  const used = (await db.select({ keyId: payloadKeys.keyId }).from(payloadKeys)).map((r) => r.keyId);
  const missing = used.filter((id) => !keyring?.keys.has(id) && !retired.includes(id));
  if (missing.length) {
    throw new ActionableError(`Workflow histories hold payloads encrypted with key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${keyring ? 'BATON_PAYLOAD_KEYS does not hold' : 'cannot be read: no payload keys are configured'}. Add ${missing.length > 1 ? 'them' : 'it'} back to BATON_PAYLOAD_KEYS (older keys stay for decryption after a rotation), or list ${missing.length > 1 ? 'them' : 'it'} in BATON_PAYLOAD_RETIRED_KEYS if every history sealed with ${missing.length > 1 ? 'them' : 'it'} is gone.`);
  }
}
