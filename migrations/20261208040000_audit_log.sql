-- The audit log: every mutation and every denied request, with who, what, on what, the
-- decision and the outcome. Rows are only ever inserted, and deleted past the retention
-- (CATALOG_AUDIT_RETENTION_DAYS).
CREATE TABLE audit_event (
    event_id      bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    request_id    text,
    -- Null for a request refused before it named anyone (no or bad token).
    principal     text,
    via           text,
    -- The operation id of openapi/catalog.yaml (createTable, cloneNamespace...), or
    -- gcRunFinished for a collection's end.
    action        text NOT NULL,
    decision      text NOT NULL CHECK (decision IN ('allowed', 'denied')),
    status        integer,
    error_type    text,
    warehouse_id  uuid,
    object_kind   text,
    object_name   text,
    -- Every securable the request acted on, with the namespaces and warehouse above them:
    -- "everything that happened on or below X" is X = ANY(securable_ids), across renames.
    securable_ids uuid[] NOT NULL DEFAULT '{}',
    detail        jsonb
);
CREATE INDEX audit_event_at ON audit_event (at);
CREATE INDEX audit_event_principal ON audit_event (principal, event_id);
CREATE INDEX audit_event_securables ON audit_event USING gin (securable_ids);
