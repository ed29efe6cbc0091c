/**
 * User administration (admins only): the user table with role filter and search, role
 * changes, disable/enable, delete, password-reset links, and invites (create, list, revoke).
 */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyField } from '../components/CopyField';
import { Pager } from '../components/Pager';
import { formatDateTime } from '../lib/format';
import { useDebounced } from '../lib/useDebounced';
import { useLoad } from '../lib/useLoad';
import { parseBoundedInt } from '../lib/validation';
import { api, errorMessage } from '../services/client';
import type { ApiClient } from '../services/client';
import { ROLES, ROLE_LABELS } from '../services/types';
import type { CreatedInvite, Invite, Role, User } from '../services/types';
import { useTitle } from '../lib/useTitle';

const PAGE_SIZE = 50;

/** The link a person opens to accept an invite. */
export function inviteLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/invite/${encodeURIComponent(token)}`;
}

/** The link a person opens to set a new password. */
export function resetLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/reset/${encodeURIComponent(token)}`;
}

/** The users page; `client` is replaceable for tests. */
export function UsersView({ client = api }: { client?: ApiClient }) {
  useTitle('Users');
  const invites = useLoad(() => client.listInvites({ limit: 500 }), [client]);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Users</h1>
        <p className="muted">Who can use this console, and with which role.</p>
      </div>
      <UserTable client={client} />
      <Invites client={client} invites={invites.data?.items ?? null} error={invites.error} reload={invites.reload} />
    </div>
  );
}

type PendingAction =
  | { kind: 'delete'; user: User }
  | { kind: 'disable'; user: User }
  | { kind: 'reset'; user: User }
  | { kind: 'role'; user: User; role: Role };

