// REST bodies of exec (DESIGN §8.1): run one command in a container and answer its exit code and
// output. What travels to the agent is agent/exec-relay.ts; limits and defaults are constants.ts.
import { z } from 'zod';
import {
  DEFAULT_EXEC_TIMEOUT_SECONDS,
  MAX_EXEC_ARGS_BYTES,
  MAX_EXEC_TIMEOUT_SECONDS,
} from '../constants.js';
import { EnvName, ExecCwd, ExecUser, MAX_EXEC_ARG_BYTES } from '../agent/exec-relay.js';

/** stdin given in the request body (streams take any amount). */
export const MAX_EXEC_STDIN_BYTES = 1024 * 1024;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;

/** Exactly one of `argv` (run directly) and `command` (run by `/bin/sh -c`); unknown fields are
 * refused, so a misspelt `timeout` is not silently the default. */
export const ExecRequest = z
  .strictObject({
    argv: z.array(z.string().max(MAX_EXEC_ARG_BYTES)).min(1).max(4096).optional(),
    command: z.string().min(1).max(MAX_EXEC_ARG_BYTES).optional(),
    cwd: ExecCwd.optional(),
    env: z.record(EnvName, z.string().max(MAX_EXEC_ARG_BYTES)).optional(),
    user: ExecUser.optional(),
    /** The command's whole stdin (UTF-8); without it stdin is empty. */
    stdin: z.string().optional(),
    timeout_seconds: z
      .int()
      .min(1)
      .max(MAX_EXEC_TIMEOUT_SECONDS)
      .default(DEFAULT_EXEC_TIMEOUT_SECONDS),
    background: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.argv === undefined) === (body.command === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['argv'],
        message: 'give exactly one of argv and command',
      });
    }
    const args = body.argv ?? (body.command === undefined ? [] : [body.command]);
    const env = Object.entries(body.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const total = [...args, ...env].reduce((sum, item) => sum + utf8Bytes(item) + 1, 0);
    if (total > MAX_EXEC_ARGS_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['argv'],
        message: `argv or command and env together are ${total} bytes; at most ${MAX_EXEC_ARGS_BYTES}`,
      });
    }
    if (body.stdin !== undefined && utf8Bytes(body.stdin) > MAX_EXEC_STDIN_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['stdin'],
        message: `stdin is limited to ${MAX_EXEC_STDIN_BYTES} bytes; stream bigger input`,
      });
    }
  });
export type ExecRequest = z.infer<typeof ExecRequest>;

/**
 * A finished exec. Output that is not valid UTF-8 comes as `stdout_base64`/`stderr_base64` (the
 * text field is then empty), never mangled. `exit_code` is null when the timeout killed it.
 */
export const ExecResult = z.object({
  exit_code: z.int().min(0).max(255).nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_base64: z.string().optional(),
  stderr_base64: z.string().optional(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  timed_out: z.boolean(),
  duration_ms: z.int().nonnegative(),
});
export type ExecResult = z.infer<typeof ExecResult>;
