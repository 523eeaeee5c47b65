// What every page receives: the SDK client for the signed-in token, who that is (GET /me), and a
// way to say the token stopped working. Built once per sign-in by app.tsx.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Container, Me, RexecClient } from '@rexec/sdk';

export interface Session {
  client: RexecClient;
  me: Me;
  /** Re-reads GET /me (after a tier change, a create, …). */
  refreshMe: () => Promise<void>;
  /**
   * The containers list fetched beside GET /me when the console opened on the containers page,
   * handed out once (null afterwards), so the first render waits for one round trip, not two.
   */
  takeFirstContainers: () => Promise<Container[]> | null;
  /** Called with the error of any 401: back to the sign-in page with the reason. */
  lost: (error: unknown) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside a signed-in page');
  return session;
}
