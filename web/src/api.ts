// The HTTP layer: every call to /api/v1 goes through Api.request, which adds the access
// token, refreshes it once on expiry (one refresh at a time), and turns problem+json answers
// into ApiError. The access token lives in memory only; the refresh token in an HttpOnly
// cookie that no script can read (the users service's cookie session, asked for with the
// X-TaskSync-Session header), so a reload or a new tab signs in again with `resume()`.

import type { Page } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly fields: string[] = [],
  ) {
    super(detail || title);
  }

  static async from(response: Response): Promise<ApiError> {
    let body: Record<string, unknown> = {};
    try {
      body = await response.json();
    } catch {
      // Not problem+json (a proxy's page): keep the status.
    }
    const errors = Array.isArray(body.errors) ? body.errors : [];
    const fields = errors.map((e: { loc?: unknown[] }) => String((e.loc ?? []).slice(-1)[0] ?? ""));
    return new ApiError(
      response.status,
      String(body.type ?? "about:blank"),
      String(body.title ?? response.statusText),
      String(body.detail ?? response.statusText ?? "Request failed"),
      fields,
    );
  }
}

export interface Tokens {
  access_token: string;
  refresh_token: string | null; // null: it is in the session cookie
  expires_in: number;
}

const SESSION = { "X-TaskSync-Session": "cookie" };

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | string[] | null | undefined>;
  ifMatch?: string | null;
  idempotencyKey?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface Reply<T> {
  data: T;
  etag: string | null;
  status: number;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export function buildQuery(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The file name of `Content-Disposition: attachment; filename="x.csv"` (null without one). */
export function attachmentName(header: string | null): string | null {
  const found = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? "");
  if (!found) return null;
  try {
    return decodeURIComponent(found[1]);
  } catch {
    return found[1];
  }
}

export class Api {
  private tokens: Tokens | null = null;
  private expiresAt = 0;
  private refreshing: Promise<void> | null = null;
  onSignedOut: () => void = () => {};

  constructor(
    private readonly base = "",
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
    private readonly now: () => number = () => Date.now(),
  ) {}

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  setTokens(tokens: Tokens | null): void {
    this.tokens = tokens;
    this.expiresAt = tokens ? this.now() + tokens.expires_in * 1000 : 0;
  }

  /** A valid access token: refreshed first when it expires within a minute. */
  async accessToken(): Promise<string> {
    if (!this.tokens) throw new ApiError(401, "/problems/unauthorized", "Signed out", "Sign in again.");
    if (this.now() > this.expiresAt - 60_000) await this.refresh();
    return this.tokens!.access_token;
  }

  async login(username: string, password: string): Promise<void> {
    const { data } = await this.request<Tokens>("POST", "/auth/login", {
      body: { username, password },
      headers: SESSION,
    });
    this.setTokens(data);
  }

  /** Signs in again from the session cookie (after a reload); false when there is none. */
  async resume(): Promise<boolean> {
    // The session cookie is HttpOnly; its readable marker says whether there is one.
    if (!/(^|;\s*)tasksync_session=1/.test(globalThis.document?.cookie ?? "")) return false;
    const response = await this.raw("POST", "/auth/refresh", { headers: SESSION });
    if (!response.ok) return false;
    this.setTokens(await response.json());
    return true;
  }

  async logout(): Promise<void> {
    const tokens = this.tokens;
    this.setTokens(null);
    const body = tokens?.refresh_token ? { refresh_token: tokens.refresh_token } : undefined;
    await this.raw("POST", "/auth/logout", { body, headers: SESSION }).catch(() => undefined);
  }

  /** Trades the refresh token for a new pair; one refresh at a time, however many callers. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    if (!this.tokens) throw new ApiError(401, "/problems/unauthorized", "Signed out", "Sign in again.");
    const refreshToken = this.tokens.refresh_token;
    const response = await this.raw("POST", "/auth/refresh", {
      body: refreshToken ? { refresh_token: refreshToken } : undefined,
      headers: SESSION,
    });
    if (!response.ok) {
      this.setTokens(null);
      this.onSignedOut();
      throw await ApiError.from(response);
    }
    this.setTokens(await response.json());
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    let response = await this.raw(method, path, options, await this.maybeToken());
    if (response.status === 401 && this.tokens) {
      await this.refresh();
      response = await this.raw(method, path, options, this.tokens?.access_token);
    }
    if (!response.ok) throw await ApiError.from(response);
    const text = response.status === 204 ? "" : await response.text();
    return {
      data: (text ? JSON.parse(text) : undefined) as T,
      etag: response.headers.get("etag"),
      status: response.status,
    };
  }

  get<T>(path: string, query?: RequestOptions["query"], signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, { query, signal }).then((r) => r.data);
  }

  /** Every page of a list, following `next_cursor` (for short lists: members, files). */
  async all<T>(path: string, query: RequestOptions["query"] = {}, cap = 1000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...query, limit: 200, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < cap);
    return items;
  }

  /** A binary answer (a thumbnail, a file) as a Blob, with the access token. */
  async blob(path: string): Promise<Blob> {
    const response = await this.raw("GET", path, {}, await this.maybeToken());
    if (!response.ok) throw await ApiError.from(response);
    return response.blob();
  }

  /** A file answer (a report's CSV, an export) as a Blob, with its name from
   * Content-Disposition; `path` may start with /api/v1 (an answer's download_url). */
  async file(path: string, query?: RequestOptions["query"]): Promise<{ blob: Blob; filename: string | null }> {
    const response = await this.raw("GET", path.replace(/^\/api\/v1/, "") + buildQuery(query), {}, await this.maybeToken());
    if (!response.ok) throw await ApiError.from(response);
    return { blob: await response.blob(), filename: attachmentName(response.headers.get("content-disposition")) };
  }

  private async maybeToken(): Promise<string | undefined> {
    return this.tokens ? this.accessToken() : undefined;
  }

  private raw(method: string, path: string, options: RequestOptions, token?: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.ifMatch) headers["If-Match"] = options.ifMatch;
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    let body: BodyInit | undefined;
    if (options.body instanceof FormData) body = options.body;
    else if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const url = `${this.base}/api/v1${path}${buildQuery(options.query)}`;
    return this.fetchImpl(url, { method, headers, body, signal: options.signal, credentials: "same-origin" });
  }
}

/** Uploads a file with progress (fetch cannot report upload progress; XHR can). */
export function upload<T>(
  url: string,
  token: string,
  file: File,
  onProgress: (fraction: number) => void,
  idempotencyKey: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Idempotency-Key", idempotencyKey);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // keep {}
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else
        reject(
          new ApiError(xhr.status, String(body.type ?? ""), String(body.title ?? ""), String(body.detail ?? "Upload failed")),
        );
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "Network error", "The upload failed: network error."));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

export const api = new Api();
