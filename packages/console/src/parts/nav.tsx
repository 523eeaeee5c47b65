// The top bar: who is signed in, the user pages, the admin pages for admins, and sign-out.
// A skip link lets keyboard users jump past it.
import type { Me } from '@rexec/sdk';
import { href, type Route } from '../routes.js';

const USER_PAGES: [Route, string][] = [
  [{ page: 'containers' }, 'Containers'],
  [{ page: 'usage' }, 'Usage'],
  [{ page: 'tokens' }, 'API tokens'],
];
const ADMIN_PAGES: [Route, string][] = [
  [{ page: 'hosts' }, 'Hosts'],
  [{ page: 'join-tokens' }, 'Join tokens'],
  [{ page: 'users' }, 'Users'],
  [{ page: 'tiers' }, 'Tiers'],
];

function section(route: Route): Route['page'] {
  return route.page === 'create' || route.page === 'logs' || route.page === 'terminal'
    ? 'containers'
    : route.page;
}

export function Nav(props: { route: Route; me: Me; signOut: () => void }) {
  const current = section(props.route);
  const link = ([target, label]: [Route, string]) => (
    <a key={label} href={href(target)} aria-current={current === target.page ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <span class="brand">Rexec</span>
      <nav aria-label="Pages">
        {USER_PAGES.map(link)}
        {props.me.user.is_admin && <span class="nav-sep" aria-hidden="true" />}
        {props.me.user.is_admin && ADMIN_PAGES.map(link)}
      </nav>
      <span class="who">
        {props.me.user.name} · {props.me.user.tier}
        {props.me.user.is_admin ? ' · admin' : ''}
      </span>
      <button type="button" onClick={props.signOut}>
        Sign out
      </button>
    </header>
  );
}
