// This machine has every program the agent runs, for both engines the suite drives: a fresh
// Debian machine prepared by .ci/run must not lack one (catatonit once came only as a "Recommends"
// and every `--init` run failed). A missing binary fails here by name, with the package to install.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  HOST_REQUIREMENTS,
  debianPackagesFor,
  requirementsFor,
} from '../../../packages/agent/src/doctor/host-requirements.js';
import { locateBinary } from '../../../packages/agent/src/doctor/locate-binary.js';
import { ENGINE_KINDS } from '../../helpers/engine.js';

void t.test(
  'every binary the agent runs is installed on this machine, for each engine',
  async (t) => {
    for (const kind of ENGINE_KINDS) {
      for (const requirement of requirementsFor(kind)) {
        const found = await locateBinary(requirement);
        t.not(
          found,
          null,
          `${kind}: ${requirement.binary} is installed (${requirement.purpose}; ` +
            `when missing: apt-get install ${requirement.debianPackage})`,
        );
      }
    }
  },
);

void t.test('each engine lists its own engine and init binary, and no other engine', (t) => {
  const podman = requirementsFor('podman').map((r) => r.binary);
  const docker = requirementsFor('docker').map((r) => r.binary);
  t.ok(podman.includes('podman') && podman.includes('catatonit'));
  t.notOk(podman.includes('docker'));
  t.ok(docker.includes('docker') && docker.includes('docker-init'));
  t.notOk(docker.includes('catatonit'));
  t.same(
    debianPackagesFor('podman').filter((p) => p === 'util-linux'),
    ['util-linux'],
    'a package that brings two binaries is named once',
  );
  t.ok(HOST_REQUIREMENTS.every((r) => r.debianPackage !== ''));
  t.end();
});

void t.test(
  'locateBinary looks only at the fixed paths when given (podman never uses PATH), else on PATH',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rexec-locate-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const onPath = join(dir, 'bin');
    const fixed = join(dir, 'libexec-tool');
    await mkdir(onPath);
    await writeFile(join(onPath, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(fixed, '#!/bin/sh\n');

    const requirement = { binary: 'tool', paths: [fixed] };
    t.equal(await locateBinary(requirement, onPath), null, 'not executable at the fixed path');
    await chmod(fixed, 0o755);
    t.equal(await locateBinary(requirement, onPath), fixed);
    t.equal(await locateBinary({ binary: 'tool' }, onPath), join(onPath, 'tool'), 'found on PATH');
    t.equal(await locateBinary({ binary: 'tool' }, ''), null, 'an empty PATH finds nothing');
  },
);
