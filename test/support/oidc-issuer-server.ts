// The test OpenID Connect provider (oidc-issuer.ts) as a process of its own, for suites that
// are not written in TypeScript (test/compat/auth starts it from Python):
//
//   node --import tsx test/support/oidc-issuer-server.ts [--audience <aud>] <client-id>:<secret> ...
//
// Once it listens on loopback it prints one JSON line, {"issuer", "audience", "tokenEndpoint"}
// (the token endpoint as its discovery document names it), then serves until SIGTERM or SIGINT.
import { startTestIssuer, type TestIssuerClient } from './oidc-issuer.js';

function parseArguments(argv: string[]): { audience?: string; clients: TestIssuerClient[] } {
  const clients: TestIssuerClient[] = [];
  let audience: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--audience') {
      audience = argv[++i];
      continue;
    }
    const colon = argv[i].indexOf(':');
    if (colon <= 0) throw new Error(`not a client <id>:<secret>: ${argv[i]}`);
    clients.push({ clientId: argv[i].slice(0, colon), secret: argv[i].slice(colon + 1) });
  }
  if (clients.length === 0) throw new Error('usage: oidc-issuer-server.ts [--audience <aud>] <client-id>:<secret> ...');
  return { audience, clients };
}

const { audience, clients } = parseArguments(process.argv.slice(2));
const issuer = await startTestIssuer(clients, audience);
const discovery = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
process.stdout.write(`${JSON.stringify({ issuer: issuer.issuer, audience: issuer.audience, tokenEndpoint: discovery.token_endpoint })}\n`);

// Nothing to flush: the provider keeps its state in memory only.
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
