// loadConfig (DESIGN §2): defaults, flags over variables, and errors that name the variable.
import { hostname } from 'node:os';
import t from 'tap';
import { ConfigError, loadConfig } from '../../packages/agent/src/config.js';

function failure(env: Record<string, string>, argv: string[] = []): string {
  try {
    loadConfig(env, argv);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

void t.test('defaults fill everything but REXEC_URL', (t) => {
  const config = loadConfig({ REXEC_URL: 'https://cp.example:8080/' });
  t.same(
    config.urls.map((url) => url.href),
    ['https://cp.example:8080/'],
  );
  t.equal(config.joinToken, undefined);
  t.equal(config.stateDir, '/var/lib/rexec-agent');
  t.equal(config.runtimeDir, '/run/rexec-agent', 'pid files never go to a fixed /tmp path');
  t.equal(config.runtime, 'auto');
  t.equal(config.hostName, hostname().replace(/[^A-Za-z0-9._-]/g, '-'));
  t.same(config.capacity, {});
  t.equal(config.logLevel, 'info');
  t.end();
});

void t.test('every variable is read, and a flag wins over its variable', (t) => {
  const config = loadConfig(
    {
      REXEC_URL: 'https://cp.example',
      REXEC_JOIN_TOKEN: 'join_abc',
      REXEC_AGENT_STATE_DIR: '/tmp/state',
      REXEC_RUNTIME: 'docker',
      REXEC_HOST_NAME: 'worker-1',
      REXEC_CAPACITY_CPU_MILLICORES: '1500',
      REXEC_CAPACITY_MEMORY_MB: '2048',
      REXEC_CAPACITY_DISK_MB: '0',
      REXEC_LOG_LEVEL: 'debug',
    },
    ['--runtime', 'podman', '--host-name=worker-2'],
  );
  t.equal(config.urls[0]?.protocol, 'https:');
  t.equal(config.joinToken, 'join_abc');
  t.equal(config.stateDir, '/tmp/state');
  t.equal(config.runtime, 'podman');
  t.equal(config.hostName, 'worker-2');
  t.same(config.capacity, { cpuMillicores: 1500, memoryMb: 2048, diskMb: 0 });
  t.equal(config.logLevel, 'debug');
  t.end();
});

void t.test('bad values are refused naming the variable and its flag', (t) => {
  t.match(failure({}), /REXEC_URL \(--url\) is required/);
  t.match(failure({ REXEC_URL: 'ftp://x' }), /REXEC_URL \(--url\) must be an http/);
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_RUNTIME: 'lxc' }),
    /REXEC_RUNTIME \(--runtime\)/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_CAPACITY_MEMORY_MB: '1.5' }),
    /REXEC_CAPACITY_MEMORY_MB \(--capacity-memory-mb\) must be a whole number/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_HOST_NAME: 'bad name' }),
    /REXEC_HOST_NAME/,
  );
  t.match(failure({ REXEC_URL: 'http://127.0.0.1' }, ['--bogus']), /bad command line/);
  t.end();
});

void t.test('an empty variable counts as unset', (t) => {
  const config = loadConfig({ REXEC_URL: 'http://127.0.0.1', REXEC_JOIN_TOKEN: '' });
  t.equal(config.joinToken, undefined);
  t.end();
});

void t.test('terminal settings: defaults, variables, flags and bounds', (t) => {
  t.same(loadConfig({ REXEC_URL: 'http://127.0.0.1' }).terminal, {
    graceMs: 300_000,
    scrollbackBytes: 256 * 1024,
    maxSessionsPerContainer: 8,
  });
  const config = loadConfig(
    {
      REXEC_URL: 'http://127.0.0.1',
      REXEC_TERMINAL_GRACE_SECONDS: '30',
      REXEC_TERMINAL_SCROLLBACK_KB: '64',
      REXEC_TERMINAL_MAX_SESSIONS: '3',
    },
    ['--terminal-max-sessions', '4'],
  );
  t.same(config.terminal, {
    graceMs: 30_000,
    scrollbackBytes: 64 * 1024,
    maxSessionsPerContainer: 4,
  });
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_TERMINAL_MAX_SESSIONS: '0' }),
    /REXEC_TERMINAL_MAX_SESSIONS \(--terminal-max-sessions\)/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_TERMINAL_SCROLLBACK_KB: 'lots' }),
    /REXEC_TERMINAL_SCROLLBACK_KB \(--terminal-scrollback-kb\) must be a whole number/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_TERMINAL_GRACE_SECONDS: '99999999' }),
    /REXEC_TERMINAL_GRACE_SECONDS/,
  );
  t.end();
});

