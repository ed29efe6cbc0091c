/**
 * Tests of the topology page against a scripted console. The WebGL map is replaced by a list
 * of buttons (jsdom has no WebGL; the real map is covered by the end-to-end test), so these
 * tests cover what the page does with the API: levels, filters, search, the detail panel, the
 * table, the live stream and the empty states.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TopologyGraphProps } from './TopologyGraph';
import { FakeConsole, user } from '../../test/fakeConsole';
import type { Recorded } from '../../test/fakeConsole';
import { FakeEventSource } from '../../test/fakeEventSource';
import { renderApp } from '../../test/renderApp';
import { HOSTS_VIEW, WEB_DETAIL, hostNode, processNode, sensor } from '../../test/topologyFixtures';
import type { TopologyGraph } from '../../services/types';

vi.mock('./TopologyGraph', () => ({
  default: ({ view, onSelect, selected, highlighted }: TopologyGraphProps) => (
    <ul data-testid="stub-map">
      {view.nodes.map((n) => (
        <li key={n.id} data-selected={n.id === selected} data-highlighted={highlighted.has(n.id)}>
          <button type="button" onClick={() => onSelect(n.id)}>{`map node ${n.label}`}</button>
        </li>
      ))}
    </ul>
  ),
}));

const PROCESSES_VIEW: TopologyGraph = {
  nodes: [
    processNode('s1', 'web', 101, 'nginx'),
    processNode('s1', 'web', 102, 'vedette', ['vedette', 'sensor', '--api-key', 'vsk_SECRETSECRET', '--interval', '1s']),
  ],
  edges: [{ from: 'process:s1:101', to: 'process:s1:102', transport: 'tcp', port: 8443, connections: 1 }],
};

/** Waits for a node of the stand-in map (the lazy import can be slow on a busy machine). */
function findMapNode(name: string) {
  return screen.findByRole('button', { name }, { timeout: 10_000 });
}

function query(request: Recorded): URLSearchParams {
  return new URL(request.url, 'https://console').searchParams;
}

function topologyConsole(role: 'admin' | 'read_only' = 'admin'): FakeConsole {
  const fake = new FakeConsole();
  fake.routes = {
    'GET /setup': { status: 200, body: { needs_setup: false } },
    'GET /auth/session': { status: 200, body: { user: user('root', role), csrf_token: 'csrf-r' } },
    'GET /sensors': { status: 200, body: { items: [sensor('s1', 'web'), sensor('s2', 'db', 'offline')], total: 2, limit: 2, offset: 0 } },
    'GET /topology': (request) => ({ status: 200, body: query(request).get('level') === 'processes' ? PROCESSES_VIEW : HOSTS_VIEW }),
    'GET /topology/nodes/host%3As1': { status: 200, body: WEB_DETAIL },
    'GET /topology/nodes/process%3As1%3A102': {
      status: 200,
      body: { node: PROCESSES_VIEW.nodes[1], edges: PROCESSES_VIEW.edges, neighbours: [PROCESSES_VIEW.nodes[0]] },
    },
    'GET /topology/search': { status: 200, body: [PROCESSES_VIEW.nodes[0]] },
  };
  return fake;
}

