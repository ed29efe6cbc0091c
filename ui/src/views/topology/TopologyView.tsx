/**
 * The live topology: a map (or a table) of hosts, containers, processes or images with their
 * connections and the pseudo-nodes for the internet and unmonitored private networks.
 *
 * - Level, filters, view mode and the selected node live in the URL (`/topology?level=…&node=…`),
 *   so links (from the sensors page) and reloads land on the same picture.
 * - `host`, `name` and `label` filter on the console; `status` (sensor liveness for hosts and
 *   processes, state for containers) filters here, as the API has no such filter.
 * - Search asks `GET /topology/search` (name, address or port across every level); picking a
 *   result selects it, switching level when needed, and moves the map to it.
 * - Live: the change stream triggers batched re-fetches merged into the map without a new
 *   layout; the connection state is shown and dropped streams reconnect by themselves.
 */
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { Alert } from '../../components/Alert';
import { SensorHint } from '../../components/SensorHint';
import { useDebounced } from '../../lib/useDebounced';
import { useLoad } from '../../lib/useLoad';
import { useTitle } from '../../lib/useTitle';
import { api, errorMessage } from '../../services/client';
import type { ApiClient } from '../../services/client';
import { subscribeTopology } from '../../services/topologyStream';
import type { StreamStatus } from '../../services/topologyStream';
import { TOPOLOGY_LEVELS, TOPOLOGY_LEVEL_LABELS } from '../../services/types';
import type { TopologyGraph as Graph, TopologyLevel, TopologyNode } from '../../services/types';
import { KIND_STYLE, filterByStatus, levelOfId, nodeStatus, sensorStatuses } from './model';
import { NodeDetailPanel } from './NodeDetailPanel';
import { NodeTable } from './NodeTable';

const TopologyGraph = lazy(() => import('./TopologyGraph'));

const LIVE_LABELS: Record<StreamStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Not live (sign in again)',
};

function parseLevel(value: string | null): TopologyLevel {
  return TOPOLOGY_LEVELS.includes(value as TopologyLevel) ? (value as TopologyLevel) : 'hosts';
}

