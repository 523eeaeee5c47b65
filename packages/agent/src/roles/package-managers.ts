// The package managers role setup knows how to drive, and the sh fragments that refresh their
// index and install packages non-interactively. Which packages a role needs is role-packages.ts's;
// stitching fragments into a script is setup-script.ts's.

export const ROLE_PACKAGE_MANAGERS = ['apt', 'apk', 'pacman', 'dnf'] as const;
export type RolePackageManager = (typeof ROLE_PACKAGE_MANAGERS)[number];

export function isRolePackageManager(value: string): value is RolePackageManager {
  return (ROLE_PACKAGE_MANAGERS as readonly string[]).includes(value);
}

/** sh fragments for one package manager; `install` ends with the package list, appended as words. */
export interface PackageManagerCommands {
  /** Environment the manager needs to never prompt. */
  exports: readonly string[];
  /** Refreshes the package index; run with retries, so it must be safe to repeat. */
  refreshIndex: string;
  /** Installs packages (and, for pacman, upgrades the system: Arch does not support partial upgrades). */
  install: string;
  /** Drops downloaded archives; failure here never fails the setup. */
  clean: string;
}

export const PACKAGE_MANAGER_COMMANDS: Readonly<
  Record<RolePackageManager, PackageManagerCommands>
> = {
  apt: {
    exports: ['DEBIAN_FRONTEND=noninteractive'],
    // apt-get update only warns when a source is unreachable and then exits 0; Error-Mode=any
    // turns that into a failure so a dead archive is reported here, not as "package not found".
    refreshIndex: 'apt-get update -q -o Acquire::Retries=3 -o APT::Update::Error-Mode=any',
    install:
      'apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 ' +
      // unsafe-io skips dpkg's fsyncs: a container's disk is scratch until setup succeeds.
      '-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ' +
      '-o Dpkg::Options::=--force-unsafe-io',
    clean: 'apt-get clean',
  },
  apk: {
    exports: [],
    refreshIndex: 'apk update',
    install: 'apk add',
    clean: 'rm -rf /var/cache/apk/*',
  },
  pacman: {
    exports: [],
    refreshIndex: 'pacman -Sy --noconfirm',
    install: 'pacman -Su --noconfirm --needed',
    clean: 'pacman -Scc --noconfirm',
  },
  dnf: {
    exports: [],
    refreshIndex: 'dnf -y makecache',
    install: 'dnf -y install --setopt=install_weak_deps=False',
    clean: 'dnf clean packages',
  },
};
