// Request and response shapes as generated from openapi/catalog.yaml (the document is the
// source of truth; `npm run generate:types` regenerates, and the test run fails when stale).
import type { components } from './generated/openapi-types.js';

export type Schemas = components['schemas'];

/** A standard Iceberg request body after validation: top-level nulls were dropped (body-validation.ts). */
export type GivenMembers<T> = { [K in keyof T]: Exclude<T[K], null> };
