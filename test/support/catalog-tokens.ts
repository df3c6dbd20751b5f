// Tokens from the catalog's own OAuth2 endpoint (CATALOG_AUTHENTICATION=catalog), and the
// assertion tests make of an answer that must succeed.
import assert from 'node:assert/strict';

/** A client-credentials token request: its status and, when granted, the token. */
export async function requestToken(baseUrl: string, id: string, secret: string): Promise<{ status: number; token: string | undefined }> {
  const answer = await fetch(`${baseUrl}/v1/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString(),
  });
  return { status: answer.status, token: ((await answer.json()) as { access_token?: string }).access_token };
}

/** A token the catalog must grant. */
export async function clientToken(baseUrl: string, id: string, secret: string): Promise<string> {
  const { status, token } = await requestToken(baseUrl, id, secret);
  assert.equal(status, 200, `token for ${id}`);
  return token!;
}

/** The body of an answer that must be a success. */
export async function ok(answer: Promise<{ status: number; body: any }>): Promise<any> {
  const r = await answer;
  assert.ok(r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
