// Node entry of @rexec/sdk ("@rexec/sdk/node"): everything the browser entry has, with terminals
// opened through `ws` so the token travels in the Authorization header and refused upgrades come
// back as their REST errors. Kept apart so browser bundles never pull in `ws`.
import { RexecClient as CoreClient, type RexecClientOptions } from './client.js';
import { nodeSocketTransport } from './terminal/node-socket.js';

export * from './index.js';
export { nodeSocketTransport } from './terminal/node-socket.js';

export class RexecClient extends CoreClient {
  constructor(options: RexecClientOptions) {
    super({ webSocket: nodeSocketTransport, ...options });
  }
}
