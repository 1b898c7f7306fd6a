import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Db = PostgresJsDatabase<typeof schema>;
export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function connectDatabase(url: string, opts: { max?: number } = {}): Database {
  const sql = postgres(url, { max: opts.max ?? 10, onnotice: () => {}, connect_timeout: 10 });
  const db = drizzle({ client: sql, schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Arbitrary but fixed key of the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x6261746f6e; // "baton"

/**
 * Applies the committed drizzle migrations; safe on every start. The drizzle migrator takes no
 * lock, so API and worker processes starting together serialise on a session advisory lock held
 * by the one connection the migration runs on.
 */
export async function runMigrations(url: string): Promise<void> {
  const conn = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle({ client: conn, schema }), { migrationsFolder, migrationsTable: '__drizzle_migrations', migrationsSchema: 'drizzle' });
  } finally {
    await conn.end({ timeout: 5 });
  }
}
