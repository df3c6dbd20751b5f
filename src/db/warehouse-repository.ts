import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface Warehouse {
  id: string;
  name: string;
  location: string;
  properties: Record<string, string>;
}

type Row = { warehouse_id: string; name: string; location: string; properties: unknown };

const toWarehouse = (row: Row): Warehouse => ({
  id: row.warehouse_id,
  name: row.name,
  location: row.location,
  properties: (typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties) as Record<string, string>,
});

export async function findWarehouseByName(db: DbOrTx, name: string): Promise<Warehouse | undefined> {
  const row = await db.selectFrom('warehouse').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toWarehouse(row);
}

export async function findWarehouseByLocation(db: DbOrTx, location: string): Promise<Warehouse | undefined> {
  const row = await db.selectFrom('warehouse').selectAll().where('location', '=', location).executeTakeFirst();
  return row && toWarehouse(row);
}

/** Creates the warehouse if no warehouse has that name; returns the stored one either way. */
export async function ensureWarehouse(db: DbOrTx, name: string, location: string): Promise<Warehouse> {
  // A warehouse keeps the root it was created with: its tables live there.
  await db
    .insertInto('warehouse')
    .values({ warehouse_id: crypto.randomUUID(), name, location, properties: '{}' })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const stored = await findWarehouseByName(db, name);
  if (!stored) throw new Error(`warehouse ${name} vanished right after it was created`);
  return stored;
}

export async function insertWarehouse(db: DbOrTx, warehouse: Warehouse): Promise<void> {
  await db
    .insertInto('warehouse')
    .values({ warehouse_id: warehouse.id, name: warehouse.name, location: warehouse.location, properties: JSON.stringify(warehouse.properties) })
    .execute();
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
