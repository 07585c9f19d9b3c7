// The console shell: sign-in, hash routing (#/decisions, #/approvals, …) and the status line. Each
// page module exports `render(main, ctx)`, which may return a cleanup function (the live stream's).
import { api, ApiError, token } from './api.js';
import * as decisions from './pages/decisions.js';
import * as approvals from './pages/approvals.js';
import * as memory from './pages/memory.js';
import * as pins from './pages/pins.js';
import * as routing from './pages/routing.js';
import * as policy from './pages/policy.js';

const PAGES = { decisions, approvals, memory, pins, routing, policy };
const main = document.getElementById('page');
const statusLine = document.getElementById('status');
let cleanup;

/** Says something in the status line (a live region); `error` marks it as a problem. */
function say(text, error = false) {
  statusLine.textContent = text;
  statusLine.className = error ? 'error' : '';
}

/** Reports an error of a page: a 401 sends the person back to the token field. */
function fail(err) {
  const text = err instanceof ApiError ? err.message : `Something went wrong: ${String(err)}`;
  say(text, true);
  if (err instanceof ApiError && err.status === 401) document.getElementById('token').focus();
}

async function show() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const name = location.hash.replace(/^#\//, '').split('/')[0] || 'decisions';
  const page = PAGES[name] ?? decisions;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (token.get() === '') {
    say('Sign in with the admin token to use the console (agentwall prints where it is at start).', true);
    return;
  }
  say('');
  try {
    cleanup = await page.render(main, { say, fail });
  } catch (err) {
    fail(err);
  }
}

document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = document.getElementById('token');
  token.set(input.value.trim());
  input.value = '';
  try {
    await api('/admin/policies');
    await show();
    say('Signed in.');
  } catch (err) {
    token.clear();
    fail(err);
  }
});
document.getElementById('logout').addEventListener('click', () => {
  token.clear();
  void show();
});
// A page change moves the focus to the page, so keyboard and screen-reader users start there.
window.addEventListener('hashchange', () => void show().then(() => main.focus()));
void show();
