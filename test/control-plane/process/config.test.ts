// loadConfig and applyFlags: defaults from DESIGN §2, each bad value named by its variable, flags
// overriding variables.
import t from 'tap';
import { applyFlags, ConfigError, loadConfig } from '../../../packages/control-plane/src/config.js';

void t.test('defaults follow DESIGN §2', (t) => {
  t.same(loadConfig({}), {
    bind: '127.0.0.1',
    port: 8080,
    metrics: undefined,
    advertiseUrl: undefined,
    clusterSecret: undefined,
    databaseUrl: undefined,
    dataDir: './.rexec',
    bootstrapAdminToken: undefined,
    logLevel: 'info',
    schedulerStrategy: 'binpack',
    execOutputLimitBytes: 1024 * 1024,
    execMaxConcurrent: 16,
    execBufferBytes: 1024 * 1024,
    execGraceMs: 300_000,
    reconcileIntervalMs: 60_000,
    consoleDir: undefined,
    cpuOvercommit: 4,
    databaseConnectTimeoutMs: 10_000,
    databaseStatementTimeoutMs: 30_000,
    authFailuresPerIpPerMin: 30,
    enrollsPerIpPerMin: 20,
    maxUploadBytes: 1024 * 1024 * 1024,
    hostApproval: 'auto',
    allowedRegistries: { public: true, hosts: new Set() },
    hostLostAfterMs: 24 * 3_600_000,
    webhookPolicy: { allowPrivate: false, allowedCidrs: [] },
    auditRetentionDays: 365,
    idleCheckIntervalMs: 60_000,
    activityFlushIntervalMs: 10_000,
    idleCpuMillicores: 50,
    idleMinuteMs: 60_000,
    shutdownDelayMs: 0,
    trustProxy: [],
  });
  t.end();
});

void t.test('reads every variable', (t) => {
  const token = `rexec_${'a'.repeat(64)}`;
  t.same(
    loadConfig({
      REXEC_BIND: '0.0.0.0',
      REXEC_PORT: '0',
      REXEC_DATABASE_URL: 'postgres://rexec:pw@db:5432/rexec',
      REXEC_ADVERTISE_URL: 'https://cp-2.internal:8443/',
      REXEC_CLUSTER_SECRET: 'c'.repeat(64),
      REXEC_DATA_DIR: '/var/lib/rexec',
      REXEC_BOOTSTRAP_ADMIN_TOKEN: token,
      REXEC_LOG_LEVEL: 'debug',
      REXEC_SCHEDULER_STRATEGY: 'spread',
      REXEC_EXEC_OUTPUT_LIMIT_KB: '64',
      REXEC_EXEC_MAX_CONCURRENT: '3',
      REXEC_EXEC_BUFFER_KB: '8',
      REXEC_EXEC_GRACE_SECONDS: '5',
      REXEC_RECONCILE_SECONDS: '2',
      REXEC_CONSOLE_DIR: '/srv/rexec-console',
      REXEC_CPU_OVERCOMMIT: '1.5',
      REXEC_DATABASE_CONNECT_TIMEOUT_MS: '2000',
      REXEC_DATABASE_STATEMENT_TIMEOUT_MS: '15000',
      REXEC_AUTH_FAILURES_PER_IP_PER_MIN: '10',
      REXEC_ENROLLS_PER_IP_PER_MIN: '5',
      REXEC_HOST_LOST_AFTER_HOURS: '0.5',
      REXEC_WEBHOOK_ALLOW_PRIVATE: 'true',
      REXEC_AUDIT_RETENTION_DAYS: '30',
      REXEC_IDLE_CHECK_SECONDS: '5',
      REXEC_ACTIVITY_FLUSH_SECONDS: '2',
      REXEC_IDLE_CPU_MILLICORES: '100',
      REXEC_IDLE_MINUTE_SECONDS: '1',
      REXEC_SHUTDOWN_DELAY_SECONDS: '5',
      REXEC_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,fd00::/8,loopback',
    }),
    {
      bind: '0.0.0.0',
      port: 0,
      metrics: undefined,
      advertiseUrl: 'https://cp-2.internal:8443',
      clusterSecret: 'c'.repeat(64),
      databaseUrl: 'postgres://rexec:pw@db:5432/rexec',
      dataDir: '/var/lib/rexec',
      bootstrapAdminToken: token,
      logLevel: 'debug',
      schedulerStrategy: 'spread',
      execOutputLimitBytes: 64 * 1024,
      execMaxConcurrent: 3,
      execBufferBytes: 8 * 1024,
      execGraceMs: 5_000,
      reconcileIntervalMs: 2_000,
      consoleDir: '/srv/rexec-console',
      cpuOvercommit: 1.5,
      databaseConnectTimeoutMs: 2_000,
      databaseStatementTimeoutMs: 15_000,
      authFailuresPerIpPerMin: 10,
      enrollsPerIpPerMin: 5,
      maxUploadBytes: 1024 * 1024 * 1024,
      hostApproval: 'auto',
      allowedRegistries: { public: true, hosts: new Set() },
      hostLostAfterMs: 1_800_000,
      webhookPolicy: { allowPrivate: true, allowedCidrs: [] },
      auditRetentionDays: 30,
      idleCheckIntervalMs: 5_000,
      activityFlushIntervalMs: 2_000,
      idleCpuMillicores: 100,
      idleMinuteMs: 1_000,
      shutdownDelayMs: 5_000,
      trustProxy: ['10.0.0.5', '192.168.0.0/16', 'fd00::/8', 'loopback'],
    },
  );
  t.equal(loadConfig({ REXEC_DATABASE_URL: '' }).databaseUrl, undefined, 'empty means unset');
  t.end();
});

