import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

/**
 * A validated policy for a unit test: a partial document (the defaults fill the rest) or an edit of
 * a copy of the default one. An invalid result fails the test with the parser's issues.
 */
export function policyWith(patch: Record<string, unknown> | ((doc: Policy) => void)): Policy {
  let input: unknown = patch;
  if (typeof patch === 'function') {
    const doc = structuredClone(defaultPolicy) as Policy;
    patch(doc);
    input = doc;
  }
  const parsed = parsePolicy(input);
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.issues)}`);
  return parsed.policy;
}
