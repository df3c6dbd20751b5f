import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageConfigs, storageConfigFor } from '../../../src/http/storage-config.js';

const s3 = { region: 'eu-west-1', pathStyle: true, clientEndpoint: 'http://s3.local:9000', endpoint: 'http://internal:9000' };

describe('storage config of a table answer', () => {
  it('hands S3 tables the client endpoint, region and path style, and nothing else', () => {
    assert.deepEqual(storageConfigFor('s3://bucket/wh/t', s3), {
      's3.endpoint': 'http://s3.local:9000',
      's3.region': 'eu-west-1',
      'client.region': 'eu-west-1',
      's3.path-style-access': 'true',
    });
    assert.equal(storageConfigFor('s3a://bucket/t', s3)['s3.region'], 'eu-west-1');
  });

  it('leaves out the endpoint when none is configured (AWS itself)', () => {
    assert.deepEqual(storageConfigFor('s3://b/t', { region: 'us-east-1', pathStyle: false }), {
      's3.region': 'us-east-1',
      'client.region': 'us-east-1',
      's3.path-style-access': 'false',
    });
  });

  it('is empty for local tables, and the ETag part tells S3 settings apart', () => {
    const configs = new StorageConfigs(s3);
    assert.deepEqual(configs.forLocation('file:///wh/t'), {});
    assert.equal(configs.jsonForLocation('file:///wh/t'), '{}');
    assert.equal(configs.etagPartFor('file:///wh/t'), '');
    assert.notEqual(configs.etagPartFor('s3://b/t'), new StorageConfigs({ ...s3, region: 'us-east-1' }).etagPartFor('s3://b/t'));
  });
});