describe('TopologyView', { timeout: 30_000 }, () => {
  // The page loads the map lazily; load (the stand-in) once up front so that timing is not a test.
  beforeAll(async () => {
    await import('./TopologyGraph');
  });
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('draws the hosts level with the pseudo-nodes and subscribes to the change stream', async () => {
    const fake = topologyConsole();
    renderApp(fake, '/topology');
    await findMapNode('map node web');
    expect(screen.getByRole('button', { name: 'map node The Internet (outbound)' })).toBeTruthy();
    expect(screen.getByTestId('topology-counts').textContent).toBe('3 nodes · 2 connections');
    expect(query(fake.calls('GET /topology')[0]).get('level')).toBe('hosts');
    expect(FakeEventSource.latest().url).toBe('/api/v1/topology/stream');
    expect(screen.getByTestId('live-status').textContent).toBe('Connecting…');
    act(() => FakeEventSource.latest().open());
    expect(screen.getByTestId('live-status').textContent).toBe('Live');
    expect(screen.getByRole('link', { name: 'Topology' }).getAttribute('aria-current')).toBe('page');
  });

  it('sends the level and the host, name and label filters to the console', async () => {
    const fake = topologyConsole();
    renderApp(fake, '/topology');
    await findMapNode('map node web');
    fireEvent.click(within(screen.getByRole('group', { name: 'Level' })).getByRole('button', { name: 'Processes' }));
    await findMapNode('map node nginx (101)');
    expect(query(fake.calls('GET /topology').at(-1) as Recorded).get('level')).toBe('processes');

    fireEvent.change(screen.getByLabelText('Host'), { target: { value: 'web' } });
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' ngin ' } });
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'app=shop' } });
    await waitFor(() => {
      const last = query(fake.calls('GET /topology').at(-1) as Recorded);
      expect(JSON.stringify(Object.fromEntries(last))).toBe(JSON.stringify({ level: 'processes', host: 'web', name: 'ngin', label: 'app=shop' }));
    });
    fireEvent.click(screen.getAllByRole('button', { name: 'Clear filters' })[0]);
    await waitFor(() => expect(Object.fromEntries(query(fake.calls('GET /topology').at(-1) as Recorded))).toEqual({ level: 'processes' }));
  });

  it('filters by status on the page: offline hosts and what they talk to', async () => {
    renderApp(topologyConsole(), '/topology');
    await findMapNode('map node web');
    const status = screen.getByLabelText('Status') as HTMLSelectElement;
    expect([...status.options].map((o) => o.value)).toEqual(['', 'offline', 'online']);
    fireEvent.change(status, { target: { value: 'offline' } });
    await waitFor(() => expect(screen.queryByRole('button', { name: 'map node The Internet (outbound)' })).toBeNull());
    expect(screen.getByRole('button', { name: 'map node db' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'map node web' })).toBeTruthy();
  });

  it('opens the node detail panel with attributes, connections and neighbours; Escape closes it', async () => {
    const fake = topologyConsole();
    renderApp(fake, '/topology');
    fireEvent.click(await findMapNode('map node web'));
    const panel = await screen.findByTestId('node-detail');
    const heading = await within(panel).findByRole('heading', { name: 'web' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(fake.calls('GET /topology/nodes/host%3As1')).toHaveLength(1);
    expect(within(panel).getByText('6.1.0-28-amd64')).toBeTruthy();
    expect(within(panel).getByText('4.0 GiB')).toBeTruthy();
    expect(within(panel).getByText('1 d 2 h')).toBeTruthy();
    expect(within(panel).getByText('10.0.0.5/24')).toBeTruthy();
    const connections = within(panel).getByTestId('node-connections');
    expect(within(connections).getByText('TCP 5432')).toBeTruthy();
    expect(within(connections).getByText('TCP 443')).toBeTruthy();
    // The peer in the connections table and in the neighbours list.
    expect(within(panel).getAllByRole('button', { name: 'The Internet (outbound)' })).toHaveLength(2);
    fireEvent.keyDown(heading, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('node-detail')).toBeNull());
  });

  it('switches to the node level when a search result of another level is picked', async () => {
    const fake = topologyConsole();
    renderApp(fake, '/topology');
    await findMapNode('map node web');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search the topology' }), { target: { value: '8443' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    const results = await screen.findByTestId('search-results');
    expect(query(fake.calls('GET /topology/search')[0]).get('q')).toBe('8443');
    fireEvent.click(within(results).getByRole('button', { name: 'nginx (101)' }));
    await findMapNode('map node nginx (101)');
    expect(query(fake.calls('GET /topology').at(-1) as Recorded).get('level')).toBe('processes');
    const item = screen.getByRole('button', { name: 'map node nginx (101)' }).closest('li') as HTMLElement;
    expect(item.dataset.selected).toBe('true');
    expect(item.dataset.highlighted).toBe('true');
  });

  it('shows the table with sorting and paging, and masks secrets in command lines', async () => {
    const many: TopologyGraph = {
      nodes: Array.from({ length: 60 }, (_, i) => hostNode(`s${i}`, `host-${String(i).padStart(2, '0')}`)),
      edges: [],
    };
    const fake = topologyConsole();
    fake.routes['GET /topology'] = (request) => ({ status: 200, body: query(request).get('level') === 'processes' ? PROCESSES_VIEW : many });
    renderApp(fake, '/topology?view=table');
    const table = await screen.findByTestId('topology-table');
    const names = () => [...table.querySelectorAll('tbody tr[data-node] td:first-child')].map((td) => td.textContent);
    expect(names()).toHaveLength(50);
    expect(names()[0]).toBe('host-00');
    fireEvent.click(within(table).getByRole('button', { name: /^Name/ }));
    expect(names()[0]).toBe('host-59');
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(names()).toHaveLength(10);
    expect(screen.getByText('51–60 of 60')).toBeTruthy();

    fireEvent.click(within(screen.getByRole('group', { name: 'Level' })).getByRole('button', { name: 'Processes' }));
    const row = await screen.findByRole('button', { name: 'vedette (102)' });
    expect(row.closest('tr')?.textContent).not.toContain('vsk_SECRETSECRET');
    row.focus();
    fireEvent.click(row);
    const panel = await screen.findByTestId('node-detail');
    await within(panel).findByText('TCP 8443');
    expect(panel.textContent).toContain('--api-key ••••••');
    expect(panel.textContent).not.toContain('SECRETSECRET');
    // Keyboard users go back to the row they came from.
    fireEvent.click(within(panel).getByRole('button', { name: 'Close details' }));
    await waitFor(() => expect(screen.queryByTestId('node-detail')).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'vedette (102)' }));
  });

  it('fetches the view again after live changes, batched', async () => {
    const fake = topologyConsole();
    renderApp(fake, '/topology');
    await findMapNode('map node web');
    const before = fake.calls('GET /topology').length;
    fake.routes['GET /topology'] = { status: 200, body: { ...HOSTS_VIEW, nodes: [...HOSTS_VIEW.nodes, hostNode('s3', 'cache')] } };
    act(() => {
      FakeEventSource.latest().open();
      for (let i = 0; i < 10; i++) FakeEventSource.latest().emit('change', { sensor_id: 's3', kind: 'report', sequence: i, snapshot: false });
    });
    await findMapNode('map node cache');
    expect(fake.calls('GET /topology').length).toBe(before + 1);
  });

  it('shows the sensor command when no sensor reports yet', async () => {
    const fake = topologyConsole();
    fake.routes['GET /sensors'] = { status: 200, body: { items: [], total: 0, limit: 0, offset: 0 } };
    fake.routes['GET /topology'] = { status: 200, body: { nodes: [], edges: [] } };
    fake.routes['GET /settings/sensor-api-key'] = {
      status: 200,
      body: { api_key: 'vsk_KEY', console_url: 'https://c', tls_fingerprint_sha256: 'SHA256:00', sensor_command: 'vedette sensor --api-key vsk_KEY', docker_command: 'docker run' },
    };
    renderApp(fake, '/topology');
    await screen.findByRole('heading', { name: 'No sensor reports to this console yet' });
    const command = await screen.findByLabelText('Sensor command');
    expect(command.textContent).toContain('vedette sensor --api-key');
    expect(command.textContent).not.toContain('vsk_KEY');
  });

  it('tells read-only users to ask an admin, without calling the admin API', async () => {
    const fake = topologyConsole('read_only');
    fake.routes['GET /sensors'] = { status: 200, body: { items: [], total: 0, limit: 0, offset: 0 } };
    renderApp(fake, '/topology');
    await screen.findByText(/Ask an admin to deploy one/);
    expect(fake.calls('GET /settings/sensor-api-key')).toHaveLength(0);
  });

  it('explains an empty level and a filter that matches nothing', async () => {
    const fake = topologyConsole();
    fake.routes['GET /topology'] = { status: 200, body: { nodes: [], edges: [] } };
    renderApp(fake, '/topology?level=containers');
    await screen.findByRole('heading', { name: 'Nothing at this level yet' });
    expect(screen.getByText(/Docker Engine/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'zzz' } });
    await screen.findByRole('heading', { name: 'No node matches these filters' });
  });
});
