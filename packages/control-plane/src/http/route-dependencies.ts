// What every route plugin receives, apart from app.ts so that the routes, which app.ts imports,
// do not import app.ts back.
import type { Database } from '../db/open.js';
import type { EventWake } from '../events/event-wake.js';
import type { BackgroundExecs } from '../exec/background-execs.js';
import type { ExecRunner } from '../exec/exec-runner.js';
import type { ExecStreamRelay } from '../exec/exec-stream-relay.js';
import type { FileService } from '../files/index.js';
import type { CommandChannel } from '../hub/channel.js';
import type { Launches } from '../lifecycle/launches.js';
import type { RunningBatcher } from '../lifecycle/running-batch.js';
import type { Placer } from '../scheduler/placer.js';
import type { HostApproval } from '../services/host-enrollment.js';
import type { AllowedRegistries } from '../services/image-policy.js';
import type { TerminalRelay } from '../terminal/relay.js';
import type { TerminalForwarder } from '../terminal/replica-forward.js';
import type { AddressPolicy } from '../webhooks/address-policy.js';
import type { IpLimits } from './ip-limits.js';

/** What every route plugin receives. */
export interface RouteDependencies {
  database: Database;
  ipLimits: IpLimits;
  /** Orders the hosts for a create (scheduler/placer.ts), one per database. */
  placer: Placer;
  /** Container commands, through whichever replica holds the host (hub/command-relay.ts). */
  hub?: CommandChannel;
  /** The moves to running of this database (main.ts's, shared with the lifecycle). */
  running: RunningBatcher;
  /** The creates launched in the background, which shutdown waits for. */
  launches: Launches;
  /**
   * This process's own hub: whether a host's socket is here, which terminals, execs and files
   * need (their channels are not relayed). The same as `hub` when absent.
   */
  sockets?: CommandChannel;
  terminals?: TerminalRelay;
  /** Terminals and execs for hosts another replica holds go there (replicas on one database). */
  replicaForwarding?: ReplicaForwarding;
  execs?: ExecRunner;
  backgroundExecs?: BackgroundExecs;
  execStreams?: ExecStreamRelay;
  hostApproval?: HostApproval;
  allowedRegistries?: AllowedRegistries;
  files?: FileService;
  webhookPolicy?: AddressPolicy;
  eventWake?: EventWake;
  sseHeartbeatMs: number;
  /** True once this replica began to shut down: /readyz answers 503 from then on. */
  shuttingDown?: () => boolean;
  idleMinuteMs: number;
}

/** Which replica holds a host, and how work gets there (absent without REXEC_CLUSTER_SECRET). */
export interface ReplicaForwarding {
  holderOf(hostId: string): Promise<string | undefined>;
  forwarder: TerminalForwarder | undefined;
  /** The key forwarded execs and file operations are signed with (forward-signature.ts). */
  key: Buffer | undefined;
}
