// Failed host credentials on the agent socket count against the same per-address budget as the
// REST API's failed tokens: past it, an upgrade from that address is refused with 429 and
// Retry-After before its credential is looked up, even a valid one; within it, a valid credential
// still connects. Real hub on Postgres, real WebSocket upgrades.
import { AGENT_CONNECT_PATH, AGENT_SUBPROTOCOL, ErrorBody } from '@rexec/protocol';
import t from 'tap';
import WebSocket from 'ws';
import { createIpLimits } from '../../../packages/control-plane/src/http/ip-limits.js';
import { AgentPeer } from './agent-peer.js';
import { enroll, startHubServer } from './hub-server.js';

interface Refusal {
  status: number;
  retryAfter: string | undefined;
  body: ErrorBody;
}

/** One upgrade attempt that the server must refuse with an HTTP answer. */
function refusedUpgrade(url: string, credential: string | undefined): Promise<Refusal> {
  const headers = credential === undefined ? {} : { authorization: `Bearer ${credential}` };
  const ws = new WebSocket(
    `${url.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`,
    [AGENT_SUBPROTOCOL],
    {
      headers,
    },
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => {
        const header = response.headers['retry-after'];
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: Array.isArray(header) ? header[0] : header,
          body: ErrorBody.parse(JSON.parse(text)),
        });
      });
    });
    ws.once('error', reject);
  });
}

const BOGUS = `rxh_${'0'.repeat(64)}`;

void t.test(
  'failed host credentials use up the address budget; then 429 before any lookup',
  async (t) => {
    const server = await startHubServer(
      t,
      'pg',
      {},
      {},
      {},
      {
        ipLimits: createIpLimits({ authFailuresPerMin: 3 }),
      },
    );
    const { credential } = await enroll(server, 'limited-host');

    const good = await AgentPeer.connect(server.url, credential);
    t.pass('a valid credential connects while the budget is untouched');
    good.ws.terminate();

    const missing = await refusedUpgrade(server.url, undefined);
    t.equal(missing.status, 401, 'no credential at all is refused');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const refused = await refusedUpgrade(server.url, BOGUS);
      t.equal(refused.status, 401, `bogus credential ${attempt} of 3 is a plain 401`);
      t.equal(refused.body.code, 'unauthorized');
    }
    const limited = await refusedUpgrade(server.url, BOGUS);
    t.equal(limited.status, 429, 'the fourth failure from this address is refused unlooked');
    t.equal(limited.body.code, 'rate_limited');
    t.ok(Number(limited.retryAfter) >= 1, `Retry-After says when (${limited.retryAfter} s)`);

    const validButLimited = await refusedUpgrade(server.url, credential);
    t.equal(validButLimited.status, 429, 'even a valid credential waits out the address budget');
  },
);

void t.test('a missing credential does not count against the budget', async (t) => {
  const server = await startHubServer(
    t,
    'pg',
    {},
    {},
    {},
    {
      ipLimits: createIpLimits({ authFailuresPerMin: 1 }),
    },
  );
  const { credential } = await enroll(server, 'patient-host');
  for (let attempt = 0; attempt < 3; attempt++) {
    t.equal((await refusedUpgrade(server.url, undefined)).status, 401);
  }
  const peer = await AgentPeer.connect(server.url, credential);
  t.pass('the valid credential still connects');
  peer.ws.terminate();
});
