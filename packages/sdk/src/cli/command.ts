// What a CLI command is: its flags (node:util parseArgs options), how many positionals it takes,
// and a run function over a context holding parsed values, output streams and a lazy client.
// Dispatch, help and error printing are run.ts's.
import type { ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import type { RexecClient } from '../node.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Subscribes to terminal resizes (SIGWINCH); returns the unsubscribe. */
  onResize(listener: () => void): () => void;
}

export interface CommandContext {
  io: CliIo;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  /** The API client from REXEC_URL/REXEC_TOKEN or the saved login; throws when there is none. */
  client(): Promise<RexecClient>;
  print(text: string): void;
  printJson(value: unknown): void;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: Options;
  positionals: { min: number; max: number; names: string };
  /** Resolves with the exit code: an ExitCode, or the shell's own code for `shell`. */
  run(context: CommandContext): Promise<number>;
}

/** A flag's string value, or undefined when it was not given. */
export function stringFlag(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}
