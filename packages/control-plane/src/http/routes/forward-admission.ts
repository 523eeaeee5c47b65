// What every HTTP call forwarded by another replica passes before it runs (exec-forward.ts,
// files-forward.ts): this replica has the cluster key, the header is a good signature of the
// call's own target shape, the body is the one it signs, and the signature is used for the first
// time. Refusals are 503 `unavailable` (no key) and 401 `unauthorized`, naming the reason.
import type { z } from 'zod';
import { unauthorized, unavailable } from '../../errors.js';
import { verifyForward, type createReplayGuard } from '../../terminal/forward-signature.js';

type ReplayGuard = ReturnType<typeof createReplayGuard>;

/** The signed target of a forwarded `what` ("exec", "file operation"); the body is checked next. */
export function checkForwarded<T>(
  key: Buffer | undefined,
  rawHeader: unknown,
  shape: z.ZodType<T>,
  what: string,
): { header: string; target: T } {
  if (key === undefined) {
    throw unavailable(`This replica takes no forwarded ${what}s: REXEC_CLUSTER_SECRET is not set.`);
  }
  const header = typeof rawHeader === 'string' ? rawHeader : undefined;
  const check = verifyForward(key, header, shape);
  if (!check.ok || header === undefined) {
    throw unauthorized(`Forwarded ${what} refused: ${check.ok ? 'no header' : check.reason}.`);
  }
  return { header, target: check.target };
}

/** Takes the signature's one use once the body is known to be the signed one. */
export function takeForwarded(
  replays: ReplayGuard,
  header: string,
  bodySigned: boolean,
  what: string,
): void {
  if (!bodySigned) throw unauthorized(`Forwarded ${what} refused: the body is not the one signed.`);
  if (!replays.firstUse(header))
    throw unauthorized(`Forwarded ${what} refused: a replayed signature.`);
}
