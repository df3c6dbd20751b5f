-- Roots added by an INSERT are counted once per statement, not once per row (issue 14,
-- set-based clones): a namespace clone inserts thousands of snapshot and metadata_file rows in
-- one statement each, and a row trigger ran gc_root_added once per row (about 55 us each, most
-- of the insert's time). The statement triggers below read the inserted rows from their
-- transition table and do what gc_root_added does (20261208000000_views.sql), for all of them
-- at once:
--   1. take the shared collector lock when an object comes back from a count of zero after
--      its children were uncounted (checked before the upsert, and again on the upserted rows,
--      as gc_root_added does for a concurrent change in between);
--   2. upsert the objects, adding to each count how many of the rows name it;
--   3. refuse (55G01) an object the collector is deleting or deleted;
--   4. flag an object that also has parents as multi-referenced.
-- Updates and deletes keep their row triggers: they come one table at a time.
CREATE FUNCTION gc_roots_added(p_uris text[], p_kinds text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  a_uris text[];
  a_kinds text[];
  a_counts bigint[];
  gone text;
  multi bigint[];
  relock boolean;
BEGIN
  IF coalesce(cardinality(p_uris), 0) = 0 THEN
    RETURN;
  END IF;
  -- One entry per object, in URI order (so two such statements lock rows in the same order).
  SELECT array_agg(uri ORDER BY uri), array_agg(kind ORDER BY uri), array_agg(n ORDER BY uri)
  INTO a_uris, a_kinds, a_counts
  FROM (SELECT gc_canonical_uri(u) AS uri, min(k) AS kind, count(*) AS n FROM unnest(p_uris, p_kinds) AS x(u, k) GROUP BY 1) g;

  IF EXISTS (SELECT 1 FROM storage_object o WHERE o.uri = ANY(a_uris)
             AND o.root_count + o.parent_count = 0 AND o.edges_state = 'indexed' AND NOT o.children_counted) THEN
    PERFORM pg_advisory_xact_lock_shared(7262351000);
  END IF;

  WITH added AS (
    SELECT * FROM unnest(a_uris, a_kinds, a_counts) AS a(uri, kind, n)
  ), upserted AS (
    INSERT INTO storage_object AS s (uri, kind, root_count, edges_state)
    SELECT a.uri, a.kind, a.n, CASE WHEN a.kind = 'view-metadata' THEN 'leaf' ELSE 'pending' END FROM added a ORDER BY a.uri
    ON CONFLICT (uri) DO UPDATE SET root_count = s.root_count + excluded.root_count, released_at = NULL
    RETURNING s.object_id, s.uri, s.state, s.root_count, s.parent_count, s.edges_state, s.children_counted, s.multi_ref
  ), checked AS (
    SELECT u.*, a.n FROM upserted u JOIN added a ON a.uri = u.uri
  )
  SELECT
    (SELECT min(c.uri) FROM checked c WHERE c.state <> 'live'),
    ARRAY(SELECT c.object_id FROM checked c WHERE NOT c.multi_ref AND EXISTS (SELECT 1 FROM object_edge e WHERE e.child_id = c.object_id)),
    EXISTS (SELECT 1 FROM checked c WHERE c.root_count + c.parent_count - c.n = 0 AND c.edges_state = 'indexed' AND NOT c.children_counted)
  INTO gone, multi, relock;

  IF gone IS NOT NULL THEN
    RAISE EXCEPTION 'file % was deleted by the garbage collector', gone USING ERRCODE = '55G01';
  END IF;
  -- An object that came back from zero through a change between the check above and the
  -- upsert: the lock is taken now, as gc_root_added does.
  IF relock THEN
    PERFORM pg_advisory_xact_lock_shared(7262351000);
  END IF;
  IF cardinality(multi) > 0 THEN
    PERFORM gc_flag_multi_ref(multi);
  END IF;
END
$$;

CREATE FUNCTION gc_snapshot_roots_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_roots_added(
    ARRAY(SELECT manifest_list FROM inserted WHERE manifest_list IS NOT NULL),
    ARRAY(SELECT 'manifest-list'::text FROM inserted WHERE manifest_list IS NOT NULL));
  RETURN NULL;
END
$$;

CREATE FUNCTION gc_metadata_file_roots_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  uris text[];
  kinds text[];
BEGIN
  SELECT array_agg(i.metadata_location), array_agg(CASE WHEN t.kind = 'view' THEN 'view-metadata' ELSE 'metadata' END)
  INTO uris, kinds
  FROM inserted i LEFT JOIN iceberg_table t ON t.table_id = i.table_id;
  PERFORM gc_roots_added(uris, kinds);
  RETURN NULL;
END
$$;

DROP TRIGGER snapshot_roots_insert ON snapshot;
CREATE TRIGGER snapshot_roots_insert AFTER INSERT ON snapshot REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION gc_snapshot_roots_inserted();
DROP TRIGGER metadata_file_roots_insert ON metadata_file;
CREATE TRIGGER metadata_file_roots_insert AFTER INSERT ON metadata_file REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION gc_metadata_file_roots_inserted();

-- First metadata files of a tree clone, written after its transaction commits (src/clones/
-- pending-metadata.ts): a namespace or warehouse clone answers without waiting for thousands of
-- object-store writes. The table's row already holds the document (loads are served from it);
-- this row holds it until the file exists. `uri` is the canonical form storage_object uses:
-- the collector's indexer leaves such an object pending (unread) until the file is written.
-- A table purged meanwhile takes its rows with it.
CREATE TABLE pending_metadata_file (
    metadata_location text PRIMARY KEY,
    uri               text NOT NULL,
    table_id          uuid NOT NULL REFERENCES iceberg_table (table_id) ON DELETE CASCADE,
    metadata_json     text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_metadata_file_uri ON pending_metadata_file (uri);
CREATE INDEX pending_metadata_file_table ON pending_metadata_file (table_id);
