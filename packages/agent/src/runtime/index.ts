// The agent's container runtime layer: one ContainerRuntime interface and its docker/podman CLI
// implementation. The daemon (WebSocket, commands, main) builds on this; nothing here talks to
// the control plane.
export { createCliRuntime } from './cli-runtime.js';
export type { CliRuntimeOptions } from './cli-runtime-options.js';
export type { EngineCallRecorder } from './engine-cli.js';
export { isRuntimeError, RuntimeError } from './errors.js';
export type { RuntimeErrorCode, RuntimeErrorDetails } from './errors.js';
export {
  containerName,
  homeVolumeName,
  homeVolumeOf,
  LABEL_CONTAINER_ID,
  LABEL_HOME_VOLUME,
  LABEL_HOST_ID,
  LABEL_MANAGED,
  LABEL_DISK_MB,
  LABEL_NETWORK_MBPS,
  LABEL_USER_ID,
  shortHash,
  userNetworkName,
} from './labels.js';
export {
  DEFAULT_SUBNET_POOL,
  DEFAULT_SUBNET_PREFIX,
  parseSubnetPool,
  poolCidr,
  SubnetPoolError,
} from './subnet-pool.js';
export type { SubnetPool } from './subnet-pool.js';
export { CAPABILITY_ALLOW_LIST } from './run-args.js';
export type * from './types.js';
