// Sign-in: one field for an API token (the admin token `npm start` printed, or a user's). The
// token is checked with GET /me before it is stored; a refusal is shown in words.
import { useState } from 'preact/hooks';
import { describeError } from '../parts/describe-error.js';

export function LoginPage(props: {
  notice: string | null;
  signIn: (token: string) => Promise<void>;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed === '') {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    try {
      await props.signIn(trimmed);
    } catch (caught) {
      setError(
        caught instanceof TypeError
          ? `That is not a usable token: ${caught.message}`
          : describeError(caught),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <h1>Rexec console</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder="rexec_…"
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          autoFocus
        />
        <p class="hint">
          The admin token <code>npm start</code> printed, or one an administrator created for you.
          It stays in this tab only.
        </p>
        {(error ?? props.notice) !== null && (
          <p class="error" role="alert">
            {error ?? props.notice}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
