/**
 * The email a CTA owner receives (issue 15): when a CTA is opened for them (C-5: the first-action
 * clock starts), escalated to them (R-122) or due soon (`integrations.dueSoonHours`), and a daily
 * digest of their open CTAs. Pure: subject, plain text and HTML from the delivery's payload; every
 * value from data is HTML-escaped. Each category can be unsubscribed on its own.
 */
import { DateTime } from 'luxon';

export const EMAIL_CATEGORIES = ['opened', 'dueSoon', 'escalated', 'digest'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];
export const CATEGORY_LABELS: Record<EmailCategory, string> = {
  opened: 'new CTAs assigned to you', dueSoon: '"due soon" reminders', escalated: 'CTAs escalated to you', digest: 'the daily digest',
};
/** The category of a CTA email by its kind. */
export const categoryOf = (kind: CtaEmail['kind'] | 'digest'): EmailCategory =>
  kind === 'cta.opened' ? 'opened' : kind === 'cta.escalated' ? 'escalated' : kind === 'cta.due_soon' ? 'dueSoon' : 'digest';

export interface CtaEmail {
  kind: 'cta.opened' | 'cta.escalated' | 'cta.due_soon';
  /** The recipient (absent on deliveries queued before unsubscribe links existed). */
  personId?: string;
  to: string;
  toName: string;
  ctaId: string;
  title: string;
  clientName: string;
  dueAt: string;
  firstActionDueAt: string;
  /** Escalations: the level reached and why (R-122). */
  level?: string;
  reason?: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The footer every message carries: how to stop this category (the one-click link when the API has a public address). */
function footer(category: EmailCategory, unsubscribeUrl: string | undefined) {
  const what = CATEGORY_LABELS[category];
  return {
    text: unsubscribeUrl ? ['', `To stop ${what}: ${unsubscribeUrl}`] : ['', `To stop ${what}, change your email preferences in Baton.`],
    html: unsubscribeUrl ? `<p style="color:#666;font-size:small">Don't want ${escape(what)}? <a href="${escape(unsubscribeUrl)}">Unsubscribe from ${escape(what)}</a>.</p>` : `<p style="color:#666;font-size:small">To stop ${escape(what)}, change your email preferences in Baton.</p>`,
  };
}

export function renderCtaEmail(m: CtaEmail, unsubscribeUrl?: string): { subject: string; text: string; html: string } {
  const opened = m.kind === 'cta.opened';
  const dueSoon = m.kind === 'cta.due_soon';
  const subject = opened ? `New CTA for ${m.clientName}: ${m.title}` : dueSoon ? `Due soon — ${m.clientName}: ${m.title}` : `Escalated to you — ${m.clientName}: ${m.title}`;
  const intro = opened ? `A call to action for ${m.clientName} is yours:` : dueSoon ? `A call to action for ${m.clientName} is due soon and not done yet:` : `A call to action for ${m.clientName} was escalated to you${m.level ? ` (${m.level})` : ''}:`;
  const introHtml = opened ? `A call to action for <strong>${escape(m.clientName)}</strong> is yours:` : dueSoon ? `A call to action for <strong>${escape(m.clientName)}</strong> is due soon and not done yet:` : `A call to action for <strong>${escape(m.clientName)}</strong> was escalated to you${m.level ? ` (${escape(m.level)})` : ''}:`;
  const foot = footer(categoryOf(m.kind), unsubscribeUrl);
  const lines = [
    `Hello ${m.toName},`,
    '',
    intro,
    '',
    `  ${m.title}`,
    '',
    `First action due: ${m.firstActionDueAt} (C-5)`,
    `Due: ${m.dueAt}`,
    ...(m.reason ? [`Why: ${m.reason}`] : []),
    '',
    `CTA ${m.ctaId}`,
    ...foot.text,
  ];
  const html = [
    `<p>Hello ${escape(m.toName)},</p>`,
    `<p>${introHtml}</p>`,
    `<h2>${escape(m.title)}</h2>`,
    '<table>',
    `<tr><th align="left">First action due</th><td>${escape(m.firstActionDueAt)}</td></tr>`,
    `<tr><th align="left">Due</th><td>${escape(m.dueAt)}</td></tr>`,
    ...(m.reason ? [`<tr><th align="left">Why</th><td>${escape(m.reason)}</td></tr>`] : []),
    '</table>',
    `<p style="color:#666">CTA ${escape(m.ctaId)}</p>`,
    foot.html,
  ].join('\n');
  return { subject, text: `${lines.join('\n')}\n`, html };
}

/** One person's daily digest (issue 15): their open CTAs, overdue first, then by due instant. */
export interface DigestEmail {
  kind: 'digest';
  personId: string;
  to: string;
  toName: string;
  /** The MSP's local date it is for (governance.timeZone): one digest per person per date. */
  date: string;
  items: { ctaId: string; title: string; clientName: string; dueAt: string; state: string; overdue: boolean; dueSoon: boolean }[];
  /** Open CTAs beyond those listed (the list is capped). */
  more: number;
}

export function renderDigestEmail(m: DigestEmail, unsubscribeUrl?: string): { subject: string; text: string; html: string } {
  const overdue = m.items.filter((i) => i.overdue).length;
  const total = m.items.length + m.more;
  const subject = `Your Baton digest for ${m.date}: ${total} open CTA${total === 1 ? '' : 's'}${overdue ? `, ${overdue} overdue` : ''}`;
  const mark = (i: DigestEmail['items'][number]) => (i.overdue ? 'OVERDUE' : i.dueSoon ? 'due soon' : i.state);
  const foot = footer('digest', unsubscribeUrl);
  const text = [
    `Hello ${m.toName},`,
    '',
    `Your open calls to action on ${m.date}:`,
    '',
    ...m.items.map((i) => `- [${mark(i)}] ${i.clientName}: ${i.title} (due ${i.dueAt}, CTA ${i.ctaId})`),
    ...(m.more ? [`…and ${m.more} more.`] : []),
    ...foot.text,
  ];
  const html = [
    `<p>Hello ${escape(m.toName)},</p>`,
    `<p>Your open calls to action on <strong>${escape(m.date)}</strong>:</p>`,
    '<table>',
    '<tr><th align="left">Status</th><th align="left">Client</th><th align="left">CTA</th><th align="left">Due</th></tr>',
    ...m.items.map((i) => `<tr><td>${escape(mark(i))}</td><td>${escape(i.clientName)}</td><td>${escape(i.title)}</td><td>${escape(i.dueAt)}</td></tr>`),
    '</table>',
    ...(m.more ? [`<p>…and ${m.more} more.</p>`] : []),
    foot.html,
  ].join('\n');
  return { subject, text: `${text.join('\n')}\n`, html };
}

/**
 * The MSP-local date whose digest is due at `at`, or undefined before `digestLocalTime` that day
 * (`integrations.digestLocalTime` in `governance.timeZone`). A sweep after a downtime still sends
 * the day's digest; one per person per date (the delivery id says so).
 */
export function digestDateAt(at: string, timeZone: string, digestLocalTime: string): string | undefined {
  const local = DateTime.fromISO(at, { zone: 'utc' }).setZone(timeZone);
  if (!local.isValid) return undefined;
  return local.toFormat('HH:mm') >= digestLocalTime ? local.toISODate()! : undefined;
}
