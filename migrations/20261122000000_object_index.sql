-- The garbage collector's object index (design: clones-and-gc.md).
--
-- Every file the collector knows is one storage_object row, named by its canonical URI. Its
-- reference count is root_count (snapshot rows naming it as manifest list, metadata_file rows
-- naming it) plus parent_count (edges from parents whose children are counted). Roots are
-- maintained by triggers, in the committing transaction; edges are read later, once per
-- object, by the collector, which is also the only writer of parent_count and
-- children_counted. The collector runs on one replica at a time, so those two columns never
-- see concurrent writers.
--
-- The index is global, not per warehouse: a warehouse clone creates a new warehouse whose
-- tables reference files under the source warehouse's root.

-- The one spelling of a URI the index uses: Java writes file:/x, Spark may write s3a://.
CREATE FUNCTION gc_canonical_uri(u text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE
    WHEN u ~ '^file:/[^/]' THEN 'file:///' || substr(u, 7)
    WHEN u ~ '^s3[an]://' THEN 's3://' || substr(u, 7)
    ELSE u
  END
$$;

CREATE TABLE storage_object (
    object_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri              text NOT NULL UNIQUE,
    -- metadata, manifest-list, manifest, data, position-deletes, equality-deletes,
    -- statistics, partition-statistics
    kind             text NOT NULL,
    size_bytes       bigint,
    root_count       integer NOT NULL DEFAULT 0,
    parent_count     integer NOT NULL DEFAULT 0,
    -- pending: children not read yet; indexed; unreadable: the file was missing when read;
    -- leaf: a kind that names no other file.
    edges_state      text NOT NULL CHECK (edges_state IN ('pending', 'indexed', 'unreadable', 'leaf')),
    -- True while this object's edges are counted in its children's parent_count. The
    -- collector keeps it equal to "count > 0 and indexed".
    children_counted boolean NOT NULL DEFAULT false,
    -- live, or in the two phases of deletion: marked (deleting), then gone (deleted, kept a
    -- while as a tombstone so a late reference to it is reported instead of resurrected).
    state            text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'deleting', 'deleted')),
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    -- When the count last reached zero; NULL while the count is positive.
    released_at      timestamptz,
    deleting_run     uuid,
    deleted_at       timestamptz,
    index_attempts   integer NOT NULL DEFAULT 0,
    index_error      text
);
-- The collector's work queues; each is a partial index, so a run costs what is in the
-- queue, never what is live.
CREATE INDEX storage_object_pending ON storage_object (first_seen_at) WHERE edges_state = 'pending';
CREATE INDEX storage_object_released ON storage_object (released_at) WHERE released_at IS NOT NULL AND state = 'live';
CREATE INDEX storage_object_to_uncount ON storage_object (object_id) WHERE released_at IS NOT NULL AND children_counted;
CREATE INDEX storage_object_to_recount ON storage_object (object_id)
    WHERE released_at IS NULL AND NOT children_counted AND edges_state = 'indexed';
