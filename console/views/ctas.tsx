import { randomUUID } from 'node:crypto';
import type { FC } from 'hono/jsx';
import type { CtaRow } from '../../db/ctas.js';
import type { PersonRow } from '../../db/people.js';
import { ctaView } from '../../api/routes/ctas.js';
import { ctaClocksWorkflowId, PORTFOLIO_SCOPE } from '../../workflows/contracts.js';
import type { PageContext, PageRouter } from '../core.js';
import { redirect, safeReturn } from '../core.js';
import { temporalLink, when } from '../format.js';
import { Badge } from '../layout.js';

/**
 * CTAs as the console shows them (My work, a client's page), with the one-click actions. Each
 * action is the API operation itself (recordCtaFirstAction, completeCta, reassignCta), run as the
 * signed-in user with an Idempotency-Key minted when the form was drawn, so a double click or a
 * resubmitted form records once.
 */
export const OPEN_CTA_STATES = ['open', 'escalated', 'first_action'];

export const CtaTable: FC<{ ctx: PageContext; rows: CtaRow[]; clientNames?: Map<string, string>; people: Map<string, PersonRow>; returnTo: string; zone?: string; caption: string }> = ({ ctx, rows, clientNames, people, returnTo, zone, caption }) => {
  const now = ctx.now.getTime();
  const ui = ctx.options.temporalUiUrl;
  const canFirst = ctx.may('recordCtaFirstAction');
  const canComplete = ctx.may('completeCta');
  const canReassign = ctx.may('reassignCta');
  const staff = [...people.values()].filter((p) => p.active).sort((a, b) => a.name.localeCompare(b.name));
  if (!rows.length) return <p class="muted">No open CTAs.</p>;
  return (
    <div class="table-wrap">
      <table class="ctas cards">
        <caption>{caption}</caption>
        <thead><tr><th scope="col">Due</th><th scope="col">CTA</th>{clientNames && <th scope="col">Client</th>}<th scope="col">Owner</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {rows.map((r) => {
            const v = ctaView(r, now);
            // The client's clock keeper holds this CTA's clock (workflows/cta-clocks.ts; the start-up reconcile
            // gives CTAs opened before it a clock there too).
            const link = temporalLink(ui, ctx.deps.temporal?.namespace, ctaClocksWorkflowId(r.clientId ?? PORTFOLIO_SCOPE));
            return (
              <tr id={`cta-${r.id}`}>
                <td data-label="Due"><time datetime={r.dueAt}>{when(r.dueAt, zone)}</time></td>
                <td data-label="CTA">
                  <span class="title">{r.title}</span>
                  <span class="meta">{r.ruleId} · {r.kind}{link && <> · <a href={link} target="_blank" rel="noopener">clock in Temporal</a></>}</span>
                </td>
                {clientNames && <td data-label="Client">{r.clientId ? <a href={`/clients/${r.clientId}`}>{clientNames.get(r.clientId) ?? r.clientId}</a> : 'Portfolio'}</td>}
                <td data-label="Owner">{(r.ownerPersonId && people.get(r.ownerPersonId)?.name) ?? 'nobody'}<span class="meta">{r.ownerRole}</span></td>
                <td class="marks" data-label="State">
                  {v.overdue && <Badge kind="bad">overdue</Badge>}
                  {r.state === 'escalated' && <Badge kind="warn">escalated to {r.escalationLevel === 'csLead' ? 'CS Lead' : 'backup'}</Badge>}
                  {r.firstActionAt ? (r.firstActionDueAt && Date.parse(r.firstActionAt) > Date.parse(r.firstActionDueAt) ? <Badge kind="warn">first action {when(r.firstActionAt, zone)} · late (C-5)</Badge> : <Badge kind="ok">first action {when(r.firstActionAt, zone)}</Badge>) : <Badge kind="plain">no first action yet · SLA {when(r.firstActionDueAt, zone)}</Badge>}
                </td>
                <td class="actions" data-label="Actions">
                  {canFirst && !r.firstActionAt && (
                    <form method="post" action={`/ctas/${r.id}/first-action`} class="inline">
                      {ctx.csrfField()}
                      <input type="hidden" name="_key" value={randomUUID()} />
                      <input type="hidden" name="returnTo" value={returnTo} />
                      <label for={`note-${r.id}`} class="sr-only">First action on “{r.title}”</label>
                      <input id={`note-${r.id}`} name="note" required minlength={3} maxlength={2000} placeholder="What did you do first?" />
                      <button type="submit">Record first action</button>
                    </form>
                  )}
                  {canComplete && (
                    <form method="post" action={`/ctas/${r.id}/complete`} class="inline">
                      {ctx.csrfField()}
                      <input type="hidden" name="_key" value={randomUUID()} />
                      <input type="hidden" name="returnTo" value={returnTo} />
                      <button type="submit" class="secondary" aria-label={`Complete “${r.title}”`}>Complete</button>
                    </form>
                  )}
                  {canReassign && (
                    <details class="reassign">
                      <summary>Reassign</summary>
                      <form method="post" action={`/ctas/${r.id}/reassign`} class="stack">
                        {ctx.csrfField()}
                        <input type="hidden" name="_key" value={randomUUID()} />
                        <input type="hidden" name="returnTo" value={returnTo} />
                        <label for={`to-${r.id}`}>To</label>
                        <select id={`to-${r.id}`} name="personId" required>
                          {staff.filter((p) => p.id !== r.ownerPersonId).map((p) => <option value={p.id}>{p.name} ({p.roles.join(', ')})</option>)}
                        </select>
                        <label for={`reason-${r.id}`}>Reason</label>
                        <input id={`reason-${r.id}`} name="reason" required minlength={3} maxlength={1000} />
                        <button type="submit">Reassign</button>
                      </form>
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
};

/** The action routes; registered by the My work page, used from every CTA table. */
export function registerCtaActions(router: PageRouter): void {
  const act = (action: 'first-action' | 'complete' | 'reassign', operation: string, label: string, body: (form: Record<string, string>) => unknown) =>
    router.post(`/ctas/:ctaId/${action}`, async (ctx, form) => {
      const ctaId = ctx.c.req.param('ctaId')!;
      const back = safeReturn(form.returnTo, '/my-work');
      const answer = await ctx.api('POST', `/v1/ctas/${encodeURIComponent(ctaId)}/${action}`, body(form), form._key || undefined);
      const target = new URL(back, 'http://console');
      target.searchParams.delete('ok');
      target.searchParams.delete('error');
      if (answer.ok) target.searchParams.set('ok', label);
      else target.searchParams.set('error', `${label.replace(/ (recorded|completed|reassigned)$/, '')} not recorded (${answer.status}): ${answer.body?.detail ?? answer.body?.title ?? 'error'}`);
      return redirect(ctx.c, `${target.pathname}${target.search}#cta-${ctaId}`);
    }, { operations: [operation] });
  act('first-action', 'recordCtaFirstAction', 'First action recorded', (f) => ({ note: (f.note ?? '').trim() }));
  act('complete', 'completeCta', 'CTA completed', (f) => (f.note?.trim() ? { note: f.note.trim() } : {}));
  act('reassign', 'reassignCta', 'CTA reassigned', (f) => ({ personId: f.personId, reason: (f.reason ?? '').trim() }));
}
