import { z, type OpenAPIHono } from '@hono/zod-openapi';
import Holidays from 'date-holidays';
import { inArray } from 'drizzle-orm';
import type { Context } from 'hono';
import { psaCompanyReader } from '../../activities/psa.js';
import { VendorError } from '../../activities/vendor-failure.js';
import { getConnector } from '../../db/connectors.js';
import { activePolicy } from '../../db/policies.js';
import { clients } from '../../db/schema.js';
import { createStakeholder, listStakeholders } from '../../db/stakeholders.js';
import { IMPORT_LIFECYCLES } from '../../domain/client-import.js';
import { psaExternalRef, psaImportRows, regionOf, type ExistingClientFields, type PsaCompany, type PsaImportFields, type RegionCatalogue } from '../../domain/psa-import.js';
import { STAKEHOLDER_ROLES } from '../../domain/roles.js';
import { IntegrationKeyMissingError } from '../../runtime/secret-box.js';
import { writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { notFound, ProblemError, unprocessable , ProblemSchema } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, text, uniqueList } from '../schemas.js';
import { ImportResult, importClientRows, RowResult } from './client-import.js';

/**
 * POST /v1/connectors/{connectorId}/import (issue 15, "Getting clients in"): a connected PSA's
 * companies, primary contacts and agreement end dates imported as clients through the CSV
 * import's own path (api/routes/client-import.ts `importClientRows`): the same validation, dry run
 * with per-row errors, idempotency by `externalRef` and mid-life start of processes — nothing
 * back-dated. The vendor is read from the API process (the answer is the import's result). Run
 * again it is a re-sync: clients imported earlier are matched, filled from what Baton holds where
 * neither the PSA nor an override speaks, and updated with what changed in the PSA.
 */

const DateText = z.string().max(10).regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
/** The import fields a PSA does not hold (the CSV's columns, typed); checked again per company by the CSV's own rules. */
const Fields = {
  mrr: z.number().min(0).max(100_000_000).optional().openapi({ description: 'Monthly recurring revenue (R-2)' }),
  maturity: z.number().int().min(1).max(5).optional().openapi({ description: 'IT maturity 1–5 (R-1)' }),
  appetite: z.number().int().min(1).max(5).optional().openapi({ description: 'Appetite for change 1–5 (R-1)' }),
  timeZone: text(1, 64).optional().openapi({ description: 'IANA time zone (C-1)' }),
  lifecycle: z.enum(IMPORT_LIFECYCLES).optional().openapi({ description: '`engagement`, `onboarding` (with signedAt and onboardingStep) or `none`, as in the CSV' }),
  signedAt: DateText.optional(),
  onboardingStep: z.number().int().min(0).max(8).optional(),
  ownsInnovationAgenda: z.boolean().optional(),
  region: z.string().max(6).regex(/^[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?$/, 'a country code such as US or US-IL').optional().openapi({ description: 'ISO 3166 country, optionally with subdivision (C-1)' }),
  fiscalYearEnd: z.string().max(5).regex(/^\d{2}-\d{2}$/, 'a month-day MM-DD').optional(),
};
const Defaults = z.strictObject(Fields).openapi('PsaImportDefaults', { description: 'Values for every company (the PSA does not hold them); a company still missing a required one is a row error naming it' });
const Override = z.strictObject({
  companyId: text(1, 50).openapi({ description: "The vendor's company id (HaloPSA: client id)" }),
  ...Fields,
  renewalDate: DateText.optional().openapi({ description: 'Instead of the agreements\' latest end date' }),
}).openapi('PsaImportOverride');

const PrimaryContact = z.object({
  name: z.string(), email: z.string().nullable(), title: z.string().nullable(),
  stakeholder: z.enum(['added', 'exists', 'not-added', 'pending']).openapi({ description: '`added` to the client\'s stakeholders now; `exists` (same email, or same name without one); `not-added` (see `note`); `pending` in a dry run' }),
  note: z.string().optional(),
}).openapi('PsaPrimaryContact');

const PsaImportResult = ImportResult.extend({
  rows: z.array(RowResult.extend({ companyId: z.string(), primaryContact: PrimaryContact.nullable() })),
}).openapi('PsaImportResult');

const importRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/connectors/{connectorId}/import', operationId: 'importConnectorCompanies', tags: ['Integrations', 'Clients'],
  summary: "Import clients from a connected PSA's companies, primary contacts and agreements (issue 15): the CSV import's path — dry run with per-row errors, idempotent by externalRef, each client started at the state it is in",
  description: 'externalRef is `<type>:<connectorId>:<companyId>`. A company is one row (named by its position in the vendor\'s listing); its renewalDate is the latest end date of its live agreements/contracts; its mrr, time zone and region come from the PSA where it holds them in a form Baton maps (else from `defaults`); its primary contact becomes a stakeholder with `contactRoles`. Run again, it is a re-sync: a client imported earlier keeps what Baton holds for what neither the PSA nor an override gives (defaults do not overwrite it), takes what changed in the PSA (`update` with `changes`, a new primary contact included), and starts nothing unless a lifecycle is given. See docs/integrations.md "Importing from a connected PSA".',
  request: {
    params: z.object({ connectorId: Id.openapi({ param: { name: 'connectorId', in: 'path' } }) }),
    ...jsonBody(z.strictObject({
      dryRun: z.boolean().optional().openapi({ description: 'Read the PSA and say what would change, writing nothing (default false)' }),
      defaults: Defaults.default({}),
      overrides: z.array(Override).max(100_000).refine((l) => new Set(l.map((o) => o.companyId)).size === l.length, 'each company once').default([]),
      contactRoles: uniqueList(z.enum(STAKEHOLDER_ROLES), STAKEHOLDER_ROLES.length, 'contactRoles').min(1).default(['other'])
        .openapi({ description: 'The stakeholder roles a primary contact gets (R-123); default `other`' }),
    })),
  },
  responses: {
    200: jsonResponse(PsaImportResult, 'What the import did (or, in a dry run, would do), company by company'),
    502: { description: '`vendor-failed`: the PSA refused or could not be reached; nothing was imported', content: { 'application/problem+json': { schema: ProblemSchema } } },
  },
});

