-- Per-parent totals of children, so the storage report reads one row per manifest and
-- directory instead of one per data file (docs/architecture.md, "Storage report").
--
-- Most data files are named by one manifest and nothing else. For such a child the report
-- needs nothing of its own: it is reached exactly when its parent is, its count follows the
-- parent's children_counted, and it is live exactly then. So those children are summed per
-- (parent, directory) in child_rollup, and only the others are flagged multi_ref and looked
-- at one by one. A child is left out of the sums (multi_ref) as soon as any of these holds:
-- a second edge into it, a root on it, no size, or a count that does not follow its parent
-- (a reference refused because the child was already being deleted). The flag is never
-- cleared: a flagged child is always counted exactly, only more slowly.

ALTER TABLE storage_object ADD COLUMN multi_ref boolean NOT NULL DEFAULT false;
-- A copy of the child's flag, so the flagged children of a parent are found by an index.
ALTER TABLE object_edge ADD COLUMN multi_ref boolean NOT NULL DEFAULT false;
CREATE INDEX object_edge_multi_ref ON object_edge (parent_id) WHERE multi_ref;
-- The objects the report reads one by one under a table's location (retained for clones).
CREATE INDEX storage_object_tracked ON storage_object (uri text_pattern_ops) WHERE root_count > 0 OR multi_ref;

-- The directory of a URI, with its trailing slash: a file is under a location (which ends
-- with a slash) exactly when its directory is.
CREATE FUNCTION gc_uri_dir(u text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT substr(u, 1, length(u) - strpos(reverse(u), '/') + 1)
$$;

-- The children of parent_id that are not multi_ref, by directory.
CREATE TABLE child_rollup (
    parent_id bigint NOT NULL,
    dir       text NOT NULL,
    files     bigint NOT NULL,
    bytes     bigint NOT NULL,
    PRIMARY KEY (parent_id, dir)
);
CREATE INDEX child_rollup_dir ON child_rollup (dir text_pattern_ops);

-- Flags objects multi_ref and takes them out of their parent's sums. Callers hold the rows
-- locked (or are the collector, the only writer of counts), so no sum is taken out twice.
CREATE FUNCTION gc_flag_multi_ref(ids bigint[]) RETURNS void LANGUAGE sql AS $$
  WITH flagged AS (
    UPDATE storage_object SET multi_ref = true WHERE object_id = ANY(ids) AND NOT multi_ref
    RETURNING object_id, uri, size_bytes
  ), edges AS (
    UPDATE object_edge e SET multi_ref = true FROM flagged f
    WHERE e.child_id = f.object_id AND NOT e.multi_ref
    RETURNING e.parent_id, f.uri, f.size_bytes
  )
  UPDATE child_rollup r SET files = r.files - d.files, bytes = r.bytes - d.bytes
  FROM (SELECT parent_id, gc_uri_dir(uri) AS dir, count(*) AS files, coalesce(sum(size_bytes), 0) AS bytes
        FROM edges GROUP BY 1, 2) d
  WHERE r.parent_id = d.parent_id AND r.dir = d.dir
$$;

-- As in 20261122000000_object_index.sql, plus: a root on an object that has parents takes it
-- out of their sums (its count no longer follows its one parent).
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
  VALUES (canonical, p_kind, 1, 'pending')
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

-- Backfill: flag what is not a plain single-parent child, then sum the rest.
UPDATE storage_object c SET multi_ref = true
FROM (SELECT e.child_id, count(*) AS n, bool_and(p.children_counted) AS counted
      FROM object_edge e LEFT JOIN storage_object p ON p.object_id = e.parent_id GROUP BY e.child_id) e
WHERE c.object_id = e.child_id
  AND (e.n > 1 OR c.root_count > 0 OR c.size_bytes IS NULL
       OR c.parent_count IS DISTINCT FROM CASE WHEN e.counted THEN 1 WHEN NOT e.counted THEN 0 END);
UPDATE object_edge e SET multi_ref = true FROM storage_object c WHERE c.object_id = e.child_id AND c.multi_ref;
INSERT INTO child_rollup (parent_id, dir, files, bytes)
SELECT e.parent_id, gc_uri_dir(c.uri), count(*), sum(c.size_bytes)
FROM object_edge e JOIN storage_object c ON c.object_id = e.child_id
WHERE NOT e.multi_ref
GROUP BY 1, 2;
