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
