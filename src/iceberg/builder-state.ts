// The state a TableMetadataBuilder shares with the update functions of
// structure-updates.ts and snapshot-updates.ts.
import type { LocationCheck } from './metadata-builder.js';
import { badRequest } from './errors.js';
import type { TableMetadata } from './table-metadata.js';

export interface BuilderState {
  /** The metadata being built (collections copied from the base, elements shared). */
  m: TableMetadata;
  now: number;
  checkLocation: LocationCheck;
  /** A table that does not exist yet (create transaction). */
  isNew: boolean;
  lastAddedSchemaId?: number;
  lastAddedSpecId?: number;
  lastAddedOrderId?: number;
  addedSnapshotIds: Set<string>;
  removedSnapshotIds: Set<string>;
  changed: boolean;
  lastUpdatedFromSnapshot: boolean;
}

export function touch(state: BuilderState): void {
  state.changed = true;
}

export const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
export const isString = (v: unknown) => typeof v === 'string';
export const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
export const isArray = (v: unknown) => Array.isArray(v);

const LAST_ADDED = -1;

/** -1 names the schema, spec or sort order added last in this commit (spec: set-current-schema). */
export function resolveLastAdded(requested: number, lastAdded: number | undefined, what: string): number {
  if (requested !== LAST_ADDED) return requested;
  if (lastAdded === undefined) throw badRequest(`Cannot set last added ${what}: no ${what} has been added`);
  return lastAdded;
}
