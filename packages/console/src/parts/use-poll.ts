// Loads data now and every `intervalMs` while the tab is visible (the events stream does not exist
// yet; when it does, it replaces this for containers). A 401 ends the session; other errors are
// kept beside the last good data so a blip does not blank the page.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isRexecError } from '@rexec/sdk';
import { useSession } from '../session/context.js';

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  refresh: () => Promise<void>;
}

export function usePoll<T>(load: () => Promise<T>, intervalMs: number | null): Polled<T> {
  const { lost } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(undefined);
    } catch (caught) {
      if (isRexecError(caught) && caught.code === 'unauthorized') lost(caught);
      else setError(caught);
    }
  }, [lost]);

  useEffect(() => {
    void refresh();
    if (intervalMs === null) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [refresh, intervalMs]);

  return { data, error, refresh };
}
