// CATALOG_AUTHENTICATION=oidc against a real OpenID Connect provider on loopback: its tokens
// work; every kind of bad token is a 401 with the spec's error and a WWW-Authenticate
// challenge; the catalog's own token endpoint is off and /v1/config says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestClient } from '../support/rest-client.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('authentication with an OIDC provider', { skip: noPostgres }, () => {
  let issuer: TestIssuer;
  let stranger: TestIssuer;
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };

  const call = (token: string | undefined, path = '/v1/config', method = 'GET') =>
    new RestClient(catalog.baseUrl).request(method, path, undefined, token === undefined ? {} : { authorization: `Bearer ${token}` });
  const refused = async (token: string | undefined, pattern?: RegExp) => {
    const answer = await call(token);
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body.error.type, 'NotAuthorizedException');
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="iceberg"/);
    if (pattern) assert.match(answer.body.error.message, pattern);
    return answer;
  };

  before(async () => {
    issuer = await startTestIssuer([
      { clientId: 'spark-etl', secret: 'spark-etl-secret-0123456789', claims: { groups: ['data-eng', 'readers'] } },
      { clientId: 'platform-admin', secret: 'platform-admin-secret-0123456789' },
    ]);
    // Another provider, with the same audience and client, that the catalog does not trust.
    stranger = await startTestIssuer([{ clientId: 'spark-etl', secret: 'spark-etl-secret-0123456789' }]);
    database = await createDatabase('auth_oidc');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_AUTHENTICATION: 'oidc', CATALOG_OIDC_ISSUERS: issuer.issuer, CATALOG_OIDC_AUDIENCE: issuer.audience, CATALOG_ADMINS: 'platform-admin' },
    });
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await issuer?.close();
    await stranger?.close();
  });

  test("the provider's client-credentials token works, naming the principal and its groups", async () => {
    const token = await issuer.token('spark-etl');
    const whoami = await call(token, '/ext/v1/auth/whoami');
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.deepEqual(whoami.body, { principal: 'spark-etl', groups: ['data-eng', 'readers'], via: 'oidc', administrator: false });
    // Authenticated, with no grant yet: the warehouse's config, and an empty catalog.
    const config = await call(token);
    assert.deepEqual((await call(token, '/v1/default/namespaces')).body, { namespaces: [] });
    const admin = await call(await issuer.token('platform-admin'), '/ext/v1/auth/whoami');
    assert.equal(admin.body.administrator, true);
    assert.equal(config.status, 200);
    assert.ok(!config.body.endpoints.includes('POST /v1/oauth/tokens'), 'an external IdP issues the tokens, not the catalog');
  });

  test('no token, a malformed header, and every kind of bad token are 401', async () => {
    const noToken = await refused(undefined, /a bearer token is required/);
    assert.equal(noToken.headers.get('www-authenticate'), 'Bearer realm="iceberg"');
    const basic = await new RestClient(catalog.baseUrl).request('GET', '/v1/config', undefined, { authorization: 'Basic c3Bhcms6eA==' });
    assert.equal(basic.status, 401);
    await refused('not-a-jwt');
    const now = Math.floor(Date.now() / 1000);
    await refused(await issuer.sign({ exp: now - 3600 }), /exp/);
    await refused(await issuer.sign({ nbf: now + 3600 }), /nbf/);
    await refused(await issuer.sign({ aud: 'another-service' }), /aud/);
    await refused(await issuer.sign({ exp: undefined }), /exp/);
    await refused(await stranger.token('spark-etl'), /not trusted/);
    // Claims to come from the trusted issuer, signed with the stranger's key.
    await refused(await stranger.sign({ iss: issuer.issuer }), /signature|key/i);
    // Tampered: a valid token whose payload is changed after signing.
    const [head, payload, signature] = (await issuer.token('spark-etl')).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
    await refused(`${head}.${forged}.${signature}`, /signature/);
    // alg none, and an HS256 token keyed with the provider's public key.
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await refused(none);
    const jwks = await (await fetch(`${issuer.issuer}/jwks`)).text();
    const { SignJWT } = await import('jose');
    const hs = await new SignJWT({ iss: issuer.issuer, aud: issuer.audience, sub: 'admin', exp: now + 300 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(jwks));
    await refused(hs, /alg/i);
  });

  test('huge and hostile headers are refused cleanly', async () => {
    await refused('a'.repeat(10_000), /too long/);
    // Past Node's 16 KiB of headers the server itself refuses the request.
    assert.equal((await call('a'.repeat(20_000))).status, 431);
    const odd = await new RestClient(catalog.baseUrl).request('GET', '/v1/config', undefined, { authorization: 'Bearer \u00e9\u00e9' });
    assert.equal(odd.status, 401);
  });

  test('the token endpoint is off and says where tokens come from; probes need no token', async () => {
    const answer = await fetch(`${catalog.baseUrl}/v1/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=spark-etl&client_secret=spark-etl-secret-0123456789',
    });
    assert.equal(answer.status, 400);
    const body = (await answer.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'unsupported_grant_type');
    assert.ok(body.error_description.includes(issuer.issuer), body.error_description);
    assert.equal((await fetch(`${catalog.baseUrl}/health/live`)).status, 200);
  });
});
