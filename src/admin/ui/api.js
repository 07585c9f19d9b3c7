// The console's talk with the admin API: the token (kept in sessionStorage, sent as a bearer header),
// JSON calls, a server-sent-events reader over fetch (EventSource cannot send the header), and `h`,
// which builds DOM nodes from text only: nothing from the API is ever parsed as HTML.

const KEY = 'agentwall.adminToken';

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An API failure: `status` 0 when agentwall could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls `/admin…`; resolves to the JSON body, or throws ApiError (401: no or a wrong token). */
export async function api(path, { method = 'GET', body } = {}) {
  if (token.get() === '') throw new ApiError(401, 'NO_TOKEN', 'Sign in with the admin token first.');
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token.get()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new ApiError(0, 'UNREACHABLE', `agentwall could not be reached: ${String(err)}`);
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error ?? {};
    const message =
      res.status === 401
        ? 'The admin token is missing or wrong: sign in again.'
        : (e.message ?? res.statusText);
    throw new ApiError(res.status, e.code ?? String(res.status), message);
  }
  return data;
}

/**
 * Reads a text/event-stream with the bearer header and calls `onEvent({ event, id, data })` per
 * event. Resolves when the stream ends; abort with `signal`.
 */
export async function readEvents(path, onEvent, signal) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token.get()}` }, signal });
  if (!res.ok || res.body === null) {
    throw new ApiError(
      res.status,
      'STREAM',
      res.status === 401 ? 'The admin token is missing or wrong.' : res.statusText,
    );
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const ev = { event: 'message', id: '', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') ev.data += (ev.data === '' ? '' : '\n') + val;
        else if (field === 'event' || field === 'id') ev[field] = val;
      }
      if (ev.data !== '') onEvent(ev);
    }
  }
}

/** `h('button', { onclick }, 'text')`: attributes starting with `on` are listeners; children are nodes or text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/** A table with a header row; `rows` are arrays of cells (nodes or text), or `{ cells, attrs }`. */
export function table(caption, headers, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        Array.isArray(r)
          ? h(
              'tr',
              {},
              r.map((c) => h('td', {}, c)),
            )
          : h(
              'tr',
              r.attrs,
              r.cells.map((c) => h('td', {}, c)),
            ),
      ),
    ),
  );
}

export const json = (value) => h('pre', {}, JSON.stringify(value, null, 2));
export const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 23) : '');
