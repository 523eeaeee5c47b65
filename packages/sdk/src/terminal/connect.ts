// `terminal.connect(container, { session, cols, rows })`: checks the options against the
// protocol's bounds, builds the socket URL and opens a terminal session over the given transport.
import { MAX_TERMINAL_DIMENSION, TerminalSessionId } from '@rexec/protocol';
import { socketEndpoint } from '../http/base-url.js';
import { segment } from '../api/path.js';
import { terminalSession, type Terminal } from './terminal-session.js';
import type { TransportFactory } from './transport.js';

export interface TerminalConnectOptions {
  /** Resume (or name) a shell: 1–64 of A-Z a-z 0-9 _ -; the server's default is `main`. */
  session?: string;
  cols?: number;
  rows?: number;
  /** How often to ping so idle proxies keep the socket open (default 30 s; 0 disables). */
  keepAliveMs?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 30_000;

function dimension(what: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > MAX_TERMINAL_DIMENSION) {
    throw new TypeError(
      `${what} must be an integer from 1 to ${MAX_TERMINAL_DIMENSION}, got ${value}`,
    );
  }
  return value;
}

export function connectTerminal(
  root: URL,
  token: string,
  transport: TransportFactory,
  container: string,
  options: TerminalConnectOptions = {},
): Terminal {
  if (options.session !== undefined && !TerminalSessionId.safeParse(options.session).success) {
    throw new TypeError(
      `session must be 1-64 characters of A-Z, a-z, 0-9, _ and -, got ${JSON.stringify(options.session)}`,
    );
  }
  const url = socketEndpoint(root, `/containers/${segment(container, 'container')}/terminal`, {
    session: options.session,
    cols: dimension('cols', options.cols),
    rows: dimension('rows', options.rows),
  });
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  return terminalSession((events) => transport({ url: url.href, token }, events), keepAliveMs);
}
