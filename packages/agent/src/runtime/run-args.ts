// Builds the argv of `run -d` with the limits and hardening of DESIGN §6 (the home volume's
// `volume create` is home-volumes.ts's). Pure functions, identical for docker and podman (every
// flag used here means the same on both) except the podman-only options the caller asks for
// (pid file, user namespace, image volumes); running them is engine-cli.ts's.
import {
  containerName,
  homeVolumeName,
  LABEL_DISK_MB,
  LABEL_HOME_VOLUME,
  LABEL_NETWORK_MBPS,
  labelArgs,
  rexecLabels,
} from './labels.js';
import type { ValidContainerSpec } from './spec.js';
import { USERNS_SIZE } from './user-namespaces.js';

/**
 * Capabilities kept after `--cap-drop ALL`. Enough for a normal root shell in a dev sandbox:
 * CHOWN, DAC_OVERRIDE, FOWNER and FSETID let root manage files it does not own (package managers
 * chown/chmod what they unpack); SETUID and SETGID let su, sudo and apt drop to service users;
 * KILL lets root signal its own processes of other uids; NET_BIND_SERVICE lets dev servers bind
 * ports under 1024. Everything that reaches the host or the network stack (SYS_ADMIN, NET_ADMIN,
 * NET_RAW, MKNOD, SYS_CHROOT, AUDIT_WRITE, SETFCAP, …) stays dropped.
 */
export const CAPABILITY_ALLOW_LIST = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
] as const;

function cpusFlag(cpuMillicores: number): string {
  return String(cpuMillicores / 1000);
}

export interface RunArgsOptions {
  /** The home volume to mount (labelled on the container); `rexec-home-<id>` when omitted. */
  homeVolume?: string;
  /** The engine can cap the writable layer (RuntimeInfo.storageOptSize); `diskMb` becomes `size=`. */
  storageOptSize?: boolean;
  /** podman only: where to write the container's pid, saving an inspect before shaping. */
  pidFile?: string;
  /**
   * The host kernel has IPv6 (RuntimeInfo-independent: /proc/sys/net/ipv6 exists). Then it is
   * switched off inside the container, whose link-local address would otherwise reach the host's
   * and the LAN's IPv6 services past the IPv4-only host guard. A kernel without IPv6 needs nothing.
   */
  hostIpv6?: boolean;
  /** podman only: a user namespace of its own (`--userns=auto`, user-namespaces.ts). */
  userNamespace?: boolean;
  /**
   * `ignore` (podman): an image's VOLUME paths stay in the writable layer, which the disk limit
   * covers, instead of becoming anonymous volumes nothing limits. `engine` (docker, which has no
   * such switch): the engine's volumes, which the disk monitor then measures as well.
   */
  imageVolumes?: 'ignore' | 'engine';
}

/** The flags of RunArgsOptions' user namespace and image volume choices. */
function isolationArgs(options: RunArgsOptions): string[] {
  return [
    ...(options.userNamespace === true ? [`--userns=auto:size=${USERNS_SIZE}`] : []),
    ...(options.imageVolumes === 'ignore' ? ['--image-volume', 'ignore'] : []),
  ];
}

/** The sysctls that leave a container's network namespace without IPv6 (issue 16). */
export const IPV6_OFF = [
  '--sysctl',
  'net.ipv6.conf.all.disable_ipv6=1',
  '--sysctl',
  'net.ipv6.conf.default.disable_ipv6=1',
] as const;

/** Every label a new container carries: who it is and, when set, its tier's disk and network limits. */
export function containerLabels(spec: ValidContainerSpec, hostId: string): Record<string, string> {
  return {
    ...rexecLabels({ containerId: spec.containerId, hostId, userId: spec.userId }),
    ...(spec.diskMb === undefined ? {} : { [LABEL_DISK_MB]: String(spec.diskMb) }),
    ...(spec.networkMbps === undefined ? {} : { [LABEL_NETWORK_MBPS]: String(spec.networkMbps) }),
  };
}

export function buildRunArgs(
  spec: ValidContainerSpec,
  hostId: string,
  options: RunArgsOptions = {},
): string[] {
  const name = containerName(spec.containerId);
  const homeVolume = options.homeVolume ?? homeVolumeName(spec.containerId);
  const labels = {
    ...containerLabels(spec, hostId),
    ...(options.homeVolume === undefined ? {} : { [LABEL_HOME_VOLUME]: options.homeVolume }),
  };
  const memory = `${spec.memoryMb}m`;
  const storageSize =
    options.storageOptSize === true && spec.diskMb !== undefined
      ? ['--storage-opt', `size=${spec.diskMb}m`]
      : [];
  return [
    'run',
    '--detach',
    // No registry is assumed reachable and pulling is a separate, reported step.
    '--pull',
    'never',
    '--name',
    name,
    '--hostname',
    name,
    ...labelArgs(labels),
    '--cpus',
    cpusFlag(spec.cpuMillicores),
    '--memory',
    memory,
    // Equal to --memory: no swap on top of the limit, so the memory limit is the real one.
    '--memory-swap',
    memory,
    '--pids-limit',
    String(spec.pidsLimit),
    '--cap-drop',
    'ALL',
    ...CAPABILITY_ALLOW_LIST.flatMap((capability) => ['--cap-add', capability]),
    '--security-opt',
    'no-new-privileges',
    // An init as PID 1 reaps zombies and forwards SIGTERM, so `stop` is prompt.
    '--init',
    '--restart',
    'no',
    '--volume',
    `${homeVolume}:${spec.homeDir}`,
    ...(spec.network === undefined ? [] : ['--network', spec.network]),
    ...(options.hostIpv6 === true ? IPV6_OFF : []),
    ...storageSize,
    ...isolationArgs(options),
    ...(options.pidFile === undefined ? [] : ['--pidfile', options.pidFile]),
    ...Object.entries(spec.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    spec.image,
    ...(spec.command ?? []),
  ];
}

/** Copies argv with `--env` values masked, so errors and logs never carry secrets. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    if (index > 0 && args[index - 1] === '--env') {
      const equals = arg.indexOf('=');
      return equals === -1 ? arg : `${arg.slice(0, equals)}=***`;
    }
    return arg;
  });
}