function UserTable({ client }: { client: ApiClient }) {
  const { user: me } = useAuth();
  const [role, setRole] = useState<Role | ''>('');
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const [offset, setOffset] = useState(0);
  const users = useLoad(
    () => client.listUsers({ role, q, sort: 'username', limit: PAGE_SIZE, offset }),
    [client, role, q, offset],
  );
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [resetFor, setResetFor] = useState<{ username: string; link: string; expires: string } | null>(null);

  // A new filter starts again from the first page.
  useEffect(() => setOffset(0), [role, q]);

  const enable = async (user: User) => {
    setActionError(null);
    try {
      await client.updateUser(user.id, { disabled: false });
      users.reload();
    } catch (e) {
      setActionError(errorMessage(e));
    }
  };

  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Accounts</h2>
      <div className="toolbar">
        <label className="field field-inline">
          <span>Role</span>
          <select name="role-filter" value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
            <option value="">All roles</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline grow">
          <span>Search</span>
          <input type="search" name="user-search" placeholder="Username contains…" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
      </div>
      <Alert kind="error">{users.error ?? actionError}</Alert>
      {resetFor && (
        <div className="reveal" data-testid="reset-link">
          <p>
            <strong>Password reset link for {resetFor.username}</strong>, valid until {resetFor.expires}. Send it to
            them over a trusted channel; it works once.
          </p>
          <CopyField value={resetFor.link} label="Password reset link" />
          <button type="button" className="btn btn-small" onClick={() => setResetFor(null)}>
            Done
          </button>
        </div>
      )}
      <table className="table" data-testid="users-table">
        <thead>
          <tr>
            <th>Username</th>
            <th>Role</th>
            <th>Status</th>
            <th>Created</th>
            <th>Last sign-in</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {users.data?.items.map((user) => {
            const self = user.id === me?.id;
            return (
              <tr key={user.id} data-username={user.username}>
                <td>
                  {user.username}
                  {self && <span className="muted"> (you)</span>}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${user.username}`}
                    value={user.role}
                    disabled={self}
                    title={self ? 'You cannot change your own role' : undefined}
                    onChange={(e) => setPending({ kind: 'role', user, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {ROLE_LABELS[r]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {user.disabled ? <span className="badge badge-off">Disabled</span> : <span className="badge badge-on">Active</span>}
                </td>
                <td>{formatDateTime(user.created_at)}</td>
                <td>{formatDateTime(user.last_login_at, 'never')}</td>
                <td className="actions">
                  {!self &&
                    (user.disabled ? (
                      <button type="button" className="btn btn-small" onClick={() => enable(user)}>
                        Enable
                      </button>
                    ) : (
                      <button type="button" className="btn btn-small" onClick={() => setPending({ kind: 'disable', user })}>
                        Disable
                      </button>
                    ))}
                  {!self && (
                    <button type="button" className="btn btn-small" onClick={() => setPending({ kind: 'reset', user })}>
                      Reset password
                    </button>
                  )}
                  {!self && (
                    <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setPending({ kind: 'delete', user })}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
          {users.data && users.data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No user matches these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {users.data && <Pager total={users.data.total} limit={users.data.limit || PAGE_SIZE} offset={users.data.offset} onChange={setOffset} />}
      {pending?.kind === 'role' && (
        <ConfirmDialog
          title={`Change the role of ${pending.user.username}?`}
          confirmLabel="Change role"
          onConfirm={async () => {
            await client.updateUser(pending.user.id, { role: pending.role });
            users.reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>
            {ROLE_LABELS[pending.user.role]} → <strong>{ROLE_LABELS[pending.role]}</strong>. The change applies to their
            next request.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'disable' && (
        <ConfirmDialog
          title={`Disable ${pending.user.username}?`}
          confirmLabel="Disable"
          danger
          onConfirm={async () => {
            await client.updateUser(pending.user.id, { disabled: true });
            users.reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>They are signed out and cannot sign in or use their API tokens until enabled again.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${pending.user.username}?`}
          confirmLabel="Delete user"
          danger
          onConfirm={async () => {
            await client.deleteUser(pending.user.id);
            users.reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>The account and its API tokens are removed. This cannot be undone; the audit log keeps its history.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'reset' && (
        <ConfirmDialog
          title={`Reset the password of ${pending.user.username}?`}
          confirmLabel="Create reset link"
          onConfirm={async () => {
            const reset = await client.createPasswordReset(pending.user.id);
            setResetFor({ username: pending.user.username, link: resetLink(reset.token), expires: formatDateTime(reset.expires_at) });
          }}
          onClose={() => setPending(null)}
        >
          <p>
            This signs them out everywhere and creates a one-time link with which they choose a new password. Their
            current password keeps working until they use the link.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function Invites({
  client,
  invites,
  error,
  reload,
}: {
  client: ApiClient;
  invites: Invite[] | null;
  error: string | null;
  reload: () => void;
}) {
  const [role, setRole] = useState<Role>('standard');
  const [hours, setHours] = useState('72');
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedInvite | null>(null);
  const [revoking, setRevoking] = useState<Invite | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const expires = parseBoundedInt(hours, 1, 720);
    if (expires === null) {
      setFormError('The invite must expire in 1 to 720 hours.');
      return;
    }
    setBusy(true);
    setFormError(null);
    try {
      setCreated(await client.createInvite(role, expires));
      reload();
    } catch (e) {
      setFormError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <p className="muted">An invite link lets one person create their own account with the chosen role.</p>
      <form className="inline-form" onSubmit={create} noValidate>
        <label className="field field-small">
          <span>Role</span>
          <select name="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-small">
          <span>Expires in (hours)</span>
          <input name="invite-hours" inputMode="numeric" value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create invite'}
        </button>
      </form>
      <Alert kind="error">{formError}</Alert>
      {created && (
        <div className="reveal" data-testid="invite-link">
          <p>
            <strong>Invite for a {ROLE_LABELS[created.role]} user</strong>, valid until {formatDateTime(created.expires_at)}.
            Copy the link now: it is shown only once.
          </p>
          <CopyField value={inviteLink(created.token)} label="Invite link" />
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <Alert kind="error">{error}</Alert>
      <table className="table" data-testid="invites-table">
        <thead>
          <tr>
            <th>Role</th>
            <th>Created</th>
            <th>Created by</th>
            <th>Expires</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {invites?.map((invite) => (
            <tr key={invite.id}>
              <td>{ROLE_LABELS[invite.role] ?? invite.role}</td>
              <td>{formatDateTime(invite.created_at)}</td>
              <td>{invite.created_by ?? '—'}</td>
              <td>{formatDateTime(invite.expires_at)}</td>
              <td className="actions">
                <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setRevoking(invite)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
          {invites && invites.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No pending invites.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {revoking && (
        <ConfirmDialog
          title="Revoke this invite?"
          confirmLabel="Revoke invite"
          danger
          onConfirm={async () => {
            await client.revokeInvite(revoking.id);
            reload();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>The link stops working at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
