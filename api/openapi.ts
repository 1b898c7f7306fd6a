import type { ApiOptions } from './context.js';
import { TEXT_PATTERN } from './input-rules.js';

type Json = Record<string, unknown>;
const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
/** Formats whose grammar already excludes control characters. */
const SAFE_FORMATS = new Set(['uuid', 'date', 'date-time']);
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/**
 * The OpenAPI document states what the server enforces beyond the route schemas, so clients and
 * fuzzers see the real contract: the text rule (no control characters but tab, LF, CR) as a
 * `pattern` on every free-text string, and the edge answers every operation may give (413 body
 * too large, 415 not JSON, 429 too many failed authentications, 500).
 */
export function describeEnforcedRules(doc: Json, options: ApiOptions): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const responses = (op.responses ??= {}) as Json;
      if (op.requestBody) {
        responses['413'] ??= { description: `The body exceeds ${options.maxBodyBytes} bytes.`, content: PROBLEM };
        responses['415'] ??= { description: 'The body is not `application/json`; `detail` says what was sent.', content: PROBLEM };
      }
      if (path.startsWith('/v1/')) responses['429'] ??= { description: 'Too many failed authentications from this address; retry after `Retry-After` seconds.', headers: { 'Retry-After': { schema: { type: 'integer' } } }, content: PROBLEM };
      responses['500'] ??= { description: 'Unexpected server error; `requestId` identifies it in the logs.', content: PROBLEM };
      for (const p of (op.parameters ?? []) as Json[]) addTextPattern(p.schema);
      const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      for (const media of Object.values(body ?? {})) addTextPattern(media.schema);
    }
  }
  // Request schemas only (they are inline): responses echo what was sent, e.g. a problem's `instance`.
  return doc;
}

function addTextPattern(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    for (const s of schema) addTextPattern(s);
    return;
  }
  const s = schema as Json;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('string') && s.pattern === undefined && s.enum === undefined && s.const === undefined && !SAFE_FORMATS.has(s.format as string)) {
    s.pattern = TEXT_PATTERN;
  }
  // Free-form maps: their keys are text too.
  if (types.includes('object') && s.additionalProperties !== undefined && s.additionalProperties !== false && s.propertyNames === undefined) {
    s.propertyNames = { pattern: TEXT_PATTERN, not: { const: '__proto__' } };
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') {
      for (const sub of Object.values(v as Json)) addTextPattern(sub);
    } else if (['items', 'additionalProperties', 'not', 'anyOf', 'oneOf', 'allOf', 'prefixItems', 'propertyNames'].includes(k)) {
      addTextPattern(v);
    }
  }
}
