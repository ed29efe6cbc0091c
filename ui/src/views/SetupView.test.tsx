/** Tests of the first-run setup form: local validation and the request it sends. */
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeConsole, problem, user } from '../test/fakeConsole';
import { renderApp } from '../test/renderApp';

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

function setupConsole(): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: true } },
    'POST /setup': { status: 201, body: { user: user('root'), csrf_token: 'csrf-setup' } },
    'GET /console/info': { status: 200, body: { version: '0.1.0', url: 'https://h:443', tls_fingerprint_sha256: 'SHA256:00' } },
    'GET /settings/sensor-api-key': problem(503, 'not ready'),
  };
  return fake;
}

describe('SetupView', () => {
  it('refuses a confirmation that does not match, without calling the console', async () => {
    const fake = setupConsole();
    renderApp(fake, '/setup');
    await screen.findByRole('heading', { name: 'Set up the console' });
    fill('Setup code', 'ABCD-EFGH-IJKL');
    fill('Admin username', 'root');
    fill('Password', 'a sufficiently long pass');
    fill('Confirm password', 'a sufficiently long pasS');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));

    expect((await screen.findByRole('alert')).textContent).toMatch(/do not match/);
    expect(fake.calls('POST /setup')).toHaveLength(0);
  });

  it('refuses a short password and a missing setup code', async () => {
    const fake = setupConsole();
    renderApp(fake, '/setup');
    await screen.findByRole('heading', { name: 'Set up the console' });
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/setup code/);

    fill('Setup code', 'abcd-efgh-ijkl');
    fill('Password', 'short');
    fill('Confirm password', 'short');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/at least 12/);
    expect(fake.calls('POST /setup')).toHaveLength(0);
  });

  it('creates the admin with the normalized code and lands on the home page', async () => {
    const fake = setupConsole();
    renderApp(fake, '/setup');
    await screen.findByRole('heading', { name: 'Set up the console' });
    fill('Setup code', ' abcd-efgh-ijkl ');
    fill('Admin username', 'root');
    fill('Password', 'a sufficiently long pass');
    fill('Confirm password', 'a sufficiently long pass');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));

    expect(await screen.findByRole('heading', { name: 'Console information' })).toBeTruthy();
    expect(fake.calls('POST /setup')[0].body).toEqual({
      setup_code: 'ABCD-EFGH-IJKL',
      username: 'root',
      password: 'a sufficiently long pass',
    });
    expect(screen.getByTestId('current-user').textContent).toBe('root');
  });

  it('shows the console detail when the code is wrong', async () => {
    const fake = setupConsole();
    fake.routes['POST /setup'] = problem(403, 'the setup code is not valid');
    renderApp(fake, '/setup');
    await screen.findByRole('heading', { name: 'Set up the console' });
    fill('Setup code', 'WRONG-CODE');
    fill('Password', 'a sufficiently long pass');
    fill('Confirm password', 'a sufficiently long pass');
    fireEvent.click(screen.getByRole('button', { name: 'Create admin and sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The setup code is not valid');
  });
});
