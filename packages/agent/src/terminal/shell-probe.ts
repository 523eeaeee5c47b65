// Finds out, once per container run, how to start a shell in it: which shell (bash when the image
// has it, else sh), the home directory (where the home volume is mounted, DESIGN §6) and whether an
// explicitly requested shell exists. Starting the shell is terminal-session.ts's; proving the
// container is this host's and running is the runtime's inspect, done before any probe.
import { execa } from 'execa';
import { containerName, homeVolumeName, LABEL_HOME_VOLUME } from '../runtime/index.js';

export interface ShellPlan {
  shell: string;
  homeDir: string;
}

/** Thrown when the container has no usable shell; the terminal error code is `shell_not_found`. */
export class ShellNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellNotFoundError';
  }
}

const PROBE_TIMEOUT_MS = 15_000;
const DEFAULT_HOME_DIR = '/root';
const FALLBACK_SHELL = '/bin/sh';
// The home directory is the running container's fact, so it is asked of the engine, not guessed:
// where the volume its label names (the old fixed name without one) is mounted.
const mountFormat = (containerId: string) =>
  `{{$home := or (index .Config.Labels "${LABEL_HOME_VOLUME}") "${homeVolumeName(containerId)}"}}` +
  '{{range .Mounts}}{{if eq .Name $home}}{{.Destination}}{{end}}{{end}}';

export interface ShellProbe {
  /** `engineId` keys the cache: a container recreated under the same name is probed again. */
  plan(
    containerId: string,
    engineId: string,
    requestedShell: string | undefined,
  ): Promise<ShellPlan>;
  forget(engineId: string): void;
}

export function createShellProbe(binary: string): ShellProbe {
  const cache = new Map<string, Promise<ShellPlan>>();

  async function probe(containerId: string): Promise<ShellPlan> {
    const name = containerName(containerId);
    const [mounts, bash] = await Promise.all([
      execa(binary, ['container', 'inspect', '--format', mountFormat(containerId), name], {
        timeout: PROBE_TIMEOUT_MS,
      }),
      // `command -v` is POSIX, so any sh answers; no sh at all fails the exec (exit 126/127).
      execa(binary, ['exec', name, 'sh', '-c', 'command -v bash || true'], {
        timeout: PROBE_TIMEOUT_MS,
        reject: false,
      }),
    ]);
    if (bash.exitCode !== 0) {
      throw new ShellNotFoundError('the container has no sh to start a shell with');
    }
    const homeDir = mounts.stdout.trim().split('\n')[0] ?? '';
    const bashPath = bash.stdout.trim();
    return {
      shell: bashPath.startsWith('/') ? bashPath : FALLBACK_SHELL,
      homeDir: homeDir.startsWith('/') ? homeDir : DEFAULT_HOME_DIR,
    };
  }

  async function checkExecutable(containerId: string, shell: string): Promise<void> {
    const result = await execa(binary, ['exec', containerName(containerId), 'test', '-x', shell], {
      timeout: PROBE_TIMEOUT_MS,
      reject: false,
    });
    if (result.exitCode !== 0) {
      throw new ShellNotFoundError(`the container has no executable ${shell}`);
    }
  }

  return {
    async plan(containerId, engineId, requestedShell) {
      let planned = cache.get(engineId);
      if (planned === undefined) {
        planned = probe(containerId);
        cache.set(engineId, planned);
        // A failed probe (a container stopping under us) must not poison later opens.
        planned.catch(() => cache.delete(engineId));
      }
      const plan = await planned;
      if (requestedShell === undefined) return plan;
      await checkExecutable(containerId, requestedShell);
      return { ...plan, shell: requestedShell };
    },
    forget(engineId) {
      cache.delete(engineId);
    },
  };
}
