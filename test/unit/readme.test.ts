import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiInfo, createApp } from '../../api/app.js';
import { configEnvKeys } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';

/** The README documents what the code does: the role matrix, every variable, the two commands. */
const root = path.resolve(import.meta.dirname, '../..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const ROLE_COLUMNS = ['admin', 'ops', 'automation', 'manager'];

describe('README', () => {
  it('role matrix equals the x-baton-roles of every operation', () => {
    const doc = createApp({ db: {} as never, logger: createLogger('silent') }).getOpenAPI31Document(apiInfo as never);
    const fromCode = Object.entries<any>(doc.paths!).flatMap(([p, item]) =>
      Object.entries<any>(item).map(([method, op]) => `${method.toUpperCase()} ${p} ${op.operationId} ${ROLE_COLUMNS.filter((r) => op['x-baton-roles'].includes(r)).join(',')}`),
    );
    const fromReadme = [...readme.matchAll(/^\| `(\w+) (\/(?:v1|codec)\/[^`]*)` \| (\w+) \| (.*) \|$/gm)].map((m) => {
      const cells = m[4]!.split('|').map((c) => c.trim());
      return `${m[1]} ${m[2]} ${m[3]} ${ROLE_COLUMNS.filter((_, i) => cells[i] === '✓').join(',')}`;
    });
    expect(fromReadme.sort()).toEqual(fromCode.sort());
  });

  it('configuration table lists every variable the config module reads', () => {
    const documented = [...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...configEnvKeys].sort());
  });

  it('gives the start and test commands, and CI runs exactly that test command', () => {
    expect(readme).toContain('npm install\nnpm start');
    expect(readme).toContain('```bash\nnpm test\n```');
    const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(ci.trim().split('\n').at(-1)).toBe('npm test');
  });
});
