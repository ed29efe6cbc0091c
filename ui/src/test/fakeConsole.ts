/**
 * A scripted stand-in for the console's HTTP API in unit tests: answers are looked up by
 * `METHOD /path` and every request is recorded, so tests can check headers and bodies.
 * (The real console is exercised by the end-to-end test in `e2e/`.)
 */
import { ApiClient } from '../services/client';
import type { User } from '../services/types';

/** One recorded request. */
export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** An answer: status, JSON body, extra headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body instead of JSON. */
  text?: string;
}

/** Builds a problem+json answer. */
export function problem(status: number, detail: string, headers: Record<string, string> = {}): Answer {
  return { status, body: { type: 'about:blank', title: 'Error', status, detail }, headers: { 'Content-Type': 'application/problem+json', ...headers } };
}

/** A user object as the console sends it. */
export function user(username: string, role: User['role'] = 'admin'): User {
  return {
    id: `id-${username}`,
    username,
    role,
    disabled: false,
    created_at: '2026-11-24T04:00:00Z',
    last_login_at: null,
  };
}

/** The fake: set `routes` (key `METHOD /path` without query), read `requests`. */
export class FakeConsole {
  readonly requests: Recorded[] = [];
  routes: Record<string, Answer | ((request: Recorded) => Answer)> = {};

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const headers = { ...(init.headers as Record<string, string> | undefined) };
    const record: Recorded = {
      method,
      url,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      credentials: init.credentials,
    };
    this.requests.push(record);
    const path = url.replace(/^\/api\/v1/, '').replace(/\?.*$/, '');
    const route = this.routes[`${method} ${path}`];
    if (!route) return jsonResponse(problem(404, `no route ${method} ${path}`));
    return jsonResponse(typeof route === 'function' ? route(record) : route);
  };

  /** A client wired to this fake. */
  client(): ApiClient {
    return new ApiClient({ fetch: this.fetch });
  }

  /** Requests to one `METHOD /path`. */
  calls(key: string): Recorded[] {
    return this.requests.filter((r) => `${r.method} ${r.url.replace(/^\/api\/v1/, '').replace(/\?.*$/, '')}` === key);
  }
}

function jsonResponse(answer: Answer): Response {
  const headers = new Headers(answer.headers ?? {});
  if (answer.status === 204) return new Response(null, { status: 204, headers });
  if (answer.text !== undefined) return new Response(answer.text, { status: answer.status, headers });
  if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  return new Response(JSON.stringify(answer.body ?? null), { status: answer.status, headers });
}
