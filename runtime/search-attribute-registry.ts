import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { batonSearchAttributes } from './search-attributes.js';

const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/** Registers the attributes a server does not know yet (external servers, the time-skipping server). */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  let known: Record<string, unknown> = {};
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    known = { ...existing.customAttributes, ...existing.systemAttributes };
  } catch (err) {
    // The time-skipping test server implements Add but not List: register all on a fresh server.
    if ((err as { code?: number }).code !== 12 /* UNIMPLEMENTED */) throw err;
  }
  const missing = batonSearchAttributes.filter((k) => !(k.name in known));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, KEYWORD])),
  });
  return missing.map((k) => k.name);
}
