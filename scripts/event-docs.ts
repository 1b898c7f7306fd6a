/**
 * Renders the ledger event catalogue (domain/events.ts) as Markdown. Run directly to regenerate
 * docs/events.md:
 *
 *   npx tsx scripts/event-docs.ts
 *
 * A unit test compares the committed file with `renderEventDocs()`, so the doc cannot drift.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { eventCatalogue, LEDGER_EVENT_TYPES } from '../domain/events.js';

export const eventDocsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'events.md');

const ENVELOPE: [string, string][] = [
  ['id', 'Unique event id, chosen by the writer: deterministic for workflow effects (e.g. `client/{id}/placement-review/cycle-1/review-due`) so a retried activity lands once, random for API actions; a second append with the same id is a no-op.'],
  ['seq', 'Ledger-wide order, assigned by the database on append; a timeline is read in this order.'],
  ['occurredAt', 'Instant the effect happened (for a deadline or review, the instant it came due).'],
  ['recordedAt', 'Instant the row was written.'],
  ['clientId', 'The client affected; null for MSP-wide events such as `policy.published`.'],
  ['process', 'The process that wrote it, e.g. `registry`, `policy`, `placement-review`, `onboarding`.'],
  ['workflowId', 'Temporal workflow id of the run that wrote it; null for API actions.'],
  ['type', 'One of the types below.'],
  ['ruleId', 'The DOMAIN rule (R-n) that decided it, when one did.'],
  ['why', 'The inputs that decided it, e.g. the anchor instant, time zone, holidays and policy version behind a due instant.'],
  ['actor', 'Who caused it: `{ "kind": "system" }`, or `{ "kind": "api-key", "id", "name", "role" }` for an API caller.'],
  ['data', 'Type-specific facts; the exact shape of each type is given below (no other fields are allowed).'],
];

interface Row {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

type AnySchema = z.core.$ZodType;

const def = (s: AnySchema) => s._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
const descriptionOf = (s: AnySchema): string | undefined => z.globalRegistry.get(s)?.description;
const docTypeOf = (s: AnySchema): string | undefined => {
  const t = (z.globalRegistry.get(s) as Record<string, unknown> | undefined)?.docType;
  return typeof t === 'string' ? t : undefined;
};

/** Peels optional/nullable/default wrappers, keeping the first description met from the outside in. */
function unwrap(schema: AnySchema) {
  let s = schema;
  let required = true;
  let nullable = false;
  let description = descriptionOf(s);
  for (;;) {
    const d = def(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault') required = false;
    else if (d.type === 'nullable') nullable = true;
    else break;
    s = d.innerType as AnySchema;
    description ??= descriptionOf(s);
  }
  return { schema: s, required, nullable, description };
}

/** ` 1–5`, ` ≥ 0`, ` ≤ 100` or nothing (the safe-integer bounds of `.int()` are not shown). */
function rangeOf(n: z.ZodNumber): string {
  const min = n.minValue !== null && n.minValue > Number.MIN_SAFE_INTEGER ? n.minValue : undefined;
  const max = n.maxValue !== null && n.maxValue < Number.MAX_SAFE_INTEGER ? n.maxValue : undefined;
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

const code = (v: unknown) => `\`${String(v)}\``;

/** A readable type: string, integer, ISO instant, `a` \| `b`, array of X, record of K → V, X or null. */
function typeName(schema: AnySchema): string {
  const u = unwrap(schema);
  const base = baseTypeName(u.schema);
  return u.nullable ? `${base} or null` : base;
}

function baseTypeName(s: AnySchema): string {
  const documented = docTypeOf(s);
  if (documented) return documented;
  const d = def(s);
  switch (d.type) {
    case 'string':
      return d.format === 'datetime' ? 'ISO instant' : 'string';
    case 'number': {
      const n = s as z.ZodNumber;
      return `${n.isInt ? 'integer' : 'number'}${rangeOf(n)}`;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries as Record<string, string>).map(code).join(' | ');
    case 'literal':
      return (d.values as unknown[]).map((v) => code(JSON.stringify(v))).join(' | ');
    case 'array':
      return `array of ${typeName(d.element as AnySchema)}`;
    case 'record':
      return `record of ${typeName(d.keyType as AnySchema)} → ${typeName(d.valueType as AnySchema)}`;
    case 'object':
      return 'object';
    default:
      return d.type;
  }
}

/** Rows for an object's fields; nested objects (also inside arrays and records) add dotted rows. */
function rowsOf(shape: Record<string, AnySchema>, prefix = ''): Row[] {
  return Object.entries(shape).flatMap(([key, field]) => {
    const u = unwrap(field);
    const name = `${prefix}${key}`;
    const row: Row = { name, type: typeName(field), required: u.required, description: u.description ?? '' };
    return [row, ...nestedRows(u.schema, name)];
  });
}

function nestedRows(s: AnySchema, name: string): Row[] {
  const d = def(s);
  if (d.type === 'object') return rowsOf(d.shape as Record<string, AnySchema>, `${name}.`);
  if (d.type === 'array') return nestedRows(unwrap(d.element as AnySchema).schema, `${name}[]`);
  if (d.type === 'record') return nestedRows(unwrap(d.valueType as AnySchema).schema, `${name}.*`);
  return [];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderEventDocs(): string {
  const out: string[] = [
    '# Ledger event catalogue',
    '',
    '<!-- Generated from domain/events.ts by `npx tsx scripts/event-docs.ts`; do not edit by hand. -->',
    '',
    'Every effect Baton has on a client appends one event to the append-only ledger (the `events` table; updates and',
    'deletes are refused). `GET /v1/clients/{clientId}/timeline` returns a client\'s events in order. Every event has',
    'the same envelope:',
    '',
    ...ENVELOPE.map(([field, text]) => `- \`${field}\`: ${text}`),
    '',
    'Workflow effects carry deterministic ids, so an activity that retries after a crash or timeout writes its event',
    'exactly once. The sections below give, per type, what it records and the exact fields of its `data`. An',
    '"ISO instant" is an ISO 8601 date-time with an explicit offset (`Z` or `±hh:mm`, e.g. in the client\'s time zone).',
    '',
    `## Types (${LEDGER_EVENT_TYPES.length})`,
    '',
    ...LEDGER_EVENT_TYPES.map((t) => `- [\`${t}\`](#${t.replace(/[^a-z0-9_-]/g, '')})`),
  ];
  for (const type of LEDGER_EVENT_TYPES) {
    const entry = eventCatalogue[type];
    const rows = rowsOf(entry.data.shape as Record<string, AnySchema>);
    out.push('', `## ${type}`, '', entry.description, '');
    if (rows.length === 0) {
      out.push('No data fields.');
      continue;
    }
    out.push('| Field | Type | Required | Description |', '|---|---|---|---|');
    for (const r of rows) out.push(`| \`${r.name}\` | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(r.description)} |`);
  }
  return `${out.join('\n')}\n`;
}

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (!entry) return false;
  const self = fileURLToPath(import.meta.url);
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(entry) === real(self);
})();

if (invokedDirectly) {
  fs.mkdirSync(path.dirname(eventDocsPath), { recursive: true });
  fs.writeFileSync(eventDocsPath, renderEventDocs());
  console.log(`wrote ${path.relative(process.cwd(), eventDocsPath) || eventDocsPath} (${LEDGER_EVENT_TYPES.length} event types)`);
}
