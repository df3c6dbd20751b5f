"""Schemathesis hooks for the fuzz stage (loaded through SCHEMATHESIS_HOOKS).

Idempotency-Key: a real client sends a fresh key with every request; a key used again for
another request is a 422 by design (openapi/catalog.yaml), which the document cannot say
per request. The fuzzer would reuse its favourite values (the all-zero UUID) across
operations, so every well-formed key it sends is replaced by a fresh one just before the call.
A malformed key is left as generated: the catalog must refuse it with 400. What a repeated key
is answered is the integration tests' (test/integration/idempotency.test.ts).
"""
from __future__ import annotations

import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key" or not isinstance(headers[name], str):
            continue
        # HTTP trims a header value's surrounding whitespace: a padded UUID arrives well formed.
        value = headers[name].strip(" \t")
        try:
            well_formed = len(value) == 36 and uuid.UUID(value) is not None
        except ValueError:
            well_formed = False
        if well_formed:
            headers[name] = str(uuid.uuid4())
