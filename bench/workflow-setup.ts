/**
 * What every new or replayed workflow costs before its first line runs (called by bench/run.ts,
 * `--only workflow-setup`): the SDK's reusable V8 context gives each workflow its own module cache,
 * so every workflow re-runs the top level of every module in the bundle (workflows/index.ts and all
 * it imports — the policy document's zod schemas above all, issue 17) except the modules the worker
 * preloads once (workflows/shared-modules.ts: zod, luxon and the pure domain modules). Evaluates the bundle once,
 * then imports the workflows `runs` times with a fresh module cache, as the SDK does per workflow,
 * and reports the CPU time per import (CPU, not wall time, so other load on the machine matters less)
 * and the heap each import keeps while its workflow stays cached (what the worker's cache is sized by,
 * worker.ts `CACHED_WORKFLOW_MIB`).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { bundleBatonWorkflows } from '../worker.js';
import { pct } from './onboarding.js';

export async function benchWorkflowSetup({ runs }: { runs: number }) {
  const { code } = await bundleBatonWorkflows();
  let cache = new Map<PropertyKey, unknown>();
  const context = vm.createContext({ console, TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, setTimeout, clearTimeout, queueMicrotask });
  Object.defineProperty(context, '__webpack_module_cache__', { value: new Proxy({}, { get: (_, p) => cache.get(p), set: (_, p, v) => (cache.set(p, v), true) }) });
  vm.runInContext(code, context);
  // What the entry loaded before any workflow (the SDK's runtime) and the preloaded modules
  // (workflows/shared-modules.ts, loaded by the SDK when it sets up the context) are shared by all of them.
  vm.runInContext('__TEMPORAL__.preloadModules?.()', context);
  const shared = cache;
  // The worker imports a workflow's modules with its activator installed, so `inWorkflowContext()`
  // is true at their top level (domain/policy.ts skips the defaults then); stand in for it.
  (context as { __TEMPORAL_ACTIVATOR__?: object }).__TEMPORAL_ACTIVATOR__ = {};
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const cpuMs: number[] = [];
  // Every instance is kept, as cached workflows keep theirs, so the heap growth is what they hold.
  const kept: unknown[] = [];
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < runs; i++) {
    cache = new Map(shared);
    const before = process.cpuUsage();
    kept.push(vm.runInContext('__TEMPORAL__.importWorkflows()', context), cache);
    const used = process.cpuUsage(before);
    cpuMs.push((used.user + used.system) / 1000);
  }
  gc();
  const heapMibPerWorkflow = (process.memoryUsage().heapUsed - heapBefore) / runs / 2 ** 20;
  cpuMs.sort((a, b) => a - b);
  return { runs, modules: cache.size, sharedModules: shared.size, cpuMsPerWorkflow: { p50: +pct(cpuMs, 50).toFixed(1), min: +cpuMs[0]!.toFixed(1) }, heapMibPerWorkflow: +heapMibPerWorkflow.toFixed(2) };
}
