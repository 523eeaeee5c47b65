// The ONE table from API routes to the token scope each needs: `read` for what only looks,
// `write` for what changes something or runs code (a terminal, an exec), `admin` for the admin
// routes. A test walks every registered route, so a new route missing here fails it; at run time
// a route missing here needs `admin` (fail closed). Public routes need no token and are not listed.
import type { TokenScope } from '@rexec/protocol';

export const ROUTE_SCOPES: Readonly<Record<string, TokenScope>> = {
  'GET /api/v1/me': 'read',
  'GET /api/v1/images': 'read',
  'GET /api/v1/roles': 'read',
  'GET /api/v1/tiers': 'read',
  'PATCH /api/v1/tiers/:name': 'admin',
  'GET /api/v1/containers': 'read',
  'POST /api/v1/containers': 'write',
  'GET /api/v1/containers/:id': 'read',
  'GET /api/v1/containers/:id/logs': 'read',
  'GET /api/v1/containers/:id/stats': 'read',
  'POST /api/v1/containers/:id/start': 'write',
  'POST /api/v1/containers/:id/stop': 'write',
  'DELETE /api/v1/containers/:id': 'write',
  'POST /api/v1/containers/:id/exec': 'write',
  'GET /api/v1/containers/:id/exec/:exec_id': 'read',
  // A GET only on the wire: the socket carries stdin and signals.
  'GET /api/v1/containers/:id/exec/:exec_id/stream': 'write',
  'POST /api/v1/containers/:id/exec/:exec_id/signal': 'write',
  'GET /api/v1/containers/:id/files': 'read',
  'GET /api/v1/containers/:id/files/list': 'read',
  'GET /api/v1/containers/:id/files/stat': 'read',
  'PUT /api/v1/containers/:id/files': 'write',
  'DELETE /api/v1/containers/:id/files': 'write',
  'POST /api/v1/containers/:id/files/mkdir': 'write',
  'POST /api/v1/containers/:id/files/move': 'write',
  // A GET only on the wire: it opens a shell, which can change anything in the container.
  'GET /api/v1/containers/:id/terminal': 'write',
  'GET /api/v1/tokens': 'read',
  'POST /api/v1/tokens': 'write',
  'DELETE /api/v1/tokens/:id': 'write',
  'GET /api/v1/webhooks': 'read',
  'POST /api/v1/webhooks': 'write',
  'DELETE /api/v1/webhooks/:id': 'write',
  'GET /api/v1/webhooks/:id/deliveries': 'read',
  'POST /api/v1/webhooks/:id/test': 'write',
  'GET /api/v1/users': 'admin',
  'POST /api/v1/users': 'admin',
  'PATCH /api/v1/users/:id': 'admin',
  'DELETE /api/v1/users/:id': 'admin',
  'GET /api/v1/hosts': 'admin',
  'GET /api/v1/hosts/:id': 'admin',
  'DELETE /api/v1/hosts/:id': 'admin',
  'POST /api/v1/hosts/:id/cordon': 'admin',
  'POST /api/v1/hosts/:id/uncordon': 'admin',
  'POST /api/v1/hosts/:id/drain': 'admin',
  'POST /api/v1/hosts/:id/revoke': 'admin',
  'POST /api/v1/hosts/:id/approve': 'admin',
  'POST /api/v1/hosts/:id/trust': 'admin',
  'POST /api/v1/hosts/join-tokens': 'admin',
  'GET /api/v1/hosts/join-tokens': 'admin',
  'DELETE /api/v1/hosts/join-tokens/:id': 'admin',
  'GET /api/v1/events': 'read',
  'GET /api/v1/events/stream': 'read',
  'GET /api/v1/audit': 'admin',
};

/** The table's key for a route: HEAD is answered by its GET route, so it needs what GET needs. */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

/** The scope a request to the route needs; `admin` for a route the table does not list. */
export function requiredScope(method: string, url: string): TokenScope {
  return ROUTE_SCOPES[routeKey(method, url)] ?? 'admin';
}
