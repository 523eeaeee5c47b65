// The terminal session id a client chooses (`?session=`), shared by the user's socket and the
// relay messages on the agent socket. Where sessions live and expire is the agent's business.
import { z } from 'zod';

export const TerminalSessionId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
export type TerminalSessionId = z.infer<typeof TerminalSessionId>;
