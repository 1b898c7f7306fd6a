import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
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
      expect(tables).toEqual(['api_keys', 'calendar_feeds', 'clients', 'ctas', 'events', 'idempotency_records', 'meetings', 'people', 'policies', 'role_assignments', 'workflow_starts']);
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8'));
      expect(applied[0]!.n).toBe(journal.entries.length);
      const triggers = (await sql`select tgname from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by 1`).map((r) => r.tgname);
      expect(triggers).toEqual(['events_no_truncate', 'events_no_update_or_delete']);
    } finally {
      await sql.end();
    }
  });
});
