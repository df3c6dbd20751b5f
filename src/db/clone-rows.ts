// The rows of a clone operation, written set-based: however many tables and views a slice of
// an operation holds (clones/clone-inserts.ts), its rows go in with one statement whose rows
// arrive as JSON parameters (json_to_recordset), so the statement text and the parameter
// count stay constant. One multi-row VALUES list per table would hit Postgres'
// 65,535-parameter limit near 8,000 lineage rows and make Postgres parse a new statement text
// every time; column arrays (text[]) cost five times more than JSON to encode and decode for
// the metadata documents (measured: 3,000 documents of 5 KB, 1.4 s against 0.27 s).
import { sql } from 'kysely';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { Tx } from './database.js';
import type { LineageRow } from './clone-repository.js';
import type { Namespace } from './namespace-repository.js';
import type { TableRecord } from './table-repository.js';
import type { ViewRecord } from './view-repository.js';

const int8 = (value: number | bigint | undefined | null) => (value === undefined || value === null ? null : value.toString());
/**
 * Rows as a record set of the given columns; int64 values travel as decimal strings. A lone
 * surrogate in a string becomes U+FFFD, as it does in a text parameter (Postgres' json refuses
 * the escape JSON.stringify writes for it); the replacer that does so runs only when one is
 * there, since a replacer makes JSON.stringify several times slower.
 */
const recordSet = (rows: object[], columns: string) => {
  let json = JSON.stringify(rows);
  if (LONE_SURROGATE_ESCAPE.test(json)) json = JSON.stringify(rows, wellFormed);
  return sql`json_to_recordset(${json}::json) AS r(${sql.raw(columns)})`;
};
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/i;
const wellFormed = (_key: string, value: unknown) =>
  typeof value === 'string' ? (value as unknown as { toWellFormed(): string }).toWellFormed() : value;

/** Documents per statement: one JSON parameter stays far below V8's and Postgres' string limits. */
const STATEMENT_BYTES = 64 * 1024 * 1024;

