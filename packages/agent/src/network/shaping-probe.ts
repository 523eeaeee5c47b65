// Finds out at agent start whether this host can shape traffic the way tc-shaper.ts does: the
// same ifb, tbf, ingress and u32 redirect, tried in a throwaway network namespace (unshare), so a
// missing tool, kernel module or privilege shows up once, in HELLO, instead of in every create.
import { execa } from 'execa';
import { SHAPING_IFB, tbfArgs } from './tc-shaper.js';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 10_000;
const PROBE_SCRIPT =
  `ip link add ${SHAPING_IFB} type ifb && ip link set ${SHAPING_IFB} up && ip link set lo up && ` +
  `tc qdisc add dev lo root ${tbfArgs(8)} && tc qdisc add dev lo handle ffff: ingress && ` +
  'tc filter add dev lo parent ffff: protocol all prio 1 u32 match u32 0 0 ' +
  `action mirred egress redirect dev ${SHAPING_IFB} && tc qdisc add dev ${SHAPING_IFB} root ${tbfArgs(8)}`;

/** Whether tc shaping works here; when not, the reason names what failed. */
export async function probeShaping(): Promise<ProbeResult> {
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: "network shaping needs root (tc in containers' namespaces)" };
  }
  for (const [binary, args] of [
    ['nsenter', ['--version']],
    ['unshare', ['--version']],
  ] as const) {
    const found = await execa(binary, [...args], { reject: false, timeout: PROBE_TIMEOUT_MS });
    if (found.failed) return { ok: false, reason: `network shaping needs ${binary} (util-linux)` };
  }
  const result = await execa('unshare', ['--net', 'sh', '-c', PROBE_SCRIPT], {
    reject: false,
    timeout: PROBE_TIMEOUT_MS,
  });
  if (!result.failed) return { ok: true };
  const stderr = result.stderr.trim().split('\n').at(-1) ?? '';
  return {
    ok: false,
    reason: `network shaping unavailable: tc/ip (iproute2, ifb and sch_tbf) failed: ${stderr || result.shortMessage}`,
  };
}