void t.test('a bad value is an error naming the variable', (t) => {
  const cases: Record<string, string> = {
    REXEC_PORT: '65536',
    REXEC_BIND: 'not a host!',
    REXEC_DATABASE_URL: 'mysql://x',
    REXEC_DATA_DIR: '',
    REXEC_BOOTSTRAP_ADMIN_TOKEN: 'secret',
    REXEC_LOG_LEVEL: 'loud',
    REXEC_SCHEDULER_STRATEGY: 'random',
    REXEC_EXEC_OUTPUT_LIMIT_KB: '0',
    REXEC_EXEC_MAX_CONCURRENT: 'many',
    REXEC_DATABASE_CONNECT_TIMEOUT_MS: '0',
    REXEC_DATABASE_STATEMENT_TIMEOUT_MS: 'soon',
    REXEC_AUTH_FAILURES_PER_IP_PER_MIN: '-1',
    REXEC_ENROLLS_PER_IP_PER_MIN: '1.5',
    REXEC_RECONCILE_SECONDS: '0',
    REXEC_IDLE_CHECK_SECONDS: '0',
    REXEC_ACTIVITY_FLUSH_SECONDS: '31',
    REXEC_IDLE_CPU_MILLICORES: 'busy',
    REXEC_IDLE_MINUTE_SECONDS: '61',
    REXEC_ADVERTISE_URL: 'http://cp-2:8080/api',
    REXEC_CLUSTER_SECRET: 'too short',
    REXEC_SHUTDOWN_DELAY_SECONDS: '301',
    REXEC_TRUST_PROXY: '10.0.0.5,haproxy',
  };
  for (const [variable, value] of Object.entries(cases)) {
    t.throws(() => loadConfig({ [variable]: value }), ConfigError, variable);
    t.throws(() => loadConfig({ [variable]: value }), { message: new RegExp(variable) }, variable);
  }
  t.throws(() => loadConfig({ REXEC_PORT: '1.5' }), { message: /REXEC_PORT/ });
  t.throws(() => loadConfig({ REXEC_TRUST_PROXY: '10.0.0.0/33' }), {
    message: /REXEC_TRUST_PROXY.*prefix outside 0–32/,
  });
  t.throws(() => loadConfig({ REXEC_TRUST_PROXY: '::1/129' }), { message: /0–128/ });
  t.throws(() => loadConfig({ REXEC_ADVERTISE_URL: 'cp-2:8080' }), {
    message: /REXEC_ADVERTISE_URL/,
  });
  t.equal(
    loadConfig(applyFlags({}, ['--advertise-url', 'http://10.0.0.5:8080'])).advertiseUrl,
    'http://10.0.0.5:8080',
    'the advertise URL has a flag',
  );
  for (const overcommit of ['0', '0.5', '101', '-2', '1.234', 'four', '1e2']) {
    t.throws(
      () => loadConfig({ REXEC_CPU_OVERCOMMIT: overcommit }),
      { message: /REXEC_CPU_OVERCOMMIT/ },
      `REXEC_CPU_OVERCOMMIT=${overcommit}`,
    );
  }
  t.equal(loadConfig({ REXEC_CPU_OVERCOMMIT: '1' }).cpuOvercommit, 1, '1 turns overcommit off');
  for (const hours of ['0', '-1', 'a day', '1e3', '100000']) {
    t.throws(
      () => loadConfig({ REXEC_HOST_LOST_AFTER_HOURS: hours }),
      { message: /REXEC_HOST_LOST_AFTER_HOURS/ },
      `REXEC_HOST_LOST_AFTER_HOURS=${hours}`,
    );
  }
  t.equal(
    loadConfig({ REXEC_HOST_LOST_AFTER_HOURS: '0.001' }).hostLostAfterMs,
    3_600,
    'fractional hours are accepted',
  );
  for (const seconds of ['86401', '0.5', 'often']) {
    t.throws(
      () => loadConfig({ REXEC_RECONCILE_SECONDS: seconds }),
      { message: /REXEC_RECONCILE_SECONDS/ },
      `REXEC_RECONCILE_SECONDS=${seconds}`,
    );
  }
  t.end();
});

