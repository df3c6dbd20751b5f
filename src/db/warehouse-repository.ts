import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface Warehouse {
  id: string;
  name: string;
  location: string;
  properties: Record<string, string>;
  /**
   * The catalog may delete files under this root: the operator configured it, or the catalog
   * created it empty under an allowed root (migrations/20261201000000_canonical_uris.sql).
   */
  managedRoot: boolean;
  /** Who made it (a warehouse clone's caller); null for the configured one. */
  owner?: string | null;
}

type Row = { warehouse_id: string; name: string; location: string; properties: unknown; managed_root: boolean; owner?: string | null };

const toWarehouse = (row: Row): Warehouse => ({
  id: row.warehouse_id,
  name: row.name,
  location: row.location,
  properties: (typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties) as Record<string, string>,
  managedRoot: row.managed_root,
  owner: row.owner ?? null,
});

export async function findWarehouseByName(db: DbOrTx, name: string): Promise<Warehouse | undefined> {
  const row = await db.selectFrom('warehouse').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toWarehouse(row);
}

export async function findWarehouseByLocation(db: DbOrTx, location: string): Promise<Warehouse | undefined> {
  const row = await db.selectFrom('warehouse').selectAll().where('location', '=', location).executeTakeFirst();
  return row && toWarehouse(row);
}

/**
 * Creates the configured warehouse if no warehouse has that name; returns the stored one
 * either way. Its root is the operator's choice, so it is managed.
 */
export async function ensureWarehouse(db: DbOrTx, name: string, location: string): Promise<Warehouse> {
  // A warehouse keeps the root it was created with: its tables live there.
  await db
    .insertInto('warehouse')
    .values({ warehouse_id: crypto.randomUUID(), name, location, properties: '{}', managed_root: true })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  await db.updateTable('warehouse').set({ managed_root: true }).where('name', '=', name).where('location', '=', location).execute();
  const stored = await findWarehouseByName(db, name);
  if (!stored) throw new Error(`warehouse ${name} vanished right after it was created`);
  return stored;
}

export async function insertWarehouse(db: DbOrTx, warehouse: Warehouse): Promise<void> {
  await db
    .insertInto('warehouse')
    .values({
      warehouse_id: warehouse.id,
      name: warehouse.name,
      location: warehouse.location,
      properties: JSON.stringify(warehouse.properties),
      managed_root: warehouse.managedRoot,
      owner: warehouse.owner ?? null,
    })
    .execute();
}

/**
 * Warehouses whose root lies under one of `roots` (the operator's allow-list) become managed:
 * listing a root there is the operator's decision that the catalog may delete under it.
 */
export async function manageRootsUnder(db: DbOrTx, roots: readonly string[]): Promise<number> {
  if (roots.length === 0) return 0;
  const result = await sql`UPDATE warehouse SET managed_root = true
    WHERE NOT managed_root AND EXISTS (SELECT 1 FROM unnest(${[...roots]}::text[]) r WHERE starts_with(location, r || '/'))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** A warehouse whose root contains, equals or lies inside `location`: roots never nest. */
export async function findOverlappingWarehouse(db: DbOrTx, location: string): Promise<Warehouse | undefined> {
  const row = await db
    .selectFrom('warehouse')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('location', '=', location),
        eb(sql<boolean>`starts_with(location, ${location + '/'})`, '=', true),
        eb(sql<boolean>`starts_with(${location}, location || '/')`, '=', true),
      ]),
    )
    .executeTakeFirst();
  return row && toWarehouse(row);
}

export async function listWarehouses(db: DbOrTx): Promise<Warehouse[]> {
  const rows = await db.selectFrom('warehouse').selectAll().orderBy('name').execute();
  return rows.map(toWarehouse);
}

/** Sets (or, with null, removes) warehouse properties such as gc.drop-retention-ms. */
export async function updateWarehouseProperties(db: DbOrTx, id: string, updates: Record<string, string | null>): Promise<Warehouse | undefined> {
  const set = Object.fromEntries(Object.entries(updates).filter(([, v]) => v !== null));
  const remove = Object.entries(updates).filter(([, v]) => v === null).map(([k]) => k);
  await sql`UPDATE warehouse SET properties = (properties - ${remove}::text[]) || ${JSON.stringify(set)}::jsonb
    WHERE warehouse_id = ${id}`.execute(db);
  const row = await db.selectFrom('warehouse').selectAll().where('warehouse_id', '=', id).executeTakeFirst();
  return row && toWarehouse(row);
}
