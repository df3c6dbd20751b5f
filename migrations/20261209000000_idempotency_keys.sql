-- Idempotency keys (the spec's Idempotency-Key header on mutations): the first answer for a
-- key is kept and replayed to repeats within the advertised lifetime.
--
-- `attempt` fences the work: the mutation's own transactions set `landed` only while their
-- attempt still holds the key (src/db/idempotency-fence.ts), so an attempt a retry took over
-- can no longer change anything, and a retry never re-runs work that already landed.
CREATE TABLE idempotency_key (
    principal    text NOT NULL,
    key          uuid NOT NULL,
    -- sha256 of the method, route, parameters and body: a repeat must be the same request.
    fingerprint  text NOT NULL,
    operation    text NOT NULL,
    attempt      uuid NOT NULL,
    state        text NOT NULL CHECK (state IN ('running', 'retryable', 'done')),
    landed       boolean NOT NULL DEFAULT false,
    started_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- The final answer (state 'done'): status, the headers worth replaying, the body gzipped.
    status       integer,
    headers      jsonb,
    body         bytea,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_key_expires ON idempotency_key (expires_at);
