/**
 * The side panel of a selected node: every attribute the sensor reported, its connections
 * (direction, port, protocol, count) and its neighbours, from `GET /topology/nodes/{id}`.
 * Focus moves to the panel's heading when it opens; Escape or the close button closes it.
 */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Alert } from '../../components/Alert';
import { formatDateTime } from '../../lib/format';
import { redactArgs, redactText } from '../../lib/redact';
import { ApiError, errorMessage } from '../../services/client';
import type { ApiClient } from '../../services/client';
import type { TopologyNode, TopologyNodeDetail } from '../../services/types';
import { isPseudo, kindStyle } from './model';

/** Props of {@link NodeDetailPanel}. */
export interface NodeDetailPanelProps {
  client: ApiClient;
  id: string;
  /** Bumped on live updates so the panel shows current values. */
  version: number;
  statusOf: (node: TopologyNode) => string;
  onSelect: (id: string) => void;
  onClose: () => void;
}

/** `1.5 GiB`, `640 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `3 d 4 h`, `5 h 12 min`, `42 s`. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${seconds} s`;
}

/** `memory_total_bytes` → `Memory total bytes` → shown as `Memory total`. */
export function attributeName(key: string): string {
  const words = key.replace(/_(bytes|ms|secs)$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A readable rendering of one attribute value, using the key's unit suffix. */
export function formatScalar(key: string, value: string | number | boolean | null): string {
  if (value === null) return '—';
  if (typeof value === 'number') {
    if (key.endsWith('_bytes')) return formatBytes(value);
    if (key.endsWith('_at_ms') || key === 'collected_at_ms') return value > 0 ? formatDateTime(new Date(value).toISOString()) : '—';
    if (key.endsWith('_secs') && key.startsWith('uptime')) return formatUptime(value);
    if (key.endsWith('percent')) return `${value.toFixed(1)} %`;
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return value === '' ? '—' : redactText(value);
}

/** Renders any JSON value: scalars inline, lists and objects nested. */
function AttributeValue({ name, value }: { name: string; value: unknown }) {
  if (value === null || value === undefined || typeof value !== 'object') {
    return <span className="attr-value">{formatScalar(name, (value ?? null) as string | number | boolean | null)}</span>;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every((v) => v === null || typeof v !== 'object')) {
      // Command lines and load averages read best on one line.
      const items = value.map((v) => formatScalar(name, v as string | number | boolean | null));
      const shown = name === 'cmdline' ? redactArgs(items) : items;
      return <span className="attr-value mono">{shown.join(name === 'load' ? ' · ' : ' ')}</span>;
    }
    return (
      <ol className="attr-list">
        {value.map((item, i) => (
          <li key={i}>
            <AttributeValue name={name} value={item} />
          </li>
        ))}
      </ol>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <dl className="attrs attrs-nested">
      {entries.map(([key, v]) => (
        <div key={key} className="attr">
          <dt>{attributeName(key)}</dt>
          <dd>
            <AttributeValue name={key} value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The panel. */
export function NodeDetailPanel({ client, id, version, statusOf, onSelect, onClose }: NodeDetailPanelProps) {
  // The last answer for this id; kept while a live refresh is on its way.
  const [answer, setAnswer] = useState<{ id: string; data?: TopologyNodeDetail; error?: string; gone?: boolean } | null>(null);
  useEffect(() => {
    let cancelled = false;
    client.topologyNode(id).then(
      (data) => !cancelled && setAnswer({ id, data }),
      (error: unknown) =>
        !cancelled && setAnswer({ id, error: errorMessage(error), gone: error instanceof ApiError && error.kind === 'not_found' }),
    );
    return () => {
      cancelled = true;
    };
  }, [client, id, version]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const panelRef = useRef<HTMLElement>(null);

  // Closing gives focus back to where it was (the table row, the search result); declared
  // first so that it sees the focus before the heading takes it.
  useEffect(() => {
    const before = document.activeElement;
    return () => {
      if (before instanceof HTMLElement && before !== document.body && before.isConnected) before.focus();
    };
  }, []);
  // Focus the panel when another node is opened (not on live refreshes).
  useEffect(() => {
    headingRef.current?.focus();
  }, [id]);

  useEffect(() => {
    const panel = panelRef.current;
    if (!panel) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    panel.addEventListener('keydown', onKey);
    return () => panel.removeEventListener('keydown', onKey);
  }, [onClose]);

  const current = answer?.id === id ? answer : null;
  const data = current?.data ?? null;
  const node = data?.node;
  const labels = new Map<string, TopologyNode>((data?.neighbours ?? []).map((n) => [n.id, n]));
  const status = node ? statusOf(node) : '';

  return (
    <aside ref={panelRef} className="detail-panel" aria-labelledby="node-detail-title" data-testid="node-detail">
      <div className="detail-head">
        <h2 id="node-detail-title" ref={headingRef} tabIndex={-1}>
          {node?.label ?? id}
        </h2>
        <button type="button" className="btn btn-small" onClick={onClose} aria-label="Close details">
          ✕
        </button>
      </div>
      {current?.gone && <Alert kind="info">This node is no longer on the map.</Alert>}
      {current?.error && !current.gone && <Alert kind="error">{current.error}</Alert>}
      {!current && <p className="muted">Loading…</p>}
      {node && data && (
        <>
          <p className="detail-kind">
            <span className="kind-dot" style={{ background: kindStyle(node.kind).color }} aria-hidden="true" />
            {kindStyle(node.kind).name}
            {status && <span className={`badge badge-status-${status}`}>{status}</span>}
          </p>
          <dl className="attrs">
            <div className="attr">
              <dt>Id</dt>
              <dd className="mono">{node.id}</dd>
            </div>
            {node.host && (
              <div className="attr">
                <dt>Host</dt>
                <dd>{node.host}</dd>
              </div>
            )}
            {node.sensor_id && (
              <div className="attr">
                <dt>Sensor</dt>
                <dd>
                  <Link to="/sensors" className="mono">
                    {node.sensor_id}
                  </Link>
                </dd>
              </div>
            )}
          </dl>
          {isPseudo(node) && (
            <p className="muted">
              {node.kind === 'internet'
                ? 'Addresses on the public internet that no sensor covers.'
                : 'Private addresses that belong to no host with a sensor.'}
            </p>
          )}

          <h3>Connections ({data.edges.length})</h3>
          {data.edges.length === 0 ? (
            <p className="muted">No connection seen.</p>
          ) : (
            <table className="table table-compact" data-testid="node-connections">
              <thead>
                <tr>
                  <th>Direction</th>
                  <th>Peer</th>
                  <th>Port</th>
                  <th>Count</th>
                </tr>
              </thead>
              <tbody>
                {data.edges.map((edge) => {
                  const outgoing = edge.from === node.id;
                  const peer = outgoing ? edge.to : edge.from;
                  return (
                    <tr key={`${edge.from}|${edge.to}|${edge.transport}|${edge.port}`}>
                      <td title={outgoing ? 'This node connects to the peer' : 'The peer connects to this node'}>
                        {outgoing ? '→ outgoing' : '← incoming'}
                      </td>
                      <td>
                        <button type="button" className="linklike" onClick={() => onSelect(peer)}>
                          {labels.get(peer)?.label ?? peer}
                        </button>
                      </td>
                      <td className="mono nowrap">
                        {edge.transport.toUpperCase()} {edge.port}
                      </td>
                      <td>{edge.connections}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}

          <h3>Neighbours ({data.neighbours.length})</h3>
          {data.neighbours.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="neighbours">
              {data.neighbours.map((n) => (
                <li key={n.id}>
                  <span className="kind-dot" style={{ background: kindStyle(n.kind).color }} aria-hidden="true" />
                  <button type="button" className="linklike" onClick={() => onSelect(n.id)}>
                    {n.label}
                  </button>
                  <span className="muted"> {kindStyle(n.kind).name.toLowerCase()}</span>
                </li>
              ))}
            </ul>
          )}

          <h3>Attributes</h3>
          {node.attributes && typeof node.attributes === 'object' ? (
            <AttributeValue name="" value={node.attributes} />
          ) : (
            <p className="muted">None reported.</p>
          )}
        </>
      )}
    </aside>
  );
}
