/** Tests of the users page: invite form checks and links, role change confirmation. */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeConsole, user } from '../test/fakeConsole';
import { renderApp } from '../test/renderApp';
import { inviteLink, resetLink } from './UsersView';

function usersConsole(): FakeConsole {
  const fake = new FakeConsole();
  const bob = user('bob', 'standard');
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': { status: 200, body: { user: user('root'), csrf_token: 'csrf-r' } },
    'GET /users': { status: 200, body: { items: [user('root'), bob], total: 2, limit: 50, offset: 0 } },
    'GET /invites': { status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } },
    'POST /invites': {
      status: 201,
      body: { id: 'i1', role: 'read_only', token: 'tok/en', expires_at: '2026-11-25T04:00:00Z', created_at: '2026-11-24T04:00:00Z' },
    },
    'PATCH /users/id-bob': (request) => ({ status: 200, body: { ...bob, ...(request.body as object) } }),
    'DELETE /users/id-bob': { status: 204 },
  };
  return fake;
}

describe('UsersView', () => {
  it('builds invite and reset links on the current origin', () => {
    expect(inviteLink('abc', 'https://console:8443')).toBe('https://console:8443/invite/abc');
    expect(resetLink('a/b', 'https://console:8443')).toBe('https://console:8443/reset/a%2Fb');
  });

  it('refuses an invite expiry outside 1–720 hours, then shows the created link', async () => {
    const fake = usersConsole();
    renderApp(fake, '/admin/users');
    await screen.findByRole('heading', { name: 'Invites' });
    fireEvent.change(screen.getByLabelText('Expires in (hours)'), { target: { value: '721' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create invite' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/1 to 720 hours/);
    expect(fake.calls('POST /invites')).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Expires in (hours)'), { target: { value: '48' } });
    const roleSelect = document.querySelector('select[name="invite-role"]') as HTMLSelectElement;
    fireEvent.change(roleSelect, { target: { value: 'read_only' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create invite' }));
    const link = await screen.findByLabelText('Invite link');
    expect(link.textContent).toBe(`${window.location.origin}/invite/tok%2Fen`);
    expect(fake.calls('POST /invites')[0].body).toEqual({ role: 'read_only', expires_in_hours: 48 });
    expect(fake.calls('POST /invites')[0].headers['X-CSRF-Token']).toBe('csrf-r');
  });

  it('asks before changing a role and sends only the role', async () => {
    const fake = usersConsole();
    renderApp(fake, '/admin/users');
    const select = (await screen.findByLabelText('Role of bob')) as HTMLSelectElement;
    expect((screen.getByLabelText('Role of root') as HTMLSelectElement).disabled).toBe(true);
    fireEvent.change(select, { target: { value: 'admin' } });
    const dialog = await screen.findByRole('dialog');
    expect(fake.calls('PATCH /users/id-bob')).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Change role' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls('PATCH /users/id-bob')[0].body).toEqual({ role: 'admin' });
  });
});

describe('UsersView actions', () => {
  it('offers no self-destructive actions on the own row', async () => {
    renderApp(usersConsole(), '/admin/users');
    const own = (await screen.findByText('(you)')).closest('tr') as HTMLElement;
    expect(within(own).queryByRole('button')).toBeNull();
  });

  it('deletes a user only after confirmation, with the CSRF header', async () => {
    const fake = usersConsole();
    renderApp(fake, '/admin/users');
    const row = (await screen.findByLabelText('Role of bob')).closest('tr') as HTMLElement;
    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fake.calls('DELETE /users/id-bob')).toHaveLength(0);

    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete user' }));
    await waitFor(() => expect(fake.calls('DELETE /users/id-bob')).toHaveLength(1));
    expect(fake.calls('DELETE /users/id-bob')[0].headers['X-CSRF-Token']).toBe('csrf-r');
  });
});
