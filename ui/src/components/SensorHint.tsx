/**
 * The empty state of the sensors and topology pages: no sensor reports to this console yet.
 * Admins get the ready-to-paste sensor commands from the home page (key masked, copy puts the
 * real command on the clipboard); other roles are told who can deploy one.
 */
import { Link } from 'react-router';
import { isAdmin, useAuth } from '../auth/AuthContext';
import { useLoad } from '../lib/useLoad';
import type { ApiClient } from '../services/client';
import { Alert } from './Alert';
import { CopyField } from './CopyField';
import { maskKey } from './SecretField';

/** "No sensor yet" with the way to start one. */
export function SensorHint({ client }: { client: ApiClient }) {
  const { user } = useAuth();
  return (
    <div className="empty-state" data-testid="no-sensor">
      <h2>No sensor reports to this console yet</h2>
      {isAdmin(user) ? (
        <AdminHint client={client} />
      ) : (
        <p className="muted">
          Sensors run on the hosts to observe. Ask an admin to deploy one: the commands are on their home page.
        </p>
      )}
    </div>
  );
}

function AdminHint({ client }: { client: ApiClient }) {
  const settings = useLoad(() => client.sensorApiKey(), [client]);
  const data = settings.data;
  return (
    <>
      <p className="muted">
        Start a sensor on each host to observe; it appears here within a few seconds. As root on a Linux host:
      </p>
      <Alert kind="error">{settings.error}</Alert>
      {data && (
        <>
          <CopyField block value={data.sensor_command} display={maskKey(data.sensor_command, data.api_key)} label="Sensor command" />
          <p className="muted">
            Or as a container on a Docker host, and more details (the API key, its rotation): see the <Link to="/">home page</Link>.
          </p>
        </>
      )}
    </>
  );
}
