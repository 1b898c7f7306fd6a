import ical, { ICalEventStatus } from 'ical-generator';
import type { feedContents } from '../db/calendar-feeds.js';

/** How long a CTA's due date shows as an event (a reminder slot, not a meeting). */
const CTA_SLOT_MINUTES = 15;

/**
 * Every text that reaches a feed passes here: line breaks and other control characters become
 * spaces, so no value (a person's, client's or CTA's name) can end its content line and start
 * properties or events of its own (iCalendar injection).
 */
export const feedText = (s: string) => s.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, ' ');
/** RFC 5545 §3.3.11 TEXT escaping, for the one value ical-generator writes raw (the calendar name). */
const escapeText = (s: string) => feedText(s).replace(/[\\;,]/g, (ch) => `\\${ch}`);

/**
 * A person's iCalendar feed. UIDs are stable per meeting and CTA (`meeting-<id>@baton`,
 * `cta-<id>@baton`) and LAST-MODIFIED follows the row, so calendar apps update an event when it
 * moves instead of adding a second one; cancelled meetings stay, marked CANCELLED.
 */
export function renderCalendar(person: { name: string }, contents: Awaited<ReturnType<typeof feedContents>>, now: Date): string {
  const cal = ical({ name: escapeText(`Baton — ${person.name}`), prodId: { company: 'Baton', product: 'baton', language: 'EN' }, ttl: 15 * 60 });
  for (const { meeting: m, clientName } of contents.meetings) {
    cal.createEvent({
      id: `meeting-${m.id}@baton`,
      start: new Date(m.startsAt),
      end: new Date(m.endsAt),
      stamp: now,
      lastModified: new Date(m.updatedAt),
      summary: feedText(`${clientName}: ${m.kind} (${m.mode})`),
      description: feedText(`Baton ${m.process} meeting for ${clientName}. State: ${m.state}.`),
      status: m.state === 'cancelled' ? ICalEventStatus.CANCELLED : m.state === 'scheduled' ? ICalEventStatus.CONFIRMED : null,
    });
  }
  for (const { cta: c, clientName } of contents.ctas) {
    const due = new Date(c.dueAt);
    cal.createEvent({
      id: `cta-${c.id}@baton`,
      start: due,
      end: new Date(due.getTime() + CTA_SLOT_MINUTES * 60_000),
      stamp: now,
      lastModified: new Date(c.updatedAt),
      summary: feedText(`CTA due: ${c.title} (${clientName})`),
      description: feedText(`${c.kind} CTA from ${c.ruleId}; first action due ${c.firstActionDueAt}; state ${c.state}.`),
    });
  }
  return cal.toString();
}
