/**
 * C-6 for reports to a running process: every report carries an idempotency key and a hash of its
 * body. Pure (imported from workflow code), shared by every process workflow.
 */
export interface RepeatRefusal { status: 422; message: string; ruleId: 'C-6' }

/**
 * `new` when the key was not seen; `duplicate` when it was, with the same body (acknowledged, no
 * second effect); a 422 refusal when the key comes back with another body.
 */
export function repeatOf(prior: { bodyHash: string } | undefined, req: { idempotencyKey: string; bodyHash: string }): 'new' | 'duplicate' | RepeatRefusal {
  if (!prior) return 'new';
  if (prior.bodyHash === req.bodyHash) return 'duplicate';
  return { status: 422, message: `Idempotency-Key ${req.idempotencyKey} was already used with another body (C-6).`, ruleId: 'C-6' };
}
