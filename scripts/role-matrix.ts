/**
 * Regenerates the README's role matrix from the routes' `x-baton-roles` (the single source the
 * routes are guarded by): `npx tsx scripts/role-matrix.ts`. test/unit/readme.test.ts checks it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { apiInfo, createApp } from '../api/app.js';
import { createLogger } from '../runtime/logger.js';

const ROLES = ['admin', 'ops', 'automation', 'manager'] as const;
const readmePath = path.resolve(import.meta.dirname, '../README.md');
const doc = createApp({ db: {} as never, logger: createLogger('silent') }).getOpenAPI31Document(apiInfo as never) as unknown as { paths: Record<string, Record<string, { operationId: string; 'x-baton-roles': string[] }>> };
const rows = Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([method, op]) =>
  `| \`${method.toUpperCase()} ${p}\` | ${op.operationId} | ${ROLES.map((r) => (op['x-baton-roles'].includes(r) ? '✓' : '')).join(' | ')} |`.replace(/\|  \|/g, '|  |')));
const header = ['| Operation | operationId | admin | ops | automation | manager |', '|---|---|---|---|---|---|'];
const readme = fs.readFileSync(readmePath, 'utf8');
const start = readme.indexOf(header[0]!);
if (start < 0) throw new Error('README has no role matrix header');
const end = readme.indexOf('\n\n', start);
fs.writeFileSync(readmePath, `${readme.slice(0, start)}${[...header, ...rows].join('\n')}${readme.slice(end)}`);
console.log(`role matrix: ${rows.length} operations`);
