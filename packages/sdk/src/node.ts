// Node entry of @rexec/sdk ("@rexec/sdk/node"): everything the browser entry has, with terminals
// opened through `ws` so the token travels in the Authorization header and refused upgrades come
// back as their REST errors. Kept apart so browser bundles never pull in `ws`.
import { NodeFiles } from './api/node-files.js';
import { RexecClient as CoreClient, type RexecClientOptions } from './client.js';
import type { HttpClient } from './http/http-client.js';
import { nodeSocketTransport } from './terminal/node-socket.js';

export * from './index.js';
export { nodeSocketTransport } from './terminal/node-socket.js';

export { NodeFiles } from './api/node-files.js';

export class RexecClient extends CoreClient {
  declare readonly files: NodeFiles;

  constructor(options: RexecClientOptions) {
    super({ webSocket: nodeSocketTransport, ...options });
  }

  protected override createFiles(http: HttpClient): NodeFiles {
    return new NodeFiles(http);
  }
}
