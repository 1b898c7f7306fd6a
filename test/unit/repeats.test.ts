import { describe, expect, it } from 'vitest';
import { repeatOf } from '../../domain/repeats.js';

describe('repeatOf (C-6)', () => {
  const req = { idempotencyKey: 'k-1', bodyHash: 'h-1' };
  it('is new for an unseen key, a duplicate for the same body, a 422 for another body under the same key', () => {
    expect(repeatOf(undefined, req)).toBe('new');
    expect(repeatOf({ bodyHash: 'h-1' }, req)).toBe('duplicate');
    expect(repeatOf({ bodyHash: 'h-2' }, req)).toEqual({ status: 422, ruleId: 'C-6', message: 'Idempotency-Key k-1 was already used with another body (C-6).' });
  });
});
