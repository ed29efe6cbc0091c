/** Tests of the route guards and the role-aware navigation. */
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { navLinks } from './components/Layout';
import { FakeConsole, problem, user } from './test/fakeConsole';
import { renderApp } from './test/renderApp';

const EMPTY = { items: [], total: 0, limit: 50, offset: 0 };
const INFO = { version: '0.1.0', url: 'https://127.0.0.1:8443', tls_fingerprint_sha256: 'SHA256:ab12' };

function signedInAs(role: 'admin' | 'standard' | 'read_only'): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': { status: 200, body: { user: user('carol', role), csrf_token: 'c' } },
    'GET /console/info': { status: 200, body: INFO },
    'GET /settings/sensor-api-key': {
      status: 200,
      body: {
        api_key: 'vdk_SECRET',
        console_url: INFO.url,
        tls_fingerprint_sha256: INFO.tls_fingerprint_sha256,
        sensor_command: 'vedette sensor --console https://127.0.0.1:8443 --api-key vdk_SECRET',
        docker_command: 'docker run vedette sensor --api-key vdk_SECRET',
      },
    },
    'GET /users': { status: 200, body: { ...EMPTY, items: [user('carol', role)], total: 1 } },
    'GET /invites': { status: 200, body: EMPTY },
    'GET /tokens': { status: 200, body: EMPTY },
  };
  return fake;
}

describe('route guards', () => {
  it('sends every page to setup while the console needs its first admin', async () => {
    const fake = new FakeConsole();
    fake.routes = { 'GET /setup': { status: 200, body: { needs_setup: true } } };
    renderApp(fake, '/');
    expect(await screen.findByRole('heading', { name: 'Set up the console' })).toBeTruthy();
    expect(fake.calls('GET /auth/session')).toHaveLength(0);
  });

  it('sends signed-out visitors to login', async () => {
    const fake = new FakeConsole();
    fake.routes = {
      'GET /setup': { status: 200, body: { needs_setup: false } },
      'GET /auth/session': problem(401, 'not signed in'),
    };
    renderApp(fake, '/account');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
  });

  it('shows a retry page when the console cannot be reached', async () => {
    const fake = new FakeConsole();
    fake.routes = { 'GET /setup': { status: 503, text: 'unavailable' } };
    renderApp(fake, '/');
    expect(await screen.findByRole('heading', { name: 'Console unreachable' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('role-aware navigation', () => {
  it('lists admin pages for admins only', () => {
    expect(navLinks(user('a', 'admin')).map((l) => l.label)).toEqual(['Home', 'Topology', 'Sensors', 'Account', 'Users', 'Audit log']);
    expect(navLinks(user('s', 'standard')).map((l) => l.label)).toEqual(['Home', 'Topology', 'Sensors', 'Account']);
    expect(navLinks(user('r', 'read_only')).map((l) => l.label)).toEqual(['Home', 'Topology', 'Sensors', 'Account']);
  });

  it('hides admin links and the sensor key from a standard user, and refuses admin pages', async () => {
    const fake = signedInAs('standard');
    renderApp(fake, '/');
    expect(await screen.findByRole('heading', { name: 'Console information' })).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav.textContent).toContain('Account');
    expect(nav.textContent).not.toContain('Users');
    expect(screen.queryByRole('heading', { name: 'Deploy a sensor' })).toBeNull();
    expect(fake.calls('GET /settings/sensor-api-key')).toHaveLength(0);
  });

  it('refuses the users page to a read-only user without calling the admin API', async () => {
    const fake = signedInAs('read_only');
    renderApp(fake, '/admin/users');
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeTruthy();
    expect(fake.calls('GET /users')).toHaveLength(0);
  });

  it('shows admins the deploy card with the key masked in commands', async () => {
    const fake = signedInAs('admin');
    renderApp(fake, '/');
    expect(await screen.findByRole('heading', { name: 'Deploy a sensor' })).toBeTruthy();
    const command = await screen.findByLabelText('Sensor command');
    expect(command.textContent).toContain('vedette sensor --console https://127.0.0.1:8443');
    expect(command.textContent).not.toContain('vdk_SECRET');
    expect(screen.getByRole('navigation', { name: 'Main' }).textContent).toContain('Audit log');
  });
});

describe('logout', () => {
  it('signs out locally even when the console says the session already ended', async () => {
    const fake = signedInAs('standard');
    fake.routes['POST /auth/logout'] = problem(401, 'the session has ended; sign in again');
    renderApp(fake, '/');
    await screen.findByRole('heading', { name: 'Console information' });
    screen.getByRole('button', { name: 'Log out' }).click();
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('You have been signed out.');
    expect(fake.calls('POST /auth/logout')[0].headers['X-CSRF-Token']).toBe('c');
  });
});
