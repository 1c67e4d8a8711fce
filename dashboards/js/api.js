// api.js - parkd's JSON API (api/openapi.json) with the session's token.
// Requests carry "Authorization: Bearer"; event streams, which EventSource
// cannot give headers, carry a one-use ?ticket= asked for with the token
// (the token never goes in a URL, which proxies log). A 401 anywhere fires 'unauthorized' on
// window (the token was revoked): the page goes back to its login form.

const TOKEN_KEY = 'parkwatch.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export const savedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (t) => sessionStorage.setItem(TOKEN_KEY, t);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class Api {
  constructor(token, base = '') {
    this.token = token;
    this.base = base;
  }

  async request(method, path, params, body, signal) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(`${this.base}/api/v1/${path}${query(params)}`, {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
      signal,
    });
    const text = await r.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!r.ok) {
      if (r.status === 401) window.dispatchEvent(new Event('unauthorized'));
      const e = data && data.error ? data.error : {};
      throw new ApiError(r.status, e.code, e.message);
    }
    return data;
  }

  get(path, params, signal) {
    return this.request('GET', path, params, undefined, signal);
  }

  post(path, body, params) {
    return this.request('POST', path, params, body ?? {});
  }

  /**
   * An EventSource on /api/v1/{path}; handlers: {event name: fn(data, ev)}, plus onerror/onopen.
   * The token never goes in the URL (proxies log URLs): a one-use ticket is asked for first,
   * with the token in the header. Returns a handle with close() and readyState; a spent ticket
   * cannot reconnect, so after an error readyState is CLOSED and the caller reopens.
   */
  stream(path, params, handlers) {
    const h = {
      es: null,
      closed: false,
      failed: false,
      get readyState() {
        if (this.es) return this.es.readyState;
        return this.failed || this.closed ? EventSource.CLOSED : EventSource.CONNECTING;
      },
      close() {
        this.closed = true;
        if (this.es) this.es.close();
      },
    };
    this.post('stream-tickets').then(
      ({ ticket }) => {
        if (h.closed) return;
        const es = new EventSource(`${this.base}/api/v1/${path}${query({ ...params, ticket })}`);
        h.es = es;
        for (const [name, fn] of Object.entries(handlers)) {
          if (name === 'onerror' || name === 'onopen') continue;
          es.addEventListener(name, (ev) => {
            let data;
            try {
              data = JSON.parse(ev.data);
            } catch {
              return;
            }
            fn(data, ev);
          });
        }
        // the ticket is spent: EventSource's own reconnection would be refused
        es.onerror = (ev) => {
          es.close();
          if (handlers.onerror) handlers.onerror(ev);
        };
        if (handlers.onopen) es.onopen = handlers.onopen;
      },
      (e) => {
        h.failed = true;
        if (handlers.onerror) handlers.onerror(e);
      },
    );
    return h;
  }
}
