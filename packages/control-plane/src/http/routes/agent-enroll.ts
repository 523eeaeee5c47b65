// POST /agent/enroll (PROTOCOL.md §2): an agent trades its join token (Bearer) for a host id and
// credential. Public to the user-token auth hook on purpose: the join token is the credential here,
// checked by the enrollment service, after the per-address enrollment limit. The socket that
// follows is the hub's.
import {
  AgentEnrollRequest,
  AgentEnrollResponse,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { invalidRequest, unauthorized } from '../../errors.js';
import { enrollHost } from '../../services/host-enrollment.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { ERROR_RESPONSES } from './responses.js';

const BEARER = /^Bearer +([^\s]+) *$/i;

export function agentEnrollRoutes({
  database,
  ipLimits,
  hostApproval = 'auto',
}: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/agent/enroll',
      {
        config: { access: 'public' },
        // Before the body is read or checked, so malformed floods count too.
        onRequest: async (request) => ipLimits.enroll(request.ip),
        schema: {
          body: AgentEnrollRequest,
          response: { 201: AgentEnrollResponse, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const match = BEARER.exec(request.headers.authorization ?? '');
        if (match?.[1] === undefined) {
          void reply.header('www-authenticate', 'Bearer realm="rexec-agent"');
          throw unauthorized('Send the join token as "Authorization: Bearer <join token>".');
        }
        const { host_name, agent_version, protocol_version } = request.body;
        if (!SUPPORTED_PROTOCOL_VERSIONS.includes(protocol_version)) {
          throw invalidRequest(
            `Protocol version ${protocol_version} is not supported; upgrade the agent.`,
            [
              {
                path: 'protocol_version',
                message: `expected one of ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
              },
            ],
          );
        }
        const enrolled = await enrollHost(database.db, {
          joinToken: match[1],
          hostName: host_name,
          agentVersion: agent_version,
          approval: hostApproval,
        });
        request.log.info({ host_id: enrolled.hostId, host_name }, 'host enrolled');
        return reply.status(201).send({
          host_id: enrolled.hostId,
          host_name: enrolled.hostName,
          credential: enrolled.credential,
        });
      },
    );
    done();
  };
}
