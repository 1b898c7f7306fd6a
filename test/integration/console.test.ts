import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { createLogger } from '../../runtime/logger.js';
import { cadenceWorkflowId, ctaClocksWorkflowId, PORTFOLIO_SCOPE } from '../../workflows/contracts.js';
import { createWorker } from '../../worker.js';
import { launchChromium } from '../support/browser.js';
import { apiCaller, clientBody, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { startOidcProvider } from '../support/oidc-provider.js';
import { freePorts } from '../support/ports.js';
import { testDataConverter, workflowBundle } from '../support/temporal.js';

/**
 * The console end to end in Debian's Chromium: a CS Lead signs in through a real OpenID provider
 * started here, opens the portfolio, follows a past-due meeting to its client and expands a
 * timeline entry's why; a CSM records a CTA's first action from My work and finds it on the
 * timeline; roles without access get the forbidden page; every page passes an axe audit with no
 * serious violation and is photographed into test-output/console/ (not committed).
 *
 * The portfolio is real: people, a client with stakeholders and its team through the API, its
 * onboarding (signed 12 days ago, so early deadlines are missed and CTAs opened) and its cadence
 * (the year booked by the workflow) on the run's Temporal dev server. The console is served with
 * its clock 75 days ahead of the workflows — as if nobody reported the coming weeks' meetings —
 * so meetings booked for those weeks are past due on its radar.
 */
const SHOTS = path.resolve(import.meta.dirname, '../../test-output/console');
const AHEAD_MS = 75 * 86_400_000;
const accounts = {
  lee: { name: 'Lee Grant', email: 'lee@msp.example', groups: ['cs-leads'] },
  casey: { name: 'Casey Park', email: 'casey@msp.example', groups: ['csms'] },
  robot: { name: 'PSA Robot', email: 'robot@msp.example', groups: ['integrations'] },
  nobody: { name: 'No Group', email: 'nobody@msp.example', groups: [] },
};

let db: Awaited<ReturnType<typeof freshDatabase>>;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let server: ServerType;
let idp: Awaited<ReturnType<typeof startOidcProvider>>;
let browser: Browser;
let base: string;
let app: ReturnType<typeof createApp>;
const keys = {} as Record<Role, string>;
const ids: Record<string, string> = {};
const pageErrors: string[] = [];

beforeAll(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  // First, so a machine without Chromium fails at once (never a skip).
  browser = await launchChromium();
  const [batonPort, idpPort] = await freePorts(2);
  if (!batonPort || !idpPort) throw new Error('no free ports');
  base = `http://127.0.0.1:${batonPort}`;
  db = await freshDatabase();
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  connection = await Connection.connect({ address: inject('temporalAddress') });
  const taskQueue = testTaskQueue();
  const temporal = { client: new Client({ connection, dataConverter: testDataConverter }), namespace: 'default', taskQueue };
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await createWorker({ connection: native, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter });
  running = worker.run();
  idp = await startOidcProvider({ port: idpPort!, redirectUri: `${base}/auth/callback`, clientId: 'baton-console', clientSecret: 'a-test-secret-of-enough-length-0123456789', accounts });

  // The portfolio, through the API on the workflows' own clock.
  const call = apiCaller(createApp({ db: db.db, logger: createLogger('silent'), temporal }), keys);
  const ok = async (method: string, p: string, body?: unknown, status = [200, 201]) => {
    const r = await call(method, p, { role: 'admin', body });
    expect(status, `${method} ${p}: ${JSON.stringify(r.body)}`).toContain(r.status);
    return r.body;
  };
  for (const [ref, name, role] of [['lee', 'Lee Grant', 'CS Lead'], ['casey', 'Casey Park', 'CSM'], ['avery', 'Avery Diaz', 'AM'], ['tori', 'Tori Chen', 'TAM'], ['val', 'Val Moreau', 'vCIO']] as const) {
    ids[ref] = (await ok('POST', '/v1/people', { name, email: `${ref}@msp.example`, roles: [role] })).id;
  }
  ids.acme = (await ok('POST', '/v1/clients', clientBody({ name: 'Acme Dental', maturity: 4, appetite: 4, region: 'US-IL' }))).id;
  ids.bravo = (await ok('POST', '/v1/clients', clientBody({ name: 'Bravo Logistics', maturity: 2, appetite: 2 }))).id;
  for (const [role, person, backup] of [['CSM', 'casey', 'avery'], ['AM', 'avery'], ['TAM', 'tori'], ['vCIO', 'val'], ['CS Lead', 'lee']] as const) {
    await ok('PUT', `/v1/clients/${ids.acme}/assignments/${encodeURIComponent(role)}`, { personId: ids[person], ...(backup ? { backupPersonId: ids[backup] } : {}) });
  }
  await ok('POST', `/v1/clients/${ids.acme}/stakeholders`, { name: 'Dana Whitfield', title: 'CEO', email: 'dana@acme.example', roles: ['executiveSponsor', 'decisionMaker'] });
  await ok('POST', '/v1/policy/versions', { mode: 'merge', document: { meeting: { recapHours: 36 } }, note: 'Recaps within 36 hours' });
  await ok('POST', `/v1/clients/${ids.acme}/onboarding`, { signedAt: new Date(Date.now() - 12 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z') });
  await ok('POST', `/v1/clients/${ids.acme}/cadence`, {});
  await eventually(() => call('GET', `/v1/ctas?ownerId=${ids.casey}`, { role: 'admin' }), (r) => r.body.items?.length > 0, 60_000);
  await eventually(() => call('GET', `/v1/clients/${ids.acme}/cadence`, { role: 'admin' }), (r) => r.body.meetings?.length > 0, 90_000);

  // The console, served over HTTP by the same app as the API, its clock 75 days ahead.
  app = createApp({
    db: db.db, logger: createLogger('silent'), temporal, now: async () => new Date(Date.now() + AHEAD_MS),
    console: {
      publicUrl: base, temporalUiUrl: 'http://127.0.0.1:8233', localSignIn: true,
      rehearsal: { scenarioDir: path.resolve(import.meta.dirname, '../fixtures/scenarios'), postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath') },
      oidc: { issuer: idp.issuer, clientId: 'baton-console', clientSecret: 'a-test-secret-of-enough-length-0123456789', roleClaim: 'groups', roles: { 'cs-leads': 'manager', csms: 'ops', integrations: 'automation' }, label: 'Test IdP' },
    },
  });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: batonPort, hostname: '127.0.0.1' }, () => resolve(s));
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await idp?.stop();
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
  await db?.close();
});

async function newUser(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Script errors and Content-Security-Policy violations on Baton's pages (a 4xx answer the test
  // asks for, such as the forbidden page, is not one).
  page.on('console', (m) => {
    if (m.type() === 'error' && m.location().url.startsWith(base) && !/Failed to load resource|Response Status Error Code/.test(m.text())) {
      pageErrors.push(`${page.url()} (${m.location().url}): ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  return { context, page };
}

/** Through the IdP's own login and consent pages, back to Baton. */
async function signInWithIdp(page: Page, login: string, to = '/') {
  await page.goto(`${base}${to}`);
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((u) => u.origin === base && !u.pathname.startsWith('/login') && !u.pathname.startsWith('/auth'));
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core on the page as rendered: no serious or critical violation (WCAG 2.1 A/AA rules). */
async function audit(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`)).toEqual([]);
}

describe('the console in a real browser', () => {
  it('CS Lead: sign in with OpenID Connect, the portfolio, a past-due meeting to its client, a timeline entry\'s why', async () => {
    const { context, page } = await newUser();
    await page.goto(`${base}/portfolio`);
    await expect.poll(() => page.url()).toContain('/login?returnTo=%2Fportfolio');
    await shoot(page, '01-sign-in');
    await audit(page);
    await signInWithIdp(page, 'lee', '/portfolio');
    expect(new URL(page.url()).pathname).toBe('/portfolio');
    await expect.poll(() => page.locator('header .who').innerText()).toContain('Lee Grant');
    expect(await page.locator('header .who .role').innerText()).toBe('manager');

    // Session cookie: HttpOnly, SameSite=Lax (not Secure: plain http here; __Host-/Secure behind TLS).
    const session = (await context.cookies(base)).find((c) => c.name === 'baton_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
    const res = await page.request.get(`${base}/portfolio`);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers()['x-frame-options']).toBe('DENY');

    // The radar: the past-due strategic meetings of Acme, each with owner and next date.
    await expect.poll(() => page.getByRole('heading', { name: /Past-due strategic meetings/ }).count()).toBe(1);
    const pastDue = page.locator(`#radar a[href^="/clients/${ids.acme}#meeting-"]`);
    expect(await pastDue.count()).toBeGreaterThan(0);
    expect(await page.locator('#segments caption').innerText()).toContain('2 clients');
    expect(await page.locator('#load table.heatmap tbody tr').count()).toBeGreaterThan(0);
    await shoot(page, '02-portfolio');
    await audit(page);

    // Follow the first past-due meeting to its client: the page opens at that meeting's row.
    const href = (await pastDue.first().getAttribute('href'))!;
    await pastDue.first().click();
    await page.waitForURL((u) => u.pathname === `/clients/${ids.acme}`);
    const meetingRow = page.locator(`#cadence tr#${href.split('#')[1]}`);
    expect(await meetingRow.count()).toBe(1);
    expect(await meetingRow.innerText()).toContain('scheduled');
    expect(await meetingRow.innerText()).toContain('not marked held'); // in the past and never reported held
    expect(await page.locator('#onboarding').innerText()).toContain('R-48');
    expect(await page.locator('#stakeholders').innerText()).toContain('Dana Whitfield');
    const temporalLink = page.locator('#cadence a.temporal');
    expect(await temporalLink.getAttribute('href')).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(cadenceWorkflowId(ids.acme!))}`);
    expect(await page.locator('#ctas a.temporal').getAttribute('href')).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(ctaClocksWorkflowId(ids.acme!))}`);
    await shoot(page, '03-client');
    await audit(page);

    // The timeline, filtered by type; an entry expands to the rule and inputs that decided it.
    await page.locator('#timeline input[name="type"]').fill('cta.opened');
    await page.locator('#timeline button[type="submit"]').click();
    await page.waitForURL((u) => u.searchParams.get('type') === 'cta.opened');
    const entries = page.locator('#timeline ol.timeline > li');
    expect(await entries.count()).toBeGreaterThan(0);
    for (const t of await page.locator('#timeline ol.timeline .type').allInnerTexts()) expect(t).toBe('cta.opened');
    const first = entries.first();
    expect(await first.locator('.why').isVisible()).toBe(false);
    await first.locator('summary').click();
    expect(await first.locator('.why').isVisible()).toBe(true);
    expect(await first.locator('.why').innerText()).toContain('ownerResolvedVia');
    await shoot(page, '04-timeline-why');

    // Filtered by rule: every entry carries it.
    await page.goto(`${base}/clients/${ids.acme}?rule=R-47#timeline`);
    const rules = await page.locator('#timeline ol.timeline .rule').allInnerTexts();
    expect(rules.length).toBeGreaterThan(0);
    expect(new Set(rules)).toEqual(new Set(['R-47']));

    await page.goto(`${base}/clients`);
    await shoot(page, '05-clients');
    await audit(page);
    await context.close();
  });

  it('CSM: My work, a first action in one click, then on the timeline with who and why', async () => {
    const { context, page } = await newUser();
    await signInWithIdp(page, 'casey', '/my-work');
    expect(new URL(page.url()).pathname).toBe('/my-work');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe("Casey Park's work");
    const rows = page.locator('#ctas table.ctas tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await page.locator('#ctas h2').innerText()).toMatch(/\d+ overdue/);
    await shoot(page, '06-my-work');
    await audit(page);

    // Each CTA links to its clock: the client's clock keeper in the Temporal UI.
    const clientHref = await rows.first().locator('td[data-label="Client"] a').getAttribute('href');
    const scope = clientHref ? clientHref.replace('/clients/', '') : PORTFOLIO_SCOPE;
    expect(await rows.first().getByRole('link', { name: 'clock in Temporal' }).getAttribute('href'))
      .toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(ctaClocksWorkflowId(scope))}`);

    // A POST without the session's CSRF token is refused.
    const ctaId = (await rows.first().getAttribute('id'))!.replace('cta-', '');
    const forged = await page.request.post(`${base}/ctas/${ctaId}/first-action`, { form: { note: 'forged', returnTo: '/my-work' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);

    const title = await rows.first().locator('.title').innerText();
    await rows.first().locator('input[name="note"]').fill('Called Dana to book the kickoff');
    await rows.first().getByRole('button', { name: 'Record first action' }).click();
    await expect.poll(() => page.locator('.notice.ok').count()).toBe(1);
    expect(await page.locator('.notice.ok').innerText()).toContain('First action recorded');
    expect(await page.locator(`#cta-${ctaId}`).innerText()).toContain('first action');
    expect(await page.locator(`#cta-${ctaId}`).innerText()).toContain('late (C-5)'); // the console's clock is 75 days past the SLA

    // The same API operation ran, as Casey: the ledger has it, with the user as actor.
    await page.goto(`${base}/clients/${ids.acme}?type=cta.first_action#timeline`);
    const entry = page.locator('#timeline ol.timeline > li').first();
    expect(await entry.locator('.actor').innerText()).toBe('Casey Park (ops)');
    await entry.locator('summary').click();
    const why = await entry.locator('.why').innerText();
    expect(why).toContain('withinSla');
    expect(why).toContain('Called Dana to book the kickoff');
    expect(why).toContain(ctaId);
    expect(title.length).toBeGreaterThan(0);
    await shoot(page, '07-first-action-on-timeline');

    // Rehearsing a policy change is for managers and admins: a CSM gets the forbidden page.
    const forbidden = await page.goto(`${base}/policy/rehearse`);
    expect(forbidden!.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Not for your role');
    await context.close();
  });

  it('forbidden: an automation account cannot open the portfolio; an account without a mapped group cannot sign in', async () => {
    const { context, page } = await newUser();
    await signInWithIdp(page, 'robot', '/');
    expect(await page.locator('header nav').innerText()).not.toContain('Portfolio');
    const res = await page.goto(`${base}/portfolio`);
    expect(res!.status()).toBe(403);
    expect(await page.locator('main').innerText()).toContain('needs one of the roles admin, ops, manager; you are signed in as automation');
    await shoot(page, '08-forbidden');
    await audit(page);
    const timeline = await page.goto(`${base}/clients/${ids.acme}`);
    expect(timeline!.status()).toBe(200);
    expect(await page.locator('#timeline').count()).toBe(0); // getClientTimeline is not for automation
    await context.close();

    const other = await newUser();
    await other.page.goto(`${base}/login`);
    await other.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await other.page.locator('input[name="login"]').fill('nobody');
    await other.page.locator('input[name="password"]').fill('x');
    await other.page.getByRole('button', { name: 'Sign-in' }).click();
    await other.page.getByRole('button', { name: 'Continue' }).click();
    await other.page.waitForURL((u) => u.origin === base);
    expect(await other.page.locator('.notice.error').innerText()).toContain('No Group has no Baton role');
    expect((await other.context.cookies(base)).some((c) => c.name === 'baton_session')).toBe(false);
    await other.context.close();
  });

  it('local sign-in with an API key; policy, versions and the rehearse form; phone width', async () => {
    const { context, page } = await newUser();
    await page.goto(`${base}/login`);
    await page.getByLabel('API key').fill('baton_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    expect(await page.locator('.notice.error').innerText()).toContain('unknown or revoked');
    await page.getByLabel('API key').fill(keys.manager);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page.waitForURL((u) => u.pathname === '/portfolio');

    await page.goto(`${base}/policy`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('version 2');
    await page.locator('#area-meeting summary').click();
    expect(await page.locator('#area-meeting').innerText()).toContain('recapHours');
    await shoot(page, '09-policy');
    await audit(page);
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/policy/versions/2');
    expect(await page.locator('table.diff').innerText()).toContain('meeting.recapHours');
    await shoot(page, '10-policy-version');
    // Rehearse a change before publishing it: the scenario under the policy in force and with the change.
    await page.goto(`${base}/policy/rehearse`);
    await page.getByLabel('Scenario').selectOption('kickoff-week.yaml');
    await page.locator('textarea#patch').fill('onboarding:\n  kickoffBusinessDays: 3\n');
    await shoot(page, '11-rehearse-form');
    await audit(page);
    await page.getByRole('button', { name: 'Rehearse' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/policy/rehearsals/'));
    const result = page.url();
    await expect.poll(async () => {
      await page.goto(result);
      return page.locator('main').innerText();
    }, { timeout: 240_000, interval: 3_000 }).toContain('Only with the change');
    const onlyChanged = await page.locator('.columns > div').nth(1).innerText();
    expect(onlyChanged).toMatch(/deadline\.missed R-47 kickoff\.held/);
    expect(onlyChanged).toMatch(/deadline\.set R-47 kickoff\.held due 2026-03-06T00:00/); // 3 business days from Mon 2 Mar
    expect(await page.locator('.columns > div').nth(0).innerText()).toMatch(/deadline\.set R-47 kickoff\.held due 2026-03-10T00:00/);
    expect(await page.locator('.columns > div').nth(0).innerText()).not.toMatch(/deadline\.missed R-47/);
    await shoot(page, '11b-rehearsal-result');
    expect((await page.goto(`${base}/policy`), await page.getByRole('heading', { level: 1 }).innerText())).toContain('version 2'); // nothing was published

    // Signing out ends the session at once.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    expect((await page.goto(`${base}/portfolio`))!.url()).toContain('/login');
    await context.close();

    // On a phone: the same pages, nothing wider than the screen (tables scroll inside their box).
    const phone = await newUser({ width: 390, height: 844 });
    await signInWithIdp(phone.page, 'casey', '/my-work');
    for (const [p, name] of [['/my-work', '12-phone-my-work'], ['/portfolio', '13-phone-portfolio'], [`/clients/${ids.acme}`, '14-phone-client']] as const) {
      await phone.page.goto(`${base}${p}`);
      await shoot(phone.page, name);
      // Elements reaching past the screen's right edge, outside a scrolling table box.
      const wider = await phone.page.evaluate(`[...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.tagName + '.' + e.className).slice(0, 5)`);
      expect(wider, p).toEqual([]);
      // Tables laid out as cards (CTAs, past-due meetings, KPIs) fit the screen: no sideways scrolling.
      const scrolling = await phone.page.evaluate(`[...document.querySelectorAll('table.cards')].filter((t) => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1).map((t) => t.closest('section')?.id)`);
      expect(scrolling, p).toEqual([]);
    }
    await phone.context.close();
    expect(pageErrors).toEqual([]);
  });

  it('behind TLS, cookies are Secure with the __Host- prefix; a form from another origin is refused', async () => {
    const form = await app.request('https://baton.example/login');
    const csrfCookie = form.headers.get('set-cookie')!;
    expect(csrfCookie).toMatch(/^__Host-baton_csrf=[\w-]{43}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const signIn = (origin: string) => app.request('https://baton.example/login/key', {
      method: 'POST', headers: { cookie: csrfCookie.split(';')[0]!, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, apiKey: keys.ops, returnTo: '/my-work' }).toString(),
    });
    const signedIn = await signIn('https://baton.example');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/my-work');
    const session = signedIn.headers.get('set-cookie')!;
    expect(session).toMatch(/^__Host-baton_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const page = await app.request('https://baton.example/my-work', { headers: { cookie: session.split(';')[0]! } });
    expect(page.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    // The session's token, but posted from another site: refused.
    const forged = await app.request('https://baton.example/logout', {
      method: 'POST', headers: { cookie: session.split(';')[0]!, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token }).toString(),
    });
    expect((await app.request('https://baton.example/my-work', { headers: { cookie: session.split(';')[0]! } })).status).toBe(200);
    expect(forged.status).toBe(303); // sign-out ignores a forged request: the session above is still valid
    expect((await app.request('https://baton.example/ctas/00000000-0000-4000-8000-000000000000/complete', {
      method: 'POST', headers: { cookie: session.split(';')[0]!, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, returnTo: '/my-work' }).toString(),
    })).status).toBe(403);
  });

  it('every workflow carries a human summary in the Temporal UI: client, process, current step', async () => {
    const handle = new Client({ connection, dataConverter: testDataConverter }).workflow.getHandle(cadenceWorkflowId(ids.acme!));
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe('Acme Dental · Engagement cadence');
    expect(await described.staticDetails()).toContain('**Client:** Acme Dental');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^\*\*Step:\*\* /);
  });
});
