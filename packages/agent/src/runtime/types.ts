// The contract between the agent and a container engine: the ContainerRuntime interface and the
// values it takes and returns. Engine-neutral on purpose: argv, JSON shapes and event formats of
// docker and podman stay inside the CLI implementation (cli-runtime.ts and its helpers).

export type RuntimeKind = 'docker' | 'podman';

/** The engine's many states folded into the five the control plane cares about. */
export type ContainerState = 'created' | 'running' | 'paused' | 'exited' | 'dead';

/**
 * What to run. The engine name (`rexec-<containerId>`), the home volume (`rexec-home-<containerId>`)
 * and the io.rexec.* labels are derived from the ids by the runtime, so they cannot disagree.
 */
export interface ContainerSpec {
  /** Rexec's container id; 1–56 of `[a-zA-Z0-9_.-]`, starting alphanumeric. */
  containerId: string;
  userId: string;
  /** An OCI reference; pulled (through a configured mirror) only when the engine lacks it. */
  image: string;
  /**
   * `always`: pulled before every run (each use asks the registry, so a copy in the engine's cache
   * that another tenant pulled is never run alone); `missing` (default): only when absent.
   */
  imagePull?: 'always' | 'missing';
  cpuMillicores: number;
  memoryMb: number;
  pidsLimit: number;
  env?: Readonly<Record<string, string>>;
  /** Overrides the image's command; the image's default runs when omitted. */
  command?: readonly string[];
  /** Where the home volume is mounted; `/root` when omitted. */
  homeDir?: string;
  /**
   * The tier's disk limit: recorded in the `io.rexec.disk-mb` label (so the disk monitor knows it
   * after an agent restart) and passed as `--storage-opt size=` when the engine can enforce it.
   */
  diskMb?: number;
  /** The bandwidth limit, both ways; recorded in the `io.rexec.network-mbps` label. */
  networkMbps?: number;
  /** The engine network to attach to (the user's own); the engine's default when omitted. */
  network?: string;
}

/** Where a container lives on the host, for the parts that work beside the engine (tc, du). */
export interface ContainerPlacement {
  containerId: string;
  /** The container's init process on the host; 0 when it is not running. */
  pid: number;
  /** The writable layer's directory (overlay upper dir); null when the driver has none. */
  writableDir: string | null;
  /** The home volume's directory on the host; null when it has no home volume. */
  homeVolumeDir: string | null;
  /** Every other volume's directory (an image's VOLUME paths on docker): measured too. */
  volumeDirs: readonly string[];
}

/**
 * Applies bandwidth limits from beside the engine (network/tc-shaper.ts: tc in the container's
 * network namespace). Injected into the CLI runtime, which knows when a container (re)starts.
 */
export interface NetworkShaper {
  /** Shapes traffic both ways in the network namespace of `pid` to `mbps`; safe to repeat. */
  shape(pid: number, mbps: number): Promise<void>;
}

/** Limits as the engine reports them (null when the engine sets none). */
export interface ObservedLimits {
  cpuMillicores: number | null;
  memoryMb: number | null;
  memorySwapMb: number | null;
  pidsLimit: number | null;
}

export interface ObservedContainer {
  /** Rexec's id, from the io.rexec.container-id label. */
  containerId: string;
  /** The engine's own 64-hex id. */
  engineId: string;
  name: string;
  image: string;
  hostId: string;
  userId: string | null;
  state: ContainerState;
  /** The last exit code; null while the container has never exited or is running. */
  exitCode: number | null;
  /** True when the last run ended in a kill by the kernel's OOM killer inside its memory limit. */
  oomKilled: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  limits: ObservedLimits;
  labels: Readonly<Record<string, string>>;
}

/** What createAndStart resolves to: the container, and whether the create changed anything. */
export interface CreatedContainer extends ObservedContainer {
  /** True when the container already existed and was running (a replayed create). */
  replayed: boolean;
}

