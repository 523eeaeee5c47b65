// `rexec login --url <url> (--token <token> | --token-stdin)`: checks the credentials with GET /me
// and only then saves them, so a typo never replaces a working login.
import { RexecClient } from '../../node.js';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';
import { configPath, writeConfig } from '../config-file.js';
import { ExitCode, UsageError } from '../exit-codes.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const login: Command = {
  name: 'login',
  usage: 'rexec login --url <url> (--token <token> | --token-stdin)',
  summary: 'check a token and save it with the URL for later commands',
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    'token-stdin': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(context) {
    const url = stringFlag(context, 'url');
    if (url === undefined) throw new UsageError('login needs --url <url>');
    let token = stringFlag(context, 'token');
    if (context.values['token-stdin'] === true) {
      if (token !== undefined) throw new UsageError('give --token or --token-stdin, not both');
      token = (await readAll(context.io.stdin)).trim();
    }
    if (token === undefined || token === '') {
      throw new UsageError('login needs --token <token> or --token-stdin');
    }
    let client: RexecClient;
    try {
      client = new RexecClient({ baseUrl: url, token });
    } catch (error) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    const me = await client.me();
    const path = configPath(context.io.env);
    await writeConfig(path, { url, token });
    if (context.json) context.printJson({ url, user: me.user, config: path });
    else
      context.print(`Logged in to ${url} as ${me.user.name} (${me.user.tier}). Saved to ${path}.`);
    return ExitCode.OK;
  },
};
