// Tables and views share one identifier space per namespace (spec: createView's and createTable's
// 409). The messages are the reference implementation's, which engines and the REST
// compatibility kit match on.
import type { Db } from '../db/database.js';
import { findNameHolder } from '../db/view-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, type CatalogError } from '../iceberg/errors.js';
import { tableName, type TableIdentifier } from './identifiers.js';

export type CatalogObjectKind = 'table' | 'view';

/** A `wanted` cannot be created under a name that a `holder` has. */
export function nameTaken(wanted: CatalogObjectKind, holder: CatalogObjectKind, identifier: TableIdentifier): CatalogError {
  const name = tableName(identifier.namespace, identifier.name);
  if (wanted === holder) return alreadyExists(`${holder === 'table' ? 'Table' : 'View'} already exists: ${name}`);
  return alreadyExists(`${holder === 'table' ? 'Table' : 'View'} with same name already exists: ${name}`);
}

/** A `kind` cannot be renamed onto a name that a `holder` has. */
export function renameTargetTaken(
  kind: CatalogObjectKind,
  holder: CatalogObjectKind,
  source: TableIdentifier,
  destination: TableIdentifier,
): CatalogError {
  // Table onto table keeps the message engines have always seen from this catalog.
  if (kind === 'table' && holder === 'table') return nameTaken('table', 'table', destination);
  const from = tableName(source.namespace, source.name);
  const to = tableName(destination.namespace, destination.name);
  return alreadyExists(`Cannot rename ${from} to ${to}. ${holder === 'table' ? 'Table' : 'View'} already exists`);
}

/**
 * Refuses a name some table or view already has. Called before writing anything; the unique
 * index on live names settles races (see nameTakenAfterRace).
 */
export async function requireFreeName(db: Db, warehouse: Warehouse, wanted: CatalogObjectKind, identifier: TableIdentifier): Promise<void> {
  const holder = await findNameHolder(db, warehouse.id, identifier.namespace, identifier.name);
  if (holder) throw nameTaken(wanted, holder, identifier);
}

/** After a unique violation on the live-name index: which kind won the name. */
export async function nameTakenAfterRace(
  db: Db,
  warehouse: Warehouse,
  wanted: CatalogObjectKind,
  identifier: TableIdentifier,
): Promise<CatalogError> {
  const holder = (await findNameHolder(db, warehouse.id, identifier.namespace, identifier.name)) ?? wanted;
  return nameTaken(wanted, holder, identifier);
}
