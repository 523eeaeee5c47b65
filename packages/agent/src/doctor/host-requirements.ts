// Every program the agent runs on its host, with the Debian package that brings it and what it is
// for. One list for `rexec-agent doctor`, the install script's package list and the suite's check
// that a fresh machine has them all; finding a binary on disk is locate-binary.ts's job.
import type { RuntimeKind } from '@rexec/protocol';

export interface HostRequirement {
  /** The name the agent runs it by (looked up on PATH), or a fixed path's basename. */
  readonly binary: string;
  /** Where the engine looks for it, when that is not PATH (podman's `--init` binary). */
  readonly paths?: readonly string[];
  /** The Debian package that installs it. */
  readonly debianPackage: string;
  /** Which engines need it; both when absent. */
  readonly engines?: readonly RuntimeKind[];
  /** Whether a host without it cannot run Rexec containers at all (else a feature is lost). */
  readonly required: boolean;
  readonly purpose: string;
}

export const HOST_REQUIREMENTS: readonly HostRequirement[] = [
  {
    binary: 'podman',
    debianPackage: 'podman',
    engines: ['podman'],
    required: true,
    purpose: 'the container engine',
  },
  {
    binary: 'runc',
    debianPackage: 'runc',
    engines: ['podman', 'docker'],
    required: true,
    purpose: 'the OCI runtime (crun refuses hybrid cgroup layouts)',
  },
  {
    // Debian installs it only as a "Recommends" of podman: `--no-install-recommends` leaves it out
    // and every `podman run --init` then fails with "container-init binary not found".
    binary: 'catatonit',
    // podman's helper_binaries_dir defaults, in its order.
    paths: [
      '/usr/local/libexec/podman/catatonit',
      '/usr/local/lib/podman/catatonit',
      '/usr/libexec/podman/catatonit',
      '/usr/lib/podman/catatonit',
    ],
    debianPackage: 'catatonit',
    engines: ['podman'],
    required: true,
    purpose: "podman's --init process, which makes stop prompt and reaps zombies",
  },
  {
    binary: 'docker',
    debianPackage: 'docker.io',
    engines: ['docker'],
    required: true,
    purpose: 'the container engine',
  },
  {
    binary: 'docker-init',
    debianPackage: 'tini',
    engines: ['docker'],
    required: true,
    purpose: "docker's --init process, which makes stop prompt and reaps zombies",
  },
  {
    binary: 'iptables',
    debianPackage: 'iptables',
    required: false,
    purpose: 'the host guard that keeps containers off the host and other users',
  },
  {
    binary: 'tc',
    debianPackage: 'iproute2',
    required: false,
    purpose: 'network bandwidth shaping',
  },
  {
    binary: 'nsenter',
    debianPackage: 'util-linux',
    required: false,
    purpose: "entering a container's network namespace to shape it",
  },
  {
    binary: 'unshare',
    debianPackage: 'util-linux',
    required: false,
    purpose: 'probing whether this host can shape traffic',
  },
  {
    binary: 'du',
    debianPackage: 'coreutils',
    required: true,
    purpose: 'measuring container disk use for the disk quota',
  },
];

/** The requirements of a host running `engine`. */
export function requirementsFor(engine: RuntimeKind): HostRequirement[] {
  return HOST_REQUIREMENTS.filter((r) => r.engines === undefined || r.engines.includes(engine));
}

/** The Debian packages a host running `engine` needs, each once, in list order. */
export function debianPackagesFor(engine: RuntimeKind): string[] {
  return [...new Set(requirementsFor(engine).map((r) => r.debianPackage))];
}
