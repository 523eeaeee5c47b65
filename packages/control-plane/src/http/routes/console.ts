// Serves the web console on the API's origin: `/` is index.html (no-cache, so a new build is
// picked up at once), `/assets/<hashed name>` are immutable for a year. Every console answer
// carries a strict Content-Security-Policy (scripts, connections and everything else from this
// origin only; no inline scripts), frame denial and a no-referrer policy. Without a built console
// `/` says how to build it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, RexecError } from '../../errors.js';
import type { ConsoleAssets, ConsoleFile } from '../console-assets.js';

/**
 * `style-src` allows inline styles because xterm.js (6.0) needs them and offers no way around it:
 * its viewport and DOM renderer create <style> elements at run time (scrollbar colours, cell
 * metrics measured from the font, the theme) and set `style` attributes on cells with true colour
 * or contrast-corrected colours (`setAttribute('style', …)`). A hash cannot cover text computed
 * in the browser; a nonce cannot reach elements xterm creates itself (it has no nonce option, and
 * index.html would have to be templated per answer to carry one); splitting into
 * `style-src-elem`/`style-src-attr` does not help as both kinds are used. Scripts stay
 * 'self'-only, with no inline code or eval, which is what keeps injected markup inert; Preact
 * escapes all text, so no markup is injected to begin with.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 3600;

function send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile, cache: string) {
  void reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', cache)
    .header('vary', 'accept-encoding')
    .type(file.type);
  const acceptsGzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
  if (file.gzip !== undefined && acceptsGzip) {
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

export function consoleRoutes(assets: ConsoleAssets | null): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    const config = { access: 'public' as const };
    // Not part of the API: hidden from the OpenAPI document.
    app.get('/', { config, schema: { hide: true } }, (request, reply) => {
      if (assets === null) {
        throw new RexecError(
          'not_found',
          'The web console is not built on this server: run `npm run build` in the Rexec checkout (or set REXEC_CONSOLE_DIR) and restart. The API is at /api/v1.',
        );
      }
      return send(request, reply, assets.index, 'no-cache');
    });
    app.get(
      '/assets/:file',
      { config, schema: { hide: true, params: z.object({ file: z.string().max(255) }) } },
      (request, reply) => {
        const file = assets?.assets.get(request.params.file);
        if (file === undefined) throw notFound('Console asset', request.params.file);
        return send(request, reply, file, `public, max-age=${YEAR_SECONDS}, immutable`);
      },
    );
    done();
  };
}
