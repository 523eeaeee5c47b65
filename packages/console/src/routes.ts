// The console's pages as a union parsed from the URL hash. Hash routing keeps the server side to
// two static paths (`/` and `/assets/…`) and keeps the token out of every URL.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'containers' }
  | { page: 'create' }
  | { page: 'logs'; container: string }
  | { page: 'terminal'; container: string; session: string | undefined }
  | { page: 'usage' }
  | { page: 'tokens' }
  | { page: 'hosts' }
  | { page: 'join-tokens' }
  | { page: 'users' }
  | { page: 'tiers' };

const SIMPLE = ['containers', 'usage', 'tokens'] as const;
const ADMIN = ['hosts', 'join-tokens', 'users', 'tiers'] as const;

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third, fourth] = parts;
  if (first === 'containers' && second === 'new') return { page: 'create' };
  if (first === 'containers' && second !== undefined && third === 'logs') {
    return { page: 'logs', container: second };
  }
  if (first === 'containers' && second !== undefined && third === 'terminal') {
    return { page: 'terminal', container: second, session: fourth };
  }
  if (first === 'admin') {
    const page = ADMIN.find((each) => each === second);
    if (page !== undefined) return { page };
  }
  const page = SIMPLE.find((each) => each === first);
  return { page: page ?? 'containers' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'create':
      return '#/containers/new';
    case 'logs':
      return `#/containers/${encodeURIComponent(route.container)}/logs`;
    case 'terminal':
      return `#/containers/${encodeURIComponent(route.container)}/terminal${
        route.session === undefined ? '' : `/${encodeURIComponent(route.session)}`
      }`;
    case 'hosts':
    case 'join-tokens':
    case 'users':
    case 'tiers':
      return `#/admin/${route.page}`;
    case 'containers':
    case 'usage':
    case 'tokens':
      return `#/${route.page}`;
  }
}

export function navigate(route: Route, replace = false): void {
  if (replace) history.replaceState(null, '', href(route));
  else location.hash = href(route);
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
