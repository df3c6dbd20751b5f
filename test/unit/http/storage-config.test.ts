import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageConfigs, storageConfigFor, tableFilePrefixes } from '../../../src/http/storage-config.js';

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
    assert.deepEqual(configs.answerFor(['file:///wh/t/']), { config: '{}', credentials: '', etagPart: '' });
    const other = new StorageConfigs({ ...s3, region: 'us-east-1' });
    assert.notEqual(configs.answerFor(['s3://b/t/']).etagPart, other.answerFor(['s3://b/t/']).etagPart);
    assert.notEqual(configs.answerFor(['s3://b/t/']).etagPart, configs.answerFor(['s3://b/t/', 's3://b/src/']).etagPart);
  });

  it('lists every prefix an S3 table reads from, each with the same settings and no keys', () => {
    const prefixes = tableFilePrefixes('s3://b/dev/t-1', ['s3://b/prod/t-0', 's3://other/w/t-x/'], { 'write.data.path': 's3://b/data/t' });
    assert.deepEqual(prefixes, ['s3://b/dev/t-1/', 's3://b/data/t/', 's3://b/prod/t-0/', 's3://other/w/t-x/']);
    const answer = new StorageConfigs(s3).answerFor(prefixes);
    const credentials = JSON.parse(`{${answer.credentials.slice(1)}}`)['storage-credentials'];
    assert.deepEqual(credentials.map((c: { prefix: string }) => c.prefix), prefixes);
    for (const c of credentials) assert.deepEqual(c.config, JSON.parse(answer.config));
    assert.ok(!answer.credentials.includes('key'), answer.credentials);
  });
});