CREATE INDEX storage_object_unreadable ON storage_object (object_id) WHERE edges_state = 'unreadable';
CREATE INDEX storage_object_deleting ON storage_object (object_id) WHERE state = 'deleting';
CREATE INDEX storage_object_tombstones ON storage_object (deleted_at) WHERE state = 'deleted';
-- Prefix scans (a table's location, a warehouse root) for storage accounting.
CREATE INDEX storage_object_uri_prefix ON storage_object (uri text_pattern_ops);

-- parent -> child, fixed when the parent was written. No foreign keys: edges are written in
-- bulk by the indexer and removed with their objects by the collector.
CREATE TABLE object_edge (
    parent_id bigint NOT NULL,
    child_id  bigint NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX object_edge_child ON object_edge (child_id);

-- A root that brings an object back from a count of zero after the collector uncounted its
-- children takes this lock shared; the collector takes it exclusively to count them again
-- before it marks anything, so it never marks a child of an object that just came back.
CREATE FUNCTION gc_root_added(p_uri text, p_kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  canonical text := gc_canonical_uri(p_uri);
  o storage_object%ROWTYPE;
  locked boolean := false;
BEGIN
  SELECT * INTO o FROM storage_object WHERE uri = canonical;
  IF FOUND AND o.root_count + o.parent_count = 0 AND o.edges_state = 'indexed' AND NOT o.children_counted THEN
    PERFORM pg_advisory_xact_lock_shared(7262351000);
    locked := true;
  END IF;
  INSERT INTO storage_object AS s (uri, kind, root_count, edges_state)
  VALUES (canonical, p_kind, 1, 'pending')
  ON CONFLICT (uri) DO UPDATE SET root_count = s.root_count + 1, released_at = NULL
  RETURNING * INTO o;
  IF o.state <> 'live' THEN
    RAISE EXCEPTION 'file % was deleted by the garbage collector', canonical USING ERRCODE = '55G01';
  END IF;
  IF NOT locked AND o.root_count + o.parent_count = 1 AND o.edges_state = 'indexed' AND NOT o.children_counted THEN
    PERFORM pg_advisory_xact_lock_shared(7262351000);
  END IF;
END
$$;

CREATE FUNCTION gc_root_removed(p_uri text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE storage_object SET
    root_count = greatest(root_count - 1, 0),
    released_at = CASE WHEN greatest(root_count - 1, 0) + parent_count = 0 THEN now() ELSE released_at END
  WHERE uri = gc_canonical_uri(p_uri);
END
$$;

CREATE FUNCTION gc_snapshot_roots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.manifest_list IS NOT NULL THEN
    PERFORM gc_root_removed(OLD.manifest_list);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.manifest_list IS NOT NULL THEN
    PERFORM gc_root_added(NEW.manifest_list, 'manifest-list');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER snapshot_roots_insert AFTER INSERT ON snapshot FOR EACH ROW EXECUTE FUNCTION gc_snapshot_roots();
CREATE TRIGGER snapshot_roots_delete AFTER DELETE ON snapshot FOR EACH ROW EXECUTE FUNCTION gc_snapshot_roots();
CREATE TRIGGER snapshot_roots_update AFTER UPDATE OF manifest_list ON snapshot FOR EACH ROW
    WHEN (OLD.manifest_list IS DISTINCT FROM NEW.manifest_list) EXECUTE FUNCTION gc_snapshot_roots();

CREATE FUNCTION gc_metadata_file_roots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM gc_root_removed(OLD.metadata_location);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM gc_root_added(NEW.metadata_location, 'metadata');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER metadata_file_roots_insert AFTER INSERT ON metadata_file FOR EACH ROW EXECUTE FUNCTION gc_metadata_file_roots();
CREATE TRIGGER metadata_file_roots_delete AFTER DELETE ON metadata_file FOR EACH ROW EXECUTE FUNCTION gc_metadata_file_roots();
CREATE TRIGGER metadata_file_roots_update AFTER UPDATE OF metadata_location ON metadata_file FOR EACH ROW
    WHEN (OLD.metadata_location IS DISTINCT FROM NEW.metadata_location) EXECUTE FUNCTION gc_metadata_file_roots();

-- Roots that existed before the index: counted once here, read by the first run.
INSERT INTO storage_object (uri, kind, root_count, edges_state)
SELECT gc_canonical_uri(manifest_list), 'manifest-list', count(*), 'pending'
FROM snapshot WHERE manifest_list IS NOT NULL GROUP BY 1;
INSERT INTO storage_object (uri, kind, root_count, edges_state)
SELECT gc_canonical_uri(metadata_location), 'metadata', count(*), 'pending'
FROM metadata_file GROUP BY 1
ON CONFLICT (uri) DO UPDATE SET root_count = storage_object.root_count + excluded.root_count;

-- One row per collection run: who ran it, what it did, how far it got.
CREATE TABLE gc_run (
    run_id       uuid PRIMARY KEY,
    trigger      text NOT NULL,
    dry_run      boolean NOT NULL,
    orphans      text NOT NULL,
    grace_ms     bigint NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    phase        text NOT NULL,
    owner        text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    counts       jsonb NOT NULL DEFAULT '{}',
    errors       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX gc_run_started ON gc_run (started_at DESC);

-- What a dry run found: each file that would be deleted, and why.
CREATE TABLE gc_run_file (
    run_id     uuid NOT NULL REFERENCES gc_run (run_id) ON DELETE CASCADE,
    uri        text NOT NULL,
    kind       text NOT NULL,
    size_bytes bigint,
    reason     text NOT NULL,
    PRIMARY KEY (run_id, uri)
);
