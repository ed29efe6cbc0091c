/**
 * Home page: what this console is (version, URL, TLS fingerprint) and, for admins, everything
 * needed to deploy a sensor: the sensor API key and ready-to-paste commands, plus key rotation.
 */
import { useState } from 'react';
import { isAdmin, useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyField } from '../components/CopyField';
import { SecretField, maskKey } from '../components/SecretField';
import { formatFingerprint } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { api } from '../services/client';
import type { ApiClient } from '../services/client';
import type { SensorApiKey } from '../services/types';
import { useTitle } from '../lib/useTitle';

/** The home page; `client` is replaceable for tests. */
export function HomeView({ client = api }: { client?: ApiClient }) {
  useTitle('Console');
  const { user } = useAuth();
  const info = useLoad(() => client.consoleInfo(), [client]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Console</h1>
        <p className="muted">Welcome, {user?.username}.</p>
      </div>
      <section className="card" aria-labelledby="info-title">
        <h2 id="info-title">Console information</h2>
        <Alert kind="error">{info.error}</Alert>
        {info.data && (
          <dl className="facts">
            <dt>Version</dt>
            <dd className="mono" data-testid="console-version">
              {info.data.version}
            </dd>
            <dt>Console URL</dt>
            <dd>
              <CopyField value={info.data.url} label="Console URL" />
            </dd>
            <dt>TLS fingerprint (SHA-256)</dt>
            <dd>
              <CopyField
                value={info.data.tls_fingerprint_sha256}
                display={formatFingerprint(info.data.tls_fingerprint_sha256)}
                label="TLS fingerprint"
              />
            </dd>
            <dt>REST API</dt>
            <dd>
              <a href="/api/docs/">API explorer</a>
              <span className="muted"> · </span>
              <a href="/api/v1/openapi.json">OpenAPI document</a>
            </dd>
          </dl>
        )}
        {info.loading && !info.data && <p className="muted">Loading…</p>}
      </section>
      {isAdmin(user) && <DeploySensor client={client} />}
    </div>
  );
}

function DeploySensor({ client }: { client: ApiClient }) {
  const settings = useLoad(() => client.sensorApiKey(), [client]);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState(false);
  const [showCommands, setShowCommands] = useState(false);

  const rotate = async () => {
    const next: SensorApiKey = await client.rotateSensorApiKey();
    settings.setData(next);
    setRotated(true);
  };

  const data = settings.data;
  return (
    <section className="card" aria-labelledby="deploy-title">
      <div className="card-head">
        <h2 id="deploy-title">Deploy a sensor</h2>
        <button type="button" className="btn btn-danger-outline" onClick={() => setConfirming(true)} disabled={!data}>
          Rotate API key
        </button>
      </div>
      <p className="muted">
        Run one sensor per host, Docker host or Kubernetes node. Sensors register with this API key and pin the
        console's TLS fingerprint.
      </p>
      <Alert kind="error">{settings.error}</Alert>
      <Alert kind="success">
        {rotated && 'The sensor API key was rotated. Sensors already registered keep working; new sensors need the new key.'}
      </Alert>
      {data && (
        <>
          <h3>Sensor API key</h3>
          {data.api_key ? (
            <SecretField value={data.api_key} label="Sensor API key" />
          ) : (
            <Alert kind="warning">
              This console replica does not hold the plaintext key. Rotate the key to get a new one, or read it with{' '}
              <code>vedette console api-key show</code> on the replica that created it.
            </Alert>
          )}
          <div className="card-subhead">
            <h3>Run as a binary</h3>
            {data.api_key && (
              <button type="button" className="btn btn-small" aria-pressed={showCommands} onClick={() => setShowCommands((s) => !s)}>
                {showCommands ? 'Hide key in commands' : 'Show key in commands'}
              </button>
            )}
          </div>
          <CopyField
            block
            value={data.sensor_command}
            display={showCommands ? data.sensor_command : maskKey(data.sensor_command, data.api_key)}
            label="Sensor command"
          />
          <h3>Run with Docker</h3>
          <CopyField
            block
            value={data.docker_command}
            display={showCommands ? data.docker_command : maskKey(data.docker_command, data.api_key)}
            label="Docker command"
          />
        </>
      )}
      {settings.loading && !data && <p className="muted">Loading…</p>}
      {confirming && (
        <ConfirmDialog
          title="Rotate the sensor API key?"
          confirmLabel="Rotate key"
          danger
          onConfirm={rotate}
          onClose={() => setConfirming(false)}
        >
          <p>
            The current key stops working at once: sensors that have not registered yet must be started with the new
            key. Sensors already registered keep their identity.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
