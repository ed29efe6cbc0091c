/** Tests of the sensors page: list, search, sort, paging, role-aware actions, empty state. */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeConsole, problem, user } from '../test/fakeConsole';
import { renderApp } from '../test/renderApp';
import { sensor } from '../test/topologyFixtures';
import { collectorProblems, hostMapLink, visibilityLabel } from './SensorsView';

const SENSORS = [
  sensor('s-web', 'web', 'online', { last_seen_at: '2026-11-24T05:00:03Z' }),
  sensor('s-db', 'db', 'offline', { last_seen_at: '2026-11-24T04:10:00Z', version: '0.0.9' }),
  sensor('s-task', 'task-7', 'disabled', { last_seen_at: '2026-11-24T04:30:00Z', visibility: 'container_only' }),
];

function sensorsConsole(role: 'admin' | 'standard' | 'read_only' = 'admin', items = SENSORS): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': { status: 200, body: { user: user('root', role), csrf_token: 'csrf-r' } },
    'GET /sensors': { status: 200, body: { items, total: items.length, limit: items.length, offset: 0 } },
    'PATCH /sensors/s-web': { status: 204 },
    'PATCH /sensors/s-task': { status: 204 },
    'DELETE /sensors/s-db': { status: 204 },
    'POST /sensors/s-web/credential': { status: 200, body: { sensor_id: 's-web', credential: 'vsc_NEW' } },
    'GET /settings/sensor-api-key': {
      status: 200,
      body: { api_key: 'vsk_KEY', console_url: 'https://c', tls_fingerprint_sha256: 'SHA256:00', sensor_command: 'vedette sensor --api-key vsk_KEY', docker_command: 'docker run' },
    },
  };
  return fake;
}

function hostnames(): string[] {
  return [...document.querySelectorAll('[data-testid="sensors-table"] tbody tr[data-hostname]')].map((tr) => tr.getAttribute('data-hostname') ?? '');
}