void t.test('the metrics listener is off by default and on with REXEC_METRICS_PORT', (t) => {
  t.equal(loadConfig({}).metrics, undefined, 'unset: no listener');
  t.equal(loadConfig({ REXEC_METRICS_PORT: '' }).metrics, undefined, 'empty: no listener');
  t.same(loadConfig({ REXEC_METRICS_PORT: '9464' }).metrics, { bind: '127.0.0.1', port: 9464 });
  t.same(
    loadConfig({ REXEC_METRICS_PORT: '0', REXEC_METRICS_BIND: '0.0.0.0' }).metrics,
    { bind: '0.0.0.0', port: 0 },
    'port 0 takes any free port; the bind is read',
  );
  t.same(
    loadConfig(applyFlags({}, ['--metrics-port', '9100', '--metrics-bind', '::1'])).metrics,
    { bind: '::1', port: 9100 },
    'flags',
  );
  for (const port of ['65536', '-1', 'metrics', '1.5']) {
    t.throws(
      () => loadConfig({ REXEC_METRICS_PORT: port }),
      { name: 'ConfigError', message: /REXEC_METRICS_PORT: must be/ },
      `REXEC_METRICS_PORT=${port}`,
    );
  }
  t.throws(() => loadConfig({ REXEC_METRICS_PORT: '9100', REXEC_METRICS_BIND: 'not a host!' }), {
    message: /REXEC_METRICS_BIND/,
  });
  t.throws(
    () => loadConfig({ REXEC_PORT: '8080', REXEC_METRICS_PORT: '8080' }),
    { name: 'ConfigError', message: /REXEC_METRICS_PORT: must differ from REXEC_PORT/ },
    'never the API port',
  );
  t.end();
});

void t.test('flags override their variables; unknown flags are refused', (t) => {
  const env = applyFlags({ REXEC_PORT: '1' }, [
    '--port',
    '9090',
    '--scheduler-strategy=spread',
    '--cpu-overcommit=2',
  ]);
  t.equal(loadConfig(env).port, 9090);
  t.equal(loadConfig(env).cpuOvercommit, 2);
  t.equal(loadConfig(env).schedulerStrategy, 'spread');
  t.throws(() => applyFlags({}, ['--nope']), ConfigError);
  t.throws(() => applyFlags({}, ['stray']), ConfigError);
  t.end();
});

void t.test('config errors name secret variables but never show their values', (t) => {
  const secrets: Record<string, string> = {
    REXEC_DATABASE_URL: 'postgres://rexec:s3cretpw@db host/rexec',
    REXEC_BOOTSTRAP_ADMIN_TOKEN: 'rexec_s3cretpw',
    REXEC_CLUSTER_SECRET: 's3cretpw',
  };
  for (const [variable, value] of Object.entries(secrets)) {
    t.throws(() => loadConfig({ [variable]: value }), { message: new RegExp(variable) }, variable);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      t.notMatch((error as Error).message, /s3cretpw/, `${variable} is not echoed`);
    }
  }
  t.match(
    (() => {
      try {
        loadConfig({ REXEC_PORT: 'eighty' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })(),
    /got "eighty"/,
    'a plain value is still shown',
  );
  try {
    applyFlags({}, ['rexec_s3cretpw']);
    t.fail('a stray argument is refused');
  } catch (error) {
    t.type(error, ConfigError);
    t.notMatch((error as Error).message, /s3cretpw/, 'a stray argument is not echoed');
  }
  t.end();
});
