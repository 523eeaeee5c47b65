// Ends terminals whose token stopped working while they were open: revoked, expired, its user
// disabled or deleted. Every replica re-checks the tokens of its own open terminals in one query
// every couple of seconds, so a revocation made on any replica closes the terminal within
// CREDENTIAL_CHECK_INTERVAL_MS plus one query, with no messages between replicas. What "still
// works" means is the token service's; closing a terminal is the connection's.
import type { Log } from '../hub/log.js';

/** How often open terminals' tokens are re-checked; a revoked token's terminal ends within this. */
export const CREDENTIAL_CHECK_INTERVAL_MS = 2_000;

/** Of the given token ids, those that still authenticate. */
export type LiveTokens = (tokenIds: readonly string[]) => Promise<Set<string>>;

export interface Watched {
  readonly tokenId: string;
  /** Ends the terminal because its token no longer works. */
  accessRevoked(): void;
}

export interface CredentialWatch {
  start(): void;
  stop(): void;
}

export function createCredentialWatch(
  liveTokens: LiveTokens,
  open: () => Iterable<Watched>,
  log: Log,
  intervalMs = CREDENTIAL_CHECK_INTERVAL_MS,
): CredentialWatch {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  async function check(): Promise<void> {
    const watched = [...open()];
    if (watched.length === 0) return;
    let live: Set<string>;
    try {
      live = await liveTokens([...new Set(watched.map((terminal) => terminal.tokenId))]);
    } catch (error) {
      // The database is unreachable: no token can be used to open anything new either, and the
      // next check after it returns closes what was revoked meanwhile.
      log.warn({ err: error }, 'cannot re-check the tokens of open terminals');
      return;
    }
    for (const terminal of watched) {
      if (!live.has(terminal.tokenId)) terminal.accessRevoked();
    }
  }

  return {
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        // One check at a time: a slow database must not pile them up.
        running ??= check().finally(() => (running = null));
      }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
