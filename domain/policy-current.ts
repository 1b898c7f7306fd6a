/**
 * A process setup's policy in today's shape. A run recorded before a policy key existed carries a
 * document without it (the setup is in its history): parsing fills today's defaults, so every key
 * the model reads is there (keys are only ever added). A setup prepared under the current shape
 * revision is already parsed and is used as it is, so the workflow never builds the schema
 * (domain/policy/revision.ts). Pure (imported from workflow code).
 */
import { parsePolicy, type Policy } from './policy.js';
import { POLICY_SHAPE_REVISION } from './policy/revision.js';

export function withCurrentPolicy<S extends { policy: Policy; policyShapeRevision?: number }>(setup: S): S {
  if (setup.policyShapeRevision === POLICY_SHAPE_REVISION) return setup;
  const parsed = parsePolicy(setup.policy);
  return parsed.ok ? { ...setup, policy: parsed.policy, policyShapeRevision: POLICY_SHAPE_REVISION } : setup;
}
