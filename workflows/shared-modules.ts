/**
 * The libraries every workflow on a worker shares instead of evaluating its own copy (issue 17).
 * The SDK's reusable V8 context gives each workflow its own module instances, and a cached workflow
 * keeps them for as long as it stays cached; zod and luxon were three quarters of that (0.76 → 0.17
 * MiB a workflow, `npm run bench -- --only workflow-setup`), and a cadence keeps about seven
 * workflows cached (itself and the CTA clocks it opens). worker.ts bundles this module as the SDK's
 * `preloadModules`: it is evaluated once, when the worker's V8 context is set up, and the SDK then
 * deep-freezes the modules it loaded.
 *
 * Only stateless libraries belong here (what a workflow could change in them would leak into every
 * other workflow on the worker): zod holds only its global registry of schema metadata (weakly, by
 * schema), its config (completed below) and the memoizer's per-parse stack (parses are synchronous);
 * luxon only memo caches of pure lookups (zones, formats), and no Baton code
 * sets its `Settings`. Baton's own modules stay per workflow. Workflow code only.
 */
import * as zod from 'zod';
import * as luxon from 'luxon';

/** Named so the bundler keeps both libraries (they are marked side-effect free, so a bare import is dropped). */
export const sharedLibraries = [zod, luxon].length;

// zod completes its global config (English messages, its memoizer: `globalThis.__zod_globalConfig`)
// when the first schema is built. That must happen here, before the SDK freezes what preloading
// loaded: a workflow building the first schema later could no longer set it (the replay tests
// failed with "Cannot add property localeError, object is not extensible").
zod.z.object({ ok: zod.z.string() }).safeParse({ ok: '' });
