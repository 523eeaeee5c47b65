// Normalises the `baseUrl` a client is given into the API root (`…/api/v1`) and builds request and
// terminal URLs from it. Accepts the server's root or the API root, with or without a slash.
import { API_BASE_PATH } from '@rexec/protocol';

/** Throws a TypeError naming the problem when `baseUrl` is not an http(s) URL. */
export function apiRoot(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseUrl must use http or https, got ${url.protocol}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError('baseUrl must not carry a query string or fragment');
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(API_BASE_PATH) ? path : `${path}${API_BASE_PATH}`;
  return url;
}

export type Query = Record<string, string | number | undefined>;

/** `<root>/<path>?<query>`; `path` starts with `/` and its variable parts are already encoded. */
export function endpoint(root: URL, path: string, query?: Query): URL {
  const url = new URL(root.href);
  url.pathname = `${root.pathname}${path}`;
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/** The WebSocket URL of `path`: same host, ws(s) scheme. */
export function socketEndpoint(root: URL, path: string, query?: Query): URL {
  const url = endpoint(root, path, query);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}
