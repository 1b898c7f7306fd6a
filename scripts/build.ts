/**
 * `npm run build`: the production form of Baton in dist/ — the compiled JavaScript (tsc, same tree
 * as the sources), the files it reads at run time, and the workflow bundle built once here so a
 * worker starts without webpack (README: Production). Run the result with `npm run start:prod`,
 * `node dist/cli/main.js worker|api`, or the Docker image.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = path.resolve(import.meta.dirname, '..');
export const distDir = path.join(root, 'dist');
/** Read at run time relative to the compiled modules: migrations, the console's stylesheet, the example scenarios. */
export const runtimeAssets = ['db/migrations', 'console/static', 'docs/scenarios'];

export async function build(log: (m: string) => void = (m) => console.log(m)): Promise<void> {
  const started = Date.now();
  fs.rmSync(distDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  for (const dir of runtimeAssets) fs.cpSync(path.join(root, dir), path.join(distDir, dir), { recursive: true });
  log(`compiled to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The bundle comes from the compiled workflows, with the compiled failure converter, exactly as
  // the compiled worker would bundle them at start (worker.ts defaultWorkflowBundle).
  // A second bundle carries the OpenTelemetry workflow interceptors, for workers with tracing on.
  const worker = (await import(pathToFileURL(path.join(distDir, 'worker.js')).href)) as typeof import('../worker.js');
  for (const [traced, file] of [[false, worker.prebuiltWorkflowBundlePath], [true, worker.prebuiltTracedWorkflowBundlePath]] as const) {
    const bundleStarted = Date.now();
    const bundle = await worker.bundleBatonWorkflows({ traced });
    fs.writeFileSync(file, bundle.code);
    log(`workflow bundle ${path.relative(root, file)} (${(bundle.code.length / 1024 / 1024).toFixed(1)} MiB) in ${((Date.now() - bundleStarted) / 1000).toFixed(1)} s`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  build().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
