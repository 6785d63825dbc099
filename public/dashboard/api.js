// The API client: the access token lives in this module's memory only; a 401 tries the refresh token once (each is
// used once, so it is replaced by the rotation) and otherwise signs out.

let session = null; // { accessToken, refreshToken, user }
const listeners = new Set();

export const onSignedOut = (fn) => listeners.add(fn);
export const currentSession = () => session;

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
}

export async function signIn(email, password) {
  const res = await post('/api/v1/auth/login', { email, password });
  if (!res.ok) throw new Error(res.body?.detail || res.body?.title || `HTTP ${res.status}`);
  session = { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken, user: null };
  session.user = await get('/api/v1/me');
  return session.user;
}

async function refresh() {
  if (!session?.refreshToken) return false;
  const res = await post('/api/v1/auth/refresh', { refreshToken: session.refreshToken });
  if (!res.ok) return false;
  session.accessToken = res.body.accessToken;
  session.refreshToken = res.body.refreshToken;
  return true;
}

export async function signOut() {
  const token = session?.refreshToken;
  session = null;
  if (token) await post('/api/v1/auth/logout', { refreshToken: token }).catch(() => undefined);
  listeners.forEach((fn) => fn());
}

export class ApiError extends Error {
  constructor(status, body) { super(body?.detail || body?.title || `HTTP ${status}`); this.status = status; }
}

/** GET a JSON answer; `accept` may ask for CSV (answered as text). */
export async function get(path, { accept = 'application/json' } = {}) {
  const call = () => fetch(path, { headers: { Authorization: `Bearer ${session?.accessToken ?? ''}`, Accept: accept } });
  let res = await call();
  if (res.status === 401 && await refresh()) res = await call();
  if (res.status === 401) { await signOut(); throw new ApiError(401, null); }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return accept === 'application/json' ? res.json() : res.text();
}

/** A query string of the set values. */
export const qs = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  return q.toString() ? `?${q}` : '';
};
