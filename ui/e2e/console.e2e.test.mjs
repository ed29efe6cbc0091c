/**
 * End-to-end test of the web console against the real `vedette console` binary, driven in
 * Debian's Chromium through playwright-core (see `harness.mjs` for the environment).
 *
 * The browser trusts the console's self-signed certificate only by pinning its public key
 * (`--ignore-certificate-errors-spki-list`), computed from `<data-dir>/tls/cert.pem`; TLS is
 * otherwise verified as usual.
 *
 * Screenshots land in `ui/test-results/`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, login, screenshot } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Quiet-Harbor-Lantern-42' };
const USER = { username: 'bob', password: 'Copper-Meadow-Falcon-77', newPassword: 'Silver-Canyon-Otter-19' };

const harness = createHarness('console');
const { env, apiGet, newPage } = harness;

before(harness.start);
after(harness.stop);

test('first run, users, roles, tokens and audit in the browser', { timeout: 180_000 }, async (t) => {
  const admin = await newPage();
  let inviteUrl = '';

  await t.test('a fresh console sends / to the setup page', async () => {
    await admin.goto(`${env.url}/`);
    await admin.waitForURL(/\/setup$/);
    await admin.getByRole('heading', { name: 'Set up the console' }).waitFor();
    await screenshot(admin, 'setup');
  });

  await t.test('the setup code creates the first admin, who sees the sensor API key', async () => {
    await admin.getByLabel('Setup code').fill(env.setupCode);
    await admin.getByLabel('Admin username').fill(ADMIN.username);
    await admin.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await admin.getByLabel('Confirm password').fill(ADMIN.password);
    await admin.getByRole('button', { name: 'Create admin and sign in' }).click();
    await admin.getByRole('heading', { name: 'Deploy a sensor' }).waitFor();
    assert.equal(new URL(admin.url()).pathname, '/');
    assert.equal(await admin.getByTestId('current-user').textContent(), ADMIN.username);

    const fingerprint = (await admin.getByLabel('TLS fingerprint', { exact: true }).textContent()) ?? '';
    assert.equal(fingerprint.replace(/:/g, '').toLowerCase(), env.fingerprint);

    await admin.getByRole('button', { name: 'Show', exact: true }).click();
    const key = ((await admin.getByLabel('Sensor API key', { exact: true }).textContent()) ?? '').trim();
    assert.ok(key.length >= 16 && !key.includes('•'), `the sensor API key is shown: ${key}`);
    const command = (await admin.getByLabel('Sensor command', { exact: true }).textContent()) ?? '';
    assert.ok(command.includes(env.url.replace(/^https:\/\//, '')), `sensor command names the console: ${command}`);
    assert.ok(!command.includes(key), 'the key is masked in the displayed command');
    await admin.getByRole('button', { name: 'Hide', exact: true }).click();
    await screenshot(admin, 'home');

    // Rotation asks for confirmation, then shows a different key.
    await admin.getByRole('button', { name: 'Rotate API key' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    await admin.getByText('The sensor API key was rotated.', { exact: false }).waitFor();
    await admin.getByRole('button', { name: 'Show', exact: true }).click();
    const rotated = ((await admin.getByLabel('Sensor API key', { exact: true }).textContent()) ?? '').trim();
    assert.ok(rotated.length >= 16 && !rotated.includes('•'), `the new key is shown: ${rotated}`);
    assert.notEqual(rotated, key, 'rotation changes the key');
  });

  await t.test('logout, a wrong password, then login', async () => {
    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.waitForURL(/\/login$/);
    await login(admin, { username: ADMIN.username, password: 'not-the-password-123' });
    await admin.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    await login(admin, ADMIN);
    await admin.getByRole('heading', { name: 'Deploy a sensor' }).waitFor();
  });

  await t.test('an API token is created, shown once, and authenticates', async () => {
    await admin.getByRole('link', { name: 'Account' }).click();
    await admin.getByLabel('Name').fill('e2e-pipeline');
    await admin.getByLabel('Expires in (days)').fill('30');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const token = ((await admin.getByLabel('New API token', { exact: true }).textContent()) ?? '').trim();
    assert.ok(token.length >= 16, `token shown: ${token}`);
    await admin.getByRole('cell', { name: 'e2e-pipeline' }).waitFor();
    await screenshot(admin, 'account');
    const me = await apiGet('/api/v1/users/me', token);
    assert.equal(me.status, 200, me.body);
    assert.equal(JSON.parse(me.body).username, ADMIN.username);

    // Revoking asks first; the token stops working at once.
    await admin.getByRole('button', { name: 'Done' }).click();
    await admin.getByRole('row', { name: /e2e-pipeline/ }).getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('cell', { name: 'No API tokens yet.' }).waitFor();
    const revoked = await apiGet('/api/v1/users/me', token);
    assert.equal(revoked.status, 401, revoked.body);
  });

  await t.test('an invite link is created on the users page', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Invites' }).waitFor();
    await admin.locator('select[name="invite-role"]').selectOption('standard');
    await admin.getByLabel('Expires in (hours)').fill('24');
    await admin.getByRole('button', { name: 'Create invite' }).click();
    inviteUrl = ((await admin.getByLabel('Invite link', { exact: true }).textContent()) ?? '').trim();
    assert.match(inviteUrl, new RegExp(`^${env.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/invite/.+`));
    await admin.getByTestId('invites-table').getByRole('cell', { name: 'Standard' }).waitFor();
    // The copy button puts exactly the shown link on the clipboard.
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url });
    await admin.getByRole('button', { name: 'Copy invite link' }).click();
    await admin.getByRole('button', { name: 'Copy invite link' }).filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), inviteUrl);
    await screenshot(admin, 'users');
  });

  await t.test('a revoked invite link is refused with a clear message', async () => {
    await admin.getByRole('button', { name: 'Done' }).click();
    await admin.locator('select[name="invite-role"]').selectOption('read_only');
    await admin.getByRole('button', { name: 'Create invite' }).click();
    const revokedUrl = ((await admin.getByLabel('Invite link', { exact: true }).textContent()) ?? '').trim();
    const row = admin.getByTestId('invites-table').getByRole('row', { name: /Read-only/ });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Revoke invite' }).click();
    await row.waitFor({ state: 'detached' });

    const stranger = await newPage();
    await stranger.goto(revokedUrl);
    await stranger.getByLabel('Username').fill('mallory');
    await stranger.getByLabel('Password', { exact: true }).fill('Amber-Willow-Signal-58');
    await stranger.getByLabel('Confirm password').fill('Amber-Willow-Signal-58');
    await stranger.getByRole('button', { name: 'Create account' }).click();
    await stranger.getByRole('alert').filter({ hasText: /invite link/i }).waitFor();
    await stranger.context().close();
  });

  const user = await newPage();
  await t.test('the invite creates a standard user, who sees no admin pages', async () => {
    await user.goto(inviteUrl);
    await user.getByRole('heading', { name: 'Join this console' }).waitFor();
    await user.getByLabel('Username').fill(USER.username);
    await user.getByLabel('Password', { exact: true }).fill(USER.password);
    await user.getByLabel('Confirm password').fill(USER.password);
    await user.getByRole('button', { name: 'Create account' }).click();
    await user.getByRole('heading', { name: 'Console information' }).waitFor();
    assert.equal(await user.getByTestId('current-user').textContent(), USER.username);
    const nav = (await user.getByRole('navigation', { name: 'Main' }).textContent()) ?? '';
    assert.ok(!nav.includes('Users') && !nav.includes('Audit'), `no admin links for a standard user: ${nav}`);
    assert.equal(await user.getByRole('heading', { name: 'Deploy a sensor' }).count(), 0);
    await user.goto(`${env.url}/admin/users`);
    await user.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await screenshot(user, 'standard-user');
  });

  await t.test('the admin changes the new user to read-only', async () => {
    await admin.reload();
    const row = admin.locator('tr[data-username="bob"]');
    await row.waitFor();
    await row.getByLabel('Role of bob').selectOption('read_only');
    await admin.getByRole('dialog').getByRole('button', { name: 'Change role' }).click();
    await admin.getByRole('dialog').waitFor({ state: 'detached' });
    await admin.waitForFunction(
      () => document.querySelector('tr[data-username="bob"] select')?.value === 'read_only',
    );
    await screenshot(admin, 'users-after-role-change');
    await user.goto(`${env.url}/`);
    await user.locator('.whoami .badge').filter({ hasText: 'Read-only' }).waitFor();
  });

  await t.test('the role filter and search narrow the users table', async () => {
    await admin.locator('select[name="role-filter"]').selectOption('read_only');
    await admin.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="users-table"] tbody tr[data-username]')];
      return rows.length === 1 && rows[0].getAttribute('data-username') === 'bob';
    });
    await admin.locator('select[name="role-filter"]').selectOption('');
    await admin.getByLabel('Search').fill('adm');
    await admin.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="users-table"] tbody tr[data-username]')];
      return rows.length === 1 && rows[0].getAttribute('data-username') === 'admin';
    });
    await admin.getByLabel('Search').fill('');
    await admin.locator('tr[data-username="bob"]').waitFor();
  });

  await t.test('a password reset link lets the user choose a new password', async () => {
    await admin.locator('tr[data-username="bob"]').getByRole('button', { name: 'Reset password' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Create reset link' }).click();
    const resetUrl = ((await admin.getByLabel('Password reset link', { exact: true }).textContent()) ?? '').trim();
    assert.match(resetUrl, /\/reset\/.+/);

    await user.getByRole('button', { name: 'Log out' }).click();
    await user.waitForURL(/\/login$/);
    await user.goto(resetUrl);
    await user.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await user.getByLabel('New password', { exact: true }).fill(USER.newPassword);
    await user.getByLabel('Confirm new password').fill(USER.newPassword);
    await user.getByRole('button', { name: 'Set new password' }).click();
    await user.getByRole('link', { name: 'Go to sign in' }).click();
    await login(user, { username: USER.username, password: USER.password });
    await user.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    await login(user, { username: USER.username, password: USER.newPassword });
    await user.locator('.whoami .badge').filter({ hasText: 'Read-only' }).waitFor();
  });

  await t.test('a disabled user is signed out and refused until enabled again', async () => {
    const row = admin.locator('tr[data-username="bob"]');
    await row.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();

    await user.goto(`${env.url}/account`);
    await user.waitForURL(/\/login$/);
    await login(user, { username: USER.username, password: USER.newPassword });
    await user.getByRole('alert').filter({ hasText: /disabled/i }).waitFor();

    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByText('Active', { exact: true }).waitFor();
    await login(user, { username: USER.username, password: USER.newPassword });
    // Back to the page that asked for the sign-in.
    await user.waitForURL(/\/account$/);
    await user.getByRole('heading', { name: 'Change password' }).waitFor();
  });

  await t.test('the audit log lists the login and the role change', async () => {
    await admin.getByRole('link', { name: 'Audit log' }).click();
    const table = admin.getByTestId('audit-table');
    await table.locator('tbody tr[data-action]').first().waitFor();
    const actions = await table.locator('tbody tr[data-action]').evaluateAll((rows) =>
      rows.map((row) => `${row.getAttribute('data-action')} ${row.textContent}`),
    );
    assert.ok(actions.some((a) => /login/i.test(a) && a.includes(ADMIN.username)), `a login entry: ${actions.join('\n')}`);
    assert.ok(actions.some((a) => /role/i.test(a.split(' ')[0])), `a role change entry: ${actions.join('\n')}`);
    await admin.getByLabel('Actor').fill(ADMIN.username);
    await admin.waitForFunction(
      (name) => {
        const cells = [...document.querySelectorAll('[data-testid="audit-table"] tbody tr[data-action] td:nth-child(2)')];
        return cells.length > 0 && cells.every((cell) => cell.textContent === name);
      },
      ADMIN.username,
    );
    await screenshot(admin, 'audit');

    // Newest first by default; the time header flips the order.
    const times = () =>
      table.locator('tbody tr[data-action] td:first-child').evaluateAll((cells) => cells.map((c) => c.textContent ?? ''));
    const newestFirst = await times();
    assert.deepEqual(newestFirst, [...newestFirst].sort().reverse(), 'newest first');
    await admin.getByRole('button', { name: /^Time/ }).click();
    await admin.getByRole('columnheader', { name: /Time ↑/ }).waitFor();
    await admin.waitForFunction(
      (first) => document.querySelector('[data-testid="audit-table"] tbody tr[data-action] td')?.textContent !== first ||
        document.querySelectorAll('[data-testid="audit-table"] tbody tr[data-action]').length <= 1,
      newestFirst[0],
    );
    const oldestFirst = await times();
    assert.deepEqual(oldestFirst, [...oldestFirst].sort(), 'oldest first');
  });

  await t.test('logout ends the session', async () => {
    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.waitForURL(/\/login$/);
    await admin.goto(`${env.url}/admin/users`);
    await admin.waitForURL(/\/login$/);
    await admin.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  await t.test('repeated wrong passwords get one identical answer, then the source is throttled', async () => {
    await user.getByRole('button', { name: 'Log out' }).click();
    await user.waitForURL(/\/login$/);
    // A locked account answers exactly like a wrong password (no enumeration; the lock is per
    // account and source, so it never keeps the owner out from elsewhere).
    const expected = {
      401: /^Wrong username or password\.$/,
      429: /^Too many sign-in attempts\. Try again in \d+ (second|minute)s?\.$/,
    };
    const statuses = [];
    // The per-source sign-in budget (20 per minute by default, shared by every credential check
    // of this run) ends the flood with 429.
    for (let attempt = 1; attempt <= 40; attempt++) {
      const [response] = await Promise.all([
        user.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
        login(user, { username: USER.username, password: `wrong-password-${attempt}` }),
      ]);
      const status = response.status();
      statuses.push(status);
      assert.ok(status in expected, `unexpected login status ${status}: ${await response.text()}`);
      if (status === 429) {
        // The message and a disabled button last for the Retry-After time (which may be only
        // a second): poll every frame for that state rather than reading it once.
        await user.waitForFunction(() => {
          const button = document.querySelector('button[type="submit"]');
          const alert = document.querySelector('[role="alert"]');
          return (
            button instanceof HTMLButtonElement &&
            button.disabled &&
            /^Try again in /.test(button.textContent ?? '') &&
            /^Too many sign-in attempts/.test(alert?.textContent ?? '')
          );
        }, undefined, { polling: 'raf' });
        await screenshot(user, 'login-throttled');
        break;
      }
      await user.getByRole('alert').filter({ hasText: expected[status] }).waitFor();
    }
    assert.ok(statuses.slice(0, -1).every((s) => s === 401), `one answer for every refusal: ${statuses.join(' ')}`);
    assert.equal(statuses.at(-1), 429, `the source got throttled: ${statuses.join(' ')}`);
  });

  assert.deepEqual(env.pageErrors, [], 'no uncaught errors in the pages');
});
