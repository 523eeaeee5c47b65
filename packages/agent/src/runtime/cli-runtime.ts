// The ContainerRuntime for the docker and podman CLIs: every operation is an argv array run
// through execa, every output parsed with zod, and every container touched only after its
// io.rexec.host-id label proved it is this host's. Scheduling, protocol and retries are the
// agent's; argv building, parsing, user networks, shaping, a failed create's recovery and the event
// stream live in the files imported below.
import { existsSync } from 'node:fs';
import { retryWhileBusy } from './busy-retry.js';
import { createEngineCli, DEFAULT_COMMAND_TIMEOUT_MS, type EngineCli } from './engine-cli.js';
import { isRuntimeError, RuntimeError } from './errors.js';
import { watchRuntimeEvents } from './event-watch.js';
import { infoFormatArgs, parseInfoOutput, storageRootOf } from './info-parser.js';
import { createContainerShaping, type ContainerShaping } from './container-shaping.js';
import { createContainer, RUN_TIMEOUT_MS, type CreateDeps } from './create-container.js';
import { locateContainer, type ParsedPlacement } from './placement-parser.js';
import { hasProjectQuota } from './storage-quota.js';
import { DEFAULT_SUBNET_POOL, parseSubnetPool } from './subnet-pool.js';
import { createUserNetworks, type UserNetworks } from './user-networks.js';
import { parseInspectOutput, type EngineContainer } from './inspect-parser.js';
import { containerName, homeVolumeOf, LABEL_HOST_ID, LABEL_MANAGED } from './labels.js';
import { createHomeVolumes, type HomeVolumes } from './home-volumes.js';
import { createImageSizeGuard } from './image-size.js';
import type { CliRuntimeOptions } from './cli-runtime-options.js';
import { podmanUserNamespaces, type UserNamespaceSupport } from './user-namespaces.js';
import { createOomMemory, type OomMemory } from './oom-memory.js';
import { failureText, repairLeftMount } from './left-mount.js';
import { parsePsOutput, psFormatArgs } from './ps-parser.js';
import { validateContainerId, validateContainerSpec, type ValidContainerSpec } from './spec.js';
import type {
  ContainerPlacement,
  ContainerRuntime,
  CreatedContainer,
  ObservedContainer,
  RemoveOptions,
  RuntimeInfo,
} from './types.js';

const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const STOP_TIMEOUT_SLACK_SECONDS = 60;

export function createCliRuntime(options: CliRuntimeOptions): ContainerRuntime {
  if (!HOST_ID_PATTERN.test(options.hostId)) {
    throw new RuntimeError(`invalid host id "${options.hostId}"`, { code: 'invalid_spec' });
  }
  const binary = options.binary ?? options.kind;
  const cli = createEngineCli(binary, options.engineCalls);
  const ops = new CliOperations(cli, options, createOomMemory());
  return {
    kind: options.kind,
    hostId: options.hostId,
    // async wrappers so validation failures reject the promise instead of throwing synchronously.
    info: async () => ops.info(),
    imageExists: async (image) => ops.imageExists(image),
    createAndStart: async (spec) => ops.createAndStart(validateContainerSpec(spec)),
    start: async (containerId) => ops.start(validateContainerId(containerId)),
    stop: async (containerId, timeoutSeconds) =>
      ops.stop(validateContainerId(containerId), timeoutSeconds),
    remove: async (containerId, options) => ops.remove(validateContainerId(containerId), options),
    list: async () => ops.list(),
    inspect: async (containerId) => ops.find(validateContainerId(containerId)),
    locate: async (containerId) => ops.locate(validateContainerId(containerId)),
    repairLeftMount: async (containerId, failure) =>
      ops.repairLeftMount(validateContainerId(containerId), failure),
    prepare: () => ops.prepare(),
    close: () => ops.close(),
    watchEvents: (watchOptions) =>
      ops.shaping.tap(
        watchRuntimeEvents(
          {
            kind: options.kind,
            binary,
            hostId: options.hostId,
            log: options.log,
            oomMemory: ops.oomMemory,
            kernelOomWatch: options.kernelOomWatch ?? true,
            resolveContainerId: (engineId) => ops.resolveContainerId(engineId),
          },
          watchOptions,
        ),
      ),
  };
}

