// Admin GET /audit: the audit log newest first, by actor, action and time range. Writing entries is
// audit-hook.ts's; retention is lifecycle/audit-retention.ts's.
import { AuditList, AuditQuery } from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { listAudit } from '../../services/audit-log.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { toAuditEntry } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

export function auditRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/audit',
      {
        config: { access: 'admin' },
        schema: { querystring: AuditQuery, response: { 200: AuditList, ...ERROR_RESPONSES } },
      },
      async (request) => {
        const { cursor, limit, user_id: userId, action, since, until } = request.query;
        const rows = await listAudit(
          database.db,
          {
            ...(cursor === undefined ? {} : { before: Number(cursor) }),
            ...(userId === undefined ? {} : { actorUserId: userId }),
            ...(action === undefined ? {} : { action }),
            ...(since === undefined ? {} : { since: new Date(since) }),
            ...(until === undefined ? {} : { until: new Date(until) }),
          },
          limit,
        );
        const last = rows.at(-1);
        return {
          entries: rows.map(toAuditEntry),
          next_cursor: rows.length === limit && last !== undefined ? String(last.id) : null,
        };
      },
    );
    done();
  };
}
