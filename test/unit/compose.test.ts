import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configEnvKeys, loadConfig } from '../../runtime/config.js';
import { batonSearchAttributes } from '../../runtime/search-attributes.js';

/**
 * Docker is not needed to catch the usual container mistakes: a renamed variable, a URL that
 * points at the wrong service, a port that does not match, a dependency that is not awaited.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (string | { target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const batonServices = Object.keys(services).filter((name) => name.startsWith('baton-'));
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** What compose does before starting containers: `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`. */
const testVariables: Record<string, string> = { BATON_ADMIN_API_KEY: 'compose-test-admin-key-0123456789abcdef', BATON_PAYLOAD_KEYS: `k1=${Buffer.alloc(32, 7).toString('base64')}` };
function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const key = (name ?? bare)!;
    const v = vars[key];
    const missing = colon ? v === undefined || v === '' : v === undefined;
    if (!missing) return v!;
    if (op === '?') throw new Error(`compose would refuse to start: ${key}: ${arg}`);
    return op === '-' ? arg! : '';
  });
}

function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  const entries: [string, string][] = Array.isArray(env)
    ? env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, testVariables)]));
}

const argv = (command: Service['command']): string[] => (Array.isArray(command) ? command.map(String) : (command ?? '').split(/\s+/).filter(Boolean));

/** Container-side ports of `ports:` entries ("8080", "8080:8080", "127.0.0.1:8080:8080/tcp", long form). */
function published(s: Service): { host?: string; container: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: p.published === undefined ? undefined : String(p.published), container: Number(p.target) };
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    return { host: parts.length > 1 ? parts[parts.length - 2] : undefined, container: Number(parts[parts.length - 1]) };
  });
}

const volumeTargets = (s: Service) => (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] ?? v : v.target));

function dependencies(s: Service): Record<string, string | undefined> {
  const d = s.depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((n) => [n, undefined])) : Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition]));
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'baton-compose-'));

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal, the worker and the API', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'baton-worker', 'baton-api']));
    expect(batonServices.sort()).toEqual(['baton-api', 'baton-worker']);
    expect(service('postgres').image).toMatch(/^postgres:16/);
    expect(service('temporal').image).toMatch(/^temporalio\/temporal:/);
    expect(Object.values(services).filter((s) => s.image?.includes('auto-setup'))).toEqual([]);
  });

  it('runs each Baton process from the image built here', () => {
    expect(argv(service('baton-worker').command)).toEqual(['node', '--import', 'tsx', 'cli/main.ts', 'worker']);
    expect(argv(service('baton-api').command)).toEqual(['node', '--import', 'tsx', 'cli/main.ts', 'api']);
    for (const name of batonServices) expect(service(name).build, name).toBeDefined();
  });

  it.each(['baton-worker', 'baton-api'])('%s sets only variables Baton reads', (name) => {
    const unknown = Object.keys(environment(service(name))).filter((k) => !(configEnvKeys as string[]).includes(k));
    expect(unknown).toEqual([]);
  });

  it.each(['baton-worker', 'baton-api'])('%s has a valid configuration that points at the postgres and temporal services', (name) => {
    const config = loadConfig(environment(service(name)), tmp());

    const pg = environment(service('postgres'));
    const db = new URL(config.DATABASE_URL!);
    expect(db.hostname).toBe('postgres');
    expect(Number(db.port || 5432)).toBe(5432);
    expect(decodeURIComponent(db.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${pg.POSTGRES_DB}`);

    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(published(service('temporal')).map((p) => p.container)).toContain(7233);
  });

  it('the API listens on all interfaces, on the port compose publishes and the Dockerfile exposes', () => {
    const config = loadConfig(environment(service('baton-api')), tmp());
    expect(config.BATON_API_HOST).toBe('0.0.0.0');
    expect(published(service('baton-api'))).toContainEqual({ host: String(config.BATON_API_PORT), container: config.BATON_API_PORT });
    expect(config.BATON_ADMIN_API_KEY).toBe(testVariables.BATON_ADMIN_API_KEY);
    // The readiness probe asks the same port.
    expect(JSON.stringify(service('baton-api').healthcheck?.test)).toContain(`127.0.0.1:${config.BATON_API_PORT}/readyz`);
  });

  it('requires BATON_ADMIN_API_KEY instead of starting with an unknown admin key', () => {
    expect(() => environment(service('baton-api'))).not.toThrow();
    const original = testVariables.BATON_ADMIN_API_KEY;
    delete testVariables.BATON_ADMIN_API_KEY;
    try {
      expect(() => environment(service('baton-api'))).toThrow(/BATON_ADMIN_API_KEY/);
    } finally {
      testVariables.BATON_ADMIN_API_KEY = original!;
    }
  });

  it.each(['baton-worker', 'baton-api'])('%s waits for healthy PostgreSQL and Temporal', (name) => {
    const deps = dependencies(service(name));
    expect(deps).toMatchObject({ postgres: 'service_healthy', temporal: 'service_healthy' });
    // service_healthy is only satisfiable if the dependency has a healthcheck.
    for (const [dep, condition] of Object.entries(deps)) {
      if (condition === 'service_healthy') expect(service(dep).healthcheck?.test, `${dep} healthcheck`).toBeDefined();
    }
  });

  it('Temporal registers the search attributes Baton sets and is reachable from other containers', () => {
    const args = argv(service('temporal').command);
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(args[args.indexOf('--ip') + 1]).toBe('0.0.0.0');
    const registered = args.flatMap((a, i) => (args[i - 1] === '--search-attribute' ? [a] : []));
    for (const key of batonSearchAttributes) expect(registered).toContain(`${key.name}=Keyword`);
    expect(registered).toHaveLength(batonSearchAttributes.length);
  });

  it('Temporal keeps its SQLite file in a volume', () => {
    const args = argv(service('temporal').command);
    const dbFile = args[args.indexOf('--db-filename') + 1]!;
    expect(volumeTargets(service('temporal'))).toContain(path.posix.dirname(dbFile));
    expect(volumeTargets(service('postgres'))).toContain('/var/lib/postgresql/data');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
  const last = (op: string) => instructions.filter((i) => i.op === op).at(-1)?.args;

  it('builds on Node 24 (the LTS target, inside package.json engines) and runs as a non-root user', () => {
    expect(instructions[0]).toEqual({ op: 'FROM', args: expect.stringMatching(/^node:24-bookworm-slim\b/) });
    const engines = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=22');
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('exposes the API port and defaults to the API', () => {
    const apiPort = loadConfig(environment(service('baton-api')), tmp()).BATON_API_PORT;
    expect(instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/))).toContain(String(apiPort));
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['node', '--import', 'tsx', 'cli/main.ts', 'api']);
    expect(instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ')).toMatch(/BATON_API_HOST=0\.0\.0\.0/);
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.baton', '.tools', '.git', 'scratch', 'coverage', '.env']));
  });
});
