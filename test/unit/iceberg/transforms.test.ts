// Partition transforms (spec: "Partition Transforms"): which source types each one accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTransform } from '../../../src/iceberg/transforms.js';
import { assertCatalogError } from './fixtures.js';

const ALL = [
  'boolean', 'int', 'long', 'float', 'double', 'decimal(9,2)', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'fixed[16]', 'binary', 'variant', 'unknown',
  'geometry', 'geography(srid:4326)',
];

/** The spec's "Source types" column of the transforms table. */
const VALID: Record<string, string[]> = {
  identity: ALL.filter((t) => !['variant', 'geometry', 'geography(srid:4326)', 'unknown'].includes(t)),
  'bucket[16]': ['int', 'long', 'decimal(9,2)', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'fixed[16]', 'binary'],
  'truncate[4]': ['int', 'long', 'decimal(9,2)', 'string', 'binary'],
  year: ['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'],
  month: ['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'],
  day: ['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'],
  hour: ['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'],
  void: ALL,
};

describe('checkTransform: valid and invalid source types', () => {
  for (const [transform, valid] of Object.entries(VALID)) {
    it(`${transform} accepts exactly ${valid.length} of ${ALL.length} primitive types`, () => {
      for (const type of ALL) {
        if (valid.includes(type)) {
          assert.doesNotThrow(() => checkTransform(transform, type, 'col'), `${transform} on ${type}`);
        } else {
          assertCatalogError(() => checkTransform(transform, type, 'col'), 400, {
            type: 'BadRequestException',
            message: `Invalid source type ${type} for transform ${transform} on col`,
          });
        }
      }
    });
  }
});

describe('checkTransform: parameters and names', () => {
  it('accepts any positive width', () => {
    assert.doesNotThrow(() => checkTransform('bucket[1]', 'int', 'c'));
    assert.doesNotThrow(() => checkTransform('truncate[1000]', 'string', 'c'));
  });
  it('refuses a zero width', () => {
    assertCatalogError(() => checkTransform('bucket[0]', 'int', 'c'), 400, { message: 'Invalid transform: bucket[0]' });
    assertCatalogError(() => checkTransform('truncate[0]', 'string', 'c'), 400);
  });
  it('refuses unknown transforms', () => {
    for (const t of ['frobnicate', 'bucket[-1]', 'bucket[x]', 'Identity', 'days', '']) {
      assertCatalogError(() => checkTransform(t, 'int', 'c'), 400, { message: `Unknown transform: ${t}` });
    }
  });
  it('refuses bucket and truncate without a width', () => {
    assertCatalogError(() => checkTransform('bucket', 'int', 'c'), 400);
    assertCatalogError(() => checkTransform('truncate', 'string', 'c'), 400);
  });
  it('refuses non-void transforms on nested columns; void takes anything', () => {
    const struct = { type: 'struct' as const, fields: [] };
    assertCatalogError(() => checkTransform('identity', struct, 'point'), 400, { message: /point is not a primitive column/ });
    assertCatalogError(() => checkTransform('bucket[2]', { type: 'list', 'element-id': 2, element: 'int', 'element-required': true }, 'l'), 400);
    assert.doesNotThrow(() => checkTransform('void', struct, 'point'));
  });
});