const vendorProblem = (detail: string) => new ProblemError(502, 'vendor-failed', 'The PSA could not be read', `${detail} Nothing was imported.`);

export function registerPsaImportRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(importRoute, async (c) => {
    const { connectorId } = c.req.valid('param');
    const body = c.req.valid('json');
    const { db } = c.get('deps');
    const connector = await getConnector(db, connectorId);
    if (!connector) throw notFound('Connector', connectorId);
    const read = psaCompanyReader(connector);
    if (!read) throw unprocessable(`A ${connector.type} connector has no companies to import; import from a PSA connector (connectwise, autotask, halopsa).`);
    if (!connector.active) throw unprocessable('The connector is inactive; activate it (PATCH active: true) to import from it.');
    const policy = await activePolicy(db);
    const limits = policy.document.integrations;
    let companies: PsaCompany[];
    try {
      companies = await read(limits.requestTimeoutSeconds, limits.importMaxRows);
    } catch (err) {
      if (err instanceof VendorError) throw vendorProblem(err.outcome.error);
      if (err instanceof IntegrationKeyMissingError) throw new ProblemError(503, 'integration-key-missing', 'Connector secrets cannot be opened', err.message);
      if ((err as Error).name === 'ZodError') throw unprocessable("The connector's stored credentials are not valid for its type; replace them (PATCH credentials).");
      throw err;
    }
    if (companies.length > limits.importMaxRows) {
      throw unprocessable(`The PSA lists more than ${limits.importMaxRows} companies: at most integrations.importMaxRows per import.`);
    }
    const now = await currentTime(c.get('deps'));
    const overrides = new Map(body.overrides.map(({ companyId, ...o }) => [companyId, o as PsaImportFields & { renewalDate?: string }]));
    const existing = await importedFrom(c, companies.map((co) => psaExternalRef(connector, co.id)));
    const catalogue = holidayCatalogue();
    const parsed = psaImportRows(companies, connector, now.toISOString().slice(0, 10), {
      defaults: body.defaults as PsaImportFields, overrides, onboardingDays: policy.document.onboarding.closeoutDay, existing, regionOf: (a) => regionOf(a, catalogue),
    });
    if (companies.length === 0) parsed.errors.push({ row: 1, column: null, message: 'the PSA lists no active companies' });
    const answer = await importClientRows(c, parsed, { dryRun: body.dryRun ?? false, source: "the PSA's companies", fix: 'import again (defaults, overrides or the PSA\'s records)', errorPath: 'companies', now, policy });
    const ctx = answer.dryRun ? undefined : await writeContext(c);
    const rows: (typeof answer.rows[number] & { companyId: string; primaryContact: z.infer<typeof PrimaryContact> | null })[] = [];
    for (const r of answer.rows) {
      const company = companies[r.row - 1]!;
      const contact = company.primaryContact;
      let primaryContact: z.infer<typeof PrimaryContact> | null = null;
      let row: typeof r = r;
      if (contact) {
        const outcome = !r.clientId
          ? { stakeholder: 'pending' as const }
          : !ctx
            ? { stakeholder: (await knownStakeholder(c, r.clientId, contact)) ? 'exists' as const : 'pending' as const }
            : await addStakeholder(c, r.clientId, contact, body.contactRoles, ctx);
        primaryContact = { ...contact, ...outcome };
        // A client imported earlier whose primary contact changed in the PSA: the re-sync adds the new one, so the row is an update.
        if (r.action !== 'create' && (outcome.stakeholder === 'added' || outcome.stakeholder === 'pending')) row = { ...r, action: 'update', changes: [...r.changes, 'primaryContact'] };
      }
      rows.push({ ...row, companyId: company.id, primaryContact });
    }
    const count = (a: string) => rows.filter((r) => r.action === a).length;
    return c.json({ ...answer, updated: count('update'), unchanged: count('unchanged'), rows }, 200);
  });
}

