// What each role installs on each package manager, and the commands that prove it worked. The
// names differ per distribution (Debian's golang-go is Alpine's and Arch's go, Fedora's golang);
// barebone installs nothing and so has no entry. Turning this into a script is setup-script.ts's.
import type { RoleName } from '@rexec/protocol';
import type { RolePackageManager } from './package-managers.js';

/** Roles that install something: every role but `barebone`. */
export type SetupRole = Exclude<RoleName, 'barebone'>;

export interface RolePackages {
  packages: Readonly<Record<RolePackageManager, readonly string[]>>;
  /** Run after installing; each must exit 0 or the setup fails naming it. */
  verify: readonly string[];
}

// The devops CLIs each archive actually carries: Debian/Ubuntu and Fedora ship no usable kubectl
// or helm (Debian's kubernetes-client is 1.20), Alpine's community repo has kubectl and helm, and
// Arch's extra repo also has terraform. ansible-core is in all four.
const DEVOPS_COMMON = ['git', 'curl', 'make', 'jq', 'rsync', 'unzip', 'ca-certificates'];

export const ROLE_PACKAGES: Readonly<Record<SetupRole, RolePackages>> = {
  node: {
    packages: {
      apt: ['nodejs', 'npm'],
      apk: ['nodejs', 'npm'],
      pacman: ['nodejs', 'npm'],
      dnf: ['nodejs', 'npm'],
    },
    verify: ['node --version', 'npm --version'],
  },
  python: {
    packages: {
      apt: ['python3', 'python3-pip', 'python3-venv'],
      // venv is part of the python3 package on Alpine, Arch and Fedora.
      apk: ['python3', 'py3-pip'],
      pacman: ['python', 'python-pip'],
      dnf: ['python3', 'python3-pip'],
    },
    // Making a venv is the real check: Debian's python3 has the venv module but not ensurepip,
    // which only python3-venv brings.
    verify: [
      'python3 --version',
      'python3 -m pip --version',
      "sh -c 'python3 -m venv /tmp/rexec-venv-check && rm -rf /tmp/rexec-venv-check'",
    ],
  },
  go: {
    packages: {
      // golang-go is the compiler and tools; Debian's `golang` adds the docs and sources on top.
      apt: ['golang-go', 'ca-certificates', 'git'],
      apk: ['go', 'git'],
      pacman: ['go', 'git'],
      dnf: ['golang', 'git'],
    },
    verify: ['go version'],
  },
  rust: {
    packages: {
      apt: ['rustc', 'cargo'],
      apk: ['rust', 'cargo'],
      pacman: ['rust'],
      dnf: ['rust', 'cargo'],
    },
    verify: ['rustc --version', 'cargo --version'],
  },
  devops: {
    packages: {
      apt: [...DEVOPS_COMMON, 'openssh-client', 'ansible-core'],
      apk: [...DEVOPS_COMMON, 'openssh-client', 'ansible-core', 'kubectl', 'helm'],
      pacman: [...DEVOPS_COMMON, 'openssh', 'ansible-core', 'kubectl', 'helm', 'terraform'],
      dnf: [...DEVOPS_COMMON, 'openssh-clients', 'ansible-core'],
    },
    verify: ['git --version', 'curl --version', 'make --version', 'jq --version', 'ssh -V'],
  },
};

export function isSetupRole(role: RoleName): role is SetupRole {
  return role !== 'barebone';
}
