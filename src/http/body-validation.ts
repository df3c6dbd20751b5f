// Request bodies are checked against the component schemas of openapi/catalog.yaml, the
// same document served at /docs, so what we document is what we enforce.
import { badRequest } from '../iceberg/errors.js';
import { createSchemaValidator, formatValidationErrors, type SchemaValidatorLookup } from './openapi-document.js';

export type BodyValidator = <T>(schemaName: string, body: unknown) => T;

export function createBodyValidator(lookup: SchemaValidatorLookup = createSchemaValidator({ allowBigInt: true })): BodyValidator {
  return <T>(schemaName: string, body: unknown): T => {
    if (body === undefined || body === null) throw badRequest(`Invalid request: a ${schemaName} body is required`);
    const validate = lookup(schemaName);
    if (!validate(body)) throw badRequest(`Invalid ${schemaName}: ${formatValidationErrors(validate.errors)}`);
    return body as T;
  };
}
