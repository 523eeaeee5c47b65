// The ONE table from state-changing API routes to their audit action and target, like
// route-scopes.ts for scopes. A test walks the OpenAPI document and fails for a mutating route
// missing here; at run time such a route is still audited, under `<METHOD> <route>`.
export interface AuditAction {
  /** `<target>.<verb>`, stable: admins filter by it. */
  action: string;
  targetType: string;
  /** The path parameter naming the target; absent when the answer names it (a create). */
  targetParam?: string;
}

const on = (action: string, targetParam?: string): AuditAction => ({
  action,
  targetType: action.slice(0, action.indexOf('.')),
  ...(targetParam === undefined ? {} : { targetParam }),
});

export const AUDIT_ACTIONS: Readonly<Record<string, AuditAction>> = {
  'POST /api/v1/containers': on('container.create'),
  'POST /api/v1/containers/:id/start': on('container.start', 'id'),
  'POST /api/v1/containers/:id/stop': on('container.stop', 'id'),
  'DELETE /api/v1/containers/:id': on('container.delete', 'id'),
  'POST /api/v1/containers/:id/exec': on('container.exec', 'id'),
  'POST /api/v1/containers/:id/exec/:exec_id/signal': on('container.exec_signal', 'id'),
  'PUT /api/v1/containers/:id/files': on('container.file_write', 'id'),
  'DELETE /api/v1/containers/:id/files': on('container.file_delete', 'id'),
  'POST /api/v1/containers/:id/files/mkdir': on('container.file_mkdir', 'id'),
  'POST /api/v1/containers/:id/files/move': on('container.file_move', 'id'),
  'POST /api/v1/tokens': on('token.create'),
  'DELETE /api/v1/tokens/:id': on('token.revoke', 'id'),
  'POST /api/v1/users': on('user.create'),
  'PATCH /api/v1/users/:id': on('user.update', 'id'),
  'DELETE /api/v1/users/:id': on('user.delete', 'id'),
  'PATCH /api/v1/tiers/:name': on('tier.update', 'name'),
  'POST /api/v1/hosts/:id/cordon': on('host.cordon', 'id'),
  'POST /api/v1/hosts/:id/uncordon': on('host.uncordon', 'id'),
  'POST /api/v1/hosts/:id/drain': on('host.drain', 'id'),
  'POST /api/v1/hosts/:id/revoke': on('host.revoke', 'id'),
  'POST /api/v1/hosts/:id/approve': on('host.approve', 'id'),
  'POST /api/v1/hosts/:id/trust': on('host.trust', 'id'),
  'DELETE /api/v1/hosts/:id': on('host.delete', 'id'),
  'POST /api/v1/hosts/join-tokens': on('join_token.create'),
  'DELETE /api/v1/hosts/join-tokens/:id': on('join_token.revoke', 'id'),
  'POST /api/v1/agent/enroll': on('host.enroll'),
  'POST /api/v1/webhooks': on('webhook.create'),
  'DELETE /api/v1/webhooks/:id': on('webhook.delete', 'id'),
  'POST /api/v1/webhooks/:id/test': on('webhook.test', 'id'),
};

export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The action for a route; a route missing from the table is named by its method and path. */
export function auditActionOf(method: string, url: string): AuditAction {
  return AUDIT_ACTIONS[`${method} ${url}`] ?? { action: `${method} ${url}`, targetType: 'unknown' };
}
