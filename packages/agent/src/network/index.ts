// The agent's network enforcement beside the engine: tc shaping in containers' namespaces and the
// iptables host guard. Per-user engine networks are the runtime's (runtime/user-networks.ts).
export {
  guardChainsPresent,
  hostGuardChains,
  HostGuardError,
  installHostGuard,
  removeGuardChains,
  removeHostGuard,
} from './host-guard.js';
export type { HostGuardOptions } from './host-guard.js';
export {
  DEFAULT_EGRESS_DENY,
  DEFAULT_EGRESS_DENY_V6,
  EgressPolicyError,
  egressPolicy,
  parseEgressAllow,
  parseEgressDeny,
} from './egress-policy.js';
export type { EgressAllowEntry, EgressPolicy } from './egress-policy.js';
export {
  hostResolvers,
  remoteControlPlane,
  setUpNetworkEnforcement,
} from './network-enforcement.js';
export type { NetworkEnforcement, NetworkSetup } from './network-enforcement.js';
export { probeShaping } from './shaping-probe.js';
export { createTcShaper, ShapingError } from './tc-shaper.js';
