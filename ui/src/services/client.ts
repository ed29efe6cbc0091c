/**
 * Typed client for the console REST API (`/api/v1`).
 *
 * - Requests go to the same origin with the session cookie (`credentials: 'same-origin'`).
 * - Every non-GET request carries the `X-CSRF-Token` header once a session is known; the token
 *   comes from login, setup, invite acceptance or `GET /auth/session`.
 * - Every error answer (`application/problem+json`) becomes an {@link ApiError} whose `message`
 *   is the server's human-readable `detail`, and whose `kind` lets views react (wrong
 *   credentials, locked account, throttling with its retry time, ...).
 */
import type {
  ApiToken,
  AuditEntry,
  ConsoleInfo,
  CreatedApiToken,
  CreatedInvite,
  Invite,
  ListParams,
  Page,
  PasswordReset,
  Problem,
  Role,
  Sensor,
  SensorApiKey,
  Session,
  SetupStatus,
  TopologyFilter,
  TopologyGraph,
  TopologyNode,
  TopologyNodeDetail,
  User,
} from './types';

/** A sensor's re-issued credential (`POST /sensors/{id}/credential`), shown once. */
export interface IssuedSensorCredential {
  sensor_id: string;
  credential: string;
}

/** Prefix of every API route. */
export const API_BASE = '/api/v1';

/** Name of the header carrying the CSRF token on state-changing requests. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** What went wrong, derived from the HTTP status, so views need not compare numbers. */
export type ApiErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'locked'
  | 'throttled'
  | 'server'
  | 'network'
  | 'unexpected';

/** Maps an HTTP status to an {@link ApiErrorKind}. */
export function kindForStatus(status: number): ApiErrorKind {
  switch (status) {
    case 400:
    case 422:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 413:
      return 'too_large';
    case 423:
      return 'locked';
    case 429:
      return 'throttled';
    default:
      return status >= 500 ? 'server' : 'unexpected';
  }
}

/** An error answered by the console (or a network failure), ready to show to a person. */
export class ApiError extends Error {
  /** Coarse classification of the failure. */
  readonly kind: ApiErrorKind;
  /** HTTP status, 0 for network failures. */
  readonly status: number;
  /** The problem's `title`, if any. */
  readonly title: string | undefined;
  /** The problem's `detail`, if any (`message` is the same with a capital first letter). */
  readonly detail: string | undefined;
  /** The problem's `type` URI, if any. */
  readonly type: string | undefined;
  /** For throttled requests: seconds to wait, from the `Retry-After` header. */
  readonly retryAfterSeconds: number | null;

