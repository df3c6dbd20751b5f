// CATALOG_AUTHENTICATION=catalog: the catalog's own OAuth2 clients and tokens, on Postgres,
// with two replicas on one database. Client credentials in the form and in Basic, the token
// exchange Java clients refresh with, every refusal in OAuth2's and the spec's terms, secrets
// stored only as slow hashes, a disabled client's tokens refused on every replica within the
// stated bound, and signing keys that rotate while old tokens keep working until they expire.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT, importJWK } from 'jose';
import { sql } from 'kysely';
import { CATALOG_TOKEN_AUDIENCE, CATALOG_TOKEN_ISSUER, CatalogTokens } from '../../src/auth/catalog-tokens.js';
import { CLIENT_STATUS_TTL_MS } from '../../src/auth/client-registry.js';
import { RestClient } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

describe('authentication with the catalog as token issuer', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let replica: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };

  const tokenRequest = (base: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as Record<string, string | number> }));
  const tokenFor = async (id: string, secret: string, base = catalog.baseUrl) => {
    const answer = await tokenRequest(base, { grant_type: 'client_credentials', client_id: id, client_secret: secret, scope: 'catalog' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return String(answer.body.access_token);
  };
  const as = (token: string, base = catalog.baseUrl) => ({
    get: (path: string) => new RestClient(base).request('GET', path, undefined, { authorization: `Bearer ${token}` }),
    post: (path: string, body: unknown) => new RestClient(base).request('POST', path, body, { authorization: `Bearer ${token}` }),
    delete: (path: string) => new RestClient(base).request('DELETE', path, undefined, { authorization: `Bearer ${token}` }),
  });
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

  before(async () => {
    database = await createDatabase('auth_catalog');
    const env = {
      CATALOG_AUTHENTICATION: 'catalog',
      CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id,
      CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret,
    };
    catalog = await startTestCatalog({ databaseUrl: database.url, env });
    replica = await startTestCatalog({ databaseUrl: database.url, env });
    await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
  });

  after(async () => {
    await replica?.close();
    await catalog?.close();
    await database?.drop();
  });

  test('client credentials in the form or in Basic give a token that works on every replica', async () => {
    const answer = await tokenRequest(catalog.baseUrl, { grant_type: 'client_credentials', client_id: ADMIN.id, client_secret: ADMIN.secret });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.token_type, 'bearer');
    assert.equal(answer.body.expires_in, 3600);
    assert.equal(answer.body.issued_token_type, ACCESS);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    // DuckDB: Basic credentials, its own scope; Trino: a stale Bearer header beside the form.
    const viaBasic = await tokenRequest(catalog.baseUrl, { grant_type: 'client_credentials', scope: 'PRINCIPAL_ROLE:ALL' }, basic(ADMIN.id, ADMIN.secret));
    assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
    const withBearer = await tokenRequest(
      catalog.baseUrl,
      { grant_type: 'client_credentials', client_id: ADMIN.id, client_secret: ADMIN.secret },
      { authorization: 'Bearer stale' },
    );
    assert.equal(withBearer.status, 200);
    for (const base of [catalog.baseUrl, replica.baseUrl]) {
      const whoami = await as(String(answer.body.access_token), base).get('/ext/v1/auth/whoami');
      assert.deepEqual(whoami.body, { principal: 'admin', groups: [], via: 'catalog', administrator: true });
    }
  });

  test('a token exchange refreshes a valid token; an expired one only with the client credentials', async () => {
    const token = await tokenFor(ADMIN.id, ADMIN.secret);
    const exchanged = await tokenRequest(catalog.baseUrl, { grant_type: EXCHANGE, subject_token: token, subject_token_type: ACCESS, scope: 'catalog' }, { authorization: `Bearer ${token}` });
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.notEqual(exchanged.body.access_token, token);
    const expired = await expiredToken(ADMIN.id);
    assert.equal((await as(expired).get('/v1/config')).status, 401);
    const refused = await tokenRequest(catalog.baseUrl, { grant_type: EXCHANGE, subject_token: expired, subject_token_type: ACCESS });
    assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);
    const withBasic = await tokenRequest(catalog.baseUrl, { grant_type: EXCHANGE, subject_token: expired, subject_token_type: ACCESS }, basic(ADMIN.id, ADMIN.secret));
    assert.equal(withBasic.status, 200, JSON.stringify(withBasic.body));
  });

  test('every bad token request gets OAuth2 error, never a token', async () => {
    const cases: [Record<string, string>, Record<string, string>, number, string][] = [
      [{ grant_type: 'client_credentials', client_id: ADMIN.id, client_secret: 'wrong-secret' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_secret: ADMIN.secret }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, basic(ADMIN.id, 'wrong'), 401, 'invalid_client'],
      [{ grant_type: 'password', username: 'a', password: 'b' }, {}, 400, 'unsupported_grant_type'],
      [{ grant_type: 'refresh_token', refresh_token: 'x' }, {}, 400, 'unsupported_grant_type'],
      [{ client_id: ADMIN.id }, {}, 400, 'invalid_request'],
      [{ grant_type: EXCHANGE, subject_token_type: ACCESS }, {}, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' }, {}, 401, 'invalid_client'],
    ];
    for (const [form, headers, status, error] of cases) {
      const answer = await tokenRequest(catalog.baseUrl, form, headers);
      assert.deepEqual([answer.status, answer.body.error], [status, error], JSON.stringify(form));
      assert.equal(answer.body.access_token, undefined);
    }
    const viaBasic = await tokenRequest(catalog.baseUrl, { grant_type: 'client_credentials' }, basic(ADMIN.id, 'wrong'));
    assert.equal(viaBasic.headers.get('www-authenticate'), 'Basic realm="iceberg"');
    const twice = await fetch(`${catalog.baseUrl}/v1/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${ADMIN.id}&client_id=other&client_secret=${ADMIN.secret}`,
    });
    assert.equal(twice.status, 400);
    const json = await fetch(`${catalog.baseUrl}/v1/oauth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 400);
    const huge = await fetch(`${catalog.baseUrl}/v1/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_secret=${'x'.repeat(100_000)}`,
    });
    assert.equal(huge.status, 413);
  });

  test('administrators register clients, whose secret is shown once and stored only as a slow hash', async () => {
    const admin = as(await tokenFor(ADMIN.id, ADMIN.secret));
    const created = await admin.post('/ext/v1/auth/clients', { 'client-id': 'spark-etl', principal: 'team-a' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const secret = created.body['client-secret'] as string;
    assert.ok(secret.length >= 40);
    assert.equal((await admin.post('/ext/v1/auth/clients', { 'client-id': 'spark-etl' })).status, 409);
    const listed = await admin.get('/ext/v1/auth/clients');
    assert.ok(!JSON.stringify(listed.body).includes(secret));
    const stored = await sql<{ secret_hash: string }>`SELECT secret_hash FROM auth_client WHERE client_id = 'spark-etl'`.execute(catalog.database.db);
    assert.match(stored.rows[0].secret_hash, /^scrypt\$32768\$8\$1\$/);
    assert.ok(!stored.rows[0].secret_hash.includes(secret));

    const team = as(await tokenFor('spark-etl', secret));
    assert.deepEqual((await team.get('/ext/v1/auth/whoami')).body, { principal: 'team-a', groups: [], via: 'catalog', administrator: false });
    for (const answer of [await team.get('/ext/v1/auth/clients'), await team.post('/ext/v1/auth/clients', {}), await team.delete('/ext/v1/auth/clients/admin')]) {
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body.error.type, 'ForbiddenException');
    }
    assert.equal((await admin.post('/ext/v1/auth/clients', { 'client-id': 'bad id!' })).status, 400);
  });

  test(`a disabled client gets no new token, and its tokens are refused on every replica within ${CLIENT_STATUS_TTL_MS / 1000} s`, async () => {
    const admin = as(await tokenFor(ADMIN.id, ADMIN.secret));
    const secret = (await admin.post('/ext/v1/auth/clients', { 'client-id': 'leaver' })).body['client-secret'] as string;
    const token = await tokenFor('leaver', secret);
    assert.equal((await as(token, replica.baseUrl).get('/ext/v1/auth/whoami')).status, 200);
    assert.equal((await admin.delete('/ext/v1/auth/clients/leaver')).status, 204);
    assert.equal((await as(token).get('/ext/v1/auth/whoami')).status, 401, 'refused at once where it was disabled');
    const started = Date.now();
    while ((await as(token, replica.baseUrl).get('/ext/v1/auth/whoami')).status === 200) {
      assert.ok(Date.now() - started < CLIENT_STATUS_TTL_MS + 1000, 'the other replica kept accepting the token');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal((await as(token, replica.baseUrl).get('/ext/v1/auth/whoami')).status, 401);
    const again = await tokenRequest(catalog.baseUrl, { grant_type: 'client_credentials', client_id: 'leaver', client_secret: secret });
    assert.deepEqual([again.status, again.body.error], [401, 'invalid_client']);
  });

  test('signing keys rotate: a token signed by the previous key verifies until it expires, then not', async () => {
    // A clock days ahead, past the signing period of every key the replicas made.
    let now = Date.now() + 3 * 86_400_000;
    const tokens = new CatalogTokens(catalog.database.db, { lifetimeSeconds: 120, rotationSeconds: 60, now: () => now });
    const first = await tokens.issue('rotating', 'admin');
    now += 90_000; // past the first key's signing period: the next token needs a new key
    const second = await tokens.issue('rotating', 'admin');
    const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()).kid;
    assert.notEqual(kid(first.token), kid(second.token));
    assert.equal((await tokens.verify(first.token)).principal, 'rotating');
    now += 80_000; // the first token has expired (120 s lifetime, 30 s of skew), its key still verifies
    await assert.rejects(tokens.verify(first.token), /exp/);
    assert.equal((await tokens.verify(second.token)).principal, 'rotating');
    now += 50_000; // the first key outlived its last token: retired; the second token is still good
    await assert.rejects(tokens.verify(first.token), /retired/);
    assert.equal((await tokens.verify(second.token)).principal, 'rotating');
    // Keys made on the clock ahead would otherwise sign the replicas' tokens for days.
    await sql`DELETE FROM auth_signing_key WHERE kid = ANY(${[kid(first.token), kid(second.token)]}::text[])`.execute(catalog.database.db);
  });

  /** A token of this catalog's key whose exp has passed, signed as the catalog signs. */
  async function expiredToken(clientId: string): Promise<string> {
    const keys = await sql<{ kid: string; private_jwk: string }>`
      SELECT kid, private_jwk FROM auth_signing_key ORDER BY signs_until DESC LIMIT 1`.execute(catalog.database.db);
    const key = await importJWK(JSON.parse(keys.rows[0].private_jwk), 'ES256');
    const past = Math.floor(Date.now() / 1000) - 3600;
    return new SignJWT({ client_id: clientId })
      .setProtectedHeader({ alg: 'ES256', kid: keys.rows[0].kid, typ: 'at+jwt' })
      .setIssuer(CATALOG_TOKEN_ISSUER)
      .setAudience(CATALOG_TOKEN_AUDIENCE)
      .setSubject(clientId)
      .setIssuedAt(past - 60)
      .setExpirationTime(past)
      .sign(key);
  }
});
