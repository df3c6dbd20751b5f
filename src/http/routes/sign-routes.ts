// Remote signing (spec: signRequest): an engine without storage keys sends each S3 request it
// is about to make; the catalog signs it when it stays within what the caller may do on the
// table (src/storage/signing-check.ts) and refuses it otherwise. Thin: decode, check, sign.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { badRequest, forbidden } from '../../iceberg/errors.js';
import { SigningRefusedError } from '../../storage/request-signer.js';
import { locateRequest, signingRefusal } from '../../storage/signing-check.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';
import { storageAccessFor } from '../table-access.js';

type TableParams = { prefix: string; namespace: string; table: string };

export function registerSignRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { tables, warehouses, validateBody, checks } = deps;
  const where = { endpoint: deps.config.s3.clientEndpoint, pathStyle: deps.config.s3.pathStyle };

  app.post<{ Params: TableParams }>('/v1/:prefix/namespaces/:namespace/tables/:table/sign', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    const table = await tables.load(warehouse, levels, request.params.table);
    // Before anything about the body: an invisible table is a 404 whatever is asked.
    await checks.onTable(request, warehouse, levels, table.head, 'read');
    const body = validateBody<Schemas['RemoteSignRequest']>('RemoteSignRequest', request.body);
    const signer = deps.signer;
    if (!signer) throw badRequest('This catalog does not sign requests (CATALOG_S3_REMOTE_SIGNING is off)');
    if (body.provider != null && body.provider.toLowerCase() !== 's3') throw badRequest(`Invalid provider: ${body.provider} (only s3 requests are signed)`);
    if (!/^s3[an]?:\/\//i.test(table.head.location)) throw badRequest(`Table ${request.params.table} is not on S3: its files need no signing`);
    const located = locateRequest(body.method, body.uri, where);
    if (!located.ok) throw located.status === 400 ? badRequest(located.message) : forbidden(`Forbidden: ${located.message}`);
    const headers = new Map(Object.entries(body.headers).map(([name, values]) => [name.toLowerCase(), values.join(',')]));
    const access = await storageAccessFor(checks, request, warehouse, levels, table.head, table.metadata());
    const refusal = signingRefusal(located.request, access, headers);
    if (refusal) throw forbidden(`Forbidden: ${refusal}`);
    const signed = await signer.sign(located.request, body.headers, access, request.principal.name).catch((error) => {
      throw error instanceof SigningRefusedError ? forbidden(`Forbidden: ${error.message}`) : error;
    });
    // A signed read may be reused while its signature holds (the engine re-reads a file's
    // footer and ranges); a write is signed once per attempt.
    reply.header('cache-control', located.request.method === 'GET' || located.request.method === 'HEAD' ? 'private' : 'no-cache');
    return { uri: located.request.url.href, headers: signed };
  });
}
