import { useId, useState, type FormEvent } from 'react';
import { createCheckClient } from '../lib/api.ts';
import { errorText, isUnauthenticated } from '../lib/errors.ts';
import { ViewerQuery } from '../lib/session.tsx';

export function SignInPage({ onSignedIn, notice }: { onSignedIn(token: string): void; notice: string | null }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const id = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setProblem('Paste an API token first.');
      return;
    }
    setChecking(true);
    setProblem(null);
    const result = await createCheckClient(candidate).query(ViewerQuery, {}).toPromise();
    setChecking(false);
    if (result.data?.viewer) onSignedIn(candidate);
    else if (!result.error || isUnauthenticated(result.error)) {
      setProblem('That token was not accepted. Check that you pasted the whole token, and that it has not been replaced.');
    } else setProblem(errorText(result.error));
  }

  return (
    <main className="page narrow signin" id="main">
      <h1>Hookwarden</h1>
      <p className="lede">Signed, reliable webhooks. Sign in to see yours and their deliveries as they happen.</p>
      {notice && (
        <p className="alert info" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate className="card">
        <div className="field">
          <label htmlFor={`${id}-token`}>API token</label>
          <input
            id={`${id}-token`}
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={problem ? true : undefined}
            aria-describedby={`${id}-help${problem ? ` ${id}-error` : ''}`}
          />
          {problem && (
            <p id={`${id}-error`} className="field-error" role="alert">
              {problem}
            </p>
          )}
          <p id={`${id}-help`} className="hint">
            An admin gets a token with <code>npm run cli -- bootstrap --org "Acme" --email you@example.com</code>. It is kept in this browser
            tab only and forgotten when you sign out or close the tab.
          </p>
        </div>
        <button type="submit" className="primary" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