describe('SensorsView', () => {
  it('links hosts to the map and names visibilities', () => {
    expect(hostMapLink('s-1')).toBe('/topology?level=hosts&node=host%3As-1');
    expect(visibilityLabel('container_only')).toBe('Own container only');
    expect(visibilityLabel(null)).toBe('Not reported yet');
  });

  it('says which collectors see nothing, and why', async () => {
    const noDocker = sensor('s-bare', 'bare', 'online', {
      collectors: [
        { name: 'processes', active: true, reason: null },
        { name: 'connections', active: true, reason: 'cannot read the open files of some processes' },
        { name: 'docker', active: false, reason: 'no Docker Engine socket at /var/run/docker.sock' },
      ],
    });
    expect(collectorProblems(noDocker)).toEqual([
      'connections: partial, cannot read the open files of some processes',
      'docker: inactive, no Docker Engine socket at /var/run/docker.sock',
    ]);
    renderApp(sensorsConsole('read_only', [noDocker]), '/sensors');
    await waitFor(() => expect(screen.getAllByTestId('collector-problem')).toHaveLength(2));
    expect(screen.getByText('docker: inactive, no Docker Engine socket at /var/run/docker.sock')).toBeTruthy();
  });

  it('lists sensors with status, visibility and a link to their host; sorts and searches', async () => {
    renderApp(sensorsConsole(), '/sensors');
    const row = (await screen.findByRole('link', { name: 'web' })).closest('tr') as HTMLElement;
    expect(within(row).getByText('Online')).toBeTruthy();
    expect(within(row).getByText('Whole host')).toBeTruthy();
    expect(within(row).getByRole('link', { name: 'web' }).getAttribute('href')).toBe('/topology?level=hosts&node=host%3As-web');
    expect(screen.getByTestId('sensor-counts').textContent).toBe('1 online · 1 offline · 1 disabled');
    expect(hostnames()).toEqual(['db', 'task-7', 'web']);

    fireEvent.click(screen.getByRole('button', { name: /^Last seen/ }));
    expect(hostnames()).toEqual(['db', 'task-7', 'web']);
    fireEvent.click(screen.getByRole('button', { name: /^Last seen/ }));
    expect(hostnames()).toEqual(['web', 'task-7', 'db']);
    expect(screen.getByRole('columnheader', { name: /Last seen/ }).getAttribute('aria-sort')).toBe('descending');

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'disabled' } });
    expect(hostnames()).toEqual(['task-7']);
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: '0.0.9' } });
    await waitFor(() => expect(hostnames()).toEqual(['db']));
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'nothing-like-this' } });
    await screen.findByText('No sensor matches these filters.');
  });

  it('pages through many sensors', async () => {
    const many = Array.from({ length: 75 }, (_, i) => sensor(`s${i}`, `host-${String(i).padStart(3, '0')}`));
    renderApp(sensorsConsole('admin', many), '/sensors');
    await screen.findByText('1–50 of 75');
    expect(hostnames()).toHaveLength(50);
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(hostnames()[0]).toBe('host-050');
    expect(hostnames()).toHaveLength(25);
  });

  it('disables a sensor only after confirmation, enables without, removes after confirmation', async () => {
    const fake = sensorsConsole();
    renderApp(fake, '/sensors');
    const web = (await screen.findByRole('link', { name: 'web' })).closest('tr') as HTMLElement;
    fireEvent.click(within(web).getByRole('button', { name: 'Disable' }));
    let dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fake.calls('PATCH /sensors/s-web')).toHaveLength(0);
    fireEvent.click(within(web).getByRole('button', { name: 'Disable' }));
    dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Disable sensor' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls('PATCH /sensors/s-web')[0].body).toEqual({ disabled: true });
    expect(fake.calls('PATCH /sensors/s-web')[0].headers['X-CSRF-Token']).toBe('csrf-r');

    const task = screen.getByRole('link', { name: 'task-7' }).closest('tr') as HTMLElement;
    fireEvent.click(within(task).getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(fake.calls('PATCH /sensors/s-task')).toHaveLength(1));
    expect(fake.calls('PATCH /sensors/s-task')[0].body).toEqual({ disabled: false });

    const db = screen.getByRole('link', { name: 'db' }).closest('tr') as HTMLElement;
    fireEvent.click(within(db).getByRole('button', { name: 'Remove' }));
    dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('part of the map');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove sensor' }));
    await waitFor(() => expect(fake.calls('DELETE /sensors/s-db')).toHaveLength(1));
    // Each change reloads the list.
    await waitFor(() => expect(fake.calls('GET /sensors').length).toBeGreaterThanOrEqual(4));
  });

  it('re-issues a credential after confirmation and shows it once', async () => {
    const fake = sensorsConsole();
    renderApp(fake, '/sensors');
    const web = (await screen.findByRole('link', { name: 'web' })).closest('tr') as HTMLElement;
    fireEvent.click(within(web).getByRole('button', { name: 'Re-issue credential' }));
    let dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('stop working at once');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fake.calls('POST /sensors/s-web/credential')).toHaveLength(0);

    fireEvent.click(within(web).getByRole('button', { name: 'Re-issue credential' }));
    dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Re-issue credential' }));
    await screen.findByRole('heading', { name: 'New credential for web' });
    expect(fake.calls('POST /sensors/s-web/credential')).toHaveLength(1);
    expect(fake.calls('POST /sensors/s-web/credential')[0].headers['X-CSRF-Token']).toBe('csrf-r');
    dialog = screen.getByRole('dialog');
    const secret = within(dialog).getByLabelText('Sensor credential');
    expect(secret.textContent).not.toContain('vsc_NEW');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Show' }));
    expect(secret.textContent).toBe('vsc_NEW');
    expect(within(dialog).getByLabelText('Re-join command').textContent).toContain('VEDETTE_SENSOR_ID=s-web');
    expect(within(dialog).getByLabelText('Re-join command').textContent).not.toContain('vsc_NEW');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('keeps a refused action in view', async () => {
    const fake = sensorsConsole();
    fake.routes['DELETE /sensors/s-db'] = problem(404, 'no sensor with id `s-db`');
    renderApp(fake, '/sensors');
    const db = (await screen.findByRole('link', { name: 'db' })).closest('tr') as HTMLElement;
    fireEvent.click(within(db).getByRole('button', { name: 'Remove' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove sensor' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('No sensor with id `s-db`');
  });

  it('shows no action to read-only and standard users', async () => {
    for (const role of ['read_only', 'standard'] as const) {
      const fake = sensorsConsole(role);
      const { unmount } = renderApp(fake, '/sensors');
      await screen.findByRole('link', { name: 'web' });
      expect(within(screen.getByTestId('sensors-table')).queryByRole('button', { name: /Disable|Enable|Remove|Re-issue/ })).toBeNull();
      expect(screen.queryByRole('columnheader', { name: 'Actions' })).toBeNull();
      unmount();
    }
  });

  it('shows how to start a sensor when there is none', async () => {
    const fake = sensorsConsole('admin', []);
    renderApp(fake, '/sensors');
    await screen.findByRole('heading', { name: 'No sensor reports to this console yet' });
    const command = await screen.findByLabelText('Sensor command');
    expect(command.textContent).not.toContain('vsk_KEY');
    expect(screen.getByRole('link', { name: 'home page' }).getAttribute('href')).toBe('/');
  });
});
