import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { useLive, useSession } from '../lib/session.tsx';

const LIVE_TEXT = { idle: 'Live updates off', connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting…' } as const;

export function LiveIndicator() {
  const { state } = useLive();
  const { isAdmin } = useSession();
  if (!isAdmin) return null;
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite">
      <span aria-hidden="true" className="dot" />
      {LIVE_TEXT[state]}
    </span>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand">
            Hookwarden
          </Link>
          <nav aria-label="Main">
            <Link href="/">Webhooks</Link>
          </nav>
          <div className="who">
            <LiveIndicator />
            <span className="org">{session.organization}</span>
            <span className="user">
              {session.userName} <span className="role">{session.role}</span>
            </span>
            <button type="button" onClick={() => session.signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {!session.isAdmin && (
          <p className="alert info">
            You are signed in as a {session.role.toLowerCase()}: you can read webhooks, but not change them or see their URLs, secrets and deliveries.
          </p>
        )}
        {children}
      </main>
    </>
  );
}
