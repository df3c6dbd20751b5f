// The storage report on a real Postgres, driven through the index's own writers (the
// indexer's recordEdges, the root triggers, the collector's propagation and deletion): exact
// figures for a table, its clone sharing files, after the clone diverges, after expiry and
// after a collection; and at every step the same figures as a plain reachability query over
// every object, and child sums equal to what the edges say.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database, Db } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrator.js';
import {
  markForDeletion,
  recordDeleted,
  recordEdges,
  recountRevived,
  uncountReleased,
  type ChildObject,
} from '../../src/db/object-index-repository.js';
import { tableStorage, type TableStorage } from '../../src/db/storage-report-repository.js';
import { createDatabase, noPostgres } from '../support/test-catalog.js';

const WH = 's3://bucket/wh';

/** The report computed object by object, with no sums: what tableStorage must equal. */
async function referenceStorage(db: Db, tableId: string, location: string): Promise<TableStorage> {
  const prefix = location.replace(/\/+$/, '') + '/';
  const r = (
    await sql<Record<string, unknown>>`
    WITH root_refs AS (
      SELECT gc_canonical_uri(manifest_list) AS uri FROM snapshot WHERE table_id = ${tableId} AND manifest_list IS NOT NULL
      UNION ALL SELECT gc_canonical_uri(metadata_location) FROM metadata_file WHERE table_id = ${tableId}
    ), roots AS (
      SELECT o.object_id, o.size_bytes, o.edges_state, o.children_counted, (o.root_count = count(*) AND o.parent_count = 0) AS exclusive
      FROM root_refs r JOIN storage_object o ON o.uri = r.uri GROUP BY o.object_id
    ), second AS (
      SELECT c.object_id, c.size_bytes, c.edges_state, c.children_counted,
        (c.root_count = 0 AND c.parent_count = count(*) FILTER (WHERE p.exclusive AND p.children_counted)) AS exclusive
      FROM roots p JOIN object_edge e ON e.parent_id = p.object_id JOIN storage_object c ON c.object_id = e.child_id GROUP BY c.object_id
    ), third AS (
      SELECT c.object_id, c.size_bytes,
        (c.root_count = 0 AND c.parent_count = count(*) FILTER (WHERE p.exclusive AND p.children_counted)) AS exclusive
      FROM second p JOIN object_edge e ON e.parent_id = p.object_id JOIN storage_object c ON c.object_id = e.child_id GROUP BY c.object_id
    ), reach AS (
      SELECT object_id, size_bytes, exclusive FROM roots UNION ALL SELECT object_id, size_bytes, exclusive FROM second
      UNION ALL SELECT object_id, size_bytes, exclusive FROM third
    )
    SELECT (SELECT count(*) FROM reach) AS rf, (SELECT coalesce(sum(size_bytes), 0) FROM reach) AS rb,
      (SELECT count(*) FROM reach WHERE exclusive) AS ef, (SELECT coalesce(sum(size_bytes), 0) FROM reach WHERE exclusive) AS eb,
      (SELECT count(*) FROM storage_object o WHERE starts_with(o.uri, ${prefix}) AND o.state = 'live' AND o.released_at IS NULL
        AND o.object_id NOT IN (SELECT object_id FROM reach)) AS cf,
      (SELECT coalesce(sum(size_bytes), 0) FROM storage_object o WHERE starts_with(o.uri, ${prefix}) AND o.state = 'live'
        AND o.released_at IS NULL AND o.object_id NOT IN (SELECT object_id FROM reach)) AS cb,
      (SELECT count(*) FROM roots WHERE edges_state = 'pending') + (SELECT count(*) FROM second WHERE edges_state = 'pending') AS p`.execute(db)
  ).rows[0];
  const n = (k: string) => Number(r[k]);
  return {
    referencedFiles: n('rf'),
    referencedBytes: n('rb'),
    exclusiveFiles: n('ef'),
    exclusiveBytes: n('eb'),
    sharedFiles: n('rf') - n('ef'),
    sharedBytes: n('rb') - n('eb'),
    retainedForClonesFiles: n('cf'),
    retainedForClonesBytes: n('cb'),
    pendingObjects: n('p'),
  };
}

