import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of a presented secret or signature with the expected one, of any lengths:
 * both are hashed first, so neither the comparison's time nor an early length check says how much
 * of it was right. Every inbound signature, shared secret and signed token is checked with this.
 */
export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}
