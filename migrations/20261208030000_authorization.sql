-- Authorization (docs/security.md): owners, roles, grants down the namespace tree.
--
-- Who made a warehouse, namespace, table or view (the caller of the create, register or
-- clone) owns it: the owner holds every privilege on it and on everything below it. NULL for
-- objects made before this migration (only grants and administrators reach those).
ALTER TABLE warehouse ADD COLUMN owner text;
ALTER TABLE namespace ADD COLUMN owner text;
ALTER TABLE iceberg_table ADD COLUMN owner text;

-- Roles are held by principals, by identity-provider groups, and by other roles.
CREATE TABLE auth_role (
    name       text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text
);
CREATE TABLE auth_role_member (
    role        text NOT NULL REFERENCES auth_role (name) ON DELETE CASCADE,
    member_kind text NOT NULL CHECK (member_kind IN ('principal', 'group', 'role')),
    member      text NOT NULL,
    PRIMARY KEY (role, member_kind, member)
);
CREATE INDEX auth_role_member_member ON auth_role_member (member_kind, member);

-- A privilege on one securable, granted to a principal, a group or a role. It applies to the
-- securable and everything below it (a warehouse's namespaces, a namespace's children, tables
-- and views). securable_id is the row's id (warehouse, namespace, or iceberg_table for tables
-- and views); ids are never reused, so a grant on something purged matches nothing.
CREATE TABLE auth_grant (
    securable_id   uuid NOT NULL,
    securable_kind text NOT NULL CHECK (securable_kind IN ('warehouse', 'namespace', 'table', 'view')),
    grantee_kind   text NOT NULL CHECK (grantee_kind IN ('principal', 'group', 'role')),
    grantee        text NOT NULL,
    privilege      text NOT NULL,
    granted_by     text,
    granted_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (securable_id, grantee_kind, grantee, privilege)
);
CREATE INDEX auth_grant_grantee ON auth_grant (grantee_kind, grantee);

-- Replicas cache decisions; every change to roles, members or grants moves this counter, and a
-- replica that sees it moved (it looks at most every second) forgets what it cached.
CREATE TABLE auth_epoch (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch     bigint NOT NULL DEFAULT 0
);
INSERT INTO auth_epoch DEFAULT VALUES;

CREATE FUNCTION auth_bump_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE auth_epoch SET epoch = epoch + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER auth_role_changed AFTER INSERT OR UPDATE OR DELETE ON auth_role FOR EACH STATEMENT EXECUTE FUNCTION auth_bump_epoch();
CREATE TRIGGER auth_role_member_changed AFTER INSERT OR UPDATE OR DELETE ON auth_role_member FOR EACH STATEMENT EXECUTE FUNCTION auth_bump_epoch();
CREATE TRIGGER auth_grant_changed AFTER INSERT OR UPDATE OR DELETE ON auth_grant FOR EACH STATEMENT EXECUTE FUNCTION auth_bump_epoch();
