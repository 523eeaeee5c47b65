// The generated setup scripts for every role and package manager: valid POSIX sh, strict and
// non-interactive, the right packages, retries, and none for barebone. apk, pacman and dnf scripts
// cannot run here: no Alpine, Arch or Fedora archive (nor image registry) is reachable from this
// machine, so they are checked for syntax by two POSIX shells (dash and busybox ash, Alpine's sh)
// and their failure path is run for real in the busybox image, which has no package manager.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ROLE_NAMES } from '@rexec/protocol';
import { ROLE_PACKAGE_MANAGERS } from '../../../packages/agent/src/roles/package-managers.js';
import { ROLE_PACKAGES } from '../../../packages/agent/src/roles/role-packages.js';
import {
  roleSetupScript,
  SETUP_FAILURE_PREFIX,
} from '../../../packages/agent/src/roles/setup-script.js';
import { BUSYBOX_IMAGE, idleContainer } from './fixture.js';

const run = promisify(execFile);
const SHELLS: readonly (readonly string[])[] = [['sh'], ['busybox', 'sh']];

void t.test(
  'every role but barebone has a script for every package manager that sh -n accepts',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rexec-roles-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    for (const role of ROLE_NAMES) {
      for (const pm of ROLE_PACKAGE_MANAGERS) {
        const script = roleSetupScript(role, pm);
        if (role === 'barebone') {
          t.equal(script, null, `barebone on ${pm} has no setup step`);
          continue;
        }
        if (script === null) {
          t.fail(`${role} on ${pm} has no script`);
          continue;
        }
        const file = join(dir, `${role}-${pm}.sh`);
        await writeFile(file, script);
        for (const [shell, ...args] of SHELLS) {
          if (shell === undefined) continue;
          // sh -n exits non-zero with the offending line on a syntax error, which fails here.
          await run(shell, [...args, '-n', file]);
        }
        t.ok(script.startsWith('#!/bin/sh\n'), `${role}/${pm} is a sh script`);
        t.match(script, /^set -eu$/m, `${role}/${pm} runs in strict mode`);
        t.match(script, /^rexec_retry .+$/m, `${role}/${pm} retries the index refresh`);
        for (const name of ROLE_PACKAGES[role].packages[pm]) {
          t.ok(script.includes(`'${name}'`), `${role}/${pm} installs ${name}`);
        }
      }
    }
  },
);

void t.test('each package manager is driven without prompts', (t) => {
  t.match(roleSetupScript('node', 'apt'), /export DEBIAN_FRONTEND=noninteractive/);
  t.match(roleSetupScript('node', 'apt'), /apt-get install -y /);
  t.match(roleSetupScript('node', 'apk'), /apk add /);
  t.match(roleSetupScript('node', 'pacman'), /pacman -Su --noconfirm --needed /);
  t.match(roleSetupScript('node', 'dnf'), /dnf -y install /);
  t.end();
});

void t.test('the roles install what their names promise', (t) => {
  t.same(ROLE_PACKAGES.node.packages.apt, ['nodejs', 'npm']);
  t.same(ROLE_PACKAGES.python.packages.apt, ['python3', 'python3-pip', 'python3-venv']);
  t.ok(ROLE_PACKAGES.go.packages.dnf.includes('golang'));
  t.same(ROLE_PACKAGES.rust.packages.apt, ['rustc', 'cargo']);
  for (const pm of ROLE_PACKAGE_MANAGERS) {
    for (const tool of ['git', 'curl', 'make', 'jq', 'ansible-core']) {
      t.ok(ROLE_PACKAGES.devops.packages[pm].includes(tool), `devops on ${pm} has ${tool}`);
    }
  }
  t.end();
});

void t.test('nonsensical retry options are refused', (t) => {
  t.throws(() => roleSetupScript('go', 'apt', { attempts: 0 }), RangeError);
  t.throws(() => roleSetupScript('go', 'apt', { retryDelaySeconds: -1 }), RangeError);
  t.throws(() => roleSetupScript('go', 'apt', { attempts: 1.5 }), RangeError);
  t.end();
});

void t.test(
  'a script whose package manager is missing fails with a last line naming the step',
  async (t) => {
    // busybox has none of the four managers, so every script fails at its first real command.
    const { shell } = await idleContainer(t, BUSYBOX_IMAGE);
    for (const pm of ROLE_PACKAGE_MANAGERS) {
      const script = roleSetupScript('go', pm, { attempts: 2, retryDelaySeconds: 0 });
      if (script === null) throw new Error('go always has a script');
      const result = await shell(script, { timeoutMs: 60_000 });
      t.not(result.exitCode, 0, `${pm} script fails`);
      t.match(result.output, /attempt 1 failed .*retrying/, `${pm} script retried`);
      const lastLine = result.output.trim().split('\n').at(-1) ?? '';
      t.equal(
        lastLine,
        `${SETUP_FAILURE_PREFIX}: role go (${pm}) failed while refreshing the package index ` +
          `(exit ${result.exitCode})`,
        `${pm} script says why in its last line`,
      );
    }
  },
);
