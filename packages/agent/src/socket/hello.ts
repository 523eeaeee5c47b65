// Builds AGENT_HELLO (PROTOCOL.md §4) at the moment a socket opens: the runtime's kind and version,
// allocatable capacity, platform facts, the full inventory and the optional capabilities served
// (`terminal` when a terminal manager runs), and which limits the host enforces: network shaping
// and isolation as network/ set them up, user namespaces as the runtime found them, disk enforcement as the disk monitor's owner passes it
// (`none` when nothing is passed), and the host's checks when given. Enforcing them is those
// parts' work, not this file's.
import { arch, platform, release } from 'node:os';
import { PROTOCOL_VERSION } from '@rexec/protocol';
import type {
  AgentCapability,
  AgentHello,
  DiskEnforcement,
  HostHealthCheck,
  RuntimeInfo as WireRuntimeInfo,
} from '@rexec/protocol';
import type { Logger } from 'pino';
import type { HostMeter } from '../capacity.js';
import { collectInventory } from '../inventory.js';
import type { NetworkEnforcement } from '../network/index.js';
import type { ContainerRuntime, RuntimeInfo } from '../runtime/index.js';
import { AGENT_VERSION } from '../version.js';

export interface HelloSource {
  runtime: ContainerRuntime;
  meter: HostMeter;
  hostName: string;
  instanceId: string;
  log: Logger;
  /** Capabilities this agent serves, announced as they are. */
  capabilities?: readonly AgentCapability[];
  /** What network/ set up at start; shaping and isolation off when omitted. */
  network?: NetworkEnforcement;
  /** How disk_mb is enforced; `none` when omitted. */
  diskEnforcement?: DiskEnforcementInput;
  /** The host's checks (doctor/host-checks.ts), made anew for each HELLO; none sent when omitted. */
  health?: () => Promise<HostHealthCheck[]>;
}

export interface DiskEnforcementInput {
  mode: DiskEnforcement;
  /** How often usage is measured; null when nothing measures it. */
  checkSeconds: number | null;
}

export interface EnforcementInput {
  network?: NetworkEnforcement;
  diskEnforcement?: DiskEnforcementInput;
}

const NETWORK_OFF: NetworkEnforcement = {
  shaping: false,
  isolation: false,
  detail: 'network enforcement was not set up by this agent',
};

export function toWireRuntimeInfo(
  info: RuntimeInfo,
  enforcement: EnforcementInput = {},
): WireRuntimeInfo {
  const network = enforcement.network ?? NETWORK_OFF;
  const disk = enforcement.diskEnforcement ?? { mode: 'none', checkSeconds: null };
  return {
    kind: info.kind,
    version: info.version,
    ...(info.storageDriver === '' ? {} : { storage_driver: info.storageDriver.slice(0, 64) }),
    disk_enforcement: disk.mode,
    ...(disk.checkSeconds === null ? {} : { disk_check_seconds: disk.checkSeconds }),
    network_shaping: network.shaping,
    network_isolation: network.isolation,
    ...(network.detail === undefined ? {} : { enforcement_detail: network.detail.slice(0, 500) }),
    user_namespaces: info.userNamespaces === true,
    ...(info.userNamespacesDetail === undefined
      ? {}
      : { user_namespaces_detail: info.userNamespacesDetail.slice(0, 500) }),
  };
}

export async function buildHello(source: HelloSource): Promise<AgentHello> {
  const [info, { capacity, measured }, inventory, health] = await Promise.all([
    source.runtime.info(),
    source.meter.measuredAndCapacity(),
    collectInventory(source.runtime, source.log),
    source.health?.(),
  ]);
  return {
    type: 'AGENT_HELLO',
    protocol_version: PROTOCOL_VERSION,
    agent_version: AGENT_VERSION,
    instance_id: source.instanceId,
    host_name: source.hostName,
    runtime: toWireRuntimeInfo(info, {
      ...(source.network === undefined ? {} : { network: source.network }),
      ...(source.diskEnforcement === undefined ? {} : { diskEnforcement: source.diskEnforcement }),
    }),
    capacity,
    measured_capacity: measured,
    inventory,
    capabilities: [...(source.capabilities ?? [])],
    platform: { os: platform(), arch: arch(), kernel: release().slice(0, 128) },
    ...(health === undefined ? {} : { health }),
  };
}
