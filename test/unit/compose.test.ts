import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp-dirs.js';
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
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string | string[] };
  profiles?: string[];
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  entrypoint?: string | string[];
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
const testVariables: Record<string, string> = {
  BATON_ADMIN_API_KEY: 'compose-test-admin-key-0123456789abcdef', BATON_PAYLOAD_KEYS: `k1=${Buffer.alloc(32, 7).toString('base64')}`,
  POSTGRES_PASSWORD: 'baton-pg-test-password', TEMPORAL_DB_PASSWORD: 'temporal-pg-test-password',
};
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
const optionalDependency = (s: Service, dep: string) => !Array.isArray(s.depends_on) && s.depends_on?.[dep]?.required === false;

const PROFILES = ['production', 'dev'];
/** The services `docker compose --profile <profile> up` starts: those without profiles and those of the profile. */
const activeIn = (profile: string) => Object.keys(services).filter((n) => !service(n).profiles || service(n).profiles!.includes(profile));
/** The names a service answers to on the compose network: its own and its aliases. */
function hostnames(name: string): string[] {
  const nets = service(name).networks;
  const aliases = nets && !Array.isArray(nets) ? Object.values(nets).flatMap((n) => n?.aliases ?? []) : [];
  return [name, ...aliases];
}

const tmp = tempDirs('baton-compose-');

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal, the worker and the API', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-db', 'temporal-schema', 'temporal-server', 'temporal-namespace', 'temporal-ui', 'baton-worker', 'baton-api']));
    expect(batonServices.sort()).toEqual(['baton-api', 'baton-worker']);
    expect(service('postgres').image).toMatch(/^postgres:16/);
    expect(service('temporal').image).toMatch(/^temporalio\/temporal:/);
    expect(Object.values(services).filter((s) => s.image?.includes('auto-setup'))).toEqual([]);
  });

  it('runs each Baton process from the compiled JavaScript of the image built here', () => {
    expect(argv(service('baton-worker').command)).toEqual(['node', '--enable-source-maps', 'dist/cli/main.js', 'worker']);
    expect(argv(service('baton-api').command)).toEqual(['node', '--enable-source-maps', 'dist/cli/main.js', 'api']);
    for (const name of batonServices) expect(service(name).build, name).toBeDefined();
  });

  it.each(['baton-worker', 'baton-api'])('%s sets only variables Baton (or the OpenTelemetry SDK, OTEL_*) reads', (name) => {
    const unknown = Object.keys(environment(service(name))).filter((k) => !(configEnvKeys as string[]).includes(k) && !k.startsWith('OTEL_'));
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
    expect(deps).toMatchObject({ postgres: 'service_healthy', temporal: 'service_healthy', 'temporal-namespace': 'service_completed_successfully' });
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

describe('docker-compose.yml profiles: production (Temporal server on PostgreSQL) and dev (start-dev)', () => {
  it('every Temporal service belongs to exactly one profile; PostgreSQL and Baton run in both', () => {
    for (const name of ['postgres', ...batonServices]) expect(service(name).profiles, name).toBeUndefined();
    for (const name of Object.keys(services).filter((n) => n.startsWith('temporal'))) {
      expect(service(name).profiles, name).toHaveLength(1);
      expect(PROFILES).toContain(service(name).profiles![0]);
    }
    expect(activeIn('production')).toEqual(expect.arrayContaining(['temporal-db', 'temporal-schema', 'temporal-server', 'temporal-namespace', 'temporal-ui']));
    expect(activeIn('production')).not.toContain('temporal');
    expect(activeIn('dev')).toContain('temporal');
    expect(activeIn('dev').filter((n) => n.startsWith('temporal-'))).toEqual([]);
  });

  it.each(PROFILES)('in profile %s, exactly one Temporal frontend answers as temporal:7233 and every dependency exists or is optional', (profile) => {
    const active = activeIn(profile);
    const frontends = active.filter((n) => hostnames(n).includes('temporal'));
    expect(frontends).toHaveLength(1);
    expect(published(service(frontends[0]!)).map((p) => p.container)).toContain(7233);
    for (const name of active) {
      for (const [dep, condition] of Object.entries(dependencies(service(name)))) {
        if (!active.includes(dep)) {
          expect(optionalDependency(service(name), dep), `${name} → ${dep} (not in ${profile})`).toBe(true);
          continue;
        }
        if (condition === 'service_healthy') expect(service(dep).healthcheck?.test, `${dep} healthcheck`).toBeDefined();
      }
    }
  });

  it('the production Temporal server persists to its own PostgreSQL, with the schema set up first and the dynamic config Baton needs', () => {
    const server = environment(service('temporal-server'));
    const db = environment(service('temporal-db'));
    const schema = environment(service('temporal-schema'));
    expect(service('temporal-server').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-db').image).toMatch(/^postgres:16/);
    expect(server).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-db', POSTGRES_USER: db.POSTGRES_USER, POSTGRES_PWD: db.POSTGRES_PASSWORD, BIND_ON_IP: '0.0.0.0' });
    expect(schema).toMatchObject({ POSTGRES_SEEDS: 'temporal-db', POSTGRES_USER: db.POSTGRES_USER, SQL_PASSWORD: db.POSTGRES_PASSWORD });
    expect(dependencies(service('temporal-server'))).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependencies(service('temporal-schema'))).toMatchObject({ 'temporal-db': 'service_healthy' });
    expect(dependencies(service('temporal-namespace'))).toMatchObject({ 'temporal-server': 'service_healthy' });
    expect(volumeTargets(service('temporal-db'))).toContain('/var/lib/postgresql/data');

    // DYNAMIC_CONFIG_FILE_PATH is relative to /etc/temporal in the server image.
    const configFile = path.posix.join('/etc/temporal', server.DYNAMIC_CONFIG_FILE_PATH!);
    const mount = (service('temporal-server').volumes ?? []).map(String).map((v) => v.split(':')).find(([, target]) => configFile.startsWith(`${target}/`));
    expect(mount, 'dynamic config directory mounted').toBeDefined();
    const dynamic = parse(read(path.join(mount![0]!, path.posix.relative(mount![1]!, configFile)))) as Record<string, { value: unknown }[]>;
    for (const key of ['frontend.enableUpdateWorkflowExecution', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted', 'frontend.enableExecuteMultiOperation']) {
      expect(dynamic[key]?.[0]?.value, key).toBe(true);
    }
  });

  it.each(['temporal-schema', 'temporal-namespace'])('%s runs a script that is mounted from deploy/ and executable', (name) => {
    const [script] = argv(service(name).command);
    const mount = (service(name).volumes ?? []).map(String).map((v) => v.split(':')).find(([, target]) => script!.startsWith(`${target}/`));
    expect(mount).toBeDefined();
    const file = path.join(root, mount![0]!, path.posix.relative(mount![1]!, script!));
    expect(fs.statSync(file).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^#!\/bin\/sh\n(#.*\n)*set -eu\n/);
  });

  it('the worker has a healthcheck on its own health port', () => {
    const config = loadConfig(environment(service('baton-worker')), tmp());
    expect(JSON.stringify(service('baton-worker').healthcheck?.test)).toContain(`127.0.0.1:${config.BATON_WORKER_PORT}/healthz`);
    expect(service('baton-worker').ports ?? []).toEqual([]); // several workers (--scale) publish nothing
  });
});

describe('credentials come from .env, never from the compose file', () => {
  const raw = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const secretName = /PASSWORD|PWD|SECRET|_KEY$|_KEYS$|DATABASE_URL/;
  const required = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((m) => m[1]!));

  it('every secret is a required variable', () => {
    for (const [name, s] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries((s.environment ?? {}) as Record<string, string>)) {
        if (!secretName.test(key)) continue;
        expect(String(value), `${name}.${key}`).toMatch(/\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}/);
        // No literal password next to it (a URL keeps only its user and host literal).
        expect(String(value).replace(/\$\{[^}]+\}/g, ''), `${name}.${key}`).not.toMatch(/:[^/@]+@/);
      }
    }
    expect([...required].sort()).toEqual(['BATON_ADMIN_API_KEY', 'BATON_PAYLOAD_KEYS', 'POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD']);
  });

  it('.env.example lists every required variable, empty, and picks a defined profile', () => {
    const example = util.parseEnv(read('.env.example')) as Record<string, string>;
    for (const name of required) expect(example[name], name).toBe('');
    expect(PROFILES).toContain(example.COMPOSE_PROFILES);
    expect(read('.gitignore').split('\n')).toContain('.env');
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
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['node', '--enable-source-maps', 'dist/cli/main.js', 'api']);
    expect(instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ')).toMatch(/BATON_API_HOST=0\.0\.0\.0/);
  });

  it('builds in one stage and runs dist/ with production dependencies only in another', () => {
    const stages = instructions.filter((i) => i.op === 'FROM').map((i) => i.args);
    expect(stages).toEqual([expect.stringMatching(/^node:24-bookworm-slim AS build$/i), expect.stringMatching(/^node:24-bookworm-slim AS runtime$/i)]);
    const runtimeStage = instructions.slice(instructions.findIndex((i) => i.op === 'FROM' && /AS runtime$/i.test(i.args)));
    const buildStage = instructions.slice(0, instructions.length - runtimeStage.length);
    expect(buildStage.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(expect.arrayContaining(['npm ci', 'npm run build']));
    expect(runtimeStage.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ')).toMatch(/npm ci --omit=dev/);
    // Only the build's output crosses over: no sources, no dev dependencies.
    expect(runtimeStage.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual(['package.json package-lock.json ./', '--from=build /app/dist ./dist']);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBe('tsx scripts/build.ts');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.baton', '.tools', '.git', 'scratch', 'coverage', '.env']));
  });
});
