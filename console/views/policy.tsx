import type { Child, FC } from 'hono/jsx';
import YAML from 'yaml';
import { z } from 'zod';
import { ROLE_SETS } from '../../api/route.js';
import { activePolicy, listPolicyVersions, policyVersion } from '../../db/policies.js';
import { diffPolicies, parsePolicyForPublishing, policySchema } from '../../domain/policy.js';
import type { ConsolePage, PageContext } from '../core.js';
import { redirect } from '../core.js';
import { query, short, when, words } from '../format.js';
import { Badge, Pager } from '../layout.js';

/**
 * Policy: the version in force rendered by area with each key's meaning and rule (from the
 * schema's descriptions), the version history with what each version changed, and a form to
 * rehearse a change on a scenario before publishing it (console/rehearsals.ts).
 */
type JsonSchema = { description?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; additionalProperties?: JsonSchema | boolean };
let described: JsonSchema | undefined;
const schemaDoc = (): JsonSchema => (described ??= z.toJSONSchema(policySchema(), { unrepresentable: 'any', io: 'input' }) as JsonSchema);
const VERSIONS_PAGE = 20;

const Value: FC<{ v: unknown; schema?: JsonSchema; depth: number }> = ({ v, schema, depth }) => {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    return (
      <dl class={`policy depth-${Math.min(depth, 3)}`}>
        {entries.map(([k, child]) => {
          const sub = schema?.properties?.[k] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
          return (
            <>
              <dt><code>{k}</code>{sub?.description && <span class="desc">{sub.description}</span>}</dt>
              <dd><Value v={child} schema={sub} depth={depth + 1} /></dd>
            </>
          );
        })}
      </dl>
    );
  }
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return <span>{v.length ? v.join(', ') : '(none)'}</span>;
  if (Array.isArray(v)) return <code>{short(v, 400)}</code>;
  return <strong>{String(v)}</strong>;
};

const Changes: FC<{ changes: { path: string; before: unknown; after: unknown }[] }> = ({ changes }) => (
  changes.length === 0 ? <p class="muted">No change.</p> : (
    <table class="diff">
      <caption class="sr-only">Changes</caption>
      <thead><tr><th scope="col">Key</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>{changes.map((c) => <tr><td><code>{c.path}</code></td><td class="before">{short(c.before, 200)}</td><td class="after">{short(c.after, 200)}</td></tr>)}</tbody>
    </table>
  )
);

async function versionsList(ctx: PageContext) {
  const after = Number(ctx.c.req.query('after'));
  const rows = await listPolicyVersions(ctx.deps.db, { beforeVersion: Number.isInteger(after) && after > 0 ? after : undefined, limit: VERSIONS_PAGE + 1 });
  return { items: rows.slice(0, VERSIONS_PAGE), next: rows.length > VERSIONS_PAGE ? rows[VERSIONS_PAGE - 1]!.version : undefined, paged: Number.isInteger(after) && after > 0 };
}

