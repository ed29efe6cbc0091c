/** Accepting an invite link (`/invite/:token`): choose a username and password, then signed in. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { AuthCard } from '../components/Layout';
import { PasswordInputs } from '../components/PasswordInputs';
import { passwordProblem, usernameProblem } from '../lib/validation';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import { useTitle } from '../lib/useTitle';

/** The invite acceptance form; `client` is replaceable for tests. */
export function InviteView({ client = api }: { client?: ApiClient }) {
  useTitle('Join');
  const { token = '' } = useParams();
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = usernameProblem(username) ?? passwordProblem(password, confirmation, username);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await client.acceptInvite(token, username, password);
      signedIn(session);
      navigate('/', { replace: true });
    } catch (e) {
      // The console explains unknown, expired or used links and taken user names itself.
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Join this console" subtitle="You were invited to the Vedette Management Console. Choose your username and password.">
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
        <PasswordInputs
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
        />
        <Alert kind="error">{error}</Alert>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthCard>
  );
}
