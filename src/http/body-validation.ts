// Request bodies are checked against the component schemas of openapi/catalog.yaml, the
// same document served at /docs, so what we document is what we enforce.
import { badRequest } from '../iceberg/errors.js';
import { createSchemaValidator, formatValidationErrors, type SchemaValidatorLookup } from './openapi-document.js';

export type BodyValidator = <T>(schemaName: string, body: unknown) => T;

/**
 * Java clients write optional members they have no value for as `null` ("location": null,
 * "write-order": null). At the top level of the standard Iceberg request bodies that means "not
 * given", so such members are dropped before validation (the document declares them nullable).
 * Nested nulls are left alone: there they can carry meaning (assert-ref-snapshot-id's
 * "snapshot-id": null says the ref must not exist). Our own extension bodies have no such
 * clients, and their schemas say exactly what is accepted.
 */
const ICEBERG_CLIENT_BODIES = new Set([
  'CreateNamespaceRequest',
  'UpdateNamespacePropertiesRequest',
  'CreateTableRequest',
  'RegisterTableRequest',
  'CommitTableRequest',
  'CommitTransactionRequest',
  'RenameTableRequest',
  'ReportMetricsRequest',
  'CreateViewRequest',
  'CommitViewRequest',
  'RegisterViewRequest',
]);

function withoutTopLevelNulls(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
}

export function createBodyValidator(lookup: SchemaValidatorLookup = createSchemaValidator({ allowBigInt: true })): BodyValidator {
  return <T>(schemaName: string, raw: unknown): T => {
    if (raw === undefined || raw === null) throw badRequest(`Invalid request: a ${schemaName} body is required`);
    const body = ICEBERG_CLIENT_BODIES.has(schemaName) ? withoutTopLevelNulls(raw) : raw;
    const validate = lookup(schemaName);
    if (!validate(body)) throw badRequest(`Invalid ${schemaName}: ${formatValidationErrors(validate.errors)}`);
    return body as T;
  };
}
