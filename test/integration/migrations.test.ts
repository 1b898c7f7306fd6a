import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { migrationsFolder, runMigrations } from '../../db/client.js';

const adminUrl = inject('postgresAdminUrl');
const name = `m_${randomBytes(5).toString('hex')}`;
const url = adminUrl.replace(/\/postgres$/, `/${name}`);

afterAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('migrations', () => {
  it('build the schema from an empty database, once, even when several processes start together', async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();

    await Promise.all([runMigrations(url), runMigrations(url), runMigrations(url)]);
    await runMigrations(url);

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = (await sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`).map((r) => r.table_name);
      expect(tables).toEqual([
        'api_keys', 'assessments', 'backlog_items', 'budget_actuals', 'budget_lines', 'budget_versions', 'calendar_feeds', 'client_access',
        'client_health', 'client_stakeholders', 'clients', 'connector_breakers', 'connector_links', 'connectors', 'console_sessions', 'credit_decisions', 'credit_gates', 'ctas', 'defense_loop_intakes',
        'delivered_reports', 'deliveries', 'discoveries', 'events', 'governance_sessions', 'health_inputs', 'health_snapshots', 'idempotency_records',
        'inbound_events', 'initiatives', 'meetings', 'msgraph_subscriptions', 'payload_keys', 'people', 'planning_cycles', 'planning_marks', 'policies', 'pre_approvals', 'price_tests', 'proposals', 'risks',
        'roadmap_items', 'roadmap_versions', 'role_assignments', 'upsells', 'webhook_subscriptions', 'workflow_starts',
      ]);
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8'));
      expect(applied[0]!.n).toBe(journal.entries.length);
      const triggers = (await sql`select tgname from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by 1`).map((r) => r.tgname);
      expect(triggers).toEqual(['events_no_truncate', 'events_no_update_or_delete']);
    } finally {
      await sql.end();
    }
  });

  it('0005 moves each client\'s stakeholders list into client_stakeholders, keeping a repeated email or a second sponsor inactive (issue 9)', async () => {
    const dbName = `${name}_s`;
    const dbUrl = adminUrl.replace(/\/postgres$/, `/${dbName}`);
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${dbName}`);
    // The migrations as they were before 0005.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-migrations-'));
    const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8'));
    const cut = journal.entries.findIndex((e: { tag: string }) => e.tag.startsWith('0005_'));
    fs.mkdirSync(path.join(before, 'meta'));
    fs.writeFileSync(path.join(before, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    for (const e of journal.entries.slice(0, cut)) fs.copyFileSync(path.join(migrationsFolder, `${e.tag}.sql`), path.join(before, `${e.tag}.sql`));
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: before, migrationsTable: '__drizzle_migrations', migrationsSchema: 'drizzle' });
      const insert = (id: string, stakeholders: unknown) => sql`
        insert into clients (id, name, mrr, maturity, appetite, segment, goal_level, archetype, mrr_tier, touch_tier, segment_rule_ids, placement_policy_version, time_zone, stakeholders)
        values (${id}, ${id}, 1000, 1, 1, 'D', 1, 'Sustain', 'Low', 'Tech', '["R-1"]'::jsonb, 1, 'America/Chicago', ${JSON.stringify(stakeholders)}::jsonb)`;
      await insert('c-1', [
        { name: 'Pat', email: 'pat@acme.test', title: 'CFO', roles: ['executiveSponsor', 'budgetHolder'] },
        { name: 'Pat twin', email: 'PAT@acme.test', roles: ['itOps'] },
        { name: 'Sam', roles: ['executiveSponsor'] },
        { name: 'Ian', roles: ['itOps'] },
      ]);
      await insert('c-2', []);
      await runMigrations(dbUrl);
      const rows = await sql`select client_id, name, title, email, roles, active, deactivation_reason is not null as explained from client_stakeholders order by client_id, name`;
      expect(rows.map((r) => [r.client_id, r.name, r.title, r.email, r.roles, r.active, r.explained])).toEqual([
        ['c-1', 'Ian', null, null, ['itOps'], true, false],
        ['c-1', 'Pat', 'CFO', 'pat@acme.test', ['executiveSponsor', 'budgetHolder'], true, false],
        ['c-1', 'Pat twin', null, 'PAT@acme.test', ['itOps'], false, true],
        ['c-1', 'Sam', null, null, ['executiveSponsor'], false, true],
      ]);
      const columns = (await sql`select column_name from information_schema.columns where table_name = 'clients'`).map((r) => r.column_name);
      expect(columns).not.toContain('stakeholders');
    } finally {
      await sql.end();
      await admin.unsafe(`drop database if exists ${dbName} with (force)`);
      await admin.end();
      fs.rmSync(before, { recursive: true, force: true });
    }
  });
});
