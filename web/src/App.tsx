// Signed out: the sign-in page. Signed in: one API client for the token, the viewer's role, and the pages.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { Route, Switch } from 'wouter';
import { Layout } from './components/Layout.tsx';
import { createApi, type Api, type LiveState } from './lib/api.ts';
import { errorText, isUnauthenticated } from './lib/errors.ts';
import { LiveContext, SessionContext, TOKEN_KEY, ViewerQuery, type Session } from './lib/session.tsx';
import { DeliveryPage } from './pages/DeliveryPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { WebhookPage } from './pages/WebhookPage.tsx';
import { WebhooksPage } from './pages/WebhooksPage.tsx';

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((message?: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setNotice(message ?? null);
  }, []);
  const signIn = useCallback((accepted: string) => {
    sessionStorage.setItem(TOKEN_KEY, accepted);
    setNotice(null);
    setToken(accepted);
  }, []);
  if (!token) return <SignInPage onSignedIn={signIn} notice={notice} />;
  return <SignedIn key={token} token={token} signOut={signOut} />;
}

function SignedIn({ token, signOut }: { token: string; signOut(message?: string): void }) {
  const [api, setApi] = useState<Api | null>(null);
  const [live, setLive] = useState<{ state: LiveState; epoch: number }>({ state: 'idle', epoch: 0 });
  useEffect(() => {
    const created = createApi(token, {
      onLive: (state) => setLive((prev) => ({ state, epoch: state === 'live' ? prev.epoch + 1 : prev.epoch })),
      onUnauthenticated: () => signOut('Your token is no longer accepted. Sign in with a valid token.'),
    });
    setApi(created);
    return () => created.dispose();
  }, [token, signOut]);
  if (!api) return null;
  return (
    <Provider value={api.client}>
      <LiveContext.Provider value={live}>
        <WithViewer signOut={signOut} />
      </LiveContext.Provider>
    </Provider>
  );
}

function WithViewer({ signOut }: { signOut(message?: string): void }) {
  const [{ data, error }] = useQuery({ query: ViewerQuery, requestPolicy: 'cache-first' });
  const viewer = data?.viewer;
  const session = useMemo<Session | null>(
    () =>
      viewer
        ? {
            userName: viewer.user.name,
            role: viewer.user.role,
            organization: viewer.organization.name,
            teams: viewer.teams,
            isAdmin: viewer.user.role === 'ADMIN',
            signOut,
          }
        : null,
    [viewer, signOut],
  );
  if (error && !isUnauthenticated(error)) {
    return (
      <main className="page narrow">
        <p role="alert" className="alert error">{errorText(error)}</p>
        <button type="button" onClick={() => signOut()}>Sign out</button>
      </main>
    );
  }
  if (!session) return <p className="loading" role="status">Loading…</p>;
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Switch>
          <Route path="/" component={WebhooksPage} />
          <Route path="/webhooks/:id">{(params) => <WebhookPage key={params.id} id={params.id} />}</Route>
          <Route path="/deliveries/:id">{(params) => <DeliveryPage key={params.id} id={params.id} />}</Route>
          <Route component={NotFoundPage} />
        </Switch>
      </Layout>
    </SessionContext.Provider>
  );
}