describe('storage report', { skip: noPostgres }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: Db;
  let warehouseId: string;
  const tables: Record<string, { id: string; location: string }> = {};
  let snapshotId = 1;

  before(async () => {
    database = await createDatabase('report');
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
    await migrate(db);
    warehouseId = randomUUID();
    await sql`INSERT INTO warehouse (warehouse_id, name, location, managed_root) VALUES (${warehouseId}, 'wh', ${WH}, true)`.execute(db);
    for (const name of ['a', 'b']) {
      const id = randomUUID();
      tables[name] = { id, location: `${WH}/${name}` };
      await sql`INSERT INTO iceberg_table (table_id, warehouse_id, name, table_uuid, location, format_version, metadata_location, metadata_json, version)
        VALUES (${id}, ${warehouseId}, ${name}, ${id}, ${`${WH}/${name}`}, 2, 'unused', '{}', 1)`.execute(db);
    }
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const addSnapshot = async (table: string, list: string) => {
    const id = snapshotId++;
    await sql`INSERT INTO snapshot (table_id, snapshot_id, sequence_number, timestamp_ms, manifest_list)
      VALUES (${tables[table].id}, ${id}, ${id}, 0, ${list})`.execute(db);
    return id;
  };
  const expire = (table: string, id: number) => sql`DELETE FROM snapshot WHERE table_id = ${tables[table].id} AND snapshot_id = ${id}`.execute(db);
  const objectId = async (uri: string) =>
    Number((await sql<{ object_id: unknown }>`SELECT object_id FROM storage_object WHERE uri = ${uri}`.execute(db)).rows[0].object_id);
  /** What the indexer records after reading `uri`. */
  const index = async (uri: string, size: number, children: [string, number | null][]) => {
    const id = await objectId(uri);
    const kids: ChildObject[] = children.map(([u, s]) => ({ uri: u, kind: u.includes('/data/') ? 'data' : 'manifest', sizeBytes: s }));
    await db.transaction().execute((tx) => recordEdges(tx, id, kids, size));
  };
  const propagate = () =>
    db.transaction().execute(async (tx) => {
      while ((await recountRevived(tx, 100)).parents + (await uncountReleased(tx, 100)) > 0);
    });
  const collect = async () => {
    await propagate();
    const marked = await db.transaction().execute((tx) => markForDeletion(tx, randomUUID(), 0, 1000));
    await recordDeleted(db, marked.map((o) => o.id));
    return marked.map((o) => o.uri).sort();
  };

  /** Each table's report equals the reference, and every child sum equals its edges. */
  const check = async () => {
    const reports: Record<string, TableStorage> = {};
    for (const [name, t] of Object.entries(tables)) {
      reports[name] = await tableStorage(db, t.id, t.location);
      assert.deepEqual(reports[name], await referenceStorage(db, t.id, t.location), `table ${name}`);
    }
    const sums = await sql<{ parent_id: unknown; dir: string; files: unknown; bytes: unknown; edges_files: unknown; edges_bytes: unknown }>`
      SELECT r.parent_id, r.dir, r.files, r.bytes, coalesce(e.files, 0) AS edges_files, coalesce(e.bytes, 0) AS edges_bytes
      FROM child_rollup r FULL JOIN (
        SELECT e.parent_id, gc_uri_dir(c.uri) AS dir, count(*) AS files, sum(c.size_bytes) AS bytes
        FROM object_edge e JOIN storage_object c ON c.object_id = e.child_id WHERE NOT c.multi_ref GROUP BY 1, 2) e
      USING (parent_id, dir)
      WHERE coalesce(r.files, 0) <> coalesce(e.files, 0) OR coalesce(r.bytes, 0) <> coalesce(e.bytes, 0)`.execute(db);
    assert.deepEqual(sums.rows, [], 'child_rollup equals the unflagged edges');
    const loose = await sql<{ uri: string }>`
      SELECT c.uri FROM storage_object c JOIN object_edge e ON e.child_id = c.object_id
      WHERE NOT c.multi_ref OR e.multi_ref <> c.multi_ref
      GROUP BY c.object_id HAVING bool_or(e.multi_ref <> c.multi_ref) OR count(*) > 1 OR bool_or(c.root_count > 0)
        OR bool_or(c.size_bytes IS NULL)`.execute(db);
    assert.deepEqual(loose.rows, [], 'an unflagged child has one edge, no root and a size');
    return reports;
  };

  const figures = (r: TableStorage) => [
    r.referencedFiles,
    r.referencedBytes,
    r.exclusiveFiles,
    r.exclusiveBytes,
    r.retainedForClonesFiles,
    r.retainedForClonesBytes,
  ];

  test('a table, its clone, divergence, expiry and collection: exact figures at every step', async () => {
    const a = `${WH}/a`;
    const b = `${WH}/b`;
    // Table a: snapshot 1 names m1 (a1, a2); snapshot 2 names m1 and m2 (a2 again, a3).
    const s1 = await addSnapshot('a', `${a}/metadata/l1.avro`);
    await index(`${a}/metadata/l1.avro`, 10, [[`${a}/metadata/m1.avro`, 100]]);
    const s2 = await addSnapshot('a', `${a}/metadata/l2.avro`);
    await index(`${a}/metadata/l2.avro`, 20, [
      [`${a}/metadata/m1.avro`, 100],
      [`${a}/metadata/m2.avro`, 200],
    ]);
    let r = await check();
    assert.equal(r.a.pendingObjects, 2);
    await index(`${a}/metadata/m1.avro`, 100, [
      [`${a}/data/a1.parquet`, 1000],
      [`${a}/data/a2.parquet`, 2000],
    ]);
    await index(`${a}/metadata/m2.avro`, 200, [
      [`${a}/data/a2.parquet`, 2000],
      [`${a}/data/a3.parquet`, 3000],
    ]);
    r = await check();
    // l1 l2 m1 m2 a1 a2 a3, all only a's.
    assert.deepEqual(figures(r.a), [7, 6330, 7, 6330, 0, 0]);
    assert.equal(r.a.pendingObjects, 0);

    // b clones a at snapshot 2: one more root on l2, nothing under it copied.
    const c2 = await addSnapshot('b', `${a}/metadata/l2.avro`);
    r = await check();
    // Only l1 stays a's alone (m1 is also named by l2, which b holds).
    assert.deepEqual(figures(r.a), [7, 6330, 1, 10, 0, 0]);
    assert.deepEqual(figures(r.b), [6, 6320, 0, 0, 0, 0]);

    // b diverges: its own list names m2 and its new m3 (b1, and a1 again).
    const c3 = await addSnapshot('b', `${b}/metadata/l3.avro`);
    await index(`${b}/metadata/l3.avro`, 30, [
      [`${a}/metadata/m2.avro`, 200],
      [`${b}/metadata/m3.avro`, 300],
    ]);
    await index(`${b}/metadata/m3.avro`, 300, [
      [`${a}/data/a1.parquet`, 1000],
      [`${b}/data/b1.parquet`, 5000],
      [`${b}/data/b2.parquet`, null],
    ]);
    r = await check();
    // b's own: l3, m3, b1 and b2 (no size: a file, no bytes).
    assert.deepEqual(figures(r.b), [10, 11650, 4, 5330, 0, 0]);

    // a moves on (m4: a4, a5) and expires both old snapshots; b still holds l2.
    await addSnapshot('a', `${a}/metadata/l4.avro`);
    await index(`${a}/metadata/l4.avro`, 40, [[`${a}/metadata/m4.avro`, 400]]);
    await index(`${a}/metadata/m4.avro`, 400, [
      [`${a}/data/a4.parquet`, 4000],
      [`${a}/data/a5.parquet`, 4500],
    ]);
    await expire('a', s1);
    await expire('a', s2);
    r = await check();
    await propagate();
    r = await check();
    // a: l4 m4 a4 a5, all its own; l2 m1 m2 a1 a2 a3 are under a's location and only b keeps them.
    assert.deepEqual(figures(r.a), [4, 8940, 4, 8940, 6, 6320]);
    assert.deepEqual(await collect(), [`${a}/metadata/l1.avro`]);
    r = await check();
    assert.deepEqual(figures(r.a), [4, 8940, 4, 8940, 6, 6320]);

    // b expires the cloned snapshot: l2 and m1 go; a2 stays, m2 (which b's l3 names) names it too.
    await expire('b', c2);
    await propagate();
    r = await check();
    assert.deepEqual(figures(r.a), [4, 8940, 4, 8940, 4, 6200]);
    assert.deepEqual(await collect(), [`${a}/metadata/l2.avro`, `${a}/metadata/m1.avro`]);
    r = await check();
    assert.deepEqual(figures(r.b), [8, 11530, 8, 11530, 0, 0]);

    // Dropping b (its roots go): everything of b's goes in one collection.
    await expire('b', c3);
    await propagate();
    await check();
    const gone = await collect();
    assert.equal(gone.length, 8);
    r = await check();
    assert.deepEqual(figures(r.b), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(figures(r.a), [4, 8940, 4, 8940, 0, 0]);
  });

  test('a root on a child takes it out of its parent\'s sums', async () => {
    const a = `${WH}/a`;
    // A broken client names a data file as a manifest list: it is now a root as well.
    const id = await addSnapshot('b', `${a}/data/a4.parquet`);
    const r = await check();
    assert.equal(r.a.exclusiveFiles, 3);
    await expire('b', id);
    await check();
  });
});