class CliOperations {
  private readonly hostId: string;
  private readonly timeoutMs: number;
  private readonly volumes: HomeVolumes;
  private readonly networks: UserNetworks;
  readonly shaping: ContainerShaping;
  private readonly creating: CreateDeps;
  private storageOptSize: boolean | null = null;
  // Settled once: adding subordinate ids takes an agent restart to be used.
  private podmanUserns: Promise<UserNamespaceSupport> | null = null;

  constructor(
    private readonly cli: EngineCli,
    private readonly options: CliRuntimeOptions,
    readonly oomMemory: OomMemory,
  ) {
    this.hostId = options.hostId;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.volumes = createHomeVolumes({
      hostId: options.hostId,
      binary: cli.binary,
      run: (args) => this.run(args),
      poolSize: options.homeVolumePool ?? 0,
      warn: (message, details) => options.log.warn(details, message),
    });
    this.networks = createUserNetworks({
      kind: options.kind,
      hostId: options.hostId,
      pool: options.userNetworkPool ?? parseSubnetPool(DEFAULT_SUBNET_POOL),
      run: (args) => this.run(args),
      idleMs: options.userNetworkIdleMs ?? 0,
      warn: (error, network) =>
        options.log.warn({ err: error, network }, 'could not remove an idle user network'),
    });
    this.shaping = createContainerShaping({
      kind: options.kind,
      shaper: options.shaper,
      log: options.log,
      ...(options.pidDir === undefined ? {} : { pidDir: options.pidDir }),
      locate: async (containerId) => {
        const located = await this.locateWithLabels(containerId);
        return located === null ? null : { pid: located.placement.pid, labels: located.labels };
      },
    });
    this.creating = {
      find: (containerId) => this.find(containerId),
      require: (containerId) => this.require(containerId),
      run: (args) => this.run(args),
      ensureRunning: (observed) => this.ensureRunning(observed),
      volumes: this.volumes,
      networks: this.networks,
      shaping: this.shaping,
      log: options.log,
      cli,
      kind: options.kind,
      hostId: options.hostId,
      registryMirrors: options.registryMirrors ?? new Map(),
      images: createImageSizeGuard(cli, options.maxImageMb ?? 0, options.log),
      storageOptSize: () => this.storageOptSize === true,
      hostIpv6: existsSync('/proc/sys/net/ipv6'),
      userNamespaces: async () =>
        options.kind === 'podman' && (await this.podmanUserNamespaces()).enabled,
    };
  }

  async prepare(): Promise<void> {
    await Promise.all([this.networks.start(), this.volumes.start()]);
  }

  close(): void {
    this.networks.close();
  }

  private run(args: readonly string[], timeoutMs = this.timeoutMs): Promise<string> {
    return this.cli.run(args, { timeoutMs });
  }

  private command(args: readonly string[]): string[] {
    return [this.cli.binary, ...args];
  }

  /** Also remembers whether `--storage-opt size=` works, for the creates that follow. */
  async info(): Promise<RuntimeInfo> {
    const args = infoFormatArgs(this.options.kind);
    const stdout = await this.run(args);
    const info = parseInfoOutput(this.options.kind, stdout, this.command(args));
    if (info.storageOptSize === null) {
      const root = storageRootOf(this.options.kind, stdout, this.command(args));
      if (root !== null) info.storageOptSize = await hasProjectQuota(root);
    }
    this.storageOptSize = info.storageOptSize;
    if (info.userNamespaces === null) {
      const support = await this.podmanUserNamespaces();
      info.userNamespaces = support.enabled;
      info.userNamespacesDetail = support.detail;
    }
    return info;
  }

  private podmanUserNamespaces(): Promise<UserNamespaceSupport> {
    this.podmanUserns ??= podmanUserNamespaces();
    return this.podmanUserns;
  }

