-- One canonical spelling per object, and warehouse roots the catalog may delete under.
--
-- 1. gc_canonical_uri compared local paths as text, while the filesystem resolves `/./`,
--    `//` and `a/../`: one file spelled two ways was two objects, and dropping the table that
--    named it one way deleted a file another table still named the other way. Local paths are
--    now resolved lexically; S3 keys stay literal (S3 keeps `a//b` and `a/b` apart). The
--    TypeScript twin is canonicalObjectUri in src/gc/object-uri.ts; the two must agree.
-- 2. Existing rows are respelled. Rows that turn out to be one object are merged into one:
--    roots are summed, and the edges into and out of them are kept, deduplicated.
-- 3. warehouse.managed_root: the collector deletes (garbage and orphans) only under roots
--    the catalog created or the operator configured. Before, any request could create a
--    warehouse over any directory or bucket and have its files deleted. Existing warehouses
--    start unmanaged; at start the configured warehouse, and warehouses whose root lies under
--    CATALOG_WAREHOUSE_ALLOWED_ROOTS, become managed (src/main.ts).

CREATE OR REPLACE FUNCTION gc_canonical_uri(u text) RETURNS text IMMUTABLE STRICT LANGUAGE plpgsql AS $$
DECLARE
  rest text;
  after_slashes text;
  slash int;
  authority text;
  path text;
  segment text;
  segments text[] := '{}';
BEGIN
  -- Case is folded in ASCII only (COLLATE "C"), as JavaScript's toLowerCase does for these
  -- letters: under a UTF-8 locale lower() would also turn 'İ' into 'i'.
  IF lower(left(u, 6) COLLATE "C") ~ '^s3[an]?://' THEN
    RETURN 's3://' || substr(u, strpos(u, '://') + 3);
  END IF;
  IF lower(left(u, 5) COLLATE "C") <> 'file:' THEN
    RETURN u;
  END IF;
  rest := substr(u, 6);
  IF left(rest, 2) = '//' THEN
    after_slashes := substr(rest, 3);
    slash := strpos(after_slashes, '/');
    IF slash = 0 THEN RETURN u; END IF;
    authority := left(after_slashes, slash - 1);
    IF authority <> '' AND lower(authority COLLATE "C") <> 'localhost' THEN RETURN u; END IF;
    path := substr(after_slashes, slash);
  ELSIF left(rest, 1) = '/' THEN
    path := rest;
  ELSE
    RETURN u;
  END IF;
  FOREACH segment IN ARRAY string_to_array(path, '/') LOOP
    IF segment = '' OR segment = '.' THEN
      CONTINUE;
    ELSIF segment = '..' THEN
      segments := segments[1:cardinality(segments) - 1];
    ELSE
      segments := segments || segment;
    END IF;
  END LOOP;
  RETURN 'file:///' || array_to_string(segments, '/');
END
$$;

-- Every object whose spelling changes, with the objects it becomes one with.
CREATE TEMP TABLE respelled ON COMMIT DROP AS
  SELECT object_id, uri, gc_canonical_uri(uri) AS canonical, state, root_count, kind, released_at, first_seen_at
  FROM storage_object;
DELETE FROM respelled r WHERE NOT EXISTS (
  SELECT 1 FROM respelled x WHERE x.canonical = r.canonical AND x.uri <> x.canonical);

-- A respelled child leaves its parents' per-directory sums (they are keyed by its old
-- directory); it is counted one by one from now on, which is always exact.
SELECT gc_flag_multi_ref(array_agg(object_id)) FROM respelled;

-- Groups of several rows: the survivor is a live row if there is one, else the oldest.
CREATE TEMP TABLE merge_group ON COMMIT DROP AS
  SELECT r.object_id, r.canonical,
         first_value(r.object_id) OVER (PARTITION BY r.canonical ORDER BY (r.state = 'live') DESC, r.object_id) AS survivor
  FROM respelled r
  WHERE r.canonical IN (SELECT canonical FROM respelled GROUP BY canonical HAVING count(*) > 1);