  constructor(
    status: number,
    problem: Problem,
    options: { retryAfterSeconds?: number | null; kind?: ApiErrorKind } = {},
  ) {
    super(sentence(problem.detail || problem.title || fallbackMessage(status)));
    this.name = 'ApiError';
    this.kind = options.kind ?? kindForStatus(status);
    this.status = status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/**
 * Capitalizes the first letter, as the console's messages are lower-case by convention; a
 * leading identifier (`expires_in_hours must …`) is left as is.
 */
export function sentence(text: string): string {
  const firstWord = /^\S*/.exec(text)?.[0] ?? '';
  if (!/^[a-z][a-z'’-]*[,;:.]?$/.test(firstWord)) return text;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function fallbackMessage(status: number): string {
  if (status === 0) return 'The console could not be reached. Check your network connection.';
  if (status >= 500) return `The console failed to answer (HTTP ${status}). Try again later.`;
  return `The request failed (HTTP ${status}).`;
}

/**
 * Parses a `Retry-After` header (delay in seconds or an HTTP date) into whole seconds from `now`.
 * Returns null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Query values accepted by {@link buildQuery}; empty values are left out. */
export type QueryValue = string | number | boolean | null | undefined;

/** Builds `?a=b&c=d` from the defined, non-empty values (empty string when none). */
export function buildQuery(params: Record<string, QueryValue> | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Options of a single request. */
export interface RequestOptions {
  /** JSON body. */
  body?: unknown;
  /** Query string parameters. */
  query?: Record<string, QueryValue>;
  /**
   * True for requests where a 401 is an expected answer (login, session probe, ...): it must not
   * be reported as "the session ended".
   */
  expectUnauthorized?: boolean;
}

/** Constructor options, mainly for tests. */
export interface ClientOptions {
  /** API prefix, `/api/v1` by default. */
  baseUrl?: string;
  /** The fetch implementation, the global `fetch` by default. */
  fetch?: typeof fetch;
}

/** Filters of `GET /users`. */
export interface UserListParams extends ListParams {
  role?: Role | '';
}

/** Filters of `GET /audit`. */
export interface AuditListParams extends ListParams {
  action?: string;
  actor?: string;
}

/** The typed API client. One instance ({@link api}) is shared by the whole app. */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private csrfToken: string | null = null;

  /** Called when a signed-in request gets a 401: the session expired or was revoked. */
  onSessionEnded: (() => void) | null = null;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? API_BASE;
    // Bind so that `window.fetch` is not called with the client as `this`.
    const impl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    this.fetchImpl = impl;
  }

  /** The CSRF token of the current session, if any. */
  get csrf(): string | null {
    return this.csrfToken;
  }

  /** Remembers (or forgets, with null) the CSRF token sent on non-GET requests. */
  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  /** Sends one request and decodes the JSON answer (undefined for 204). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      Accept: 'application/json, application/problem+json',
    };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && this.csrfToken) {
      headers[CSRF_HEADER] = this.csrfToken;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}${buildQuery(options.query)}`, {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch {
      throw new ApiError(0, {}, { kind: 'network' });
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (error.kind === 'unauthorized' && !options.expectUnauthorized && this.csrfToken) {
        this.csrfToken = null;
        this.onSessionEnded?.();
      }
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, { detail: 'The console sent an answer that is not valid JSON.' }, { kind: 'unexpected' });
    }
  }

  private async startSession(promise: Promise<Session>): Promise<Session> {
    const session = await promise;
    this.csrfToken = session.csrf_token;
    return session;
  }

  // ---- setup and sessions -------------------------------------------------------------------

  /** `GET /setup`: whether the first admin still has to be created. */
  setupStatus(): Promise<SetupStatus> {
    return this.request('GET', '/setup');
  }

  /** `POST /setup`: creates the first admin with the banner's setup code and signs in. */
  setup(setupCode: string, username: string, password: string): Promise<Session> {
    return this.startSession(
      this.request('POST', '/setup', {
        body: { setup_code: setupCode, username, password },
        expectUnauthorized: true,
      }),
    );
  }

  /** `POST /auth/login`. */
  login(username: string, password: string): Promise<Session> {
    return this.startSession(
      this.request('POST', '/auth/login', { body: { username, password }, expectUnauthorized: true }),
    );
  }

  /** `GET /auth/session`: the current session, or null when not signed in. */
  async session(): Promise<Session | null> {
    try {
      return await this.startSession(this.request('GET', '/auth/session', { expectUnauthorized: true }));
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'unauthorized') {
        this.csrfToken = null;
        return null;
      }
      throw error;
    }
  }

  /** `POST /auth/logout`; the CSRF token is forgotten whatever the answer. */
  async logout(): Promise<void> {
    try {
      await this.request<void>('POST', '/auth/logout', { expectUnauthorized: true });
    } finally {
      this.csrfToken = null;
    }
  }

  // ---- own account --------------------------------------------------------------------------

  /** `GET /users/me`. */
  me(): Promise<User> {
    return this.request('GET', '/users/me');
  }

  /** `POST /users/me/password`; every session of the user ends, this one included. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.request<void>('POST', '/users/me/password', {
      body: { current_password: currentPassword, new_password: newPassword },
    });
    this.csrfToken = null;
  }

  /** `GET /tokens`: the caller's API tokens. */
  listTokens(params: ListParams = {}): Promise<Page<ApiToken>> {
    return this.request('GET', '/tokens', { query: { ...params } });
  }

  /** `POST /tokens`: the answer holds the secret, shown once. */
  createToken(name: string, expiresInDays?: number): Promise<CreatedApiToken> {
    const body: { name: string; expires_in_days?: number } = { name };
    if (expiresInDays !== undefined) body.expires_in_days = expiresInDays;
    return this.request('POST', '/tokens', { body });
  }

  /** `DELETE /tokens/{id}`. */
  revokeToken(id: string): Promise<void> {
    return this.request('DELETE', `/tokens/${encodeURIComponent(id)}`);
  }

  // ---- users (admin) ------------------------------------------------------------------------

  /** `GET /users`. */
  listUsers(params: UserListParams = {}): Promise<Page<User>> {
    return this.request('GET', '/users', { query: { ...params } });
  }

  /** `PATCH /users/{id}`. */
  updateUser(id: string, patch: { role?: Role; disabled?: boolean }): Promise<User> {
    return this.request('PATCH', `/users/${encodeURIComponent(id)}`, { body: patch });
  }

  /** `DELETE /users/{id}`. */
  deleteUser(id: string): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(id)}`);
  }

  /** `POST /users/{id}/password-reset`: a one-time token for a reset link. */
  createPasswordReset(id: string): Promise<PasswordReset> {
    return this.request('POST', `/users/${encodeURIComponent(id)}/password-reset`);
  }

  /** `POST /password-reset` (public): sets a new password with a reset token. */
  resetPassword(token: string, newPassword: string): Promise<void> {
    return this.request('POST', '/password-reset', {
      body: { token, new_password: newPassword },
      expectUnauthorized: true,
    });
  }

  // ---- invites ------------------------------------------------------------------------------

  /** `POST /invites` (admin). */
  createInvite(role: Role, expiresInHours: number): Promise<CreatedInvite> {
    return this.request('POST', '/invites', { body: { role, expires_in_hours: expiresInHours } });
  }

  /** `GET /invites` (admin): pending invites. */
  listInvites(params: ListParams = {}): Promise<Page<Invite>> {
    return this.request('GET', '/invites', { query: { ...params } });
  }

  /** `DELETE /invites/{id}` (admin). */
  revokeInvite(id: string): Promise<void> {
    return this.request('DELETE', `/invites/${encodeURIComponent(id)}`);
  }

  /** `POST /invites/accept` (public): creates the account and signs in. */
  acceptInvite(token: string, username: string, password: string): Promise<Session> {
    return this.startSession(
      this.request('POST', '/invites/accept', {
        body: { token, username, password },
        expectUnauthorized: true,
      }),
    );
  }

  // ---- audit, console, sensors --------------------------------------------------------------

  /** `GET /audit` (admin). */
  listAudit(params: AuditListParams = {}): Promise<Page<AuditEntry>> {
    return this.request('GET', '/audit', { query: { ...params } });
  }

  /** `GET /console/info`. */
  consoleInfo(): Promise<ConsoleInfo> {
    return this.request('GET', '/console/info');
  }

  /** `GET /settings/sensor-api-key` (admin). */
  sensorApiKey(): Promise<SensorApiKey> {
    return this.request('GET', '/settings/sensor-api-key');
  }

  /** `POST /settings/sensor-api-key/rotate` (admin): the old key stops working. */
  rotateSensorApiKey(): Promise<SensorApiKey> {
    return this.request('POST', '/settings/sensor-api-key/rotate');
  }

  /**
   * `GET /sensors`: every sensor, fetched page by page (500 at a time, the largest page the
   * console gives), returned as one page. The pages of a changing fleet may overlap or skip a
   * sensor that registered meanwhile; the next refresh settles it.
   */
  async listSensors(): Promise<Page<Sensor>> {
    const limit = 500;
    const items: Sensor[] = [];
    for (;;) {
      const page: Page<Sensor> = await this.request('GET', '/sensors', {
        query: { limit: String(limit), offset: String(items.length), sort: 'hostname' },
      });
      items.push(...page.items);
      if (page.items.length < limit || items.length >= page.total) {
        return { items, total: page.total, limit: items.length, offset: 0 };
      }
    }
  }

  /** `PATCH /sensors/{id}` (admin): a disabled sensor's tokens stop working at once. */
  setSensorDisabled(id: string, disabled: boolean): Promise<void> {
    return this.request('PATCH', `/sensors/${encodeURIComponent(id)}`, { body: { disabled } });
  }

  /**
   * `POST /sensors/{id}/credential` (admin): a new credential for the sensor, shown once. The
   * old credential and the sensor's tokens stop working at once.
   */
  reissueSensorCredential(id: string): Promise<IssuedSensorCredential> {
    return this.request('POST', `/sensors/${encodeURIComponent(id)}/credential`);
  }

  /** `DELETE /sensors/{id}` (admin): removes the sensor and its part of the map. */
  removeSensor(id: string): Promise<void> {
    return this.request('DELETE', `/sensors/${encodeURIComponent(id)}`);
  }

  // ---- topology ----------------------------------------------------------------------------

  /** `GET /topology`: the nodes and connection edges of one level, filtered. */
  topology(filter: TopologyFilter = {}): Promise<TopologyGraph> {
    return this.request('GET', '/topology', { query: { ...filter } });
  }

  /** `GET /topology/nodes/{id}`: a node with every attribute, its edges and neighbours. */
  topologyNode(id: string): Promise<TopologyNodeDetail> {
    return this.request('GET', `/topology/nodes/${encodeURIComponent(id)}`);
  }

  /** `GET /topology/search?q=`: nodes of every level by name, address or port (at most 200). */
  searchTopology(q: string): Promise<TopologyNode[]> {
    return this.request('GET', '/topology/search', { query: { q } });
  }

  /** URL of the live change stream (`text/event-stream`), for `EventSource`. */
  topologyStreamUrl(): string {
    return `${this.baseUrl}/topology/stream`;
  }
}

/** Turns a failed response into an {@link ApiError}, reading the problem document if any. */
async function toApiError(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') problem = parsed as Problem;
    } catch {
      // A proxy or a crash may answer with plain text or HTML: show the status, not the markup.
    }
  }
  return new ApiError(response.status, problem, {
    retryAfterSeconds: parseRetryAfter(response.headers.get('Retry-After')),
  });
}

/** Shows any thrown value as a sentence. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The client shared by the app. */
export const api = new ApiClient();
