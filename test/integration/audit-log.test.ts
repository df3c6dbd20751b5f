// The audit log: who cloned, dropped, purged, restored, swapped, promoted, granted and
// collected what, and every denied request, stored in Postgres, readable over HTTP (paged,
// filtered by object across renames, by principal, action and decision, each team only its
// own), written as JSON log lines too, pruned past the retention, never holding a secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ok, requestToken } from '../support/catalog-tokens.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
type Who = 'admin' | 'owner' | 'reader' | 'other';

describe('audit log', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<Who, string>();
  const secrets = new Map<Who, string>();
  const log: string[] = [];
  const requestIds = new Map<string, string>();

  const tokenFor = (id: string, secret: string) => requestToken(catalog.baseUrl, id, secret);
  const as = (who: Who) => async (method: string, path: string, body?: unknown, label?: string) => {
    const answer = await new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}` });
    if (label) requestIds.set(label, answer.headers.get('x-request-id')!);
    return answer;
  };
  const events = async (who: Who, query: string) => {
    await catalog.deps.audit.flush();
    return (await ok(as(who)('GET', `/ext/v1/audit?${query}`))).events as any[];
  };
  const id = (namespace: string, name: string) => ({ namespace: [namespace], name });

  before(async () => {
    database = await createDatabase('audit_log');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_AUTHENTICATION: 'catalog', CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id, CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret, CATALOG_LOG_LEVEL: 'info', ...EAGER_COLLECTOR_ENV },
      log,
    });
    await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
    tokens.set('admin', (await tokenFor(ADMIN.id, ADMIN.secret)).token!);
    for (const who of ['owner', 'reader', 'other'] as const) {
      const registered = await ok(as('admin')('POST', '/ext/v1/auth/clients', { 'client-id': who }));
      secrets.set(who, registered['client-secret']);
      tokens.set(who, (await tokenFor(who, registered['client-secret'])).token!);
    }
    await ok(as('admin')('POST', '/ext/v1/default/grants', { action: 'grant', grantee: { kind: 'principal', name: 'owner' }, privileges: ['create'] }));
    await ok(as('admin')('POST', '/ext/v1/default/grants', { action: 'grant', grantee: { kind: 'principal', name: 'other' }, privileges: ['create'] }));
    const owner = as('owner');
    await ok(owner('POST', '/v1/default/namespaces', { namespace: ['prod'] }));
    await ok(owner('POST', '/v1/default/namespaces', { namespace: ['dev'] }));
    await ok(as('other')('POST', '/v1/default/namespaces', { namespace: ['elsewhere'] }));
    for (const name of ['orders', 'scratch']) await ok(owner('POST', '/v1/default/namespaces/prod/tables', { name, schema: simpleSchema }));
    await ok(owner('POST', '/ext/v1/default/grants?namespace=prod', { action: 'grant', grantee: { kind: 'principal', name: 'reader' }, privileges: ['read'] }, 'grant'));
    await ok(owner('POST', '/ext/v1/default/namespaces/prod/tables/orders/clone', { destination: id('dev', 'orders'), 'copy-grants': true }, 'clone'));
    await ok(owner('POST', '/ext/v1/default/tables/promote', { clone: id('dev', 'orders'), target: id('prod', 'orders'), force: true }, 'promote'));
    assert.equal((await owner('DELETE', '/v1/default/namespaces/prod/tables/scratch?purgeRequested=true', undefined, 'purge')).status, 204);
    // Denied: a reader's drop (403), a stranger's drop of an invisible table (404), no token.
    assert.equal((await as('reader')('DELETE', '/v1/default/namespaces/prod/tables/orders', undefined, 'reader-drop')).status, 403);
    assert.equal((await as('other')('DELETE', '/v1/default/namespaces/prod/tables/orders', undefined, 'hidden-drop')).status, 404);
    assert.equal((await new RestClient(catalog.baseUrl).request('DELETE', '/v1/default/namespaces/prod/tables/orders')).status, 401);
    assert.equal((await tokenFor('owner', 'a-wrong-secret')).status, 401);
    await ok(owner('POST', '/v1/default/tables/rename', { source: id('prod', 'orders'), destination: id('prod', 'orders_v2') }, 'rename'));
    await ok(as('admin')('POST', '/ext/v1/gc/runs', { wait: true }, 'gc'));
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('the log says who cloned, promoted, purged, granted, renamed and collected what', async () => {
    const all = await events('admin', 'pageSize=1000');
    const byRequest = (label: string) => all.find((e) => e['request-id'] === requestIds.get(label));
    const expectations: [string, string, string, Record<string, unknown>][] = [
      ['grant', 'changeGrants', 'owner', { action: 'grant', grantee: { kind: 'principal', name: 'reader' }, privileges: ['read'] }],
      ['clone', 'cloneTable', 'owner', { destination: id('dev', 'orders'), 'copy-grants': true }],
      ['promote', 'promoteClone', 'owner', { clone: id('dev', 'orders'), target: id('prod', 'orders'), force: true }],
      ['purge', 'dropTable', 'owner', { purge: true }],
      ['rename', 'renameTable', 'owner', { source: id('prod', 'orders'), destination: id('prod', 'orders_v2') }],
    ];
    for (const [label, action, principal, detail] of expectations) {
      const event = byRequest(label);
      assert.ok(event, `an event for ${label}`);
      assert.equal(event.action, action);
      assert.equal(event.principal, principal);
      assert.equal(event.decision, 'allowed');
      assert.ok(event.status < 300);
      for (const [key, value] of Object.entries(detail)) assert.deepEqual(event.detail[key], value, `${label}: ${key}`);
    }
    assert.deepEqual(byRequest('purge').object, { kind: 'table', name: 'prod.scratch' });
    const run = all.find((e) => e.action === 'gcRunFinished');
    assert.ok(run, 'the collection run');
    assert.equal(run.detail.status, 'succeeded');
    assert.equal(typeof run.detail.counts, 'object');
    assert.equal(byRequest('gc').detail['run-id'], run.detail['run-id'], 'the run and the request that started it');
    assert.equal(run.principal, 'admin');
  });

  test('every denied request is in it: forbidden, hidden, no token, a wrong secret', async () => {
    const denied = await events('admin', 'decision=denied&pageSize=1000');
    const readerDrop = denied.find((e) => e['request-id'] === requestIds.get('reader-drop'));
    assert.deepEqual([readerDrop.principal, readerDrop.status, readerDrop['error-type'], readerDrop.action], ['reader', 403, 'ForbiddenException', 'dropTable']);
    const hidden = denied.find((e) => e['request-id'] === requestIds.get('hidden-drop'));
    assert.deepEqual([hidden.principal, hidden.status, hidden.decision], ['other', 404, 'denied']);
    assert.ok(denied.some((e) => e.principal === null && e.status === 401 && e.action === 'dropTable'), 'no token');
    const badSecret = denied.find((e) => e.action === 'getToken' && e.detail?.['client-id'] === 'owner');
    assert.ok(badSecret, 'the refused token request, naming the client');
    // Reads that were allowed are not events; nothing stored holds a secret.
    assert.ok(!denied.some((e) => e.decision !== 'denied'));
    const stored = await sql<{ text: string }>`SELECT string_agg(row_to_json(a)::text, '') AS text FROM audit_event a`.execute(catalog.database.db);
    for (const secret of [...secrets.values(), ADMIN.secret, 'a-wrong-secret']) assert.ok(!stored.rows[0].text.includes(secret), 'a secret in the audit log');
    for (const token of tokens.values()) assert.ok(!stored.rows[0].text.includes(token.split('.')[2]), 'a token in the audit log');
  });

  test('filtered by object across a rename, by principal and action; paged', async () => {
    const ofTable = await events('admin', 'warehouse=default&namespace=prod&table=orders_v2');
    const actions = ofTable.map((e) => e.action);
    for (const action of ['renameTable', 'promoteClone', 'cloneTable', 'dropTable']) assert.ok(actions.includes(action), `${action} in ${actions}`);
    assert.ok(!ofTable.some((e) => e.object.name === 'prod.scratch'), 'another table');
    const byOther = await events('admin', 'principal=other');
    assert.ok(byOther.length > 0 && byOther.every((e) => e.principal === 'other'));
    const clones = await events('admin', 'action=cloneTable');
    assert.deepEqual(clones.map((e) => e['request-id']), [requestIds.get('clone')]);
    const everything = await events('admin', 'pageSize=1000');
    const paged: any[] = [];
    let token = '';
    for (let pages = 0; pages < 100; pages++) {
      const page = await ok(as('admin')('GET', `/ext/v1/audit?pageSize=3&pageToken=${token}`));
      paged.push(...page.events);
      if (!page['next-page-token']) break;
      token = page['next-page-token'];
    }
    assert.deepEqual(paged.map((e) => e['event-id']), everything.map((e) => e['event-id']));
    const ids = everything.map((e) => BigInt(e['event-id']));
    assert.ok(ids.every((v, i) => i === 0 || v < ids[i - 1]), 'newest first');
  });

  test("each team reads its own objects' events, nobody else's; the whole log is for administrators", async () => {
    const mine = await events('owner', 'warehouse=default&namespace=prod');
    assert.ok(mine.length > 0);
    assert.ok(mine.every((e) => e.object.name === null || !e.object.name.startsWith('elsewhere')));
    assert.equal((await as('reader')('GET', '/ext/v1/audit?warehouse=default&namespace=prod')).status, 403, 'read is not manage-grants');
    assert.equal((await as('other')('GET', '/ext/v1/audit?warehouse=default&namespace=prod')).status, 404, 'invisible');
    assert.equal((await as('owner')('GET', '/ext/v1/audit')).status, 403);
    const theirs = await events('other', 'warehouse=default&namespace=elsewhere');
    assert.ok(theirs.every((e) => !JSON.stringify(e).includes('prod')), JSON.stringify(theirs));
  });

  test('bad queries are 400 and say why', async () => {
    for (const query of ['decision=maybe', 'since=yesterday', 'until=2026-13-01T00:00:00Z', 'until=2026-02-30T00:00:00Z', 'since=0000-01-01T00:00:00Z', 'pageSize=0', 'pageSize=1001', 'pageToken=%%%', 'namespace=prod', `principal=${'x'.repeat(300)}`, 'principal=%00', 'action=a%00b', `pageToken=${Buffer.from('"99999999999999999999"').toString('base64url')}`, 'warehouse=default&namespace=a%00b']) {
      const answer = await as('admin')('GET', `/ext/v1/audit?${query}`);
      assert.equal(answer.status, 400, `${query}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 400);
    }
    assert.equal((await as('admin')('GET', '/ext/v1/audit?warehouse=nowhere')).status, 404);
  });

  test('an event carrying a NUL or half a surrogate pair is stored cleaned, and the events after it too', async () => {
    assert.equal((await tokenFor('a\u0000b', 'whatever-secret')).status, 401);
    // JSON may spell half of a surrogate pair; Postgres refuses one in text and in jsonb.
    const half = { action: 'grant', grantee: { kind: 'principal', name: 'x\ud83d' }, privileges: ['read'] };
    const answer = await as('owner')('POST', '/ext/v1/default/grants?namespace=prod', half, 'half-surrogate');
    assert.ok(answer.status === 400 || answer.status === 204, JSON.stringify(answer.body));
    assert.equal((await as('reader')('DELETE', '/v1/default/namespaces/prod/tables/orders_v2', undefined, 'after-hostile')).status, 403);
    const denied = await events('admin', 'decision=denied&pageSize=1000');
    const nul = denied.find((e) => e.action === 'getToken' && typeof e.detail?.['client-id'] === 'string' && e.detail['client-id'].startsWith('a'));
    assert.ok(nul, 'the token request with a NUL in its client id');
    assert.ok(!nul.detail['client-id'].includes('\u0000'));
    assert.ok(denied.some((e) => e['request-id'] === requestIds.get('after-hostile')), 'a later event');
    const grants = await events('admin', 'action=changeGrants&pageSize=1000');
    const stored = grants.find((e) => e['request-id'] === requestIds.get('half-surrogate'));
    assert.ok(stored, 'the grant request with half a surrogate pair');
    assert.ok(!/[\ud800-\udfff]/.test(JSON.stringify(stored.detail).replace(/\\u[0-9a-f]{4}/gi, '')), JSON.stringify(stored.detail));
  });

  test('every stored event is also a JSON log line; the retention deletes only older events', async () => {
    await catalog.deps.audit.flush();
    const lines = log.map((line) => JSON.parse(line)).filter((line) => line.msg === 'audit');
    const stored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_event`.execute(catalog.database.db);
    assert.equal(lines.length, stored.rows[0].n);
    assert.ok(lines.some((l) => l.audit.action === 'cloneTable' && l.audit.principal === 'owner'));
    await sql`UPDATE audit_event SET at = now() - interval '10 days' WHERE action = 'renameTable'`.execute(catalog.database.db);
    const deleted = await catalog.deps.audit.prune(5 * 86_400_000);
    assert.equal(deleted, 1);
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_event`.execute(catalog.database.db);
    assert.equal(left.rows[0].n, stored.rows[0].n - 1);
  });
});
