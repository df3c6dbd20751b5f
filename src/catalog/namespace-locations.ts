// A namespace's location: the directory its tables go to when they name none. Every
// namespace has one. Without a `location` property it is the default layout
// (`<warehouse>/<level>/<level>`, computed on read); with one, the property is that
// location. Engines rely on it: Trino stage-creates a table only when the schema answers a
// location, and otherwise creates the table at once and then finds it non-empty.
//
// An explicit location must stay inside the warehouse and apart from everything else:
// - not equal to, inside, or containing another namespace's location (explicit or default),
//   its own ancestors and descendants excepted, which nest by construction (equality is
//   refused even with them);
// - not equal to or inside any table's location, and not containing a table of a namespace
//   outside its own subtree.
// A namespace created later whose default falls under an explicit location is not refused
// (a name alone decides its default); its tables still never share a directory, since every
// table directory is checked for overlap and carries a random id. Explicit locations of one
// warehouse are checked one transaction at a time (an advisory lock held to its end), so two
// racing updates cannot both pass; two tables created at once with overlapping explicit
// locations still can.
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { findTableInTheWayOfNamespace, listNamespaceTree, type Namespace } from '../db/namespace-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest } from '../iceberg/errors.js';
import { defaultNamespaceLocation, locationsOverlap, requireWithinWarehouse } from './locations.js';

export const LOCATION_PROPERTY = 'location';

/** The namespace's location: its `location` property, or the default layout. */
export function namespaceLocation(warehouse: Warehouse, namespace: Pick<Namespace, 'levels' | 'properties'>): string {
  return namespace.properties[LOCATION_PROPERTY] || defaultNamespaceLocation(warehouse.location, namespace.levels);
}

/** The properties a client sees: the stored ones, with `location` always present. */
export function answeredProperties(warehouse: Warehouse, namespace: Pick<Namespace, 'levels' | 'properties'>): Record<string, string> {
  return { ...namespace.properties, [LOCATION_PROPERTY]: namespaceLocation(warehouse, namespace) };
}

const isPrefix = (prefix: string[], levels: string[]) => prefix.length <= levels.length && prefix.every((l, i) => l === levels[i]);

/**
 * The normalised explicit location for namespace `levels`, or a 400 saying what kind of object
 * it collides with. Inside a transaction pass it as `db` (the embedded database has one connection).
 */
export async function checkNamespaceLocation(db: DbOrTx, warehouse: Warehouse, levels: string[], requested: string): Promise<string> {
  const location = requireWithinWarehouse(warehouse.location, requested);
  // Held until the caller's transaction ends: the next checker then sees this one's row.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`namespace-location:${warehouse.id}`}))`.execute(db);
  // Every namespace of the warehouse is read: location changes are rare, and a default
  // location is computed, so it cannot be matched in SQL.
  for (const other of await listNamespaceTree(db, warehouse.id, [])) {
    if (isPrefix(other.levels, levels) && other.levels.length === levels.length) continue;
    const related = isPrefix(other.levels, levels) || isPrefix(levels, other.levels);
    const otherLocation = namespaceLocation(warehouse, other);
    if (related ? otherLocation === location : locationsOverlap(location, otherLocation)) {
      // Neither its name nor its location: the caller may have no right to see either.
      throw badRequest(`Location ${location} overlaps the location of another namespace`);
    }
  }
  const table = await findTableInTheWayOfNamespace(db, warehouse.id, location, levels);
  if (table) throw badRequest(`Location ${location} overlaps the location of a table`);
  return location;
}
