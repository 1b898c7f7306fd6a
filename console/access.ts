import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Role } from '../db/api-keys.js';
import type { Principal } from '../db/api-keys.js';
import type { ApiEnv } from '../api/context.js';

/**
 * Who may see what in the console follows the API's role matrix: a page or section names the API
 * operations (operationIds) whose data it shows, and may be opened by the roles allowed on all of
 * them (`x-baton-roles`, the same list that guards the routes and the README's table).
 */
export class OperationRoles {
  private map: Map<string, readonly Role[]> | undefined;
  constructor(private readonly app: OpenAPIHono<ApiEnv>) {}

  /** operationId → roles, read from the app's route definitions on first use (every route is registered by then). */
  private roles(): Map<string, readonly Role[]> {
    if (!this.map) {
      this.map = new Map();
      for (const d of this.app.openAPIRegistry.definitions) {
        if (d.type !== 'route') continue;
        const route = d.route as { operationId?: string; 'x-baton-roles'?: readonly Role[] };
        if (route.operationId && route['x-baton-roles']) this.map.set(route.operationId, route['x-baton-roles']);
      }
    }
    return this.map;
  }

  /** The roles allowed on every one of `operations` (and in `also`, when given). */
  allowed(operations: readonly string[], also?: readonly Role[]): Role[] {
    let roles: Role[] = also ? [...also] : ['admin', 'ops', 'automation', 'manager'];
    for (const op of operations) {
      const allowed = this.roles().get(op);
      if (!allowed) throw new Error(`console: unknown API operation ${op}`);
      roles = roles.filter((r) => allowed.includes(r));
    }
    return roles;
  }

  may(p: Pick<Principal, 'role'>, operations: readonly string[], also?: readonly Role[]): boolean {
    return this.allowed(operations, also).includes(p.role);
  }
}
