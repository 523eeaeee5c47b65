// What createCliRuntime is given (cli-runtime.ts): the engine, this host's id, and the settings
// of the agent that shape how containers are run, shaped and cleaned up.
import type { Logger } from 'pino';
import type { EngineCallRecorder } from './engine-cli.js';
import type { RegistryMirrors } from './registry-mirrors.js';
import type { SubnetPool } from './subnet-pool.js';
import type { NetworkShaper, RuntimeKind } from './types.js';

export interface CliRuntimeOptions {
  kind: RuntimeKind;
  /** The CLI to run; defaults to `kind` found on PATH. */
  binary?: string;
  /** This agent's host id; only containers labelled with it are ever touched. */
  hostId: string;
  log: Logger;
  /**
   * Also follow the kernel log for OOM kills the engine misses (podman with conmon on cgroup v1
   * does). Needs permission to read it; without, a warning is logged and the engine alone is used.
   */
  kernelOomWatch?: boolean;
  commandTimeoutMs?: number;
  /** Registry host → mirror host for pulls (REXEC_REGISTRY_MIRRORS); none when omitted. */
  registryMirrors?: RegistryMirrors;
  /** Where per-user networks take their subnets (REXEC_USER_NETWORK_POOL); 10.213.0.0/16 in /24s. */
  userNetworkPool?: SubnetPool;
  /**
   * Applies `networkMbps` after every start. Omitted when the host cannot shape: the limit is then
   * only recorded in a label, and the host's HELLO says shaping is off.
   */
  shaper?: NetworkShaper;
  /**
   * How long a user's network stays after their last container here goes
   * (REXEC_USER_NETWORK_IDLE_SECONDS); 0, the default here, removes it with that container.
   */
  userNetworkIdleMs?: number;
  /** Home volumes created ahead of creates (REXEC_HOME_VOLUME_POOL); none when omitted. */
  homeVolumePool?: number;
  /** podman pid files go here (under the agent's runtime directory); inspect is used without. */
  pidDir?: string;
  /** Images larger than this are refused and removed (REXEC_MAX_IMAGE_MB); no cap when omitted or 0. */
  maxImageMb?: number;
  /** Times every engine command by verb and outcome (metrics); nothing recorded when omitted. */
  engineCalls?: EngineCallRecorder;
}
