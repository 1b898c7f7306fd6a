import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestDateAt, renderCtaEmail, renderDigestEmail } from '../../domain/email.js';
import { unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../runtime/unsubscribe.js';

/** Issue 15 email: the signed one-click unsubscribe token (RFC 8058) and what the messages say. */
const key = randomBytes(32);
const other = randomBytes(32);

describe('unsubscribe token', () => {
  it('round-trips the person and the category it was signed for', () => {
    const token = unsubscribeToken('person:1', 'dueSoon', key);
    expect(token).toMatch(/^u1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyUnsubscribeToken(token, key)).toEqual({ personId: 'person:1', category: 'dueSoon' });
  });

  it('refuses a token signed with another key, tampered, moved to another category, or malformed', () => {
    const token = unsubscribeToken('p1', 'digest', key);
    expect(verifyUnsubscribeToken(token, other)).toBeUndefined();
    const [v, , sig] = token.split('.');
    const moved = `${v}.${Buffer.from('p1:opened').toString('base64url')}.${sig}`;
    expect(verifyUnsubscribeToken(moved, key)).toBeUndefined();
    const someoneElse = `${v}.${Buffer.from('p2:digest').toString('base64url')}.${sig}`;
    expect(verifyUnsubscribeToken(someoneElse, key)).toBeUndefined();
    expect(verifyUnsubscribeToken(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, key)).toBeUndefined();
    for (const bad of ['', 'u1', 'u1..', 'u2.x.y', `${token}.extra`, 'x'.repeat(600)]) expect(verifyUnsubscribeToken(bad, key)).toBeUndefined();
    // A well-signed body naming an unknown category is refused too.
    const body = Buffer.from('p1:everything').toString('base64url');
    const forgedCategory = unsubscribeToken('p1', 'digest', key).replace(/^u1\.[^.]+/, `u1.${body}`);
    expect(verifyUnsubscribeToken(forgedCategory, key)).toBeUndefined();
  });

  it('builds the link under the public address only when there is one', () => {
    process.env.BATON_INTEGRATION_KEY ??= key.toString('base64');
    expect(unsubscribeUrl(undefined, 'p1', 'opened')).toBeUndefined();
    expect(unsubscribeUrl('https://baton.example/', 'p1', 'opened')).toMatch(/^https:\/\/baton\.example\/unsubscribe\?token=u1\./);
  });
});

describe('due-soon and digest messages', () => {
  it('say which category the link stops, escaping what comes from data', () => {
    const m = renderCtaEmail({ kind: 'cta.due_soon', personId: 'p', to: 'a@b.c', toName: 'Dana', ctaId: 'c1', title: '<b>Call</b>', clientName: 'A & B', dueAt: '2026-12-05T10:00:00.000Z', firstActionDueAt: '2026-12-04T10:00:00.000Z' }, 'https://x/unsubscribe?token=t');
    expect(m.subject).toBe('Due soon — A & B: <b>Call</b>');
    expect(m.html).toContain('&lt;b&gt;Call&lt;/b&gt;');
    expect(m.text).toContain('To stop "due soon" reminders: https://x/unsubscribe?token=t');
    const d = renderDigestEmail({ kind: 'digest', personId: 'p', to: 'a@b.c', toName: 'Dana', date: '2026-12-04', more: 2, items: [
      { ctaId: 'c1', title: 'Late one', clientName: 'A', dueAt: '2026-12-01T00:00:00.000Z', state: 'open', overdue: true, dueSoon: false },
    ] });
    expect(d.subject).toBe('Your Baton digest for 2026-12-04: 3 open CTAs, 1 overdue');
    expect(d.text).toContain('- [OVERDUE] A: Late one');
    expect(d.text).toContain('…and 2 more.');
    expect(d.text).toContain('To stop the daily digest, change your email preferences in Baton.');
  });

  it('has the digest due from its local time in the MSP zone, for that local date', () => {
    expect(digestDateAt('2026-12-04T12:59:00Z', 'Europe/Berlin', '14:00')).toBeUndefined();
    expect(digestDateAt('2026-12-04T13:00:00Z', 'Europe/Berlin', '14:00')).toBe('2026-12-04');
    // 21:00 on the 4th in Chicago (03:00 UTC on the 5th): still the 4th's digest; 06:00 on the 5th: not yet the 5th's.
    expect(digestDateAt('2026-12-05T03:00:00Z', 'America/Chicago', '07:00')).toBe('2026-12-04');
    expect(digestDateAt('2026-12-05T12:00:00Z', 'America/Chicago', '07:00')).toBeUndefined();
  });
});
