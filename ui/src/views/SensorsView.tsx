/**
 * The sensors: host, version, liveness, visibility and last contact, searchable, sortable and
 * paged, refreshed every few seconds. Admins disable/enable and remove sensors and re-issue a
 * sensor's credential (after a confirmation; the new credential is shown once, with the
 * command that hands it to the host); other roles only read. Each host links to its node on the topology map.
 *
 * `GET /sensors` answers every sensor at once, so searching, sorting and paging happen here.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { isAdmin, useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Pager } from '../components/Pager';
import { SecretField } from '../components/SecretField';
import { SensorHint } from '../components/SensorHint';
import { SortHeader } from '../components/SortHeader';
import { formatDateTime } from '../lib/format';
import { nextSort, pageOf, sortRows } from '../lib/rows';
import { useDebounced } from '../lib/useDebounced';
import { useLoad } from '../lib/useLoad';
import { useTitle } from '../lib/useTitle';
import { api, errorMessage } from '../services/client';
import type { ApiClient, IssuedSensorCredential } from '../services/client';
import type { Sensor, SensorStatus } from '../services/types';

const PAGE_SIZE = 50;
/** How often the list is fetched again, so liveness changes show without a reload. */
export const SENSORS_REFRESH_MS = 10_000;

/** Human labels of statuses. */
export const SENSOR_STATUS_LABELS: Record<SensorStatus, string> = {
  online: 'Online',
  offline: 'Offline',
  disabled: 'Disabled',
};

/** Human labels of visibilities. */
export function visibilityLabel(visibility: string | null): string {
  if (visibility === 'host') return 'Whole host';
  if (visibility === 'container_only') return 'Own container only';
  return 'Not reported yet';
}

/**
 * The collectors that see nothing or only part of what they are for, with the reason: what
 * explains an empty view (no containers on the map when the host has no Docker Engine).
 */
export function collectorProblems(sensor: Sensor): string[] {
  return (sensor.collectors ?? [])
    .filter((c) => !c.active || c.reason)
    .map((c) => `${c.name}: ${c.active ? 'partial' : 'inactive'}${c.reason ? `, ${c.reason}` : ''}`);
}

/** The link to a sensor's host on the map. */
export function hostMapLink(sensorId: string): string {
  return `/topology?${new URLSearchParams({ level: 'hosts', node: `host:${sensorId}` }).toString()}`;
}

const SORT_FIELDS: Record<string, (s: Sensor) => string> = {
  hostname: (s) => s.hostname,
  version: (s) => s.version,
  status: (s) => s.status,
  visibility: (s) => s.visibility ?? '',
  last_seen_at: (s) => s.last_seen_at,
  registered_at: (s) => s.registered_at,
};

/** Sensors whose host name, id or version contains `q`, with this status. */
export function filterSensors(sensors: readonly Sensor[], q: string, status: SensorStatus | ''): Sensor[] {
  const needle = q.trim().toLowerCase();
  return sensors.filter(
    (s) =>
      (!status || s.status === status) &&
      (!needle || s.hostname.toLowerCase().includes(needle) || s.id.toLowerCase().includes(needle) || s.version.toLowerCase().includes(needle)),
  );
}

type Pending =
  | { kind: 'disable'; sensor: Sensor }
  | { kind: 'remove'; sensor: Sensor }
  | { kind: 'reissue'; sensor: Sensor };

/** The command that starts the sensor on a host with a re-issued credential (the credential itself is masked). */
export function reissueCommand(sensorId: string): string {
  return `VEDETTE_SENSOR_ID=${sensorId} VEDETTE_SENSOR_CREDENTIAL=<credential> vedette sensor --console-url … --console-fingerprint … --api-key …`;
}

