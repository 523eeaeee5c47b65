// The client address of an agent's upgrade (upgraded before fastify sees it): X-Forwarded-For is
// believed only from the proxies REXEC_TRUST_PROXY names, and each entry is checked at startup.
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import {
  clientAddressOf,
  trustedProxyProblem,
} from '../../../packages/control-plane/src/http/client-address.js';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

void t.test('X-Forwarded-For names the client only through trusted proxies', (t) => {
  const trusting = clientAddressOf(['10.0.0.5', '192.168.0.0/16']);
  t.equal(trusting(request('10.0.0.5', '203.0.113.7')), '203.0.113.7', 'from the balancer');
  t.equal(
    trusting(request('10.0.0.5', '203.0.113.9, 192.168.1.2')),
    '203.0.113.9',
    'through a chain of trusted proxies, the first untrusted hop',
  );
  t.equal(trusting(request('198.51.100.4', '203.0.113.7')), '198.51.100.4', 'not from elsewhere');
  t.equal(trusting(request('10.0.0.5')), '10.0.0.5', 'no header: the proxy itself');
  const none = clientAddressOf([]);
  t.equal(none(request('10.0.0.5', '203.0.113.7')), '10.0.0.5', 'nothing trusted by default');
  t.end();
});

void t.test('what a trusted proxy entry may be', (t) => {
  for (const good of ['10.0.0.5', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'uniquelocal']) {
    t.equal(trustedProxyProblem(good), null, good);
  }
  t.match(trustedProxyProblem('haproxy'), /not an IP address or CIDR/);
  t.match(trustedProxyProblem('10.0.0.0/33'), /prefix outside 0–32/);
  t.match(trustedProxyProblem('10.0.0.0/8/1'), /not an IP address or CIDR/);
  t.match(trustedProxyProblem('fd00::/x'), /prefix outside 0–128/);
  t.end();
});
