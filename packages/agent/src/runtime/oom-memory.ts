// Remembers which containers the kernel OOM-killed, by engine id, for engines that fail to say so
// themselves (podman 4 with conmon on cgroup v1 reports OOMKilled=false and no `oom` event).
// Fed by event-watch.ts from the kernel log and engine `oom` events; read by inspect and `die`.

export interface OomMemory {
  mark(engineId: string, at: Date): void;
  /** The last OOM kill seen for the container, if any. */
  get(engineId: string): Date | undefined;
  clear(engineId: string): void;
  /** Resolves true as soon as an OOM kill is marked for the container, false after `timeoutMs`. */
  waitFor(engineId: string, timeoutMs: number): Promise<boolean>;
}

export function createOomMemory(): OomMemory {
  const kills = new Map<string, Date>();
  const waiters = new Map<string, Set<() => void>>();

  return {
    mark(engineId, at) {
      kills.set(engineId, at);
      for (const wake of waiters.get(engineId) ?? []) wake();
      waiters.delete(engineId);
    },
    get(engineId) {
      return kills.get(engineId);
    },
    clear(engineId) {
      kills.delete(engineId);
    },
    waitFor(engineId, timeoutMs) {
      if (kills.has(engineId)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const set = waiters.get(engineId) ?? new Set<() => void>();
        waiters.set(engineId, set);
        const wake = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          set.delete(wake);
          if (set.size === 0) waiters.delete(engineId);
          resolve(false);
        }, timeoutMs);
        set.add(wake);
      });
    },
  };
}
