import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig } from '../../runtime/config.js';
import { EncryptionCodec, generatePayloadKey, isEncrypted, keyIdsOf, parsePayloadKeys } from '../../runtime/payload-codec.js';

const k = () => randomBytes(32).toString('base64');

describe('payload keys (BATON_PAYLOAD_KEYS)', () => {
  it('parses id=base64key entries; the first is active unless one is named', () => {
    const a = k();
    const b = k();
    expect(parsePayloadKeys(`new=${a}, old=${b}`).activeKeyId).toBe('new');
    expect(parsePayloadKeys(`new=${a},old=${b}`, 'old').activeKeyId).toBe('old');
    expect([...parsePayloadKeys(`new=${a},old=${b}`).keys.keys()]).toEqual(['new', 'old']);
  });

  it('names every problem: short keys, bad ids, duplicates, an unknown active key', () => {
    expect(() => parsePayloadKeys(`a=${randomBytes(16).toString('base64')}`)).toThrow(/key a: must be 32 bytes/);
    expect(() => parsePayloadKeys(`bad id=${k()}`)).toThrow(/entry 1: expected id=base64key/);
    expect(() => parsePayloadKeys(`a=${k()},a=${k()}`)).toThrow(/key a: listed twice/);
    expect(() => parsePayloadKeys(`a=${k()}`, 'b')).toThrow(/active key b is not among the keys/);
    expect(() => parsePayloadKeys(' , ')).toThrow(/no key given/);
  });

  it('a generated key parses and is dated', () => {
    const entry = generatePayloadKey(new Date('2026-12-04T00:00:00Z'));
    expect(entry).toMatch(/^k20261204=/);
    expect(parsePayloadKeys(entry).activeKeyId).toBe('k20261204');
  });

  it('the configuration refuses a bad key at start-up with the variable named', () => {
    expect(() => loadConfig({ BATON_PAYLOAD_KEYS: 'a=short' }, '/nonexistent')).toThrow(/BATON_PAYLOAD_KEYS: key a: must be 32 bytes/);
    expect(() => loadConfig({ BATON_PAYLOAD_ACTIVE_KEY: 'a' }, '/nonexistent')).toThrow(/BATON_PAYLOAD_ACTIVE_KEY: names a key, but BATON_PAYLOAD_KEYS is not set/);
    expect(loadConfig({ BATON_PAYLOAD_KEYS: `a=${k()}` }, '/nonexistent').BATON_PAYLOAD_KEYS).toBeDefined();
  });
});

describe('the encryption codec (AES-256-GCM)', () => {
  const ring = parsePayloadKeys(`k2=${k()},k1=${k()}`);
  const codec = new EncryptionCodec(ring);
  const payload = defaultPayloadConverter.toPayload({ client: 'Acme Dental', attendees: ['Dana CFO'] });

  it('seals a payload with the active key id in its metadata, and opens it again', async () => {
    const [sealed] = await codec.encode([payload]);
    expect(isEncrypted(sealed!)).toBe(true);
    expect(keyIdsOf([sealed!])).toEqual(['k2']);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('Acme');
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ client: 'Acme Dental', attendees: ['Dana CFO'] });
  });

  it('the same value seals differently every time (random IV)', async () => {
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes plain payloads through (histories from before encryption)', async () => {
    expect(await codec.decode([payload])).toEqual([payload]);
  });

  it('refuses a tampered payload and one relabelled to another key', async () => {
    const [sealed] = await codec.encode([payload]);
    const flipped = { ...sealed!, data: Buffer.from(sealed!.data!).map((b, i) => (i === 15 ? b ^ 1 : b)) };
    await expect(codec.decode([flipped])).rejects.toThrow();
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': new TextEncoder().encode('k1') } };
    await expect(codec.decode([relabelled])).rejects.toThrow();
  });

  it('a payload of an unknown key fails with the key id', async () => {
    const [sealed] = await new EncryptionCodec(parsePayloadKeys(`gone=${k()}`)).encode([payload]);
    await expect(codec.decode([sealed!])).rejects.toThrow(/key "gone", which BATON_PAYLOAD_KEYS does not hold/);
  });
});
