/** Setting a new password from an admin's reset link (`/reset/:token`). */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { AuthCard } from '../components/Layout';
import { PasswordInputs } from '../components/PasswordInputs';
import { passwordProblem } from '../lib/validation';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import { useTitle } from '../lib/useTitle';

/** The reset form; `client` is replaceable for tests. */
export function ResetView({ client = api }: { client?: ApiClient }) {
  useTitle('New password');
  const { token = '' } = useParams();
  const { user } = useAuth();
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // The username is unknown here: the console checks that rule.
    const problem = passwordProblem(password, confirmation, '');
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.resetPassword(token, password);
      setDone(true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <AuthCard title="Password set">
        <Alert kind="success">Your new password is set. Sign in with it.</Alert>
        <Link className="btn btn-primary btn-block" to={user ? '/' : '/login'}>
          {user ? 'Back to the console' : 'Go to sign in'}
        </Link>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Choose a new password" subtitle="An administrator created this password reset link for your account.">
      <form onSubmit={submit} noValidate>
        <PasswordInputs
          label="New password"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
        />
        <Alert kind="error">{error}</Alert>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Saving…' : 'Set new password'}
        </button>
      </form>
    </AuthCard>
  );
}
