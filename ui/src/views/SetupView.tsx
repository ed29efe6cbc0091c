/**
 * First-run page: the setup code printed in the console's start-up banner proves the person
 * has access to the console host; with it they create the first admin and are signed in.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { AuthCard } from '../components/Layout';
import { PasswordInputs } from '../components/PasswordInputs';
import { normalizeSetupCode, passwordProblem, setupCodeProblem, usernameProblem } from '../lib/validation';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import { useTitle } from '../lib/useTitle';

/** The setup form; `client` is replaceable for tests. */
export function SetupView({ client = api }: { client?: ApiClient }) {
  useTitle('Setup');
  const { needsSetup, signedIn } = useAuth();
  const navigate = useNavigate();
  const [code, setCode] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!needsSetup) return <Navigate to="/" replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem =
      setupCodeProblem(code) ?? usernameProblem(username) ?? passwordProblem(password, confirmation, username);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await client.setup(normalizeSetupCode(code), username, password);
      signedIn(session);
      navigate('/', { replace: true });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <AuthCard
      title="Set up the console"
      subtitle="Create the first administrator. The setup code is printed in the console's start-up banner."
    >
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span>Setup code</span>
          <input
            name="setup-code"
            className="mono"
            placeholder="XXXX-XXXX-XXXX"
            autoComplete="off"
            spellCheck={false}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label className="field">
          <span>Admin username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <PasswordInputs
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
        />
        <Alert kind="error">{error}</Alert>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Creating…' : 'Create admin and sign in'}
        </button>
      </form>
    </AuthCard>
  );
}
