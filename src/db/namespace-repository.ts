import { sql } from 'kysely';
import type { DbOrTx, Tx } from './database.js';

export interface Namespace {
  id: string;
  warehouseId: string;
  parentId: string | null;
  levels: string[];
  properties: Record<string, string>;
  /** Who made it; null for namespaces made before ownership existed. */
  owner?: string | null;
}

type Row = { namespace_id: string; warehouse_id: string; parent_id: string | null; levels: string[]; properties: unknown; owner?: string | null };

const toNamespace = (row: Row): Namespace => ({
  id: row.namespace_id,
  warehouseId: row.warehouse_id,
  parentId: row.parent_id,
  levels: row.levels,
  properties: (typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties) as Record<string, string>,
  owner: row.owner ?? null,
});

const levelsParam = (levels: string[]) => sql<string[]>`${levels}::text[]`;

export async function findNamespace(db: DbOrTx, warehouseId: string, levels: string[]): Promise<Namespace | undefined> {
  const row = await db
    .selectFrom('namespace')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('levels', '=', levelsParam(levels))
    .executeTakeFirst();
  return row && toNamespace(row);
}

export async function findNamespaceById(db: DbOrTx, warehouseId: string, namespaceId: string): Promise<Namespace | undefined> {
  const row = await db.selectFrom('namespace').selectAll().where('warehouse_id', '=', warehouseId).where('namespace_id', '=', namespaceId).executeTakeFirst();
  return row && toNamespace(row);
}

/** Direct children of `parentId` (top level when null), ordered by path, after `afterLevels` for paging. */
export async function listChildNamespaces(
  db: DbOrTx,
  warehouseId: string,
  parentId: string | null,
  /** `only`: the last levels (names) of the children to list; all when absent. */
  page: { after?: string[]; limit?: number; only?: string[] },
): Promise<Namespace[]> {
  let query = db
    .selectFrom('namespace')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('parent_id', parentId === null ? 'is' : '=', parentId)
    .orderBy('levels');
  if (page.only) query = query.where(sql<boolean>`levels[cardinality(levels)] = ANY(${page.only}::text[])`);
  if (page.after) query = query.where('levels', '>', levelsParam(page.after));
  if (page.limit) query = query.limit(page.limit);
  return (await query.execute()).map(toNamespace);
}

/** A namespace and every namespace below it (all of them for root []), parents before children. */
export async function listNamespaceTree(db: DbOrTx, warehouseId: string, root: string[]): Promise<Namespace[]> {
  const below = root.length === 0 ? sql`true` : sql`levels[1:${root.length}] = ${root}::text[]`;
  const result = await sql<Row>`
    SELECT namespace_id, warehouse_id, parent_id, levels, properties, owner FROM namespace
    WHERE warehouse_id = ${warehouseId} AND ${below}
    ORDER BY array_length(levels, 1), levels`.execute(db);
  return result.rows.map(toNamespace);
}

export async function insertNamespace(db: DbOrTx, namespace: Namespace): Promise<void> {
  await db
    .insertInto('namespace')
    .values({
      namespace_id: namespace.id,
      warehouse_id: namespace.warehouseId,
      parent_id: namespace.parentId,
      levels: levelsParam(namespace.levels),
      properties: JSON.stringify(namespace.properties),
      owner: namespace.owner ?? null,
    })
    .execute();
}

/** Locks the namespace row, so a concurrent create inside it waits for a drop to finish (or vice versa). */
export async function lockNamespace(tx: Tx, namespaceId: string): Promise<Namespace | undefined> {
  const row = await tx.selectFrom('namespace').selectAll().where('namespace_id', '=', namespaceId).forUpdate().executeTakeFirst();
  return row && toNamespace(row);
}

export async function namespaceHasChildren(db: DbOrTx, namespaceId: string): Promise<{ tables: boolean; namespaces: boolean }> {
  const table = await db
    .selectFrom('iceberg_table')
    .select('table_id')
    .where('namespace_id', '=', namespaceId)
    .where('dropped_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  const child = await db.selectFrom('namespace').select('namespace_id').where('parent_id', '=', namespaceId).limit(1).executeTakeFirst();
  return { tables: table !== undefined, namespaces: child !== undefined };
}

export async function deleteNamespace(tx: Tx, namespaceId: string): Promise<void> {
  await tx.deleteFrom('namespace').where('namespace_id', '=', namespaceId).execute();
}

export async function updateNamespaceProperties(tx: Tx, namespaceId: string, properties: Record<string, string>): Promise<void> {
  await tx
    .updateTable('namespace')
    .set({ properties: JSON.stringify(properties) })
    .where('namespace_id', '=', namespaceId)
    .execute();
}

/**
 * A live table that a namespace location `location` would collide with: one the location
 * equals or lies inside, or one inside the location that belongs to a namespace outside the
 * subtree `levels` (a namespace's own tables, and its children's, may lie under it).
 */
export async function findTableInTheWayOfNamespace(
  db: DbOrTx,
  warehouseId: string,
  location: string,
  levels: string[],
): Promise<{ name: string; location: string } | undefined> {
  const result = await sql<{ name: string; location: string }>`
    SELECT t.name, t.location FROM iceberg_table t JOIN namespace n ON n.namespace_id = t.namespace_id
    WHERE t.warehouse_id = ${warehouseId} AND t.dropped_at IS NULL AND (
      t.location = ${location}
      OR starts_with(${location}, t.location || '/')
      OR (starts_with(t.location, ${location + '/'}) AND NOT (n.levels[1:${levels.length}] = ${levels}::text[]))
    )
    LIMIT 1`.execute(db);
  return result.rows[0];
}
