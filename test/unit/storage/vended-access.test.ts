// The session policy of a vended credential: read everywhere a table's files lie, list only
// under those prefixes, write only where the table writes, never delete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseS3Prefix, roleSessionName, SESSION_POLICY_LIMIT, sessionPolicy, sessionPolicyText } from '../../../src/storage/vended-access.js';

type Statement = { Effect: string; Action: string[]; Resource: string[]; Condition?: { StringLike: { 's3:prefix': string[] } } };

test('a clone reads its own and its sources\' prefixes, writes only its own, deletes nothing', () => {
  const policy = sessionPolicy({
    read: ['s3://lake/wh/dev/orders_clone/', 's3://lake/wh/prod/orders/', 's3a://other-bucket/archive/orders/'],
    write: ['s3://lake/wh/dev/orders_clone/'],
  });
  const statements = policy.Statement as Statement[];
  const actions = statements.flatMap((s) => s.Action);
  assert.ok(!actions.some((a) => /Delete/.test(a)), 'no delete of any kind');
  const read = statements.find((s) => s.Action.includes('s3:GetObject'))!;
  assert.deepEqual(read.Resource, ['arn:aws:s3:::lake/wh/dev/orders_clone/*', 'arn:aws:s3:::lake/wh/prod/orders/*', 'arn:aws:s3:::other-bucket/archive/orders/*']);
  const write = statements.find((s) => s.Action.includes('s3:PutObject'))!;
  assert.deepEqual(write.Resource, ['arn:aws:s3:::lake/wh/dev/orders_clone/*']);
  const lists = statements.filter((s) => s.Action.includes('s3:ListBucket'));
  assert.deepEqual(
    lists.map((s) => [s.Resource, s.Condition!.StringLike['s3:prefix']]),
    [
      [['arn:aws:s3:::lake'], ['wh/dev/orders_clone/', 'wh/dev/orders_clone/*', 'wh/prod/orders/', 'wh/prod/orders/*']],
      [['arn:aws:s3:::other-bucket'], ['archive/orders/', 'archive/orders/*']],
    ],
    'listing only under the prefixes, per bucket',
  );
});

test('read-only access has no write statement; non-S3 prefixes and bucket roots are left out', () => {
  const policy = sessionPolicy({ read: ['s3://lake/t/', 'file:///tmp/t/', 's3://lake/', 's3://lake'], write: [] });
  const statements = policy.Statement as Statement[];
  assert.ok(!statements.some((s) => s.Action.includes('s3:PutObject')));
  assert.deepEqual(statements.find((s) => s.Action.includes('s3:GetObject'))!.Resource, ['arn:aws:s3:::lake/t/*']);
  assert.equal(parseS3Prefix('s3://lake/'), undefined, 'never the whole bucket');
  assert.equal(parseS3Prefix('gs://lake/t/'), undefined);
  assert.deepEqual(parseS3Prefix('s3://lake/a/b'), { bucket: 'lake', key: 'a/b/' });
  assert.deepEqual(sessionPolicy({ read: [], write: [] }).Statement, []);
});

test('role session names keep to what STS accepts', () => {
  assert.equal(roleSessionName('alice@example.com'), 'catalog-alice@example.com');
  assert.equal(roleSessionName('system:serviceaccount:team:spark'), 'catalog-system-serviceaccount-team-spark');
  assert.ok(roleSessionName('x'.repeat(500)).length <= 64);
  assert.equal(roleSessionName(''), 'catalog-anonymous');
});

test('prefixes inside another are left out (the same access in fewer words); duplicates once', () => {
  const policy = sessionPolicy({
    read: ['s3://lake/wh/t/', 's3://lake/wh/t/data/', 's3://lake/wh/t/', 's3://lake/wh/t2/', 's3://other/wh/t/data/'],
    write: ['s3://lake/wh/t/data/', 's3://lake/wh/t/'],
  });
  const statements = policy.Statement as Statement[];
  assert.deepEqual(statements.find((s) => s.Action.includes('s3:GetObject'))!.Resource, ['arn:aws:s3:::lake/wh/t/*', 'arn:aws:s3:::lake/wh/t2/*', 'arn:aws:s3:::other/wh/t/data/*']);
  assert.deepEqual(statements.find((s) => s.Action.includes('s3:PutObject'))!.Resource, ['arn:aws:s3:::lake/wh/t/*']);
});

test('a policy longer than STS takes is not produced, never widened to fit', () => {
  const few = { read: ['s3://lake/wh/a/', 's3://lake/wh/b/'], write: ['s3://lake/wh/a/'] };
  assert.ok(sessionPolicyText(few)!.length <= SESSION_POLICY_LIMIT);
  const ancestors = Array.from({ length: 30 }, (_, i) => `s3://lake/warehouse/team_${i}/orders_clone_of_a_clone_${i}/`);
  assert.equal(sessionPolicyText({ read: ancestors, write: [ancestors[0]] }), undefined);
});
