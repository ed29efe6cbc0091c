/**
 * Sign-in page. Wrong credentials, a locked account and throttling each get their own message;
 * when throttled, the button stays disabled until the `Retry-After` time has passed.
 */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { AuthCard } from '../components/Layout';
import { formatDuration } from '../lib/format';
import { ApiError, api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import { useTitle } from '../lib/useTitle';

/** The sentence shown for a failed login. */
export function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  switch (error.kind) {
    case 'unauthorized':
      return 'Wrong username or password.';
    case 'locked':
      // The console's detail says for how long and what to do; keep a fallback for proxies.
      return error.detail ? error.message : 'This account is locked after repeated failed sign-ins. Try again later or ask an admin.';
    case 'throttled': {
      const wait = error.retryAfterSeconds;
      return wait === null
        ? 'Too many sign-in attempts. Wait a moment, then try again.'
        : `Too many sign-in attempts. Try again in ${formatDuration(wait)}.`;
    }
    default:
      return error.message;
  }
}

/** The login form; `client` is replaceable for tests. */
export function LoginView({ client = api }: { client?: ApiClient }) {
  useTitle('Sign in');
  const { user, needsSetup, notice, signedIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The notice (signed out, session ended, ...) is for the first look at the page only.
  const [submitted, setSubmitted] = useState(false);
  // Epoch milliseconds until which the console asked us to wait.
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (blockedUntil === null) return;
    const timer = window.setInterval(() => {
      if (Date.now() >= blockedUntil) {
        setBlockedUntil(null);
        setError(null);
      } else {
        setTick((t) => t + 1);
      }
    }, 1000);
    return () => window.clearInterval(timer);
  }, [blockedUntil]);

  if (needsSetup) return <Navigate to="/setup" replace />;
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (user) return <Navigate to={from} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!username || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setSubmitted(true);
    setError(null);
    try {
      const session = await client.login(username, password);
      signedIn(session);
      navigate(from, { replace: true });
    } catch (e) {
      setError(loginErrorMessage(e));
      if (e instanceof ApiError && e.kind === 'throttled' && e.retryAfterSeconds) {
        setBlockedUntil(Date.now() + e.retryAfterSeconds * 1000);
      }
      setPassword('');
      setBusy(false);
    }
  };

  const remaining = blockedUntil === null ? 0 : Math.max(0, Math.ceil((blockedUntil - Date.now()) / 1000));
  return (
    <AuthCard title="Sign in">
      <Alert kind="info">{submitted ? null : notice}</Alert>
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <Alert kind="error">{error}</Alert>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || remaining > 0}>
          {remaining > 0 ? `Try again in ${formatDuration(remaining)}` : busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthCard>
  );
}
