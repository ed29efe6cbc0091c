/**
 * Wire types of the console REST API (`/api/v1`), mirroring the API contract.
 * Field names are kept exactly as the server sends them (snake_case).
 */

/** The three user roles, from most to least privileged. */
export type Role = 'admin' | 'standard' | 'read_only';

/** All roles, in display order. */
export const ROLES: readonly Role[] = ['admin', 'standard', 'read_only'];

/** Human labels for roles. */
export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  standard: 'Standard',
  read_only: 'Read-only',
};

/** A console user account. */
export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

/** The answer of login, setup, invite-accept and session: who is signed in plus the CSRF token. */
export interface Session {
  user: User;
  csrf_token: string;
}

/** The paged list envelope used by every list endpoint. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Query parameters shared by every list endpoint. */
export interface ListParams {
  limit?: number;
  offset?: number;
  /** Field name, prefixed with `-` for descending order. */
  sort?: string;
  /** Substring search. */
  q?: string;
}

/** `GET /setup`. */
export interface SetupStatus {
  needs_setup: boolean;
}

/** `GET /console/info`. */
export interface ConsoleInfo {
  version: string;
  url: string;
  tls_fingerprint_sha256: string;
}

/** `GET /settings/sensor-api-key` and its rotation. */
export interface SensorApiKey {
  /** Null when this console replica does not hold the plaintext key. */
  api_key: string | null;
  console_url: string;
  tls_fingerprint_sha256: string;
  sensor_command: string;
  docker_command: string;
}

/** One of the caller's API tokens (never contains the secret except right after creation). */
export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** `POST /tokens` answer: the token secret is shown once. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

/** A pending invite as listed by `GET /invites`. */
export interface Invite {
  id: string;
  role: Role;
  expires_at: string;
  created_at: string;
  /** Username of the admin who created it; null if that account was deleted. */
  created_by: string | null;
}

/** `POST /invites` answer, carrying the one-time token for the link. */
export interface CreatedInvite {
  id: string;
  role: Role;
  token: string;
  expires_at: string;
  created_at: string;
}

/** `POST /users/{id}/password-reset` answer. */
export interface PasswordReset {
  token: string;
  expires_at: string;
}

/** One audit log entry. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  source_ip: string | null;
  outcome: 'success' | 'failure';
  detail: string | null;
}

/** An RFC 9457 problem document as sent by the console on every error. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

// ---- sensors and the topology -----------------------------------------------------------------

/** Liveness of a sensor: `offline` after the console's grace period without a report. */
export type SensorStatus = 'online' | 'offline' | 'disabled';

/** One sensor as listed by `GET /sensors`. */
export interface Sensor {
  id: string;
  /** Host name it reported at registration. */
  hostname: string;
  version: string;
  status: SensorStatus;
  registered_at: string;
  last_seen_at: string;
  /** `host` or `container_only` once it has reported, null before. */
  visibility: string | null;
  /** What each collector sees, and why the others see nothing (empty before the first report). */
  collectors: SensorCollector[];
}

/** One collector of a sensor (`host`, `cloud`, `processes`, `connections`, `docker`). */
export interface SensorCollector {
  name: string;
  active: boolean;
  /** Why it is inactive or partial, e.g. "no Docker Engine socket at /var/run/docker.sock". */
  reason: string | null;
}

/** The levels of the topology map. */
export type TopologyLevel = 'hosts' | 'containers' | 'processes' | 'images';

/** All levels, in display order. */
export const TOPOLOGY_LEVELS: readonly TopologyLevel[] = ['hosts', 'containers', 'processes', 'images'];

/** Human labels of levels. */
export const TOPOLOGY_LEVEL_LABELS: Record<TopologyLevel, string> = {
  hosts: 'Hosts',
  containers: 'Containers',
  processes: 'Processes',
  images: 'Images',
};

/** What a node is: a monitored thing, or a pseudo-node for what no sensor covers. */
export type NodeKind = 'host' | 'container' | 'process' | 'image' | 'internet' | 'private_network';

/** A node of a topology view. */
export interface TopologyNode {
  /** Stable id: `host:<sensor>`, `container:<id>`, `process:<sensor>:<pid>`, `image:<id>`, `internet:inbound`, `network:<cidr>`. */
  id: string;
  kind: NodeKind | string;
  label: string;
  /** The reporting sensor (none for pseudo-nodes and images). */
  sensor_id: string | null;
  /** The host name it belongs to (none for pseudo-nodes and images). */
  host: string | null;
  /** Every attribute the sensor reported (null for pseudo-nodes). */
  attributes: Record<string, unknown> | null;
}

/** A connection edge: clients in `from` talk to a server in `to` on `port`. */
export interface TopologyEdge {
  from: string;
  to: string;
  /** `tcp` or `udp`. */
  transport: string;
  port: number;
  /** How many connections are behind the edge. */
  connections: number;
}

/** `GET /topology`. */
export interface TopologyGraph {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** `GET /topology/nodes/{id}`. */
export interface TopologyNodeDetail {
  node: TopologyNode;
  edges: TopologyEdge[];
  neighbours: TopologyNode[];
}

/** Filters of `GET /topology`. */
export interface TopologyFilter {
  level?: TopologyLevel;
  /** Host name or sensor id. */
  host?: string;
  /** Substring of the node's label. */
  name?: string;
  /** Container label `key` or `key=value`. */
  label?: string;
}
