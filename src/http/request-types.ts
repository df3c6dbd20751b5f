// Request and response shapes as generated from openapi/catalog.yaml (the document is the
// source of truth; `npm run generate:types` regenerates, and the test run fails when stale).
import type { components } from './generated/openapi-types.js';

export type Schemas = components['schemas'];
