// Our extension routes for authorization (openapi tag `auth`): roles (administrators), grants
// on a warehouse, namespace, table or view (whoever may manage grants on it), and questions
// about them. The securable is named in the query: `namespace` (levels joined by U+001F) and
// `table` or `view`; neither means the warehouse.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { parseGrantee } from '../../authz/grant-service.js';
import { PRIVILEGES } from '../../authz/privileges.js';
import { badRequest } from '../../iceberg/errors.js';
import type { Schemas } from '../request-types.js';

type Prefix = { prefix: string };
type SecurableQuery = { namespace?: string; table?: string; view?: string };

export function registerGrantRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { grants, warehouses, validateBody, checks } = deps;

  app.get('/ext/v1/auth/roles', async (request) => {
    checks.admin(request, 'list roles');
    return { roles: await grants.listRoles() };
  });

  app.post('/ext/v1/auth/roles', async (request, reply) => {
    checks.admin(request, 'create roles');
    const body = validateBody<Schemas['CreateRoleRequest']>('CreateRoleRequest', request.body);
    await grants.createRole(body.name, request.principal);
    return reply.code(204).send();
  });

  app.delete<{ Params: { role: string } }>('/ext/v1/auth/roles/:role', async (request, reply) => {
    checks.admin(request, 'delete roles');
    await grants.deleteRole(request.params.role);
    return reply.code(204).send();
  });

  app.post<{ Params: { role: string } }>('/ext/v1/auth/roles/:role/members', async (request, reply) => {
    checks.admin(request, 'change role members');
    const body = validateBody<Schemas['RoleMembersRequest']>('RoleMembersRequest', request.body);
    await grants.changeMembers(request.params.role, (body.add ?? []).map(parseGrantee), (body.remove ?? []).map(parseGrantee));
    return reply.code(204).send();
  });

  app.post<{ Params: Prefix; Querystring: SecurableQuery }>('/ext/v1/:prefix/grants', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['GrantRequest']>('GrantRequest', request.body);
    const securable = await checks.securable(request, warehouse, request.query, 'manage-grants');
    await grants.change(body.action, securable, parseGrantee(body.grantee), body.privileges, request.principal);
    return reply.code(204).send();
  });

  app.get<{ Params: Prefix; Querystring: SecurableQuery }>('/ext/v1/:prefix/grants', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const securable = await checks.securable(request, warehouse, request.query, 'manage-grants');
    const rows = await grants.grantsOn(securable.id);
    return { grants: rows.map((g) => ({ grantee: g.grantee, privilege: g.privilege, 'granted-by': g.grantedBy })) };
  });

  app.get<{ Params: Prefix; Querystring: SecurableQuery & { principal?: string; groups?: string } }>('/ext/v1/:prefix/privileges', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const { principal, groups, ...query } = request.query;
    const self = principal === undefined || principal === request.principal.name;
    // One's own privileges on what one can see; anyone's on what one may manage grants on.
    const securable = await checks.securable(request, warehouse, query, self ? 'see' : 'manage-grants');
    if (principal !== undefined && (principal === '' || principal.length > 255)) throw badRequest('Invalid principal');
    const asked = groups ? groups.split(',').filter(Boolean) : [];
    if (asked.length > 100 || asked.some((g) => g.length > 255)) throw badRequest('Invalid groups: at most 100, of at most 255 characters each');
    const who = self ? request.principal : { name: principal!, groups: asked, via: 'oidc' as const };
    const held = await grants.privilegesOf(checks.access, who, securable.target, self ? 'self' : 'other');
    return { principal: who.name, privileges: PRIVILEGES.filter((p) => held.has(p)) };
  });

  app.get<{ Params: Prefix; Querystring: SecurableQuery }>('/ext/v1/:prefix/readers', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const securable = await checks.securable(request, warehouse, request.query, 'manage-grants');
    return grants.readers(checks.access, securable.target);
  });
}
