import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp-dirs.js';
import { ConfigError, configEnvKeys, loadConfig } from '../../runtime/config.js';

const tmp = tempDirs('baton-config-');

describe('configuration', () => {
  it('runs embedded with no variables at all', () => {
    const cfg = loadConfig({}, tmp());
    expect(cfg.DATABASE_URL).toBeUndefined();
    expect(cfg.TEMPORAL_ADDRESS).toBeUndefined();
    expect(cfg).toMatchObject({ BATON_API_PORT: 8080, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'baton', TEMPORAL_TLS: false });
    expect(path.basename(cfg.dataDir)).toBe('.baton');
  });

  it('lists every problem at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ BATON_API_PORT: '70000', DATABASE_URL: 'mysql://x', TEMPORAL_TLS: 'maybe', LOG_LEVEL: 'loud', BATON_ADMIN_API_KEY: 'short', TEMPORAL_TLS_CERT_PATH: '/nope.pem' }, tmp());
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = error!.problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['BATON_API_PORT', 'DATABASE_URL', 'TEMPORAL_TLS', 'LOG_LEVEL', 'BATON_ADMIN_API_KEY', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_CERT_PATH']));
    expect(error!.message).toMatch(/^Baton cannot start: invalid configuration\n {2}- /);
  });

  it('needs TEMPORAL_ADDRESS when TLS or an API key is set', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' }, tmp())).toThrow(/TEMPORAL_ADDRESS: required/);
  });

  it('reads an optional .env file; real environment variables win', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, '.env'), '# local\nBATON_API_PORT=9090\nTEMPORAL_NAMESPACE="baton-dev"\n');
    expect(loadConfig({}, dir)).toMatchObject({ BATON_API_PORT: 9090, TEMPORAL_NAMESPACE: 'baton-dev' });
    expect(loadConfig({ BATON_API_PORT: '7070' }, dir).BATON_API_PORT).toBe(7070);
  });

  it('takes the worker\'s workflow pollers as fixed (default) or autoscaling, and nothing else', () => {
    expect(loadConfig({}, tmp()).BATON_WORKER_WORKFLOW_POLLERS).toBe('fixed');
    expect(loadConfig({ BATON_WORKER_WORKFLOW_POLLERS: 'autoscaling' }, tmp()).BATON_WORKER_WORKFLOW_POLLERS).toBe('autoscaling');
    expect(() => loadConfig({ BATON_WORKER_WORKFLOW_POLLERS: 'many' }, tmp())).toThrow(/BATON_WORKER_WORKFLOW_POLLERS/);
  });

  it('treats empty variables as unset (so compose files can blank them)', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }, tmp()).DATABASE_URL).toBeUndefined();
  });

  it('publishes its variable names for docs and the compose check', () => {
    expect(configEnvKeys).toEqual(expect.arrayContaining(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'BATON_API_PORT', 'BATON_DATA_DIR']));
  });
});
