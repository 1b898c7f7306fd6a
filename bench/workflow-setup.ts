/**
 * What every new or replayed workflow costs before its first line runs (called by bench/run.ts,
 * `--only workflow-setup`): the SDK's reusable V8 context gives each workflow its own module cache,
 * so every workflow re-runs the top level of every module in the bundle (workflows/index.ts and all
 * it imports — the policy document's zod schemas above all, issue 17). Evaluates the bundle once,
 * then imports the workflows `runs` times with a fresh module cache, as the SDK does per workflow,
 * and reports the CPU time per import (CPU, not wall time, so other load on the machine matters less).
 */
import vm from 'node:vm';
import { bundleBatonWorkflows } from '../worker.js';
import { pct } from './onboarding.js';

export async function benchWorkflowSetup({ runs }: { runs: number }) {
  const { code } = await bundleBatonWorkflows();
  let cache = new Map<PropertyKey, unknown>();
  const context = vm.createContext({ console, TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, setTimeout, clearTimeout, queueMicrotask });
  Object.defineProperty(context, '__webpack_module_cache__', { value: new Proxy({}, { get: (_, p) => cache.get(p), set: (_, p, v) => (cache.set(p, v), true) }) });
  vm.runInContext(code, context);
  // What the entry loaded before any workflow (the SDK's runtime) is shared by all of them.
  const shared = cache;
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    cache = new Map(shared);
    const before = process.cpuUsage();
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
    const used = process.cpuUsage(before);
    cpuMs.push((used.user + used.system) / 1000);
  }
  cpuMs.sort((a, b) => a - b);
  return { runs, modules: cache.size, cpuMsPerWorkflow: { p50: +pct(cpuMs, 50).toFixed(1), min: +cpuMs[0]!.toFixed(1) } };
}
