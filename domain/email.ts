/**
 * The email a CTA owner receives (issue 15): when a CTA is opened for them (C-5: the first-action
 * clock starts) or escalated to them (R-122). Pure: subject, plain text and HTML from the
 * delivery's payload; every value from data is HTML-escaped.
 */
export interface CtaEmail {
  kind: 'cta.opened' | 'cta.escalated';
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

export function renderCtaEmail(m: CtaEmail): { subject: string; text: string; html: string } {
  const opened = m.kind === 'cta.opened';
  const subject = opened ? `New CTA for ${m.clientName}: ${m.title}` : `Escalated to you — ${m.clientName}: ${m.title}`;
  const lines = [
    `Hello ${m.toName},`,
    '',
    opened ? `A call to action for ${m.clientName} is yours:` : `A call to action for ${m.clientName} was escalated to you${m.level ? ` (${m.level})` : ''}:`,
    '',
    `  ${m.title}`,
    '',
    `First action due: ${m.firstActionDueAt} (C-5)`,
    `Due: ${m.dueAt}`,
    ...(m.reason ? [`Why: ${m.reason}`] : []),
    '',
    `CTA ${m.ctaId}`,
  ];
  const html = [
    `<p>Hello ${escape(m.toName)},</p>`,
    `<p>${opened ? `A call to action for <strong>${escape(m.clientName)}</strong> is yours:` : `A call to action for <strong>${escape(m.clientName)}</strong> was escalated to you${m.level ? ` (${escape(m.level)})` : ''}:`}</p>`,
    `<h2>${escape(m.title)}</h2>`,
    '<table>',
    `<tr><th align="left">First action due</th><td>${escape(m.firstActionDueAt)}</td></tr>`,
    `<tr><th align="left">Due</th><td>${escape(m.dueAt)}</td></tr>`,
    ...(m.reason ? [`<tr><th align="left">Why</th><td>${escape(m.reason)}</td></tr>`] : []),
    '</table>',
    `<p style="color:#666">CTA ${escape(m.ctaId)}</p>`,
  ].join('\n');
  return { subject, text: `${lines.join('\n')}\n`, html };
}