export const policyPage: ConsolePage = {
  id: 'policy', label: 'Policy', path: '/policy', operations: ['getActivePolicy', 'listPolicyVersions'],
  routes(router) {
    router.get('/policy', async (ctx) => {
      const [active, versions] = await Promise.all([activePolicy(ctx.deps.db), versionsList(ctx)]);
      const doc = schemaDoc();
      const canRehearse = ctx.access.may(ctx.principal, ['getActivePolicy'], ROLE_SETS.govern);
      return {
        title: 'Policy',
        body: (
          <>
            <h1>Policy <Badge kind="plain">version {active.version}</Badge></h1>
            <p>Published {when(active.publishedAt)} by {active.publishedBy}: “{active.note}”. Running workflows keep the version they started with.{canRehearse && <> <a class="button" href="/policy/rehearse">Rehearse a change</a></>}</p>
            <section class="panel" id="versions" aria-labelledby="versions-h">
              <h2 id="versions-h">Versions</h2>
              <table>
                <caption class="sr-only">Published versions, newest first</caption>
                <thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Note</th></tr></thead>
                <tbody>{versions.items.map((v) => <tr><td><a href={`/policy/versions/${v.version}`}>v{v.version}</a></td><td>{when(v.publishedAt)}</td><td>{v.publishedBy}</td><td>{v.note}</td></tr>)}</tbody>
              </table>
              <Pager label="Versions" first={versions.paged ? '/policy#versions' : undefined} next={versions.next ? `/policy${query({ after: versions.next })}#versions` : undefined} />
            </section>
            <section class="panel" id="active" aria-labelledby="active-h">
              <h2 id="active-h">In force, by area</h2>
              {Object.entries(active.document).map(([area, value]) => (
                <details class="area" id={`area-${area}`}>
                  <summary><strong>{words(area)}</strong> {doc.properties?.[area]?.description && <span class="desc">{doc.properties[area]!.description}</span>}</summary>
                  <Value v={value} schema={doc.properties?.[area]} depth={0} />
                </details>
              ))}
            </section>
          </>
        ),
      };
    });

    router.get('/policy/versions/:version', async (ctx) => {
      const v = Number(ctx.c.req.param('version'));
      const found = Number.isInteger(v) && v > 0 ? await policyVersion(ctx.deps.db, v) : undefined;
      if (!found) return { status: 404, title: 'Unknown version', body: <p>No policy version {ctx.c.req.param('version')}. <a href="/policy">Policy</a></p> };
      const previous = v > 1 ? await policyVersion(ctx.deps.db, v - 1) : undefined;
      return {
        title: `Policy v${v}`,
        body: (
          <>
            <h1>Policy version {v}</h1>
            <p>Published {when(found.publishedAt)} by {found.publishedBy}: “{found.note}”.</p>
            <section class="panel" aria-labelledby="diff-h">
              <h2 id="diff-h">{previous ? `What changed from v${v - 1}` : 'The first version (defaults from DOMAIN §4)'}</h2>
              {previous && <Changes changes={diffPolicies(previous.document, found.document)} />}
            </section>
            <p><a href="/policy">All versions</a></p>
          </>
        ),
      };
    }, { operations: ['getPolicyVersion'] });

    const rehearseForm = async (ctx: PageContext, values: { scenario?: string; patch?: string }, problem?: Child) => {
      const scenarios = ctx.rehearsals.scenarios();
      const running = ctx.rehearsals.busy();
      return {
        status: (problem ? 422 : 200) as 200 | 422,
        title: 'Rehearse a policy change',
        body: (
          <>
            <h1>Rehearse a policy change</h1>
            <p>The scenario runs twice on a simulated clock with Baton's real processes — under the policy in force and with your change merged onto it — and the timelines are compared. Nothing is published. A run takes a minute or two.</p>
            {problem && <p class="notice error" role="alert">{problem}</p>}
            {running && <p class="notice ok" role="status">A rehearsal is running: <a href={`/policy/rehearsals/${running.id}`}>{running.scenario}</a>.</p>}
            <form method="post" action="/policy/rehearse" class="stack">
              {ctx.csrfField()}
              <label for="scenario">Scenario</label>
              <select id="scenario" name="scenario" required>{scenarios.map((s) => <option selected={s === values.scenario}>{s}</option>)}</select>
              <label for="patch">Change (YAML, merged onto the policy in force; objects merge, lists and values replace)</label>
              <textarea id="patch" name="patch" rows={8} required maxlength={20000} aria-describedby="patch-hint">{values.patch ?? 'onboarding:\n  kickoffBusinessDays: 3\n'}</textarea>
              <p class="hint" id="patch-hint">For example <code>meeting: {'{'} recapHours: 24 {'}'}</code>. Keys are those of the policy page.</p>
              <button type="submit" disabled={!!running || scenarios.length === 0}>Rehearse</button>
            </form>
          </>
        ),
      };
    };

    router.get('/policy/rehearse', (ctx) => rehearseForm(ctx, {}), { operations: ['getActivePolicy'], roles: ROLE_SETS.govern });

    router.post('/policy/rehearse', async (ctx, form) => {
      const scenario = ctx.rehearsals.scenarios().find((s) => s === form.scenario);
      if (!scenario) return rehearseForm(ctx, form, 'Choose one of the scenarios.');
      let patch: unknown;
      try {
        patch = YAML.parse(form.patch ?? '');
      } catch (err) {
        return rehearseForm(ctx, form, `The change is not valid YAML: ${(err as Error).message}`);
      }
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return rehearseForm(ctx, form, 'The change must be a map of policy areas, e.g. "onboarding: { kickoffBusinessDays: 3 }".');
      const active = await activePolicy(ctx.deps.db);
      const checked = parsePolicyForPublishing(patch, 'merge', active.document);
      if (!checked.ok) return rehearseForm(ctx, form, `The change does not make a valid policy: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      if (ctx.rehearsals.busy()) return redirect(ctx.c, `/policy/rehearsals/${ctx.rehearsals.busy()!.id}`);
      const job = ctx.rehearsals.start(scenario, active.document as unknown as Record<string, unknown>, patch as Record<string, unknown>, ctx.principal.name);
      return redirect(ctx.c, `/policy/rehearsals/${job.id}`);
    }, { operations: ['getActivePolicy'], roles: ROLE_SETS.govern });

    router.get('/policy/rehearsals/:id', async (ctx) => {
      const job = ctx.rehearsals.get(ctx.c.req.param('id')!);
      if (!job) return { status: 404, title: 'Unknown rehearsal', body: <p>No such rehearsal in this process (results are kept for the last few). <a href="/policy/rehearse">Rehearse a change</a></p> };
      const c = job.comparison;
      return {
        title: `Rehearsal: ${job.scenario}`,
        body: (
          <>
            <h1>Rehearsal of {job.scenario}</h1>
            <p>Started {when(job.startedAt)} by {job.by}. Change: <code>{short(job.patch, 400)}</code></p>
            {job.state === 'running' && (
              // Polls until done: htmx when present, a plain link otherwise.
              <p class="notice ok" role="status" hx-get={`/policy/rehearsals/${job.id}`} hx-trigger="every 3s" hx-target="#main" hx-select="#main" hx-swap="outerHTML">
                Running… <a href={`/policy/rehearsals/${job.id}`}>refresh</a>
              </p>
            )}
            {job.state === 'failed' && <p class="notice error" role="alert">The rehearsal failed: {job.error}</p>}
            {c && (
              <>
                {c.steps.length > 0 && (
                  <section class="panel"><h2>Answers that differ</h2>
                    <ul>{c.steps.map((s) => <li>step {s.index} {s.op}: {s.current} now, {s.changed} with the change</li>)}</ul>
                  </section>
                )}
                {c.clients.map((cl) => (
                  <section class="panel">
                    <h2>{cl.ref}</h2>
                    {cl.onlyCurrent.length + cl.onlyChanged.length === 0 ? <p>Same timeline under both policies.</p> : (
                      <>
                        {cl.byType.length > 0 && (
                          <table><caption>Entries by type</caption><thead><tr><th scope="col">Type</th><th scope="col">Now</th><th scope="col">With the change</th></tr></thead>
                            <tbody>{cl.byType.map((t) => <tr><td>{t.type}</td><td class="num">{t.current}</td><td class="num">{t.changed}</td></tr>)}</tbody></table>
                        )}
                        <div class="columns">
                          <div><h3>Only under the policy in force</h3>{cl.onlyCurrent.length ? <ul class="sig">{cl.onlyCurrent.map((s) => <li>{s}</li>)}</ul> : <p class="muted">Nothing.</p>}</div>
                          <div><h3>Only with the change</h3>{cl.onlyChanged.length ? <ul class="sig">{cl.onlyChanged.map((s) => <li>{s}</li>)}</ul> : <p class="muted">Nothing.</p>}</div>
                        </div>
                      </>
                    )}
                  </section>
                ))}
              </>
            )}
            <p><a href="/policy/rehearse">Rehearse another change</a></p>
          </>
        ),
      };
    }, { operations: ['getActivePolicy'], roles: ROLE_SETS.govern });
  },
};