/** `items` in consecutive groups whose `size` adds up to at most `limit` (an item larger alone is a group). */
export function groupsBySize<T>(items: T[], size: (item: T) => number, limit: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (current.length > 0 && bytes + itemBytes > limit) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export async function insertNamespaces(tx: Tx, namespaces: Namespace[]): Promise<void> {
  if (namespaces.length === 0) return;
  const rows = namespaces.map((n) => ({ id: n.id, warehouse_id: n.warehouseId, parent_id: n.parentId, levels: n.levels, properties: n.properties, owner: n.owner ?? null }));
  await sql`
    INSERT INTO namespace (namespace_id, warehouse_id, parent_id, levels, properties, owner)
    SELECT r.id, r.warehouse_id, r.parent_id, r.levels, r.properties, r.owner
    FROM ${recordSet(rows, 'id uuid, warehouse_id uuid, parent_id uuid, levels text[], properties jsonb, owner text')}`.execute(tx);
}

export interface ClonedRows {
  tables: { record: TableRecord; metadata: TableMetadata }[];
  views: ViewRecord[];
  expiresAt: Date | null;
  /** Their metadata files are written after the commit (pending-metadata.ts): rows say which. */
  filesPending?: boolean;
  /** The clones' lineage rows, inserted with them. */
  lineage?: LineageRow[];
}

/**
 * The clones' table and view rows, their first metadata_file rows and the tables' snapshot
 * and ref rows (the roots): one statement per 64 MiB of documents (one statement for any
 * usual operation). A live name taken meanwhile fails it with a unique violation on
 * iceberg_table_live_name.
 */
export async function insertClonedRows(tx: Tx, rows: ClonedRows): Promise<void> {
  const documents = (json: string) => json.length * 2;
  const groups = [
    ...groupsBySize(rows.tables, (t) => documents(t.record.metadataJson), STATEMENT_BYTES).map((tables) => ({ tables, views: [] })),
    ...groupsBySize(rows.views, (v) => documents(v.metadataJson), STATEMENT_BYTES).map((views) => ({ tables: [], views })),
  ];
  // The lineage goes with the last group, once every row it names is in.
  for (const [i, group] of groups.entries()) {
    await insertClonedGroup(tx, { ...rows, ...group, lineage: i === groups.length - 1 ? rows.lineage : undefined });
  }
}

async function insertClonedGroup(tx: Tx, { tables, views, expiresAt, filesPending, lineage }: ClonedRows): Promise<void> {
  if (tables.length + views.length === 0) return;
  const row = (r: TableRecord | ViewRecord, kind: string, uuid: string, formatVersion: number, sources: string[]) => ({
    id: r.id, kind, warehouse_id: r.warehouseId, namespace_id: r.namespaceId, name: r.name, uuid, location: r.location,
    format_version: formatVersion, metadata_location: r.metadataLocation, metadata_json: r.metadataJson, version: String(r.version),
    sources, owner: r.owner ?? null,
  });
  const rows = [
    ...tables.map(({ record }) => row(record, 'table', record.tableUuid, record.formatVersion, record.sourceLocations ?? [])),
    ...views.map((record) => row(record, 'view', record.viewUuid, 1, [])),
  ];
  const snapshots = tables.flatMap(({ record, metadata }) =>
    metadata.snapshots.map((s) => ({
      table_id: record.id, snapshot_id: s['snapshot-id'].toString(), parent_snapshot_id: int8(s['parent-snapshot-id']),
      sequence_number: (s['sequence-number'] ?? 0).toString(), timestamp_ms: s['timestamp-ms'].toString(),
      manifest_list: s['manifest-list'] ?? null, schema_id: s['schema-id'] ?? null, operation: s.summary?.operation ?? null,
    })),
  );
  const refs = tables.flatMap(({ record, metadata }) =>
    Object.entries(metadata.refs).map(([name, ref]) => ({
      table_id: record.id, name, type: ref.type, snapshot_id: ref['snapshot-id'].toString(), max_ref_age_ms: int8(ref['max-ref-age-ms']),
      max_snapshot_age_ms: int8(ref['max-snapshot-age-ms']), min_snapshots_to_keep: ref['min-snapshots-to-keep'] ?? null,
    })),
  );
  await sql`
    WITH t AS (
      INSERT INTO iceberg_table (table_id, kind, warehouse_id, namespace_id, name, table_uuid, location, format_version,
        metadata_location, metadata_json, version, expires_at, source_locations, owner)
      SELECT r.id, r.kind, r.warehouse_id, r.namespace_id, r.name, r.uuid, r.location, r.format_version,
        r.metadata_location, r.metadata_json, r.version, ${expiresAt}::timestamptz, r.sources, r.owner
      FROM ${recordSet(rows, `id uuid, kind text, warehouse_id uuid, namespace_id uuid, name text, uuid text, location text,
        format_version smallint, metadata_location text, metadata_json text, version bigint, sources text[], owner text`)}
      RETURNING table_id, version, metadata_location, metadata_json
    ), files AS (
      INSERT INTO metadata_file (table_id, version, metadata_location) SELECT table_id, version, metadata_location FROM t
    ), ${lineage && lineage.length > 0 ? sql`lineage AS (${lineageInsert(lineage)}), ` : sql``}${filesPending ? sql`pending AS (
      INSERT INTO pending_metadata_file (metadata_location, uri, table_id, metadata_json)
      SELECT metadata_location, gc_canonical_uri(metadata_location), table_id, metadata_json FROM t
    ), ` : sql``}snapshots AS (
      INSERT INTO snapshot (table_id, snapshot_id, parent_snapshot_id, sequence_number, timestamp_ms, manifest_list, schema_id, operation)
      SELECT * FROM ${recordSet(snapshots, `table_id uuid, snapshot_id bigint, parent_snapshot_id bigint, sequence_number bigint,
        timestamp_ms bigint, manifest_list text, schema_id integer, operation text`)}
    )
    INSERT INTO snapshot_ref (table_id, name, type, snapshot_id, max_ref_age_ms, max_snapshot_age_ms, min_snapshots_to_keep)
    SELECT * FROM ${recordSet(refs, `table_id uuid, name text, type text, snapshot_id bigint, max_ref_age_ms bigint,
      max_snapshot_age_ms bigint, min_snapshots_to_keep integer`)}`.execute(tx);
}

/** The INSERT of lineage rows (a CTE of the rows' statement). */
function lineageInsert(rows: LineageRow[]) {
  // jsonb goes back through JSON.parse, so an int64 in a point is kept as a decimal string.
  const point = (value: unknown) => JSON.parse(JSON.stringify(value ?? null, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
  const records = rows.map((r) => ({
    table_id: r.tableId, source_table_id: r.sourceTableId, source_table_uuid: r.sourceTableUuid, source_name: r.sourceName,
    source_snapshot_id: int8(r.sourceSnapshotId), source_version: String(r.sourceVersion), point: point(r.point), operation_id: r.operationId,
  }));
  return sql`
    INSERT INTO table_lineage (table_id, source_table_id, source_table_uuid, source_name, source_snapshot_id, source_version, point, operation_id)
    SELECT * FROM ${recordSet(records, `table_id uuid, source_table_id uuid, source_table_uuid text, source_name text[],
      source_snapshot_id bigint, source_version bigint, point jsonb, operation_id uuid`)}`;
}

export interface LockedSwap {
  record: TableRecord;
  metadata: TableMetadata;
  /** The version read under the row lock. */
  expectedVersion: number;
}

/**
 * Commits new metadata onto tables this transaction has locked, all in one statement, for
 * changes that keep the snapshots and refs as they are (a property set): the row swap, the
 * new metadata_file row, and the release of metadata files that fell out of the log, as
 * compareAndSwapTable does for one table. Returns how many rows swapped.
 */
export async function swapLockedTables(tx: Tx, swaps: LockedSwap[]): Promise<number> {
  if (swaps.length === 0) return 0;
  const rows = swaps.map(({ record, metadata, expectedVersion }) => ({
    table_id: record.id, expected: String(expectedVersion), metadata_location: record.metadataLocation, metadata_json: record.metadataJson,
    // Metadata files that fell out of the metadata log stop being roots (as in a commit).
    retained: [record.metadataLocation, ...(metadata['metadata-log'] ?? []).map((e) => e['metadata-file'])],
  }));
  const result = await sql<{ swapped: string | number | bigint }>`
    WITH u AS (
      SELECT * FROM ${recordSet(rows, 'table_id uuid, expected bigint, metadata_location text, metadata_json text, retained text[]')}
    ), swapped AS (
      UPDATE iceberg_table t SET metadata_location = u.metadata_location, metadata_json = u.metadata_json, version = u.expected + 1,
        updated_at = now()
      FROM u WHERE t.table_id = u.table_id AND t.version = u.expected AND t.dropped_at IS NULL
      RETURNING t.table_id, t.version, t.metadata_location
    ), added AS (
      INSERT INTO metadata_file (table_id, version, metadata_location) SELECT table_id, version, metadata_location FROM swapped
    ), trimmed AS (
      DELETE FROM metadata_file m USING u
      WHERE m.table_id = u.table_id AND m.table_id IN (SELECT table_id FROM swapped) AND m.metadata_location <> ALL(u.retained)
    )
    SELECT count(*) AS swapped FROM swapped`.execute(tx);
  return Number(result.rows[0]?.swapped ?? 0);
}
