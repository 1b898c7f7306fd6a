import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

// CommonJS package: its namespace comes through the default export under Node's ESM loader.
const { temporal } = proto;

/**
 * Client data in workflow histories is encrypted (issue 18): every payload Baton's clients and
 * workers send to Temporal — workflow and activity inputs and results, Update and query payloads,
 * memos, static summaries, failure messages — is serialized (protobuf), encrypted with AES-256-GCM
 * and stored as `binary/encrypted` with the id of the key that sealed it. Decoding picks the key
 * by that id, so older keys keep old histories readable after a rotation; a payload that was never
 * encrypted (an install from before encryption, the released replay fixtures) passes through.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKeyring {
  /** The key that seals new payloads. */
  activeKeyId: string;
  /** Every key that may open a payload, by id (the active one included). */
  keys: ReadonlyMap<string, Buffer>;
}

export class PayloadKeyError extends Error {
  constructor(message: string, readonly missingKeyIds: string[] = []) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

/**
 * `BATON_PAYLOAD_KEYS`: comma-separated `id=base64key` entries (32-byte keys, e.g. from
 * `openssl rand -base64 32`). The active key is `active` when given, otherwise the first entry.
 */
export function parsePayloadKeys(spec: string, active?: string): PayloadKeyring {
  const keys = new Map<string, Buffer>();
  const problems: string[] = [];
  for (const [i, raw] of spec.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const eq = raw.indexOf('=');
    const id = eq > 0 ? raw.slice(0, eq).trim() : '';
    const value = eq > 0 ? raw.slice(eq + 1).trim() : '';
    if (!KEY_ID.test(id)) {
      problems.push(`entry ${i + 1}: expected id=base64key with an id of letters, digits, '.', '_' or '-'`);
      continue;
    }
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
      problems.push(`key ${id}: must be 32 bytes in base64 (openssl rand -base64 32)`);
      continue;
    }
    if (keys.has(id)) problems.push(`key ${id}: listed twice`);
    keys.set(id, key);
  }
  if (!keys.size && !problems.length) problems.push('no key given');
  const activeKeyId = active ?? keys.keys().next().value;
  if (activeKeyId !== undefined && !keys.has(activeKeyId)) problems.push(`active key ${activeKeyId} is not among the keys`);
  if (problems.length) throw new PayloadKeyError(problems.join('; '));
  return { activeKeyId: activeKeyId!, keys };
}

/** A fresh keyring entry for a new install: `id=base64key`. */
export function generatePayloadKey(now = new Date()): string {
  return `k${now.toISOString().slice(0, 10).replaceAll('-', '')}=${randomBytes(32).toString('base64')}`;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { activeKeyId, keys } = this.keyring;
    const key = keys.get(activeKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is bound to the ciphertext, so a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(activeKeyId));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(activeKeyId) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const keyId = new TextDecoder().decode(payload.metadata![KEY_ID_METADATA] ?? new Uint8Array());
      const key = this.keyring.keys.get(keyId);
      if (!key) {
        throw new PayloadKeyError(`a workflow history holds a payload encrypted with key "${keyId}", which BATON_PAYLOAD_KEYS does not hold; add it back (keys are kept for decryption after a rotation)`, [keyId]);
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return !!encoding && new TextDecoder().decode(encoding) === ENCRYPTED_ENCODING;
}

/** The key ids a payload list was sealed with (for the rotation tests and the history checks). */
export function keyIdsOf(payloads: Payload[]): string[] {
  return [...new Set(payloads.filter(isEncrypted).map((p) => new TextDecoder().decode(p.metadata![KEY_ID_METADATA])))];
}

/** The module whose `failureConverter` export encodes failure messages and stack traces as payloads. */
export const failureConverterPath = path.join(path.dirname(fileURLToPath(import.meta.url)), `failure-converter${path.extname(fileURLToPath(import.meta.url))}`);

/**
 * The data converter of every client and worker Baton creates. Failure messages and stack traces
 * are moved into an (encrypted) payload too; without a keyring nothing is encrypted, but the
 * failure converter stays the same so workers and clients always agree.
 */
export function batonDataConverter(keyring: PayloadKeyring | undefined): DataConverter {
  return { failureConverterPath, ...(keyring ? { payloadCodecs: [new EncryptionCodec(keyring)] } : {}) };
}

/** A throwaway keyring for rehearsals, benches and tests: their histories live as long as the run. */
export function ephemeralKeyring(id = 'ephemeral'): PayloadKeyring {
  return { activeKeyId: id, keys: new Map([[id, randomBytes(32)]]) };
}

const isPayload = (v: unknown): v is Payload => !!v && typeof v === 'object' && 'metadata' in v && (v as Payload).data instanceof Uint8Array;

/**
 * Applies `fn` to every payload of a history (decoded protobuf objects), in place: event inputs
 * and results, memos, headers, failures. Keys in `skip` are left alone (the codec never touches
 * search attributes or the SDK's patch markers). Returns how many payloads it passed to `fn`.
 */
export async function mapHistoryPayloads(node: unknown, fn: (payloads: Payload[]) => Promise<Payload[]>, skip: readonly string[] = ['searchAttributes', 'markerRecordedEventAttributes']): Promise<number> {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return 0;
  let count = 0;
  const obj = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    if (skip.includes(key) || !value || typeof value !== 'object') continue;
    if (key === 'payloads' && Array.isArray(value) && value.every(isPayload)) {
      obj[key] = await fn(value);
      count += value.length;
    } else if (isPayload(value)) {
      obj[key] = (await fn([value]))[0];
      count += 1;
    } else if (Array.isArray(value)) {
      for (const v of value) count += await mapHistoryPayloads(v, fn, skip);
    } else if (key === 'fields' || key === 'indexedFields') {
      // maps of payloads (memo, header)
      const map = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(map)) {
        if (isPayload(v)) {
          map[k] = (await fn([v]))[0];
          count += 1;
        } else {
          count += await mapHistoryPayloads(v, fn, skip);
        }
      }
    } else {
      count += await mapHistoryPayloads(value, fn, skip);
    }
  }
  return count;
}

/** A history with its payloads opened (recorded fixtures are kept plain, so replay tests may seal them with any key). */
export async function openHistoryPayloads<H>(history: H, codec: PayloadCodec): Promise<H> {
  await mapHistoryPayloads(history, (p) => codec.decode(p), []);
  return history;
}
