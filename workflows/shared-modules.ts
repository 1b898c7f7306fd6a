/**
 * The modules every workflow on a worker shares instead of evaluating its own copy (issue 17).
 * The SDK's reusable V8 context gives each workflow its own module instances, and a cached workflow
 * keeps them for as long as it stays cached; a client keeps a few workflows cached (its cadence, its
 * CTA clocks' keeper, its placement review, ...). worker.ts bundles this module as the SDK's `preloadModules`: it (and what
 * it imports) is evaluated once, when the worker's V8 context is set up, and the SDK then deep-freezes
 * the modules it loaded. Kept per workflow (measured as `npm run bench -- --only workflow-setup`
 * does): 0.76 MiB with nothing shared, 0.16 with zod and luxon shared, 0.10 with the domain modules below too.
 *
 * What may be listed: modules with no state of their own (what one workflow changed there would leak
 * into every other workflow on the worker) that do not import workflow APIs (they run before any
 * workflow exists) and whose exports are never mutated (they are frozen).
 * - zod holds only its global registry of schema metadata (weakly, by schema), its config
 *   (completed below) and the memoizer's per-parse stack (parses are synchronous); luxon only memo
 *   caches of pure lookups (zones, formats), and no Baton code sets its `Settings`. Frozen, zod's
 *   built-in formats (z.iso.date(), z.email(), …) cannot run: they reset `lastIndex` on shared
 *   regular expressions (test/unit/workflow-shared-modules.test.ts).
 * - Baton's pure domain modules: constant tables and functions only. Not domain/policy.ts and its
 *   areas, nor what imports them (cadence, cadence-plan, planning-cycle, policy-current): they export
 *   zod schemas and regular expressions that zod writes to while parsing, which frozen would fail.
 *   Not the workflows/ modules: they bind to their workflow (activities, handlers) when evaluated.
 * Workflow code only.
 */
import * as zod from 'zod';
import * as luxon from 'luxon';
import * as atRisk from '../domain/at-risk.js';
import * as businessTime from '../domain/business-time.js';
import * as ctaClocks from '../domain/cta-clocks.js';
import * as ctaTitles from '../domain/cta-titles.js';
import * as deliverablesPlan from '../domain/deliverables-plan.js';
import * as discovery from '../domain/discovery.js';
import * as effects from '../domain/effects.js';
import * as governanceProcess from '../domain/governance-process.js';
import * as healthProcess from '../domain/health-process.js';
import * as health from '../domain/health.js';
import * as initiatives from '../domain/initiatives.js';
import * as missedCadence from '../domain/missed-cadence.js';
import * as onboardingPlan from '../domain/onboarding-plan.js';
import * as onboarding from '../domain/onboarding.js';
import * as placementReview from '../domain/placement-review.js';
import * as proposals from '../domain/proposals.js';
import * as quarters from '../domain/quarters.js';
import * as repeats from '../domain/repeats.js';
import * as roles from '../domain/roles.js';
import * as sale from '../domain/sale.js';
import * as segmentation from '../domain/segmentation.js';
import * as upsellKinds from '../domain/upsell-kinds.js';
import * as upsell from '../domain/upsell.js';

/** Named so the bundler keeps them all (the libraries are marked side-effect free, so a bare import is dropped). */
export const sharedModules = [
  zod, luxon,
  atRisk, businessTime, ctaClocks, ctaTitles, deliverablesPlan, discovery, effects, governanceProcess, healthProcess, health, initiatives,
  missedCadence, onboardingPlan, onboarding, placementReview, proposals, quarters, repeats, roles, sale, segmentation, upsellKinds, upsell,
].length;

// zod completes its global config (English messages, its memoizer: `globalThis.__zod_globalConfig`)
// when the first schema is built. That must happen here, before the SDK freezes what preloading
// loaded: a workflow building the first schema later could no longer set it (the replay tests
// failed with "Cannot add property localeError, object is not extensible").
zod.z.object({ ok: zod.z.string() }).safeParse({ ok: '' });
