/** Tests of the account page: password change ends the session; tokens are shown once. */
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeConsole, problem, user } from '../test/fakeConsole';
import { renderApp } from '../test/renderApp';

function accountConsole(): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': { status: 200, body: { user: user('dana', 'read_only'), csrf_token: 'csrf-d' } },
    'GET /tokens': { status: 200, body: { items: [], total: 0, limit: 500, offset: 0 } },
    'POST /users/me/password': { status: 204 },
    'POST /tokens': {
      status: 201,
      body: { id: 't1', name: 'ci', prefix: 'vdt_1234', created_at: '2026-11-24T04:00:00Z', expires_at: null, last_used_at: null, token: 'vdt_1234_secret' },
    },
  };
  return fake;
}

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('AccountView', () => {
  it('changes the password, then shows the login page with a notice', async () => {
    const fake = accountConsole();
    renderApp(fake, '/account');
    await screen.findByRole('heading', { name: 'Change password' });
    fill('Current password', 'the old password');
    fill('New password', 'a brand new password');
    fill('Confirm new password', 'a brand new password');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toMatch(/password was changed/);
    const [call] = fake.calls('POST /users/me/password');
    expect(call.headers['X-CSRF-Token']).toBe('csrf-d');
  });

  it('keeps the user on the page when the current password is wrong', async () => {
    const fake = accountConsole();
    fake.routes['POST /users/me/password'] = problem(400, 'the current password is wrong');
    renderApp(fake, '/account');
    await screen.findByRole('heading', { name: 'Change password' });
    fill('Current password', 'not the password');
    fill('New password', 'a brand new password');
    fill('Confirm new password', 'a brand new password');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The current password is wrong');
    expect(screen.getByRole('heading', { name: 'Change password' })).toBeTruthy();
  });

  it('refuses an expiry outside 1–365 days, then creates a token and shows it once', async () => {
    const fake = accountConsole();
    renderApp(fake, '/account');
    await screen.findByRole('heading', { name: 'API tokens' });
    fill('Name', 'ci');
    fill('Expires in (days)', '400');
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/between 1 and 365/);
    expect(fake.calls('POST /tokens')).toHaveLength(0);

    fill('Expires in (days)', '');
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByLabelText('New API token')).textContent).toBe('vdt_1234_secret');
    expect(fake.calls('POST /tokens')[0].body).toEqual({ name: 'ci' });
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('vdt_1234_secret')).toBeNull();
  });
});