export type RuntimeEventKind =
  'create' | 'start' | 'die' | 'oom' | 'stop' | 'pause' | 'unpause' | 'destroy';

export interface RuntimeEvent {
  kind: RuntimeEventKind;
  containerId: string;
  engineId: string;
  /** Set on `die`; null otherwise or when the engine did not say. */
  exitCode: number | null;
  /** On `die`: whether this run ended in an OOM kill. Always true on `oom`. */
  oomKilled: boolean;
  at: Date;
}

export interface RuntimeInfo {
  kind: RuntimeKind;
  version: string;
  storageDriver: string;
  /**
   * Whether `--storage-opt size=` can cap a container's disk (btrfs, zfs, overlay on xfs mounted
   * with project quotas); null when it cannot be told (the storage root's mount is unreadable).
   */
  storageOptSize: boolean | null;
  cgroupVersion: 1 | 2 | null;
  /**
   * Whether containers run in a user namespace (uid 0 inside is unprivileged outside): podman's
   * `--userns=auto` when /etc/subuid gives it ids, docker's userns-remap. null until settled.
   */
  userNamespaces: boolean | null;
  /** The range used, or what to configure to turn user namespaces on. */
  userNamespacesDetail?: string;
}

export interface WatchEventsOptions {
  /**
   * Called when the engine's event stream died and was restarted. Events in the gap are replayed
   * with `--since`, but a caller that must not miss anything can re-list here.
   */
  onRestart?: (reason: Error) => void;
}

/** A live feed of this host's container events; iterate it once, stop it when done. */
export interface RuntimeEventStream extends AsyncIterable<RuntimeEvent> {
  /** Ends the iteration and kills the engine processes behind it. */
  stop(): Promise<void>;
}

export interface RemoveOptions {
  /** Leave the home volume on the engine (a `remove` command with `remove_volume: false`). */
  keepVolume?: boolean;
}

export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  readonly hostId: string;
  info(): Promise<RuntimeInfo>;
  /** Whether the image is present locally (pulling is not this layer's job). */
  imageExists(image: string): Promise<boolean>;
  /**
   * Creates and starts the container; a replay returns the existing one, started. A new one is
   * described from what `run` was told and printed (state `running`, the requested limits), not
   * re-inspected; later changes arrive through watchEvents.
   */
  createAndStart(spec: ContainerSpec): Promise<CreatedContainer>;
  start(containerId: string): Promise<ObservedContainer>;
  /** Stops with SIGTERM, then SIGKILL after `timeoutSeconds`; stopping a stopped one succeeds. */
  stop(containerId: string, timeoutSeconds: number): Promise<ObservedContainer>;
  /**
   * Removes the container and its home volume (with `keepVolume`, the volume stays, unattached);
   * removing a missing one succeeds.
   */
  remove(containerId: string, options?: RemoveOptions): Promise<void>;
  /** Every container labelled with this runtime's host id. */
  list(): Promise<ObservedContainer[]>;
  /** The container, or null when it does not exist. */
  inspect(containerId: string): Promise<ObservedContainer | null>;
  /** Its pid and directories on the host, or null when it does not exist. */
  locate(containerId: string): Promise<ContainerPlacement | null>;
  watchEvents(options?: WatchEventsOptions): RuntimeEventStream;
  /**
   * After an engine call on the container failed with `failure`: resets podman's count of its
   * root filesystem's mounts when the failure says the mount point is gone and it is (left-mount.ts);
   * true when it did and the call may be made again. Run it in the container's command queue.
   */
  repairLeftMount(containerId: string, failure: string): Promise<boolean>;
  /**
   * Once, at the agent's start: sweeps what an earlier agent left unused (empty pooled home
   * volumes, idle user networks) and readies what creates take (the home volume pool, the list of
   * existing user networks). Creates work without it, only slower.
   */
  prepare(): Promise<void>;
  /** Stops background upkeep (idle network timers); the containers are untouched. */
  close(): void;
}
