// The console shell: signs in with a token kept in sessionStorage (checked with GET /me), then
// shows the navigation and the page the URL hash names. A 401 anywhere signs out with the reason.
// The terminal page is loaded on demand so xterm.js is not part of the first download.
import { lazy, Suspense } from 'preact/compat';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { RexecClient, type Container, type Me } from '@rexec/sdk';
import { allContainers, ContainersPage } from './pages/containers.js';
import { CreatePage } from './pages/create.js';
import { LoginPage } from './pages/login.js';
import { LogsPage } from './pages/logs.js';
import { TokensPage } from './pages/tokens.js';
import { UsagePage } from './pages/usage.js';
import { HostsPage } from './admin/hosts.js';
import { JoinTokensPage } from './admin/join-tokens.js';
import { TiersPage } from './admin/tiers.js';
import { UsersPage } from './admin/users.js';
import { describeError } from './parts/describe-error.js';
import { Nav } from './parts/nav.js';
import { SessionContext, type Session } from './session/context.js';
import { sessionTokenStore } from './session/token-store.js';
import { parseRoute, useRoute, type Route } from './routes.js';

const TerminalPage = lazy(() => import('./terminal/terminal-page.js').then((m) => m.TerminalPage));

interface SignedIn {
  client: RexecClient;
  me: Me;
  firstContainers: Promise<Container[]> | null;
}

export function newClient(token: string): RexecClient {
  return new RexecClient({
    baseUrl: location.origin,
    token,
    retry: { maxRetries: 1, maxDelayMs: 5_000 },
  });
}

function Page({ route, isAdmin }: { route: Route; isAdmin: boolean }) {
  const adminOnly = (page: preact.JSX.Element) =>
    isAdmin ? page : <p class="error">This page is for administrators.</p>;
  switch (route.page) {
    case 'containers':
      return <ContainersPage />;
    case 'create':
      return <CreatePage />;
    case 'logs':
      return <LogsPage container={route.container} />;
    case 'terminal':
      return (
        <Suspense fallback={<p>Loading the terminal…</p>}>
          <TerminalPage container={route.container} session={route.session} />
        </Suspense>
      );
    case 'usage':
      return <UsagePage />;
    case 'tokens':
      return <TokensPage />;
    case 'hosts':
      return adminOnly(<HostsPage />);
    case 'join-tokens':
      return adminOnly(<JoinTokensPage />);
    case 'users':
      return adminOnly(<UsersPage />);
    case 'tiers':
      return adminOnly(<TiersPage />);
  }
}

export function App() {
  const store = useMemo(() => sessionTokenStore(), []);
  const route = useRoute();
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(() => store.get() !== null);

  const signIn = useCallback(
    async (token: string) => {
      const client = newClient(token);
      const firstContainers =
        parseRoute(location.hash).page === 'containers' ? allContainers(client) : null;
      // Its failure (a refused token) is GET /me's to report; the page refetches if it is used.
      firstContainers?.catch(() => undefined);
      const me = await client.me();
      store.set(token);
      setNotice(null);
      setSignedIn({ client, me, firstContainers });
    },
    [store],
  );

  const signOut = useCallback(
    (reason: string | null) => {
      store.clear();
      setSignedIn(null);
      setNotice(reason);
    },
    [store],
  );

  useEffect(() => {
    const saved = store.get();
    if (saved === null) return;
    signIn(saved)
      .catch((error: unknown) => signOut(`Signed out: ${describeError(error)}`))
      .finally(() => setChecking(false));
  }, [store, signIn, signOut]);

  const session = useMemo<Session | null>(() => {
    if (signedIn === null) return null;
    let firstContainers = signedIn.firstContainers;
    return {
      client: signedIn.client,
      me: signedIn.me,
      takeFirstContainers: () => {
        const taken = firstContainers;
        firstContainers = null;
        return taken;
      },
      refreshMe: async () => {
        const me = await signedIn.client.me();
        setSignedIn((current) =>
          current === null ? null : { ...current, me, firstContainers: null },
        );
      },
      lost: (error) => signOut(`Signed out: ${describeError(error)}`),
    };
  }, [signedIn, signOut]);

  if (checking) return <p class="loading">Signing in…</p>;
  if (session === null) return <LoginPage notice={notice} signIn={signIn} />;
  return (
    <SessionContext.Provider value={session}>
      <Nav route={route} me={session.me} signOut={() => signOut(null)} />
      <main id="main" tabIndex={-1}>
        <Page route={route} isAdmin={session.me.user.is_admin} />
      </main>
    </SessionContext.Provider>
  );
}
