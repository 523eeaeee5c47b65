// REXEC_URL: the control plane's base URL, or its replicas' URLs separated by commas (tried in turn
// by connect-loop.ts and enroll.ts). Each is http(s) without a trailing slash; whether plain http
// may be used is plain-http.ts's to say.
import { z } from 'zod';

const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((text) => new URL(text.replace(/\/+$/, '')));

/** Replicas one agent may know; a longer list is a mistake, not a fleet. */
const MAX_URLS = 16;

export const ControlPlaneUrls = z
  .string({ error: 'is required' })
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(
    z
      .array(HttpUrl, { error: 'must be http:// or https:// URLs separated by commas' })
      .min(1)
      .max(MAX_URLS, `names at most ${MAX_URLS} control plane URLs`),
  )
  .refine(
    (urls) => new Set(urls.map((url) => url.href)).size === urls.length,
    'names the same URL twice',
  );
