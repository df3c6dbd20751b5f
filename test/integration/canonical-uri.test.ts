// One spelling per object (migrations/20261201000000_canonical_uris.sql): the SQL function the
// root triggers use and the TypeScript one the indexer and the orphan listing use agree on
// every input, on Postgres and on the embedded database; and the migration merges rows that
// were one file spelled two ways, keeping every count right.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrate, readMigrations } from '../../src/db/migrator.js';
import { deletionCandidates } from '../../src/db/object-index-repository.js';
import { canonicalObjectUri } from '../../src/gc/object-uri.js';
import { adminDatabaseUrl, createDatabase } from '../support/test-catalog.js';

const MIGRATION = '20261201000000_canonical_uris.sql';

/** Fixed cases, and random strings built from the pieces that make spellings differ. */
function corpus(): string[] {
  const fixed = [
    'file:/tmp/w/x', 'file:///tmp/w/x', 'file://localhost/tmp/w/x', 'FILE://LOCALHOST/tmp/w/x', 'file://host/tmp/x',
    'file://x', 'file:', 'file:x', 'file:///', 'file:///..', 'file:///a/../../b', 'file:///a/./b//c/', 's3://b/k',
    's3a://b/a//b', 'S3N://b/./k', 's3x://b/k', 'gs://b/k', 'memory://w/x', '', '/tmp/x', 'file:///tmp/%2e%2e/x',
    'file:///tmp/ü/ß/x', 's3://b/ü//x', 'fİle:///a/./b', 'FİLE://LOCALHOST/w/../etc/x', 'file://LOCALHOST/a', 'ſ3://b/k',
    'file://localhoſt/a/./b',
  ];
  const pieces = ['file:', 'FILE:', 's3a:', 's3:', '//', '/', '.', '..', 'localhost', 'a', 'b', '%2e', ' ', 'ü'];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const generated = Array.from({ length: 400 }, () =>
    Array.from({ length: 1 + Math.floor(random() * 9) }, () => pieces[Math.floor(random() * pieces.length)]).join(''),
  );
  return [...fixed, ...generated];
}

async function sqlCanonical(handle: DatabaseHandle, uris: string[]): Promise<string[]> {
  const rows = await sql<{ c: string }>`SELECT gc_canonical_uri(u) AS c FROM unnest(${uris}::text[]) WITH ORDINALITY AS t(u, n) ORDER BY n`.execute(handle.db);
  return rows.rows.map((r) => r.c);
}

/** Every migration before the canonical-URI one, then rows as an older catalog left them. */
async function seedOldIndex(handle: DatabaseHandle) {
  const all = await readMigrations();
  await migrate(handle.db, all.filter((m) => m.name < MIGRATION));
  const insert = async (uri: string, kind: string, fields: Record<string, unknown> = {}) => {
    const row = await handle.db
      .insertInto('storage_object' as never)
      .values({ uri, kind, edges_state: kind === 'data' ? 'leaf' : 'indexed', size_bytes: 10, ...fields } as never)
      .returning('object_id' as never)
      .executeTakeFirstOrThrow();
    return Number((row as { object_id: unknown }).object_id);
  };
  const edge = (parent: number, child: number) => sql`INSERT INTO object_edge (parent_id, child_id) VALUES (${parent}, ${child})`.execute(handle.db);
  // Two live manifests, each naming the same data file its own way (the data-loss case).
  const m1 = await insert('file:///w/v/metadata/m1.avro', 'manifest', { parent_count: 1, children_counted: true });
  const m2 = await insert('file:///w/m/metadata/m2.avro', 'manifest', { parent_count: 1, children_counted: true });
  const plain = await insert('file:///w/v/data/x.parquet', 'data', { parent_count: 1 });
  const dotted = await insert('file:///w/v/./data/x.parquet', 'data', { parent_count: 1 });
  await edge(m1, plain);
  await edge(m2, dotted);
  await sql`INSERT INTO child_rollup (parent_id, dir, files, bytes) VALUES (${m1}, 'file:///w/v/data/', 1, 10), (${m2}, 'file:///w/v/./data/', 1, 10)`.execute(handle.db);
  // One manifest list spelled two ways, each a root, each indexed with the same child.
  const l1 = await insert('file:///w/v/metadata/snap.avro', 'manifest-list', { root_count: 1, children_counted: true });
  const l2 = await insert('file:///w/v//metadata/snap.avro', 'manifest-list', { root_count: 1, children_counted: true });
  const shared = await insert('file:///w/v/metadata/m3.avro', 'manifest', { parent_count: 2 });
  await edge(l1, shared);
  await edge(l2, shared);
  // An S3 key with // is its own object and keeps its spelling; s3a:// was already canonical.
  await insert('s3://b/w//k.parquet', 'data');
  return { plain, dotted, l1, l2, shared };
}

