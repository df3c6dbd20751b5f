// Commit requirements (spec: TableRequirement). Each is checked against the table as it is
// now; a failed one is a 409 CommitFailedException that the client may retry after a
// refresh. The messages follow the reference implementation's wording, which the REST
// compatibility kit asserts on.
import { int64Equals, type Int64 } from '../json/int64-json.js';
import { badRequest, commitFailed } from './errors.js';
import type { TableMetadata } from './table-metadata.js';

export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': Int64 | null }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };

function expectEqual(what: string, expected: number, actual: number): void {
  if (expected !== actual) {
    throw commitFailed(`Requirement failed: ${what} changed: expected id ${expected} != ${actual}`);
  }
}

/** `base` is undefined when the table does not exist yet (a create transaction). */
const REQUIREMENT_TYPES = new Set([
  'assert-create',
  'assert-table-uuid',
  'assert-ref-snapshot-id',
  'assert-last-assigned-field-id',
  'assert-current-schema-id',
  'assert-last-assigned-partition-id',
  'assert-default-spec-id',
  'assert-default-sort-order-id',
]);

export function checkRequirement(requirement: TableRequirement, base: TableMetadata | undefined): void {
  // A malformed request is the client's mistake (400) whatever state the table is in.
  if (!REQUIREMENT_TYPES.has(requirement.type)) {
    throw badRequest(`Unknown requirement type: ${(requirement as { type: unknown }).type}`);
  }
  if (requirement.type === 'assert-create') {
    if (base) throw commitFailed('Requirement failed: table already exists');
    return;
  }
  if (!base) throw commitFailed('Requirement failed: table does not exist');
  switch (requirement.type) {
    case 'assert-table-uuid':
      if (requirement.uuid !== base['table-uuid']) {
        throw commitFailed(`Requirement failed: UUID does not match: expected ${base['table-uuid']} != ${requirement.uuid}`);
      }
      return;
    case 'assert-ref-snapshot-id': {
      const ref = base.refs[requirement.ref];
      const expected = requirement['snapshot-id'];
      if (expected === null || expected === undefined) {
        if (ref) throw commitFailed(`Requirement failed: ${ref.type} ${requirement.ref} was created concurrently`);
        return;
      }
      if (!ref) throw commitFailed(`Requirement failed: branch or tag ${requirement.ref} is missing, expected ${expected}`);
      if (!int64Equals(ref['snapshot-id'], expected)) {
        throw commitFailed(
          `Requirement failed: ${ref.type} ${requirement.ref} has changed: expected id ${expected} != ${ref['snapshot-id']}`,
        );
      }
      return;
    }
    case 'assert-last-assigned-field-id':
      return expectEqual('last assigned field id', requirement['last-assigned-field-id'], base['last-column-id']);
    case 'assert-current-schema-id':
      return expectEqual('current schema', requirement['current-schema-id'], base['current-schema-id']);
    case 'assert-last-assigned-partition-id':
      return expectEqual('last assigned partition id', requirement['last-assigned-partition-id'], base['last-partition-id']);
    case 'assert-default-spec-id':
      return expectEqual('default partition spec', requirement['default-spec-id'], base['default-spec-id']);
    case 'assert-default-sort-order-id':
      return expectEqual('default sort order', requirement['default-sort-order-id'], base['default-sort-order-id']);
    default:
      throw badRequest(`Unknown requirement type: ${(requirement as { type: unknown }).type}`);
  }
}

export function checkRequirements(requirements: readonly TableRequirement[], base: TableMetadata | undefined): void {
  for (const requirement of requirements) checkRequirement(requirement, base);
}
