// Who is signed in (from the API, never stored), and the state of the live connection.
import { createContext, useContext, useEffect, useRef } from 'react';
import { graphql } from '../gql';
import type { Role } from '../gql/graphql';
import type { LiveState } from './api.ts';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      user { id name role }
      organization { id name }
      teams { id name }
    }
  }
`);

export const TOKEN_KEY = 'hookwarden.token';

export interface Session {
  userName: string;
  role: Role;
  organization: string;
  teams: Array<{ id: string; name: string }>;
  /** Admins manage webhooks and see deliveries; members and viewers only read webhooks. */
  isAdmin: boolean;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}

export interface Live {
  state: LiveState;
  /** Counts the socket's (re)connections: whatever happened while it was down must be read again. */
  epoch: number;
}

export const LiveContext = createContext<Live>({ state: 'idle', epoch: 0 });

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Calls `refresh` each time the live connection comes (back) up, so nothing missed meanwhile stays missing. */
export function useRefreshOnConnect(refresh: () => void): void {
  const { epoch } = useLive();
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (epoch > 0) latest.current();
  }, [epoch]);
}
