// Builds AGENT_HELLO (PROTOCOL.md §4) at the moment a socket opens: the runtime's kind and version,
// allocatable capacity, platform facts, the full inventory and the optional capabilities served
// (`terminal` when a terminal manager runs). Role setup and disk monitoring are other parts' work,
// so the runtime reports disk enforcement `none` and no network shaping.
import { arch, platform, release } from 'node:os';
import { PROTOCOL_VERSION } from '@rexec/protocol';
import type { AgentCapability, AgentHello, RuntimeInfo as WireRuntimeInfo } from '@rexec/protocol';
import type { Logger } from 'pino';
import type { HostMeter } from './capacity.js';
import { collectInventory } from './inventory.js';
import type { ContainerRuntime, RuntimeInfo } from './runtime/index.js';
import { AGENT_VERSION } from './version.js';

export interface HelloSource {
  runtime: ContainerRuntime;
  meter: HostMeter;
  hostName: string;
  instanceId: string;
  log: Logger;
  /** Capabilities this agent serves, announced as they are. */
  capabilities?: readonly AgentCapability[];
}

export function toWireRuntimeInfo(info: RuntimeInfo): WireRuntimeInfo {
  return {
    kind: info.kind,
    version: info.version,
    ...(info.storageDriver === '' ? {} : { storage_driver: info.storageDriver.slice(0, 64) }),
    disk_enforcement: 'none',
    network_shaping: false,
  };
}

export async function buildHello(source: HelloSource): Promise<AgentHello> {
  const [info, capacity, inventory] = await Promise.all([
    source.runtime.info(),
    source.meter.capacity(),
    collectInventory(source.runtime, source.log),
  ]);
  return {
    type: 'AGENT_HELLO',
    protocol_version: PROTOCOL_VERSION,
    agent_version: AGENT_VERSION,
    instance_id: source.instanceId,
    host_name: source.hostName,
    runtime: toWireRuntimeInfo(info),
    capacity,
    inventory,
    capabilities: [...(source.capabilities ?? [])],
    platform: { os: platform(), arch: arch(), kernel: release().slice(0, 128) },
  };
}