/** The sensors page; `client` is replaceable for tests. */
export function SensorsView({ client = api }: { client?: ApiClient }) {
  useTitle('Sensors');
  const { user } = useAuth();
  const admin = isAdmin(user);
  const sensors = useLoad(() => client.listSensors(), [client]);
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 200);
  const [status, setStatus] = useState<SensorStatus | ''>('');
  const [sort, setSort] = useState('hostname');
  const [offset, setOffset] = useState(0);
  const [pending, setPending] = useState<Pending | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ sensor: Sensor; credential: IssuedSensorCredential } | null>(null);
  const { reload } = sensors;

  useEffect(() => {
    const timer = window.setInterval(reload, SENSORS_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  // A new filter starts again from the first page.
  useEffect(() => setOffset(0), [q, status]);

  const all = sensors.data?.items ?? null;
  const page = useMemo(
    () => (all ? pageOf(sortRows(filterSensors(all, q, status), sort, SORT_FIELDS), PAGE_SIZE, offset) : null),
    [all, q, status, sort, offset],
  );
  const counts = useMemo(() => {
    const c: Record<SensorStatus, number> = { online: 0, offline: 0, disabled: 0 };
    for (const s of all ?? []) c[s.status] = (c[s.status] ?? 0) + 1;
    return c;
  }, [all]);

  const enable = async (sensor: Sensor) => {
    setActionError(null);
    try {
      await client.setSensorDisabled(sensor.id, false);
      reload();
    } catch (e) {
      setActionError(errorMessage(e));
    }
  };
  const onSort = (field: string) => {
    setSort((s) => nextSort(s, field));
    setOffset(0);
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Sensors</h1>
        <p className="muted">
          One sensor per observed host. A sensor is offline when it has not reported for a while; disabled sensors cannot
          report until enabled again.
        </p>
      </div>
      <section className="card" aria-labelledby="sensors-title">
        <div className="card-head">
          <h2 id="sensors-title">Registered sensors</h2>
          {all && all.length > 0 && (
            <p className="muted" data-testid="sensor-counts">
              {counts.online} online · {counts.offline} offline · {counts.disabled} disabled
            </p>
          )}
        </div>
        <Alert kind="error">{sensors.error ?? actionError}</Alert>
        {all && all.length === 0 ? (
          <SensorHint client={client} />
        ) : (
          <>
            <div className="toolbar">
              <label className="field field-inline">
                <span>Status</span>
                <select name="status-filter" value={status} onChange={(e) => setStatus(e.target.value as SensorStatus | '')}>
                  <option value="">Any status</option>
                  {(Object.keys(SENSOR_STATUS_LABELS) as SensorStatus[]).map((s) => (
                    <option key={s} value={s}>
                      {SENSOR_STATUS_LABELS[s]}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field field-inline grow">
                <span>Search</span>
                <input
                  type="search"
                  name="sensor-search"
                  placeholder="Host name, id or version…"
                  value={search}
                  onChange={(e) => setSearch(e.target.value)}
                />
              </label>
              <button type="button" className="btn btn-small" onClick={reload}>
                Refresh
              </button>
            </div>
            <table className="table" data-testid="sensors-table">
              <thead>
                <tr>
                  <SortHeader field="hostname" label="Host" sort={sort} onSort={onSort} />
                  <SortHeader field="version" label="Version" sort={sort} onSort={onSort} />
                  <SortHeader field="status" label="Status" sort={sort} onSort={onSort} />
                  <SortHeader field="visibility" label="Visibility" sort={sort} onSort={onSort} />
                  <SortHeader field="last_seen_at" label="Last seen" sort={sort} onSort={onSort} />
                  <SortHeader field="registered_at" label="Registered" sort={sort} onSort={onSort} />
                  {admin && <th aria-label="Actions" />}
                </tr>
              </thead>
              <tbody>
                {page?.items.map((sensor) => (
                  <tr key={sensor.id} data-sensor={sensor.id} data-hostname={sensor.hostname} data-status={sensor.status}>
                    <td>
                      <Link to={hostMapLink(sensor.id)} title="Show this host on the topology map">
                        {sensor.hostname}
                      </Link>
                      <div className="muted mono small">{sensor.id}</div>
                    </td>
                    <td className="mono">{sensor.version}</td>
                    <td>
                      <span className={`badge badge-status-${sensor.status}`}>{SENSOR_STATUS_LABELS[sensor.status] ?? sensor.status}</span>
                    </td>
                    <td>
                      <span>{visibilityLabel(sensor.visibility)}</span>
                      {collectorProblems(sensor).map((problem) => (
                        <div key={problem} className="muted small" data-testid="collector-problem">
                          {problem}
                        </div>
                      ))}
                    </td>
                    <td className="nowrap">{formatDateTime(sensor.last_seen_at)}</td>
                    <td className="nowrap">{formatDateTime(sensor.registered_at)}</td>
                    {admin && (
                      <td className="actions">
                        {sensor.status === 'disabled' ? (
                          <button type="button" className="btn btn-small" onClick={() => enable(sensor)}>
                            Enable
                          </button>
                        ) : (
                          <button type="button" className="btn btn-small" onClick={() => setPending({ kind: 'disable', sensor })}>
                            Disable
                          </button>
                        )}
                        <button type="button" className="btn btn-small" onClick={() => setPending({ kind: 'reissue', sensor })}>
                          Re-issue credential
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger-outline"
                          onClick={() => setPending({ kind: 'remove', sensor })}
                        >
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
                {page && page.items.length === 0 && (
                  <tr>
                    <td colSpan={admin ? 7 : 6} className="empty">
                      No sensor matches these filters.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
            {page && <Pager total={page.total} limit={page.limit} offset={page.offset} onChange={setOffset} />}
          </>
        )}
        {sensors.loading && !all && <p className="muted">Loading…</p>}
      </section>
      {pending?.kind === 'disable' && (
        <ConfirmDialog
          title={`Disable the sensor on ${pending.sensor.hostname}?`}
          confirmLabel="Disable sensor"
          danger
          onConfirm={async () => {
            await client.setSensorDisabled(pending.sensor.id, true);
            reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>
            Its tokens stop working at once and it cannot register again until enabled; the sensor process stops and says
            why. What it reported stays on the map until the retention period ends.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'reissue' && (
        <ConfirmDialog
          title={`Re-issue the credential of the sensor on ${pending.sensor.hostname}?`}
          confirmLabel="Re-issue credential"
          danger
          onConfirm={async () => {
            const credential = await client.reissueSensorCredential(pending.sensor.id);
            setIssued({ sensor: pending.sensor, credential });
            reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>
            For a re-imaged host that should keep this sensor&apos;s identity, or a credential that leaked. The current
            credential and the sensor&apos;s tokens stop working at once: a sensor still running with them stops. The new
            credential is shown once.
          </p>
        </ConfirmDialog>
      )}
      {issued && (
        <div className="modal-backdrop">
          <div className="modal" role="dialog" aria-modal="true" aria-labelledby="issued-title">
            <h2 id="issued-title">New credential for {issued.sensor.hostname}</h2>
            <div className="modal-body">
              <p>Copy it now: it is not shown again. Start the sensor on the host with its id and this credential:</p>
              <p className="mono small" aria-label="Sensor id">
                {issued.credential.sensor_id}
              </p>
              <SecretField value={issued.credential.credential} label="Sensor credential" />
              <pre className="mono small" aria-label="Re-join command">
                {reissueCommand(issued.credential.sensor_id)}
              </pre>
              <p className="muted">Once the console accepts them the sensor keeps both in its state file.</p>
            </div>
            <div className="modal-actions">
              <button type="button" className="btn btn-primary" onClick={() => setIssued(null)}>
                Done
              </button>
            </div>
          </div>
        </div>
      )}
      {pending?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove the sensor on ${pending.sensor.hostname}?`}
          confirmLabel="Remove sensor"
          danger
          onConfirm={async () => {
            await client.removeSensor(pending.sensor.id);
            reload();
          }}
          onClose={() => setPending(null)}
        >
          <p>
            The sensor and its part of the map are removed. If it is still running it registers again with the API key, as
            a new sensor; to keep it out, disable it instead.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