function timeOfDay(date: Date): string {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The topology page; `client` is replaceable for tests. */
export function TopologyView({ client = api }: { client?: ApiClient }) {
  useTitle('Topology');
  const [params, setParams] = useSearchParams();
  const level = parseLevel(params.get('level'));
  const host = params.get('host') ?? '';
  const name = params.get('name') ?? '';
  const label = params.get('label') ?? '';
  const status = params.get('status') ?? '';
  const mode = params.get('view') === 'table' ? 'table' : 'map';
  const selected = params.get('node');

  // Several updates before the router commits them (two filters settling together) must all
  // land: each builds on the previous one. Renders with unchanged router parameters (the
  // router commits navigations in a transition) must not bring back an older state.
  const latestParams = useRef(params);
  const routerParams = useRef(params.toString());
  if (params.toString() !== routerParams.current) {
    routerParams.current = params.toString();
    latestParams.current = params;
  }
  const update = useCallback(
    (changes: Record<string, string | null>, push = false) => {
      const next = new URLSearchParams(latestParams.current);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      latestParams.current = next;
      setParams(next, { replace: !push });
    },
    [setParams],
  );

  // Typed filters reach the URL (and the console) once typing pauses.
  const [nameInput, setNameInput] = useState(name);
  const [labelInput, setLabelInput] = useState(label);
  const settledName = useDebounced(nameInput.trim(), 300);
  const settledLabel = useDebounced(labelInput.trim(), 300);
  // What the inputs last wrote to the URL, to tell our own changes from history navigation.
  const written = useRef({ name, label });
  useEffect(() => {
    if (settledName === name) return;
    written.current.name = settledName;
    update({ name: settledName || null });
  }, [settledName]);
  useEffect(() => {
    if (settledLabel === label) return;
    written.current.label = settledLabel;
    update({ label: settledLabel || null });
  }, [settledLabel]);
  // The other way: back/forward or a link changed the URL, the inputs follow.
  useEffect(() => {
    if (name !== written.current.name) {
      written.current.name = name;
      setNameInput(name);
    }
  }, [name]);
  useEffect(() => {
    if (label !== written.current.label) {
      written.current.label = label;
      setLabelInput(label);
    }
  }, [label]);

  // ---- data ----------------------------------------------------------------------------------
  const sensors = useLoad(() => client.listSensors(), [client]);
  const [view, setView] = useState<{ level: TopologyLevel; graph: Graph } | null>(null);
  const [viewError, setViewError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState<StreamStatus>('connecting');
  const generation = useRef(0);

  const loadView = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const start = performance.now();
      const graph = await client.topology({ level, host: host || undefined, name: name || undefined, label: label || undefined });
      // Visible in the browser's performance tools (and read by ui/benches/map.bench.mjs).
      performance.measure?.('vedette:topology-fetch', { start, end: performance.now() });
      if (mine !== generation.current) return;
      setView({ level, graph });
      setViewError(null);
      setUpdatedAt(new Date());
    } catch (e) {
      if (mine !== generation.current) return;
      setViewError(errorMessage(e));
    }
  }, [client, level, host, name, label]);

  useEffect(() => {
    void loadView();
  }, [loadView]);

  // Live refreshes: one at a time; changes arriving meanwhile cause one more.
  const loadRef = useRef(loadView);
  loadRef.current = loadView;
  const reloadSensors = sensors.reload;
  const busy = useRef({ running: false, again: false });
  const refresh = useCallback(() => {
    if (busy.current.running) {
      busy.current.again = true;
      return;
    }
    busy.current.running = true;
    reloadSensors();
    void loadRef.current().finally(() => {
      busy.current.running = false;
      setVersion((v) => v + 1);
      if (busy.current.again) {
        busy.current.again = false;
        refresh();
      }
    });
  }, [reloadSensors]);

  useEffect(() => subscribeTopology(client.topologyStreamUrl(), { refresh, status: setLive }), [client, refresh]);

  // ---- derived -------------------------------------------------------------------------------
  const statuses = useMemo(() => sensorStatuses(sensors.data?.items), [sensors.data]);
  const statusOf = useCallback((node: TopologyNode) => nodeStatus(node, statuses), [statuses]);
  const current = view && view.level === level ? view.graph : null;
  const shown = useMemo(() => (current ? filterByStatus(current, status, statusOf) : null), [current, status, statusOf]);
  const statusOptions = useMemo(() => {
    const found = new Set<string>();
    for (const node of current?.nodes ?? []) {
      const s = statusOf(node);
      if (s) found.add(s);
    }
    if (status) found.add(status);
    return [...found].sort();
  }, [current, statusOf, status]);
  const hosts = useMemo(() => [...new Set((sensors.data?.items ?? []).map((s) => s.hostname))].sort(), [sensors.data]);
  const noSensor = sensors.data !== null && sensors.data.items.length === 0;
  const filtered = !!(host || name || label || status);

  // ---- selection and search ------------------------------------------------------------------
  const [focusRequest, setFocusRequest] = useState(0);
  const select = useCallback(
    (id: string | null, focus = false) => {
      if (!id) {
        update({ node: null });
        return;
      }
      const natural = levelOfId(id);
      const onMap = current?.nodes.some((n) => n.id === id) ?? false;
      const changes: Record<string, string | null> = { node: id };
      if (!onMap && natural && natural !== level) changes.level = natural;
      update(changes, !!changes.level);
      if (focus) setFocusRequest((n) => n + 1);
    },
    [current, level, update],
  );
  // A link with a node (from the sensors page) moves the map to it once it is drawn.
  useEffect(() => {
    if (selected) setFocusRequest((n) => n + 1);
  }, [view?.level]);

  const [query, setQuery] = useState('');
  const [results, setResults] = useState<TopologyNode[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const search = async (event: FormEvent) => {
    event.preventDefault();
    const q = query.trim();
    setSearchError(null);
    if (!q) {
      setResults(null);
      return;
    }
    setSearching(true);
    try {
      setResults(await client.searchTopology(q));
    } catch (e) {
      setSearchError(errorMessage(e));
    } finally {
      setSearching(false);
    }
  };
  const highlighted = useMemo(() => new Set((results ?? []).map((n) => n.id)), [results]);

  const [mapUnavailable, setMapUnavailable] = useState<string | null>(null);
  const showTable = mode === 'table' || mapUnavailable !== null;
  const closePanel = useCallback(() => update({ node: null }), [update]);

  const clearFilters = () => {
    update({ host: null, name: null, label: null, status: null });
  };

  return (
    <div className="page page-topology">
      <div className="page-head topology-head">
        <div>
          <h1>Topology</h1>
          <p className="muted">What runs where and who talks to whom, as the sensors report it.</p>
        </div>
        <div className="live-state">
          <span className={`live live-${live}`} role="status" data-testid="live-status">
            {LIVE_LABELS[live]}
          </span>
          {updatedAt && <span className="muted">updated {timeOfDay(updatedAt)}</span>}
        </div>
      </div>

      <div className="topology-bar">
        <div className="segmented" role="group" aria-label="Level">
          {TOPOLOGY_LEVELS.map((l) => (
            <button
              key={l}
              type="button"
              className={l === level ? 'seg seg-on' : 'seg'}
              aria-pressed={l === level}
              onClick={() => update({ level: l, node: null, status: null }, true)}
            >
              {TOPOLOGY_LEVEL_LABELS[l]}
            </button>
          ))}
        </div>
        <div className="segmented" role="group" aria-label="Show as">
          <button type="button" className={!showTable ? 'seg seg-on' : 'seg'} aria-pressed={!showTable} disabled={mapUnavailable !== null} onClick={() => update({ view: null })}>
            Map
          </button>
          <button type="button" className={showTable ? 'seg seg-on' : 'seg'} aria-pressed={showTable} onClick={() => update({ view: 'table' })}>
            Table
          </button>
        </div>
        <form className="search-form" role="search" onSubmit={search}>
          <label className="field field-inline">
            <span className="offscreen">Search the topology</span>
            <input
              type="search"
              name="topology-search"
              placeholder="Search name, IP or port…"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                if (!e.target.value) setResults(null);
              }}
            />
          </label>
          <button type="submit" className="btn btn-small" disabled={searching}>
            Search
          </button>
        </form>
      </div>

      <div className="toolbar topology-filters">
        <label className="field field-inline">
          <span>Host</span>
          <select name="host-filter" value={host} onChange={(e) => update({ host: e.target.value || null })}>
            <option value="">All hosts</option>
            {hosts.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
            {host && !hosts.includes(host) && <option value={host}>{host}</option>}
          </select>
        </label>
        <label className="field field-inline">
          <span>Name</span>
          <input name="name-filter" placeholder="contains…" value={nameInput} onChange={(e) => setNameInput(e.target.value)} />
        </label>
        <label className="field field-inline">
          <span>Label</span>
          <input name="label-filter" placeholder="key or key=value" value={labelInput} onChange={(e) => setLabelInput(e.target.value)} />
        </label>
        <label className="field field-inline">
          <span>Status</span>
          <select name="status-filter" value={status} onChange={(e) => update({ status: e.target.value || null })}>
            <option value="">Any status</option>
            {statusOptions.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button type="button" className="btn btn-small" onClick={clearFilters}>
            Clear filters
          </button>
        )}
        {shown && (
          <span className="muted counts" data-testid="topology-counts">
            {shown.nodes.length} nodes · {shown.edges.length} connections
          </span>
        )}
      </div>

      <Alert kind="error">{viewError ?? sensors.error}</Alert>
      {mapUnavailable && <Alert kind="warning">The map cannot be drawn in this browser ({mapUnavailable}); showing the table.</Alert>}

      {(results || searchError) && (
        <section className="card search-results" aria-labelledby="search-title">
          <div className="card-head">
            <h2 id="search-title">{results ? `${results.length}${results.length >= 200 ? '+' : ''} matches for “${query.trim()}”` : 'Search'}</h2>
            <button type="button" className="btn btn-small" onClick={() => setResults(null)}>
              Clear search
            </button>
          </div>
          <Alert kind="error">{searchError}</Alert>
          {results && results.length === 0 && <p className="muted">Nothing matches. Search looks at names, addresses and ports.</p>}
          {results && results.length > 0 && (
            <ul className="result-list" data-testid="search-results">
              {results.map((node) => (
                <li key={node.id}>
                  <button type="button" className="linklike" onClick={() => select(node.id, true)}>
                    <span className="kind-dot" style={{ background: KIND_STYLE[node.kind]?.color }} aria-hidden="true" />
                    {node.label}
                  </button>
                  <span className="muted">
                    {' '}
                    {KIND_STYLE[node.kind]?.name.toLowerCase() ?? node.kind}
                    {node.host ? ` on ${node.host}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {noSensor ? (
        <section className="card">
          <SensorHint client={client} />
        </section>
      ) : (
        <div className={selected ? 'topology-main with-panel' : 'topology-main'}>
          <div className="topology-stage">
            {!shown && !viewError && <p className="muted stage-note">Loading the topology…</p>}
            {shown && shown.nodes.length === 0 && (
              <div className="empty-state" data-testid="topology-empty">
                {filtered ? (
                  <>
                    <h2>No node matches these filters</h2>
                    <button type="button" className="btn btn-small" onClick={clearFilters}>
                      Clear filters
                    </button>
                  </>
                ) : (
                  <>
                    <h2>Nothing at this level yet</h2>
                    <p className="muted">{emptyLevelHint(level)}</p>
                  </>
                )}
              </div>
            )}
            {shown && shown.nodes.length > 0 && showTable && (
              <NodeTable view={shown} statusOf={statusOf} selected={selected} onSelect={(id) => select(id)} />
            )}
            {shown && shown.nodes.length > 0 && !showTable && (
              <Suspense fallback={<p className="muted stage-note">Loading the map…</p>}>
                <TopologyGraph
                  view={shown}
                  resetKey={level}
                  statusOf={statusOf}
                  selected={selected}
                  focusRequest={focusRequest}
                  highlighted={highlighted}
                  onSelect={(id) => select(id)}
                  onUnavailable={setMapUnavailable}
                >
                  <Legend />
                </TopologyGraph>
              </Suspense>
            )}
          </div>
          {selected && (
            <NodeDetailPanel
              client={client}
              id={selected}
              version={version}
              statusOf={statusOf}
              onSelect={(id) => select(id, true)}
              onClose={closePanel}
            />
          )}
        </div>
      )}
    </div>
  );
}

function emptyLevelHint(level: TopologyLevel): string {
  switch (level) {
    case 'containers':
    case 'images':
      return 'No sensor has reported containers or images: they come from the Docker Engine of each host (see the sensor’s --docker-socket).';
    case 'processes':
      return 'No sensor has reported processes yet; they appear with the next report.';
    default:
      return 'No sensor has reported its host yet; it appears with its first report.';
  }
}

/** What the colours and shapes mean. */
function Legend() {
  return (
    <ul className="legend" aria-label="Legend">
      {Object.entries(KIND_STYLE).map(([kind, style]) => (
        <li key={kind}>
          <span
            className={kind === 'internet' || kind === 'private_network' ? 'kind-dot kind-dot-pseudo' : 'kind-dot'}
            style={{ background: style.color }}
            aria-hidden="true"
          />
          {style.name}
        </li>
      ))}
      <li>
        <span className="kind-dot" style={{ background: '#4b5263' }} aria-hidden="true" />
        Offline, disabled or stopped
      </li>
      <li className="muted">Arrows go from client to server; hover one for its ports.</li>
    </ul>
  );
}
