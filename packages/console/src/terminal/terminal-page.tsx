// The terminal tab: a full-size xterm fitted to the window, one shell per session id in the URL
// (so a reload resumes it), tabs for the container's other shells in this browser tab, and the
// connection state in words. Loaded on demand: xterm.js is not part of the first download.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as Xterm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { isRexecError } from '@rexec/sdk';
import { describeError } from '../parts/describe-error.js';
import { href, navigate } from '../routes.js';
import { useSession } from '../session/context.js';
import { newTerminalSessionId, terminalSessions } from '../session/token-store.js';
import { keepConnected, type ConnectionState } from './connection.js';

function stateText(state: ConnectionState): string {
  switch (state.kind) {
    case 'connecting':
      return state.attempt === 0 ? 'Connecting…' : `Reconnecting (attempt ${state.attempt})…`;
    case 'connected':
      return state.resumed ? 'Connected (resumed)' : 'Connected';
    case 'reconnecting':
      return `${state.why} Reconnecting in ${Math.round(state.inMs / 1000)} s…`;
    case 'exited':
      return `The shell exited with code ${state.code}.`;
    case 'ended':
      return state.why;
  }
}

function darkScheme(): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function TerminalPage(props: { container: string; session: string | undefined }) {
  const { client, lost } = useSession();
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ConnectionState>({ kind: 'connecting', attempt: 0 });
  const [name, setName] = useState(props.container);
  const sessions = terminalSessions(props.container);

  useEffect(() => {
    if (props.session !== undefined) return;
    const known = sessions.list();
    const session = known[known.length - 1] ?? newTerminalSessionId();
    navigate({ page: 'terminal', container: props.container, session }, true);
  }, [props.container, props.session]);

  useEffect(() => {
    client.containers
      .get(props.container)
      .then((container) => setName(container.name))
      .catch((error: unknown) => {
        if (isRexecError(error) && error.code === 'unauthorized') lost(error);
      });
  }, [client, props.container]);

  useEffect(() => {
    const element = host.current;
    const session = props.session;
    if (element === null || session === undefined) return undefined;
    sessions.add(session);
    const dark = darkScheme();
    const xterm = new Xterm({
      cursorBlink: true,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      theme: dark
        ? { background: '#0d1117', foreground: '#e6edf3' }
        : { background: '#ffffff', foreground: '#1f2328', cursor: '#1f2328' },
    });
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(element);
    // The size in characters, for people reading the page's markup and for the browser tests.
    const showSize = () => {
      element.dataset['cols'] = String(xterm.cols);
      element.dataset['rows'] = String(xterm.rows);
    };
    const sizeListener = xterm.onResize(showSize);
    fit.fit();
    showSize();
    xterm.focus();
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(element);
    const connection = keepConnected({
      client,
      container: props.container,
      session,
      xterm,
      onState: (next) => {
        setState(next);
        if (next.kind === 'exited') sessions.remove(session);
      },
      whyNotReachable: async () => {
        try {
          const container = await client.containers.get(props.container);
          return container.status === 'running'
            ? null
            : `The container is ${container.status}; start it to open a shell.`;
        } catch (error) {
          // Unreachable, overloaded or restarting: worth another try. Gone or refused: not.
          if (
            isRexecError(error) &&
            ['not_found', 'unauthorized', 'forbidden'].includes(error.code)
          ) {
            return describeError(error);
          }
          return null;
        }
      },
    });
    return () => {
      connection.stop();
      sizeListener.dispose();
      observer.disconnect();
      xterm.dispose();
    };
  }, [client, props.container, props.session]);

  const openNew = () =>
    navigate({ page: 'terminal', container: props.container, session: newTerminalSessionId() });
  const ended = state.kind === 'exited' || state.kind === 'ended';

  return (
    <section class="terminal-page">
      <div class="terminal-bar">
        <a class="button" href={href({ page: 'containers' })}>
          ← Containers
        </a>
        <strong>{name}</strong>
        <nav class="sessions" aria-label="Shells">
          {sessions.list().map((id) => (
            <a
              key={id}
              href={href({ page: 'terminal', container: props.container, session: id })}
              aria-current={id === props.session ? 'page' : undefined}
            >
              {id}
            </a>
          ))}
        </nav>
        <button type="button" onClick={openNew}>
          New shell
        </button>
        <span
          class={`terminal-state state-${state.kind}`}
          data-state={state.kind}
          role="status"
          aria-live="polite"
        >
          {stateText(state)}
        </span>
        {ended && (
          <button type="button" class="primary" onClick={openNew}>
            Open a new shell
          </button>
        )}
      </div>
      <div class="xterm-host" ref={host} />
    </section>
  );
}
