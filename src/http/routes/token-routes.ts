// POST /v1/oauth/tokens (spec: getToken; RFC 6749 and RFC 8693 bodies, form-encoded). Only
// here is a body other than JSON parsed: the form of a token request, at most 16 KiB. Answers
// and errors are OAuth2's, not the Iceberg error model (spec: OAuthTokenResponse, OAuthError).
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { basicCredentials } from '../../auth/token-grants.js';

const FORM_LIMIT_BYTES = 16 * 1024;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function registerTokenRoutes(app: FastifyInstance, deps: AppDependencies): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
      try {
        done(null, new URLSearchParams(strictUtf8.decode(body as Buffer)));
      } catch {
        done(null, undefined);
      }
    });

    scope.post('/v1/oauth/tokens', async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const form = request.body;
      if (!(form instanceof URLSearchParams)) {
        return reply.code(400).send({ error: 'invalid_request', error_description: 'The body must be application/x-www-form-urlencoded UTF-8' });
      }
      if (!deps.tokenGrants) {
        const description =
          deps.config.auth.mode === 'oidc'
            ? `This catalog issues no tokens: get one from your identity provider (${deps.config.auth.oidc.issuers.join(', ')})`
            : 'Authentication is off in this catalog: requests need no token';
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: description });
      }
      for (const key of new Set(form.keys())) {
        if (form.getAll(key).length > 1) return reply.code(400).send({ error: 'invalid_request', error_description: `${key} is given twice` });
      }
      // Who asked, for the audit log: never the secret.
      request.audit.detail = { 'grant-type': form.get('grant_type')?.slice(0, 100) ?? null, 'client-id': clientIdOf(form, request.headers.authorization) };
      const answer = await deps.tokenGrants.grant(form, request.headers.authorization);
      if (answer.challenge) reply.header('www-authenticate', answer.challenge);
      request.log.info({ grant: form.get('grant_type'), status: answer.status, client: request.audit.detail['client-id'] ?? undefined }, 'token request');
      return reply.code(answer.status).send(answer.body);
    });
  });
}

/** The client a token request names, in Basic credentials or the form (RFC 6749 2.3.1). */
function clientIdOf(form: URLSearchParams, authorization: string | undefined): string | null {
  return (basicCredentials(authorization)?.id ?? form.get('client_id'))?.slice(0, 128) ?? null;
}