for (const backend of ['embedded', 'postgres', 'postgres-utf8'] as const) {
  describe(`canonical URIs on the ${backend} database`, { skip: backend !== 'embedded' && !adminDatabaseUrl ? 'no Postgres' : false }, () => {
    let handle: DatabaseHandle;
    let cleanup: () => Promise<void>;

    before(async () => {
      if (backend === 'embedded') {
        const dir = await mkdtemp(join(tmpdir(), 'canonical-uri-'));
        handle = await openDatabase({ embeddedDataDir: dir, poolSize: 1, statementTimeoutMs: 30_000, connectionTimeoutMs: 5_000 });
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const database = backend === 'postgres' ? await createDatabase('canonical') : await createDatabase('canonical_utf8', { locale: 'C.UTF-8' });
        handle = await openDatabase({ url: database.url, embeddedDataDir: '', poolSize: 2, statementTimeoutMs: 30_000, connectionTimeoutMs: 5_000 });
        cleanup = database.drop;
      }
    });

    after(async () => {
      await handle?.close();
      await cleanup?.();
    });

    test('the migration merges one file spelled two ways into one object, with its counts', async () => {
      const ids = await seedOldIndex(handle);
      await migrate(handle.db);
      const rows = await sql<{ object_id: unknown; uri: string; root_count: number; parent_count: number; edges_state: string; multi_ref: boolean; released_at: Date | null }>`
        SELECT object_id, uri, root_count, parent_count, edges_state, multi_ref, released_at FROM storage_object ORDER BY uri`.execute(handle.db);
      const byUri = new Map(rows.rows.map((r) => [r.uri, r]));
      assert.equal(rows.rows.filter((r) => r.uri.includes('/./') || r.uri.includes('v//')).length, 0, 'no old spelling is left');

      const data = byUri.get('file:///w/v/data/x.parquet')!;
      assert.equal(Number(data.object_id), ids.plain, 'the live row survives');
      assert.equal(data.parent_count, 2, 'both manifests count it: dropping either leaves it alive');
      assert.equal(data.released_at, null);
      assert.equal(data.multi_ref, true);
      const edges = await sql<{ n: unknown }>`SELECT count(*) AS n FROM object_edge WHERE child_id = ${ids.plain}`.execute(handle.db);
      assert.equal(Number(edges.rows[0].n), 2);
      const sums = await sql<{ files: unknown }>`SELECT coalesce(sum(files), 0) AS files FROM child_rollup`.execute(handle.db);
      assert.equal(Number(sums.rows[0].files), 0, 'the respelled child left both per-directory sums');

      const list = byUri.get('file:///w/v/metadata/snap.avro')!;
      assert.equal(list.root_count, 2, 'both roots are kept');
      assert.equal(list.edges_state, 'indexed', 'the merged object keeps what was read of the file');
      const shared = byUri.get('file:///w/v/metadata/m3.avro')!;
      assert.equal(shared.parent_count, 1, 'the one file names its child once');
      assert.equal(shared.released_at, null);
      const listEdges = await sql<{ n: unknown }>`SELECT count(*) AS n FROM object_edge WHERE child_id = ${ids.shared}`.execute(handle.db);
      assert.equal(Number(listEdges.rows[0].n), 1);
      const candidates = await deletionCandidates(handle.db, 0, 100, 0);
      assert.deepEqual(candidates.map((c) => c.uri), [], 'nothing live became deletable');

      assert.ok(byUri.has('s3://b/w//k.parquet'), 'S3 keys keep their spelling');
    });

    test('gc_canonical_uri (SQL) and canonicalObjectUri (TypeScript) agree on every input', async () => {
      const uris = corpus();
      const fromSql = await sqlCanonical(handle, uris);
      const mismatches = uris.filter((u, i) => fromSql[i] !== canonicalObjectUri(u));
      assert.deepEqual(mismatches.map((u) => [u, canonicalObjectUri(u), fromSql[uris.indexOf(u)]]), []);
    });
  });
}
