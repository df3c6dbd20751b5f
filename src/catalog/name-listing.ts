// One page of the names of a namespace's tables or views (spec: listTables, listViews).
import type { Db } from '../db/database.js';
import { findNamespace } from '../db/namespace-repository.js';
import { listNames } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { noSuchNamespace } from '../iceberg/errors.js';
import { namespaceName, type TableIdentifier } from './identifiers.js';
import { decodePageToken, encodePageToken, pageWindow, type PageRequest } from './pagination.js';

const isString = (v: unknown): v is string => typeof v === 'string';

export async function listNamesIn(
  db: Db,
  warehouse: Warehouse,
  levels: string[],
  kind: 'table' | 'view',
  page: PageRequest,
  /** The names the caller may see ('all': no filter). */
  visible: 'all' | ReadonlySet<string> = 'all',
): Promise<{ identifiers: TableIdentifier[]; nextPageToken?: string | null }> {
  const namespace = await findNamespace(db, warehouse.id, levels);
  if (!namespace) throw noSuchNamespace(namespaceName(levels));
  const window = pageWindow(page);
  const after = page.pageToken ? decodePageToken(page.pageToken, isString) : undefined;
  const rows = await listNames(db, namespace.id, kind, { after, limit: window.limit && window.limit + 1, only: visible === 'all' ? undefined : [...visible] });
  const more = window.limit !== undefined && rows.length > window.limit;
  const names = (more ? rows.slice(0, window.limit) : rows).map((r) => r.name);
  return {
    identifiers: names.map((name) => ({ namespace: levels, name })),
    nextPageToken: window.paged ? (more ? encodePageToken(names[names.length - 1]) : null) : undefined,
  };
}