void t.test('the idle network time and the home volume pool are read and checked', (t) => {
  const defaults = loadConfig({ REXEC_URL: 'http://127.0.0.1' });
  t.equal(defaults.userNetworkIdleMs, 600_000, 'networks stay 10 minutes by default');
  t.equal(defaults.homeVolumePool, 2, 'two volumes made ahead by default');
  const config = loadConfig(
    { REXEC_URL: 'http://127.0.0.1', REXEC_USER_NETWORK_IDLE_SECONDS: '0' },
    ['--home-volume-pool', '0'],
  );
  t.equal(config.userNetworkIdleMs, 0, '0: a network goes with its last container');
  t.equal(config.homeVolumePool, 0, '0: every create makes its own volume');
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_HOME_VOLUME_POOL: '65' }),
    /REXEC_HOME_VOLUME_POOL \(--home-volume-pool\)/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_USER_NETWORK_IDLE_SECONDS: 'soon' }),
    /REXEC_USER_NETWORK_IDLE_SECONDS .*whole number/,
  );
  t.end();
});

void t.test('egress allow and deny lists are read, normalised and checked', (t) => {
  const defaults = loadConfig({ REXEC_URL: 'https://x' });
  t.same(defaults.egressAllow, []);
  t.same(defaults.egressDeny, []);
  const config = loadConfig(
    { REXEC_URL: 'https://x', REXEC_EGRESS_ALLOW: '10.0.5.7:3142, 192.168.10.0/24' },
    ['--egress-deny', '203.0.113.0/24,198.51.100.9'],
  );
  t.same(config.egressAllow, [{ cidr: '10.0.5.7/32', port: 3142 }, { cidr: '192.168.10.0/24' }]);
  t.same(config.egressDeny, ['203.0.113.0/24', '198.51.100.9/32']);
  const cases: [Record<string, string>, RegExp][] = [
    [
      { REXEC_EGRESS_ALLOW: 'cache.lan:3142' },
      /REXEC_EGRESS_ALLOW \(--egress-allow\) "cache\.lan" is not an IPv4 address or CIDR/,
    ],
    [
      { REXEC_EGRESS_ALLOW: '10.0.0.0/8:99999' },
      /REXEC_EGRESS_ALLOW .*"10\.0\.0\.0\/8:99999" has no valid port/,
    ],
    [{ REXEC_EGRESS_ALLOW: '10.0.0.1/8' }, /REXEC_EGRESS_ALLOW .*host bits set for \/8/],
    [{ REXEC_EGRESS_DENY: '10.0.0.0/33' }, /REXEC_EGRESS_DENY \(--egress-deny\) .*not an IPv4/],
    [{ REXEC_EGRESS_DENY: 'fd00::/8' }, /REXEC_EGRESS_DENY .*containers have no IPv6 at all/],
  ];
  for (const [env, message] of cases) {
    t.match(failure({ REXEC_URL: 'https://x', ...env }), message, Object.values(env).join());
  }
  t.end();
});

void t.test('container host ports and the user network pool are read and checked', (t) => {
  const defaults = loadConfig({ REXEC_URL: 'http://127.0.0.1' });
  t.same(defaults.containerHostPorts, []);
  t.same(defaults.userNetworkPool, {
    base: 10 * 2 ** 24 + 213 * 2 ** 16,
    poolPrefix: 16,
    subnetPrefix: 24,
  });
  const config = loadConfig(
    {
      REXEC_URL: 'http://127.0.0.1',
      REXEC_CONTAINER_HOST_PORTS: '3142, 8081,3142',
      REXEC_USER_NETWORK_POOL: '172.30.0.0/20',
    },
    ['--user-subnet-prefix', '26'],
  );
  t.same(config.containerHostPorts, [3142, 8081], 'duplicates dropped');
  t.same(config.userNetworkPool, {
    base: 172 * 2 ** 24 + 30 * 2 ** 16,
    poolPrefix: 20,
    subnetPrefix: 26,
  });
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_CONTAINER_HOST_PORTS: '80,http' }),
    /REXEC_CONTAINER_HOST_PORTS \(--container-host-ports\) must be a comma list of port numbers/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_CONTAINER_HOST_PORTS: '70000' }),
    /REXEC_CONTAINER_HOST_PORTS .*ports are 1-65535/,
  );
  t.match(
    failure({ REXEC_URL: 'http://127.0.0.1', REXEC_USER_NETWORK_POOL: '10.0.0.0' }),
    /REXEC_USER_NETWORK_POOL \(--user-network-pool\).*not an IPv4 CIDR/,
  );
  t.match(
    failure({
      REXEC_URL: 'http://127.0.0.1',
      REXEC_USER_NETWORK_POOL: '10.0.0.0/24',
      REXEC_USER_SUBNET_PREFIX: '16',
    }),
    /REXEC_USER_SUBNET_PREFIX .*between the pool's \/24 and \/29/,
  );
  t.end();
});

void t.test(
  'config errors never show a secret: URL passwords, join tokens, stray arguments',
  (t) => {
    const messages = [
      failure({ REXEC_URL: 'http://rexec:s3cretpw@cp example/' }),
      failure({ REXEC_URL: 'ftp://rexec:s3cretpw@cp.example/' }),
      failure({ REXEC_URL: 'https://cp.example', REXEC_JOIN_TOKEN: 'rexec_join_s3cretpw here' }),
      failure({ REXEC_URL: 'https://cp.example' }, ['rexec_join_s3cretpw']),
      failure({ REXEC_URL: 'https://cp.example' }, ['--join-token', 'x', 'rexec_join_s3cretpw']),
    ];
    for (const message of messages) {
      t.notMatch(message, /s3cretpw/, message);
      t.match(message, /REXEC_URL|REXEC_JOIN_TOKEN|command line/, 'the message still says what');
    }
    t.end();
  },
);

