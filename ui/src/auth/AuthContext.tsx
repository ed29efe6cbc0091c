/**
 * Who is signed in, shared by the whole app.
 *
 * On start it asks the console whether first-run setup is needed (`GET /setup`) and whether a
 * session exists (`GET /auth/session`). Views call `signedIn` after login/setup/invite and
 * `signOut` for logout; a 401 on any signed-in request ends the session here too.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import type { Session, User } from '../services/types';

/** Loading state of the initial probe. */
export type AuthStatus = 'loading' | 'ready' | 'error';

/** What the auth context offers. */
export interface AuthState {
  status: AuthStatus;
  /** Set when the initial probe failed (console unreachable, ...). */
  error: string | null;
  /** True until the first admin exists. */
  needsSetup: boolean;
  /** The signed-in user, null when signed out. */
  user: User | null;
  /** A message for the login page (session expired, password changed, ...). */
  notice: string | null;
  /** Records a fresh session (login, setup, invite acceptance). */
  signedIn: (session: Session) => void;
  /** Logs out on the console and forgets the session; never fails. */
  signOut: () => Promise<void>;
  /** Forgets the session locally, with a notice for the login page. */
  endSession: (notice: string | null) => void;
  /** Re-runs the initial probe. */
  reload: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

/** Provides {@link AuthState} to the tree; `client` is replaceable for tests. */
export function AuthProvider({ children, client = api }: { children: ReactNode; client?: ApiClient }) {
  const [status, setStatus] = useState<AuthStatus>('loading');
  const [error, setError] = useState<string | null>(null);
  const [needsSetup, setNeedsSetup] = useState(false);
  const [user, setUser] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const setup = await client.setupStatus();
        const session = setup.needs_setup ? null : await client.session();
        if (cancelled) return;
        setNeedsSetup(setup.needs_setup);
        setUser(session?.user ?? null);
        setStatus('ready');
      } catch (e) {
        if (cancelled) return;
        setError(errorMessage(e));
        setStatus('error');
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, generation]);

  const endSession = useCallback(
    (message: string | null) => {
      client.setCsrfToken(null);
      setUser(null);
      setNotice(message);
    },
    [client],
  );

  useEffect(() => {
    client.onSessionEnded = () => {
      setUser(null);
      setNotice('Your session has ended. Please sign in again.');
    };
    return () => {
      client.onSessionEnded = null;
    };
  }, [client]);

  const signedIn = useCallback((session: Session) => {
    setUser(session.user);
    setNeedsSetup(false);
    setNotice(null);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await client.logout();
    } catch {
      // The session already ended on the console (expired, password reset, user disabled)
      // or the console is unreachable: either way the user wants to be signed out here.
    }
    setUser(null);
    setNotice('You have been signed out.');
  }, [client]);

  const reload = useCallback(() => {
    setStatus('loading');
    setError(null);
    setGeneration((g) => g + 1);
  }, []);

  const value = useMemo(
    () => ({ status, error, needsSetup, user, notice, signedIn, signOut, endSession, reload }),
    [status, error, needsSetup, user, notice, signedIn, signOut, endSession, reload],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** The auth state; must be used under {@link AuthProvider}. */
export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth must be used inside <AuthProvider>');
  return state;
}

/** True when the user may use admin pages. */
export function isAdmin(user: User | null): boolean {
  return user?.role === 'admin';
}
