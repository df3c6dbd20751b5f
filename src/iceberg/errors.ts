// Catalog errors carry the Iceberg error type (the Java exception's simple name, which
// clients branch on) and the HTTP status the REST spec assigns to it. The HTTP layer renders
// them; nothing below it knows about HTTP beyond this table.
export class CatalogError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const badRequest = (message: string) => new CatalogError(400, 'BadRequestException', message);
/** A request the reference implementation refuses with IllegalArgumentException, which Java clients rethrow as such. */
export const illegalArgument = (message: string) => new CatalogError(400, 'IllegalArgumentException', message);
export const validationFailed = (message: string) => new CatalogError(400, 'ValidationException', message);
export const noSuchNamespace = (name: string) =>
  new CatalogError(404, 'NoSuchNamespaceException', `Namespace does not exist: ${name}`);
export const noSuchTable = (name: string) => new CatalogError(404, 'NoSuchTableException', `Table does not exist: ${name}`);
export const noSuchView = (name: string) => new CatalogError(404, 'NoSuchViewException', `View does not exist: ${name}`);
export const noSuchWarehouse = (name: string) =>
  new CatalogError(404, 'NoSuchWarehouseException', `Warehouse does not exist: ${name}`);
export const forbidden = (message: string) => new CatalogError(403, 'ForbiddenException', message);
export const notFound = (message: string) => new CatalogError(404, 'NotFoundException', message);
export const unsupported = (message: string) => new CatalogError(406, 'UnsupportedOperationException', message);
export const alreadyExists = (message: string) => new CatalogError(409, 'AlreadyExistsException', message);
export const namespaceNotEmpty = (name: string) =>
  new CatalogError(409, 'NamespaceNotEmptyException', `Namespace ${name} is not empty`);
export const commitFailed = (message: string) => new CatalogError(409, 'CommitFailedException', message);
export const unprocessable = (message: string) => new CatalogError(422, 'UnprocessableEntityException', message);
export const serviceUnavailable = (message: string) => new CatalogError(503, 'ServiceUnavailableException', message);
