import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Payload } from '@temporalio/common';
import { PayloadKeyError } from '../../runtime/payload-codec.js';
import type { ApiEnv } from '../context.js';
import { ProblemError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';

/**
 * Temporal's Remote Codec protocol (issue 18): the Web UI posts the payloads of a history it shows
 * and gets them back decoded, so people allowed to read client data (managers, admins) see it in
 * the UI while the server, its database and its backups only ever hold ciphertext.
 */
// Bounded well below the body limit; a payload's metadata holds a few short values (encoding, key id).
const base64 = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').openapi({ description: 'Base64 bytes.' });
const WirePayload = z.object({
  metadata: z.record(z.string().max(128), base64(1024)).optional().openapi({ description: 'Metadata values, base64.' }),
  data: base64(4 * 1024 * 1024).optional(),
}).openapi('CodecPayload');
const Payloads = z.object({
  payloads: z.array(WirePayload).max(1000).openapi({ description: 'Payloads in the Temporal proto3 JSON form (bytes as base64).' }),
}).openapi('CodecPayloads');

const toPayload = (p: z.infer<typeof WirePayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const route = (op: 'encode' | 'decode', summary: string) => securedRoute(ROLE_SETS.govern, {
  method: 'post', path: `/codec/${op}`, operationId: `codec${op[0]!.toUpperCase()}${op.slice(1)}`, tags: ['Codec'], summary,
  request: jsonBody(Payloads),
  responses: { 200: jsonResponse(Payloads, `The payloads, ${op}d.`), 409: { description: 'Payload encryption is not configured on this Baton.' } },
}, 'workflow');

export function registerCodecRoutes(app: OpenAPIHono<ApiEnv>) {
  for (const op of ['encode', 'decode'] as const) {
    app.openapi(route(op, op === 'decode'
      ? 'Decrypt payloads for the Temporal Web UI (manager or admin)'
      : 'Encrypt payloads, e.g. a UI-composed signal input (manager or admin)'), async (c) => {
      const codec = c.get('deps').payloadCodec;
      if (!codec) throw new ProblemError(409, 'encryption-not-configured', 'Payload encryption is off', 'This Baton has no payload keys (BATON_PAYLOAD_KEYS), so histories hold plain payloads and there is nothing to decode.');
      const { payloads } = c.req.valid('json');
      try {
        const result = await codec[op](payloads.map(toPayload));
        return c.json({ payloads: result.map(toWire) }, 200);
      } catch (err) {
        if (err instanceof PayloadKeyError) throw new ProblemError(422, 'payload-key-missing', 'Payload key missing', err.message, { keyIds: err.missingKeyIds });
        // A payload that fails authentication was tampered with or sealed by someone else.
        throw new ProblemError(422, 'payload-undecryptable', 'Payload cannot be decrypted', 'A payload failed authentication: it was altered or not sealed with a Baton key.');
      }
    });
  }
}
