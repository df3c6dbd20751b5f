// Commit requirements (spec: TableRequirement): each type passing and failing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequirement, checkRequirements, type TableRequirement } from '../../../src/iceberg/requirements.js';
import type { TableMetadata } from '../../../src/iceberg/table-metadata.js';
import { UUID, assertCatalogError, baseMetadata, metadataWithHistory } from './fixtures.js';

const BIG = 9223372036854775807n;

function assertFails(requirement: unknown, base: TableMetadata | undefined, message?: string | RegExp) {
  const error = assertCatalogError(() => checkRequirement(requirement as TableRequirement, base), 409, {
    type: 'CommitFailedException',
    message,
  });
  assert.ok(error.message.startsWith('Requirement failed:'), error.message);
}

describe('assert-create', () => {
  it('passes when the table does not exist', () => {
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-create' }, undefined));
  });
  it('fails when the table exists', () => {
    assertFails({ type: 'assert-create' }, baseMetadata(), 'Requirement failed: table already exists');
  });
});

describe('requirements on a missing table', () => {
  it('every other requirement fails with 409 when there is no base', () => {
    const requirements: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: UUID },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
      { type: 'assert-current-schema-id', 'current-schema-id': 0 },
    ];
    for (const r of requirements) assertFails(r, undefined, 'Requirement failed: table does not exist');
  });
});

describe('assert-table-uuid', () => {
  it('passes for the same uuid', () => {
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-table-uuid', uuid: UUID }, baseMetadata()));
  });
  it('fails for another uuid, with the reference wording', () => {
    assertFails({ type: 'assert-table-uuid', uuid: 'other' }, baseMetadata(), `Requirement failed: UUID does not match: expected ${UUID} != other`);
  });
});

describe('assert-ref-snapshot-id', () => {
  it('passes when the ref points at the snapshot (number or bigint)', () => {
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3 }, metadataWithHistory()));
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3n }, metadataWithHistory()));
    const big = baseMetadata({ refs: { main: { type: 'branch', 'snapshot-id': BIG } } });
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG }, big));
  });
  it('fails when the branch moved', () => {
    assertFails({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 2 }, metadataWithHistory(), 'Requirement failed: branch main has changed: expected id 2 != 3');
    assertFails({ type: 'assert-ref-snapshot-id', ref: 't1', 'snapshot-id': 3 }, metadataWithHistory(), 'Requirement failed: tag t1 has changed: expected id 3 != 1');
  });
  it('distinguishes int64 values that a double would round together', () => {
    const big = baseMetadata({ refs: { main: { type: 'branch', 'snapshot-id': BIG } } });
    assertFails({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG - 1n }, big, /has changed/);
  });
  it('null snapshot-id: passes when the ref does not exist', () => {
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-ref-snapshot-id', ref: 'new-branch', 'snapshot-id': null }, metadataWithHistory()));
    assert.doesNotThrow(() => checkRequirement({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }, baseMetadata()));
  });
  it('null snapshot-id: fails when the ref was created concurrently', () => {
    assertFails({ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }, metadataWithHistory(), 'Requirement failed: branch main was created concurrently');
    assertFails({ type: 'assert-ref-snapshot-id', ref: 't1', 'snapshot-id': null }, metadataWithHistory(), 'Requirement failed: tag t1 was created concurrently');
  });
  it('fails when an expected ref is missing', () => {
    assertFails({ type: 'assert-ref-snapshot-id', ref: 'gone', 'snapshot-id': 1 }, metadataWithHistory(), 'Requirement failed: branch or tag gone is missing, expected 1');
  });
});

const numeric: Array<[TableRequirement['type'], string, number, string]> = [
  ['assert-last-assigned-field-id', 'last-assigned-field-id', 4, 'last assigned field id changed'],
  ['assert-current-schema-id', 'current-schema-id', 0, 'current schema changed'],
  ['assert-last-assigned-partition-id', 'last-assigned-partition-id', 999, 'last assigned partition id changed'],
  ['assert-default-spec-id', 'default-spec-id', 0, 'default partition spec changed'],
  ['assert-default-sort-order-id', 'default-sort-order-id', 0, 'default sort order changed'],
];

for (const [type, field, actual, words] of numeric) {
  describe(type, () => {
    it('passes when equal', () => {
      assert.doesNotThrow(() => checkRequirement({ type, [field]: actual } as TableRequirement, baseMetadata()));
    });
    it('fails when different', () => {
      assertFails({ type, [field]: actual + 1 }, baseMetadata(), `Requirement failed: ${words}: expected id ${actual + 1} != ${actual}`);
    });
  });
}

describe('unknown requirement types', () => {
  it('are a 400, not a 409', () => {
    assertCatalogError(() => checkRequirement({ type: 'assert-nothing' } as never, baseMetadata()), 400, {
      type: 'BadRequestException',
      message: 'Unknown requirement type: assert-nothing',
    });
  });
  it('are a 400 even when the table does not exist', () => {
    assertCatalogError(() => checkRequirement({ type: 'assert-nothing' } as never, undefined), 400);
  });
});

describe('checkRequirements', () => {
  it('passes when all pass', () => {
    assert.doesNotThrow(() =>
      checkRequirements(
        [
          { type: 'assert-table-uuid', uuid: UUID },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3 },
          { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        ],
        metadataWithHistory(),
      ),
    );
    assert.doesNotThrow(() => checkRequirements([], undefined));
  });
  it('fails on the first failing requirement', () => {
    assertCatalogError(
      () =>
        checkRequirements(
          [
            { type: 'assert-table-uuid', uuid: UUID },
            { type: 'assert-current-schema-id', 'current-schema-id': 5 },
            { type: 'assert-table-uuid', uuid: 'x' },
          ],
          metadataWithHistory(),
        ),
      409,
      { message: /current schema changed/ },
    );
  });
});