  private locateWithLabels(containerId: string): Promise<ParsedPlacement | null> {
    return locateContainer(containerId, this.hostId, (args) => this.run(args), this.cli.binary);
  }

  async locate(containerId: string): Promise<ContainerPlacement | null> {
    return (await this.locateWithLabels(containerId))?.placement ?? null;
  }

  async imageExists(image: string): Promise<boolean> {
    if (image === '' || image.startsWith('-')) {
      throw new RuntimeError(`invalid image reference "${image}"`, { code: 'invalid_spec' });
    }
    try {
      await this.run(['image', 'inspect', image]);
      return true;
    } catch (error) {
      if (isRuntimeError(error, 'image_missing', 'not_found')) return false;
      throw error;
    }
  }

  /** Inspects by engine id or name; null when the engine has no such container. */
  private async inspectEngine(ref: string): Promise<EngineContainer | null> {
    const args = ['container', 'inspect', ref];
    let stdout: string;
    try {
      stdout = await this.run(args);
    } catch (error) {
      if (isRuntimeError(error, 'not_found')) return null;
      throw error;
    }
    return parseInspectOutput(stdout, this.command(args))[0] ?? null;
  }

  // The engine misses OOM kills on some hosts; fill in what the kernel log told us.
  private withOom(observed: ObservedContainer): ObservedContainer {
    if (observed.oomKilled || observed.state === 'running' || observed.state === 'paused') {
      return observed;
    }
    const oomAt = this.oomMemory.get(observed.engineId);
    const killedThisRun =
      oomAt !== undefined && (observed.startedAt === null || oomAt >= observed.startedAt);
    return killedThisRun ? { ...observed, oomKilled: true } : observed;
  }

  private owned(engine: EngineContainer, containerId: string): ObservedContainer {
    const observed = engine.observed;
    if (
      observed === null ||
      observed.containerId !== containerId ||
      engine.labels[LABEL_HOST_ID] !== this.hostId
    ) {
      throw new RuntimeError(
        `container ${containerName(containerId)} is not managed by host ${this.hostId}; refusing to touch it`,
        { code: 'foreign_container' },
      );
    }
    return this.withOom(observed);
  }

  async find(containerId: string): Promise<ObservedContainer | null> {
    const engine = await this.inspectEngine(containerName(containerId));
    return engine === null ? null : this.owned(engine, containerId);
  }

  private async require(containerId: string): Promise<ObservedContainer> {
    const observed = await this.find(containerId);
    if (observed === null) {
      throw new RuntimeError(`container ${containerName(containerId)} does not exist`, {
        code: 'not_found',
        command: this.command(['container', 'inspect', containerName(containerId)]),
      });
    }
    return observed;
  }

  async resolveContainerId(engineId: string): Promise<string | null> {
    const engine = await this.inspectEngine(engineId);
    if (engine?.observed == null || engine.labels[LABEL_HOST_ID] !== this.hostId) return null;
    return engine.observed.containerId;
  }

  private async ensureRunning(observed: ObservedContainer): Promise<ObservedContainer> {
    if (observed.state === 'running') return observed;
    const args =
      observed.state === 'paused' ? ['unpause', observed.engineId] : ['start', observed.engineId];
    const started = this.shaping.ownStart(observed.containerId);
    try {
      try {
        await this.run(args, RUN_TIMEOUT_MS).catch(async (error: unknown) => {
          // Started again once podman's left mount count is reset (left-mount.ts).
          if (!(await this.repairLeftMount(observed.containerId, failureText(error)))) throw error;
          return this.run(args, RUN_TIMEOUT_MS);
        });
      } catch (error) {
        // A start from outside may have won the race; that is the outcome wanted, though its
        // start event may have passed as ours, so it is shaped here.
        const now = await this.find(observed.containerId);
        if (now?.state !== 'running') throw error;
        await this.shapeOrStop(now);
        return now;
      }
      // A new run is a new network namespace: the old one's qdiscs went with it.
      if (observed.state !== 'paused') await this.shapeOrStop(observed);
    } finally {
      started();
    }
    return this.require(observed.containerId);
  }

