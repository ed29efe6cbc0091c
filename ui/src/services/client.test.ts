/** Tests of the API client: CSRF header, credentials, problem+json errors, session end. */
import { describe, expect, it, vi } from 'vitest';
import { FakeConsole, problem, user } from '../test/fakeConsole';
import { ApiError, CSRF_HEADER, buildQuery, parseRetryAfter, sentence } from './client';

describe('ApiClient', () => {
  it('sends the CSRF token on non-GET requests only, after signing in', async () => {
    const fake = new FakeConsole();
    fake.routes = {
      'POST /auth/login': { status: 200, body: { user: user('alice'), csrf_token: 'csrf-123' } },
      'GET /users/me': { status: 200, body: user('alice') },
      'POST /tokens': { status: 201, body: { id: 't1', name: 'ci', prefix: 'vdt_ab', created_at: '2026-11-24T04:00:00Z', expires_at: null, last_used_at: null, token: 'vdt_secret' } },
    };
    const client = fake.client();

    await client.login('alice', 'a long password');
    await client.me();
    const token = await client.createToken('ci', 30);

    const [login, me, create] = fake.requests;
    expect(login.headers[CSRF_HEADER]).toBeUndefined();
    expect(login.body).toEqual({ username: 'alice', password: 'a long password' });
    expect(me.headers[CSRF_HEADER]).toBeUndefined();
    expect(create.headers[CSRF_HEADER]).toBe('csrf-123');
    expect(create.headers['Content-Type']).toBe('application/json');
    expect(create.body).toEqual({ name: 'ci', expires_in_days: 30 });
    expect(fake.requests.every((r) => r.credentials === 'same-origin')).toBe(true);
    expect(token.token).toBe('vdt_secret');
  });

  it('turns problem+json answers into typed errors carrying the detail', async () => {
    const fake = new FakeConsole();
    fake.routes = { 'POST /invites': problem(400, 'expires_in_hours must be between 1 and 720') };
    const client = fake.client();

    const error = await client.createInvite('standard', 9999).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, message: 'expires_in_hours must be between 1 and 720' });
  });

  it('reads the retry time of a throttled login and the locked state', async () => {
    const fake = new FakeConsole();
    const client = fake.client();
    fake.routes = { 'POST /auth/login': problem(429, 'too many attempts', { 'Retry-After': '42' }) };
    const throttled = await client.login('alice', 'x').catch((e: unknown) => e);
    expect(throttled).toMatchObject({ kind: 'throttled', retryAfterSeconds: 42 });

    fake.routes = { 'POST /auth/login': problem(423, 'account locked until 05:00') };
    const locked = await client.login('alice', 'x').catch((e: unknown) => e);
    expect(locked).toMatchObject({ kind: 'locked', message: 'Account locked until 05:00' });
  });

  it('keeps a readable message when the error body is not JSON', async () => {
    const fake = new FakeConsole();
    fake.routes = { 'GET /console/info': { status: 502, text: '<html>Bad Gateway</html>' } };
    const error = await fake.client().consoleInfo().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'server', status: 502 });
    expect((error as Error).message).not.toContain('<html>');
  });

  it('reports network failures as such', async () => {
    const client = new (await import('./client')).ApiClient({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    const error = await client.setupStatus().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network', status: 0 });
  });

  it('signals an ended session on 401 for signed-in calls, not for a failed login', async () => {
    const fake = new FakeConsole();
    const client = fake.client();
    const ended = vi.fn();
    client.onSessionEnded = ended;

    fake.routes = { 'POST /auth/login': problem(401, 'wrong username or password') };
    await expect(client.login('alice', 'bad')).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(ended).not.toHaveBeenCalled();

    fake.routes = {
      'POST /auth/login': { status: 200, body: { user: user('alice'), csrf_token: 'c1' } },
      'GET /tokens': problem(401, 'session expired'),
    };
    await client.login('alice', 'good password');
    await expect(client.listTokens()).rejects.toBeInstanceOf(ApiError);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(client.csrf).toBeNull();
  });

  it('answers null for the session probe when signed out, and forgets the token on password change', async () => {
    const fake = new FakeConsole();
    const client = fake.client();
    fake.routes = { 'GET /auth/session': problem(401, 'not signed in') };
    expect(await client.session()).toBeNull();

    fake.routes = {
      'GET /auth/session': { status: 200, body: { user: user('bob', 'standard'), csrf_token: 'c2' } },
      'POST /users/me/password': { status: 204 },
    };
    expect((await client.session())?.user.username).toBe('bob');
    expect(client.csrf).toBe('c2');
    await client.changePassword('old password!', 'new password!!');
    expect(fake.calls('POST /users/me/password')[0].headers[CSRF_HEADER]).toBe('c2');
    expect(fake.calls('POST /users/me/password')[0].body).toEqual({ current_password: 'old password!', new_password: 'new password!!' });
    expect(client.csrf).toBeNull();
  });

  it('encodes list filters and path ids', async () => {
    const fake = new FakeConsole();
    fake.routes = {
      'GET /users': { status: 200, body: { items: [], total: 0, limit: 50, offset: 0 } },
      'DELETE /users/a%2Fb': { status: 204 },
    };
    const client = fake.client();
    await client.listUsers({ role: 'read_only', q: 'al ice', sort: 'username', offset: 0 });
    await client.deleteUser('a/b');
    expect(fake.requests[0].url).toBe('/api/v1/users?role=read_only&q=al+ice&sort=username&offset=0');
    expect(fake.requests[1].url).toBe('/api/v1/users/a%2Fb');
  });
});

describe('helpers', () => {
  it('sentence capitalizes prose but not identifiers', () => {
    expect(sentence('wrong user name or password')).toBe('Wrong user name or password');
    expect(sentence('`limit` must be a whole number')).toBe('`limit` must be a whole number');
    expect(sentence('expires_in_hours must be between 1 and 720')).toBe('expires_in_hours must be between 1 and 720');
    expect(sentence('')).toBe('');
  });

  it('buildQuery leaves out empty values', () => {
    expect(buildQuery({ a: '', b: undefined, c: null, d: 'x', e: 0 })).toBe('?d=x&e=0');
    expect(buildQuery({})).toBe('');
  });

  it('parseRetryAfter reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-24T04:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Tue, 24 Nov 2026 04:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
