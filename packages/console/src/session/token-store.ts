// Where the console keeps the API token: sessionStorage only, so it lives as long as the tab and is
// never in a URL, a cookie or localStorage. Terminal session ids per container are kept beside it
// so that a reload resumes the same shells.
const TOKEN_KEY = 'rexec.token';
const TERMINALS_KEY = 'rexec.terminals.';

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

export function sessionTokenStore(storage: Storage = sessionStorage): TokenStore {
  return {
    get: () => storage.getItem(TOKEN_KEY),
    set: (token) => storage.setItem(TOKEN_KEY, token),
    clear: () => storage.removeItem(TOKEN_KEY),
  };
}

/** The terminal session ids opened for a container in this tab, oldest first. */
export function terminalSessions(containerId: string, storage: Storage = sessionStorage) {
  const key = `${TERMINALS_KEY}${containerId}`;
  const read = (): string[] => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((id) => typeof id === 'string') : [];
    } catch {
      // A value some other script wrote: start a fresh list rather than fail the page.
      return [];
    }
  };
  return {
    list: read,
    add(id: string): void {
      const ids = read();
      if (!ids.includes(id)) storage.setItem(key, JSON.stringify([...ids, id]));
    },
    remove(id: string): void {
      storage.setItem(key, JSON.stringify(read().filter((each) => each !== id)));
    },
  };
}

/** A new terminal session id: what the protocol allows (A-Z a-z 0-9 _ -, at most 64). */
export function newTerminalSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