-- The rows of a group are one file, so they name the same children: the survivor takes every
-- member's edges (deduplicated), and keeps the most advanced reading of the file. Its children
-- are flagged multi_ref first (leaving the per-directory sums of every member), so the storage
-- report counts them one by one; the sums of the members are then dropped.
CREATE TEMP TABLE merged_children ON COMMIT DROP AS
  SELECT DISTINCT e.child_id FROM object_edge e JOIN merge_group g ON g.object_id = e.parent_id;
SELECT gc_flag_multi_ref(array_agg(child_id)) FROM merged_children;
DELETE FROM child_rollup WHERE parent_id IN (SELECT object_id FROM merge_group);
INSERT INTO object_edge (parent_id, child_id, multi_ref)
  SELECT DISTINCT g.survivor, e.child_id, true FROM object_edge e JOIN merge_group g ON g.object_id = e.parent_id
  WHERE g.object_id <> g.survivor
ON CONFLICT (parent_id, child_id) DO NOTHING;
DELETE FROM object_edge WHERE parent_id IN (SELECT object_id FROM merge_group WHERE object_id <> survivor);

-- Edges into any of them now point at the survivor.
INSERT INTO object_edge (parent_id, child_id, multi_ref)
  SELECT DISTINCT e.parent_id, g.survivor, true FROM object_edge e JOIN merge_group g ON g.object_id = e.child_id
  WHERE g.object_id <> g.survivor
ON CONFLICT (parent_id, child_id) DO NOTHING;
DELETE FROM object_edge WHERE child_id IN (SELECT object_id FROM merge_group WHERE object_id <> survivor);

-- The survivor: every root of the group; read ('indexed', with the edges above) if any member
-- was, else as far as the best member got.
UPDATE storage_object s SET
  root_count = m.roots,
  size_bytes = coalesce(s.size_bytes, m.size_bytes),
  first_seen_at = m.first_seen_at,
  edges_state = m.edges_state,
  index_attempts = 0,
  index_error = NULL,
  multi_ref = true
FROM (SELECT g.survivor, sum(o.root_count) AS roots, max(o.size_bytes) AS size_bytes, min(o.first_seen_at) AS first_seen_at,
             (array_agg(o.edges_state ORDER BY array_position(ARRAY['indexed', 'leaf', 'pending', 'unreadable'], o.edges_state)))[1] AS edges_state
      FROM merge_group g JOIN storage_object o ON o.object_id = g.object_id GROUP BY g.survivor) m
WHERE s.object_id = m.survivor;

DELETE FROM storage_object WHERE object_id IN (SELECT object_id FROM merge_group WHERE object_id <> survivor);

-- The survivor counts its children exactly when it is live and read (the collector's
-- invariant); then parent_count, the number of edges from parents whose children are counted,
-- is recounted for the survivors and every child they name, and what nothing counts any more is
-- released.
UPDATE storage_object s SET children_counted = (s.edges_state = 'indexed' AND s.state = 'live'
    AND s.root_count + (SELECT count(*) FROM object_edge e JOIN storage_object p ON p.object_id = e.parent_id
                        WHERE e.child_id = s.object_id AND p.children_counted) > 0)
WHERE s.object_id IN (SELECT survivor FROM merge_group);
UPDATE storage_object s SET
  parent_count = c.n,
  released_at = CASE WHEN s.root_count + c.n = 0 THEN coalesce(s.released_at, now()) ELSE NULL END
FROM (SELECT o.object_id,
             (SELECT count(*) FROM object_edge e JOIN storage_object p ON p.object_id = e.parent_id
              WHERE e.child_id = o.object_id AND p.children_counted)::int AS n
      FROM storage_object o
      WHERE o.object_id IN (SELECT child_id FROM merged_children) OR o.object_id IN (SELECT survivor FROM merge_group)) c
WHERE s.object_id = c.object_id;

UPDATE storage_object s SET uri = r.canonical FROM respelled r WHERE s.object_id = r.object_id AND s.uri <> r.canonical;

ALTER TABLE warehouse ADD COLUMN managed_root boolean NOT NULL DEFAULT false;