  createAndStart(spec: ValidContainerSpec): Promise<CreatedContainer> {
    return createContainer(this.creating, spec);
  }

  /** Shapes a container just started; one that cannot be shaped is stopped, not left unlimited. */
  private async shapeOrStop(observed: ObservedContainer): Promise<void> {
    try {
      await this.shaping.afterStart(observed.containerId);
    } catch (error) {
      await this.run(['stop', '-t', '0', observed.engineId]);
      throw error;
    }
  }

  repairLeftMount(containerId: string, failure: string): Promise<boolean> {
    const deps = {
      kind: this.options.kind,
      find: (id: string) => this.find(id),
      run: (args: readonly string[]) => this.run(args),
      log: this.options.log,
    };
    return repairLeftMount(deps, containerId, failure);
  }

  async start(containerId: string): Promise<ObservedContainer> {
    return this.ensureRunning(await this.require(containerId));
  }

  async stop(containerId: string, timeoutSeconds: number): Promise<ObservedContainer> {
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
      throw new RuntimeError(`stop timeout must be a whole number of seconds >= 0`, {
        code: 'invalid_spec',
      });
    }
    const observed = await this.require(containerId);
    if (observed.state !== 'running' && observed.state !== 'paused') return observed;
    // Retried like a removal: a container whose conmon died fails its first stop (busy-retry.ts).
    await retryWhileBusy(() =>
      this.run(
        ['stop', '-t', String(timeoutSeconds), observed.engineId],
        (timeoutSeconds + STOP_TIMEOUT_SLACK_SECONDS) * 1000,
      ),
    );
    return this.require(containerId);
  }

  async remove(containerId: string, options: RemoveOptions = {}): Promise<void> {
    const engine = await this.inspectEngine(containerName(containerId));
    const observed = engine === null ? null : this.owned(engine, containerId);
    if (observed !== null) {
      try {
        await retryWhileBusy(() => this.run(['rm', '--force', '--volumes', observed.engineId]));
      } catch (error) {
        if (!isRuntimeError(error, 'not_found')) throw error;
      }
    }
    if (options.keepVolume !== true) {
      await this.volumes.remove(homeVolumeOf(containerId, engine?.labels), containerId);
    }
    await this.shaping.forget(containerId);
    // An unused network goes after the idle time; while another of the user's containers is
    // attached the engine refuses, and that one's remove will take it.
    if (observed?.userId != null) await this.networks.release(observed.userId);
    this.options.log.info(
      { containerId },
      options.keepVolume === true
        ? 'container removed, home volume kept'
        : 'container and home volume removed',
    );
  }

  async list(): Promise<ObservedContainer[]> {
    // One label filter only: podman and docker disagree on whether repeated filters AND or OR.
    const psArgs = [
      'ps',
      '--all',
      '--no-trunc',
      '--filter',
      `label=${LABEL_HOST_ID}=${this.hostId}`,
      ...psFormatArgs(this.options.kind),
    ];
    const engineIds = parsePsOutput(await this.run(psArgs), this.command(psArgs));
    if (engineIds.length === 0) return [];
    const containers = await this.inspectMany(engineIds);
    return containers
      .filter((engine) => engine.labels[LABEL_HOST_ID] === this.hostId)
      .filter((engine) => engine.labels[LABEL_MANAGED] === 'true')
      .flatMap((engine) => (engine.observed === null ? [] : [this.withOom(engine.observed)]));
  }

  // A container removed between `ps` and `inspect` fails the batch; then inspect one by one.
  private async inspectMany(engineIds: string[]): Promise<EngineContainer[]> {
    const args = ['container', 'inspect', ...engineIds];
    try {
      return parseInspectOutput(await this.run(args), this.command(args));
    } catch (error) {
      if (!isRuntimeError(error, 'not_found')) throw error;
      const each = await Promise.all(engineIds.map((engineId) => this.inspectEngine(engineId)));
      return each.filter((engine) => engine !== null);
    }
  }
}
