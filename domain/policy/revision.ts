/**
 * The revision of the policy document's shape: raise it with every change to the schema (a key
 * added, a default or bound changed). test/unit/policy.test.ts fingerprints the schema and fails
 * until this and its recorded fingerprint are raised together.
 *
 * Why it exists: a workflow whose setup carries a policy parsed under an older shape must parse it
 * again to fill keys added since (keys are only ever added), and building the schema costs a
 * workflow tens of milliseconds and megabytes (issues 17, 19). A setup prepared by an activity
 * under this revision skips that: its policy is already what the parser returns.
 * Zod-free on purpose: workflows import it.
 */
export const POLICY_SHAPE_REVISION = 1;
