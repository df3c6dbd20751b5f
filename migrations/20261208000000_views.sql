-- Iceberg views (spec: the view routes; view-spec.md).
--
-- A view is a row of iceberg_table with kind = 'view', as Lakekeeper keeps tables and views in
-- one "tabular" table: tables and views share one identifier space per namespace (spec: a view
-- cannot take a table's name and vice versa), and the existing partial unique index on
-- (namespace_id, name) enforces that for both kinds at once, race-free. Views get everything
-- the row already gives tables: restorable drops, clone TTLs, lineage, the location overlap
-- check, and metadata_file rows, whose trigger roots the view's metadata file for the
-- collector. Views have no snapshot or ref rows.
ALTER TABLE iceberg_table ADD COLUMN kind text NOT NULL DEFAULT 'table' CHECK (kind IN ('table', 'view'));

-- A view metadata file names no other file, so the collector never reads it: it enters the
-- index as a leaf of kind 'view-metadata' (reading it as table metadata would find it malformed,
-- and an unreadable metadata file holds the sweep back).
CREATE OR REPLACE FUNCTION gc_root_added(p_uri text, p_kind text) RETURNS void LANGUAGE plpgsql AS $$
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
  VALUES (canonical, p_kind, 1, CASE WHEN p_kind = 'view-metadata' THEN 'leaf' ELSE 'pending' END)
  ON CONFLICT (uri) DO UPDATE SET root_count = s.root_count + 1, released_at = NULL
  RETURNING * INTO o;
  IF o.state <> 'live' THEN
    RAISE EXCEPTION 'file % was deleted by the garbage collector', canonical USING ERRCODE = '55G01';
  END IF;
  IF NOT locked AND o.root_count + o.parent_count = 1 AND o.edges_state = 'indexed' AND NOT o.children_counted THEN
    PERFORM pg_advisory_xact_lock_shared(7262351000);
  END IF;
  IF NOT o.multi_ref AND EXISTS (SELECT 1 FROM object_edge WHERE child_id = o.object_id) THEN
    PERFORM gc_flag_multi_ref(ARRAY[o.object_id]);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION gc_metadata_file_roots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM gc_root_removed(OLD.metadata_location);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM gc_root_added(NEW.metadata_location,
      CASE WHEN (SELECT kind FROM iceberg_table WHERE table_id = NEW.table_id) = 'view' THEN 'view-metadata' ELSE 'metadata' END);
  END IF;
  RETURN NULL;
END
$$;
