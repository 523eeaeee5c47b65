// The agent's image and role settings: REXEC_REGISTRY_MIRRORS parsed and applied to references,
// REXEC_ROLE_SETUP_TIMEOUT_SECONDS bounded, each bad value refused naming its variable.
import t from 'tap';
import { ConfigError, loadConfig } from '../../../packages/agent/src/config.js';
import {
  mirrorReference,
  parseRegistryMirrors,
  RegistryMirrorsError,
} from '../../../packages/agent/src/runtime/registry-mirrors.js';

const URL_ONLY = { REXEC_URL: 'https://cp.example:8080' };

function failure(env: Record<string, string>): string {
  try {
    loadConfig({ ...URL_ONLY, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

void t.test('role setup takes 10 minutes unless configured', (t) => {
  t.equal(loadConfig(URL_ONLY).roleSetupTimeoutMs, 600_000);
  t.equal(
    loadConfig({ ...URL_ONLY, REXEC_ROLE_SETUP_TIMEOUT_SECONDS: '90' }).roleSetupTimeoutMs,
    90_000,
  );
  t.match(failure({ REXEC_ROLE_SETUP_TIMEOUT_SECONDS: '0' }), /REXEC_ROLE_SETUP_TIMEOUT_SECONDS/);
  t.match(
    failure({ REXEC_ROLE_SETUP_TIMEOUT_SECONDS: '3601' }),
    /REXEC_ROLE_SETUP_TIMEOUT_SECONDS/,
  );
  t.match(failure({ REXEC_ROLE_SETUP_TIMEOUT_SECONDS: 'ten' }), /must be a whole number/);
  t.end();
});

void t.test('mirrors are read from the setting and refused when malformed', (t) => {
  t.equal(loadConfig(URL_ONLY).registryMirrors.size, 0);
  const config = loadConfig({
    ...URL_ONLY,
    REXEC_REGISTRY_MIRRORS: 'docker.io=mirror.local:5000, ghcr.io=ghcr-cache.internal',
  });
  t.same(
    [...config.registryMirrors],
    [
      ['docker.io', 'mirror.local:5000'],
      ['ghcr.io', 'ghcr-cache.internal'],
    ],
  );
  t.match(
    failure({ REXEC_REGISTRY_MIRRORS: 'docker.io' }),
    /REXEC_REGISTRY_MIRRORS .*registry=mirror/,
  );
  t.match(failure({ REXEC_REGISTRY_MIRRORS: 'docker.io=bad host' }), /not a registry host/);
  t.throws(() => parseRegistryMirrors('a.io=b.io,a.io=c.io'), RegistryMirrorsError);
  t.end();
});

void t.test('a mirrored registry is swapped in, others are left alone', (t) => {
  const mirrors = parseRegistryMirrors('docker.io=mirror.local:5000,quay.io=quay.mirror');
  t.equal(
    mirrorReference('docker.io/library/debian:bookworm', mirrors),
    'mirror.local:5000/library/debian:bookworm',
  );
  t.equal(mirrorReference('debian:bookworm', mirrors), 'mirror.local:5000/library/debian:bookworm');
  t.equal(mirrorReference('someone/app:1', mirrors), 'mirror.local:5000/someone/app:1');
  t.equal(
    mirrorReference('quay.io/org/tool@sha256:' + 'a'.repeat(64), mirrors),
    `quay.mirror/org/tool@sha256:${'a'.repeat(64)}`,
  );
  t.equal(mirrorReference('ghcr.io/org/tool:2', mirrors), null);
  t.equal(mirrorReference('localhost/rexec-test/busybox:latest', mirrors), null);
  t.end();
});
