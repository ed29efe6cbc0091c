/** Tests of the login page's error handling: wrong credentials, locked account, throttling. */
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeConsole, problem, user } from '../test/fakeConsole';
import { renderApp } from '../test/renderApp';
import type { Answer } from '../test/fakeConsole';

function loginConsole(answer: Answer): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': problem(401, 'not signed in'),
    'POST /auth/login': answer,
    'GET /console/info': { status: 200, body: { version: '0.1.0', url: 'https://h:443', tls_fingerprint_sha256: 'SHA256:00' } },
  };
  return fake;
}

async function submit(fake: FakeConsole) {
  renderApp(fake, '/login');
  await screen.findByRole('heading', { name: 'Sign in' });
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'some password' } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('LoginView', () => {
  it('says the credentials are wrong on 401', async () => {
    await submit(loginConsole(problem(401, 'invalid credentials')));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
  });

  it('says the account is locked on 423, with the console detail', async () => {
    const detail = 'this account is locked after repeated failed sign-ins; try again in 15 min';
    await submit(loginConsole(problem(423, detail)));
    expect((await screen.findByRole('alert')).textContent).toBe(`T${detail.slice(1)}`);
  });

  it('shows the retry time on 429 and blocks the button meanwhile', async () => {
    await submit(loginConsole(problem(429, 'too many attempts', { 'Retry-After': '42' })));
    expect((await screen.findByRole('alert')).textContent).toBe('Too many sign-in attempts. Try again in 42 seconds.');
    const button = screen.getByRole('button', { name: /Try again in/ }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
  });

  it('signs in and opens the home page', async () => {
    const fake = loginConsole({ status: 200, body: { user: user('alice', 'standard'), csrf_token: 'c' } });
    await submit(fake);
    expect(await screen.findByRole('heading', { name: 'Console information' })).toBeTruthy();
    expect(fake.calls('POST /auth/login')[0].body).toEqual({ username: 'alice', password: 'some password' });
  });
});