/** The clients imported from this connector before (by externalRef): a re-sync fills what the PSA and the request do not give from them. */
async function importedFrom(c: Context<ApiEnv>, refs: string[]): Promise<Map<string, ExistingClientFields>> {
  const { db } = c.get('deps');
  const found = new Map<string, ExistingClientFields>();
  for (let i = 0; i < refs.length; i += 1000) {
    for (const row of await db.select().from(clients).where(inArray(clients.externalRef, refs.slice(i, i + 1000)))) {
      found.set(row.externalRef!, { mrr: row.mrr, maturity: row.maturity, appetite: row.appetite, timeZone: row.timeZone, ownsInnovationAgenda: row.ownsInnovationAgenda, region: row.region, fiscalYearEnd: row.fiscalYearEnd });
    }
  }
  return found;
}

let catalogue: RegionCatalogue | undefined;
/** The holiday data's countries and subdivisions (what `region` accepts, C-1), read once. */
function holidayCatalogue(): RegionCatalogue {
  if (!catalogue) {
    const hd = new Holidays();
    catalogue = { countries: hd.getCountries('en') ?? {}, states: (country) => hd.getStates(country, 'en') ?? {} };
  }
  return catalogue;
}

const validEmail = (contact: NonNullable<PsaCompany['primaryContact']>) => (contact.email && z.email().safeParse(contact.email).success ? contact.email : null);

/** Whether the primary contact is already one of the client's stakeholders (same email, or same name without one). */
async function knownStakeholder(c: Context<ApiEnv>, clientId: string, contact: NonNullable<PsaCompany['primaryContact']>) {
  const email = validEmail(contact);
  const known = await listStakeholders(c.get('deps').db, clientId);
  return known.some((s) => (email ? s.email?.toLowerCase() === email.toLowerCase() : !s.email && s.name === contact.name));
}

/** The primary contact as a stakeholder, once: a re-import finds it by email (or by name when it has none). */
async function addStakeholder(
  c: Context<ApiEnv>, clientId: string, contact: NonNullable<PsaCompany['primaryContact']>,
  roles: (typeof STAKEHOLDER_ROLES)[number][], ctx: Awaited<ReturnType<typeof writeContext>>,
): Promise<{ stakeholder: 'added' | 'exists' | 'not-added'; note?: string }> {
  const { db } = c.get('deps');
  const email = validEmail(contact);
  if (await knownStakeholder(c, clientId, contact)) return { stakeholder: 'exists' };
  const name = contact.name.slice(0, 200);
  const created = await createStakeholder(db, clientId, { name, roles, ...(email ? { email } : {}), ...(contact.title ? { title: contact.title.slice(0, 200) } : {}) }, ctx);
  if ('conflict' in created) return { stakeholder: 'not-added', note: `${created.conflict} taken by stakeholder ${created.existing.name}` };
  return { stakeholder: 'added', ...(contact.email && !email ? { note: `the PSA's email "${contact.email.slice(0, 100)}" is not an address; added without it` } : {}) };
}
