/**
 * The signed-in user's own account: change the password (which ends every session, so the UI
 * goes back to the login page) and manage personal API tokens (secret shown once).
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyField } from '../components/CopyField';
import { PasswordInputs } from '../components/PasswordInputs';
import { formatDateTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { parseBoundedInt, passwordProblem } from '../lib/validation';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import type { ApiToken, CreatedApiToken } from '../services/types';
import { ROLE_LABELS } from '../services/types';
import { useTitle } from '../lib/useTitle';

/** The account page; `client` is replaceable for tests. */
export function AccountView({ client = api }: { client?: ApiClient }) {
  useTitle('Account');
  const { user } = useAuth();
  return (
    <div className="page">
      <div className="page-head">
        <h1>Account</h1>
        {user && (
          <p className="muted">
            Signed in as <strong>{user.username}</strong> ({ROLE_LABELS[user.role]}).
          </p>
        )}
      </div>
      <ChangePassword client={client} />
      <ApiTokens client={client} />
    </div>
  );
}

/** The change-password form. */
export function ChangePassword({ client }: { client: ApiClient }) {
  const { user, endSession } = useAuth();
  const navigate = useNavigate();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!current) {
      setError('Enter your current password.');
      return;
    }
    const problem = passwordProblem(password, confirmation, user?.username ?? '');
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.changePassword(current, password);
      endSession('Your password was changed and all your sessions ended. Sign in with the new password.');
      navigate('/login', { replace: true });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <section className="card narrow" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p className="muted">Changing your password signs you out everywhere, including here.</p>
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span>Current password</span>
          <input
            type="password"
            name="current-password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
          />
        </label>
        <PasswordInputs
          label="New password"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
        />
        <Alert kind="error">{error}</Alert>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}

function ApiTokens({ client }: { client: ApiClient }) {
  const tokens = useLoad(() => client.listTokens({ limit: 500 }), [client]);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('Give the token a name, e.g. the tool or pipeline that will use it.');
      return;
    }
    let expiresInDays: number | undefined;
    if (days.trim()) {
      const parsed = parseBoundedInt(days, 1, 365);
      if (parsed === null) {
        setError('The expiry must be a whole number of days between 1 and 365, or empty for no expiry.');
        return;
      }
      expiresInDays = parsed;
    }
    setBusy(true);
    setError(null);
    try {
      const token = await client.createToken(name.trim(), expiresInDays);
      setCreated(token);
      setName('');
      setDays('');
      tokens.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        Tokens let scripts and CI call the API as you, with <code>Authorization: Bearer &lt;token&gt;</code>. They have
        your role's permissions.
      </p>
      <form className="inline-form" onSubmit={create} noValidate>
        <label className="field">
          <span>Name</span>
          <input name="token-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="ci-pipeline" />
        </label>
        <label className="field field-small">
          <span>Expires in (days)</span>
          <input name="token-days" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} placeholder="never" />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </form>
      <Alert kind="error">{error}</Alert>
      {created && (
        <div className="reveal" data-testid="new-token">
          <p>
            <strong>Token “{created.name}” created.</strong> Copy it now: it will not be shown again.
          </p>
          <CopyField value={created.token} label="New API token" />
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <Alert kind="error">{tokens.error}</Alert>
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {tokens.data?.items.map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td className="mono">{token.prefix}…</td>
              <td>{formatDateTime(token.created_at)}</td>
              <td>{formatDateTime(token.expires_at, 'never')}</td>
              <td>{formatDateTime(token.last_used_at, 'never')}</td>
              <td className="actions">
                <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setRevoking(token)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
          {tokens.data && tokens.data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No API tokens yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {revoking && (
        <ConfirmDialog
          title={`Revoke token “${revoking.name}”?`}
          confirmLabel="Revoke"
          danger
          onConfirm={async () => {
            await client.revokeToken(revoking.id);
            tokens.reload();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>Anything using this token stops working at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
