// Finds OOM kills in the kernel log: `dmesg --follow-new` prints one `oom-kill:` line per kill
// with the cgroup whose limit was hit, and every engine names that cgroup after the container's
// 64-hex id (libpod-<id>, docker/<id>, docker-<id>.scope). Acting on a kill is event-watch.ts's job.

export const KERNEL_LOG_BINARY = 'dmesg';

export function kernelLogArgs(): string[] {
  return ['--follow-new', '--notime'];
}

const OOM_KILL = /oom-kill:.*\bconstraint=CONSTRAINT_MEMCG\b.*\boom_memcg=([^,\s]+)/;
const ENGINE_ID = /([0-9a-f]{64})/;

/** The engine id of the container whose own memory limit caused the kill, or null. */
export function parseKernelOomLine(line: string): string | null {
  const memcg = OOM_KILL.exec(line)?.[1];
  if (memcg === undefined) return null;
  return ENGINE_ID.exec(memcg)?.[1] ?? null;
}