void t.test('plain http:// is refused unless loopback or --insecure-http, with why', (t) => {
  for (const url of ['http://cp.example:8080', 'http://192.0.2.10:8080', 'http://[2001:db8::1]/']) {
    const message = failure({ REXEC_URL: url });
    t.match(message, /REXEC_URL \(--url\) is plain http:\/\//, url);
    t.match(message, /unencrypted/, 'says why');
    t.match(message, /REXEC_INSECURE_HTTP=true \(--insecure-http\)/, 'says how to accept it');
  }
  for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
    t.equal(loadConfig({ REXEC_URL: url }).urls[0]?.protocol, 'http:', `${url} is loopback`);
  }
  t.equal(loadConfig({ REXEC_URL: 'https://cp.example' }).urls[0]?.protocol, 'https:');
  t.equal(
    loadConfig({ REXEC_URL: 'http://cp.example', REXEC_INSECURE_HTTP: 'true' }).urls[0]?.hostname,
    'cp.example',
    'the variable accepts it',
  );
  t.equal(
    loadConfig({ REXEC_URL: 'http://cp.example' }, ['--insecure-http']).urls[0]?.hostname,
    'cp.example',
    'the flag accepts it',
  );
  t.match(
    failure({ REXEC_URL: 'http://cp.example', REXEC_INSECURE_HTTP: 'yes' }),
    /REXEC_INSECURE_HTTP \(--insecure-http\) must be true or false/,
  );
  t.end();
});

void t.test('the runtime directory is configurable and must be absolute', (t) => {
  t.equal(
    loadConfig({ REXEC_URL: 'https://cp.example', REXEC_AGENT_RUNTIME_DIR: '/srv/run' }).runtimeDir,
    '/srv/run',
  );
  t.match(
    failure({ REXEC_URL: 'https://cp.example', REXEC_AGENT_RUNTIME_DIR: 'run' }),
    /REXEC_AGENT_RUNTIME_DIR \(--runtime-dir\) must be an absolute path/,
  );
  t.end();
});

void t.test('the metrics listener is off by default and on with REXEC_METRICS_PORT', (t) => {
  const url = { REXEC_URL: 'http://127.0.0.1' };
  t.equal(loadConfig(url).metrics, undefined, 'unset: the agent listens on nothing');
  t.equal(loadConfig({ ...url, REXEC_METRICS_PORT: '' }).metrics, undefined, 'empty: unset');
  t.same(loadConfig({ ...url, REXEC_METRICS_PORT: '9465' }).metrics, {
    bind: '127.0.0.1',
    port: 9465,
  });
  t.same(
    loadConfig({ ...url, REXEC_METRICS_PORT: '1' }, ['--metrics-port=0', '--metrics-bind=::'])
      .metrics,
    { bind: '::', port: 0 },
    'flags win',
  );
  for (const port of ['65536', 'nine', '-3', '1.5']) {
    t.match(
      failure({ ...url, REXEC_METRICS_PORT: port }),
      /REXEC_METRICS_PORT \(--metrics-port\) must be a port number from 0 to 65535/,
      `REXEC_METRICS_PORT=${port}`,
    );
  }
  t.match(
    failure({ ...url, REXEC_METRICS_PORT: '9465', REXEC_METRICS_BIND: 'no such host!' }),
    /REXEC_METRICS_BIND \(--metrics-bind\)/,
  );
  t.end();
});

void t.test('REXEC_URL may list replicas, each checked as one URL is', (t) => {
  const config = loadConfig({
    REXEC_URL: 'https://a.example:8080/, https://b.example,http://127.0.0.1:9',
  });
  t.same(
    config.urls.map((url) => url.href),
    ['https://a.example:8080/', 'https://b.example/', 'http://127.0.0.1:9/'],
    'in order, spaces and trailing slashes dropped',
  );
  t.match(failure({ REXEC_URL: 'https://a.example,' }), /REXEC_URL \(--url\) must be an http/);
  t.match(
    failure({ REXEC_URL: 'https://a.example,ftp://b' }),
    /REXEC_URL \(--url\) must be an http/,
  );
  t.match(
    failure({ REXEC_URL: 'https://a.example,https://a.example/' }),
    /REXEC_URL \(--url\) names the same URL twice/,
  );
  t.match(
    failure({ REXEC_URL: 'https://a.example,http://b.example' }),
    /plain http:\/\/ to b\.example/,
    'every replica must be https or loopback',
  );
  const many = Array.from({ length: 17 }, (_, i) => `https://r${i}.example`).join(',');
  t.match(failure({ REXEC_URL: many }), /at most 16 control plane URLs/);
  t.end();
});
