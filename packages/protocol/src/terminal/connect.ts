// The terminal socket's handshake inputs: the `?session=&cols=&rows=` query and the browser's
// `rexec.token.<token>` subprotocol. Authenticating the token and choosing the answered
// subprotocol (always TERMINAL_SUBPROTOCOL) is the control plane's.
import { z } from 'zod';
import {
  DEFAULT_TERMINAL_COLS,
  DEFAULT_TERMINAL_ROWS,
  DEFAULT_TERMINAL_SESSION,
  MAX_TERMINAL_DIMENSION,
  TERMINAL_SUBPROTOCOL,
  TERMINAL_TOKEN_SUBPROTOCOL_PREFIX,
} from '../constants.js';
import { TerminalSessionId } from './session.js';

/** A query-string dimension: plain decimal digits only, then bounded like the resize frame. */
const dimension = (fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,4}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_TERMINAL_DIMENSION))
    .optional()
    .transform((value) => value ?? fallback);

/** Query of `GET /containers/:id/terminal`; every field is optional (DESIGN §5, issue 5). */
export const TerminalConnectQuery = z.object({
  session: TerminalSessionId.optional().transform((value) => value ?? DEFAULT_TERMINAL_SESSION),
  cols: dimension(DEFAULT_TERMINAL_COLS),
  rows: dimension(DEFAULT_TERMINAL_ROWS),
});
export type TerminalConnectQuery = z.output<typeof TerminalConnectQuery>;

export interface TerminalSubprotocolOffer {
  /** Whether the client offered `rexec.terminal.v1` (the server must answer with it). */
  readonly terminal: boolean;
  /** The API token carried as `rexec.token.<token>`, if one was offered. */
  readonly token: string | undefined;
}

/**
 * Reads the client's offered subprotocols (the `Sec-WebSocket-Protocol` list, already split).
 * Only the first token offer counts, so a client cannot make the server try several tokens.
 */
export function readTerminalSubprotocols(offered: Iterable<string>): TerminalSubprotocolOffer {
  let terminal = false;
  let token: string | undefined;
  for (const raw of offered) {
    const protocol = raw.trim();
    if (protocol === TERMINAL_SUBPROTOCOL) terminal = true;
    else if (token === undefined && protocol.startsWith(TERMINAL_TOKEN_SUBPROTOCOL_PREFIX)) {
      const value = protocol.slice(TERMINAL_TOKEN_SUBPROTOCOL_PREFIX.length);
      if (value !== '') token = value;
    }
  }
  return { terminal, token };
}
