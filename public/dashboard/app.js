import { currentSession, onSignedOut, signIn, signOut } from './api.js';
import { customerPage } from './customer.js';
import { language, setLanguage, t } from './i18n.js';
import { dashboardPanels } from './panels.js';
import { h, resetCharts } from './ui.js';

// The page: sign-in, the filters (in the query string, so a view can be shared), the dashboard or a customer
// (`#/customers/<id>`). `document.body.dataset.ready` is set once every panel has rendered (the browser test waits on it).

const main = document.getElementById('main');
const FILTERS = ['region', 'industry', 'team', 'period'];

function filters() {
  const q = new URLSearchParams(location.search);
  const f = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? '']));
  if (!/^\d{4}(-Q[1-4])?$/.test(f.period)) f.period = String(new Date().getUTCFullYear());
  return f;
}

function setFilters(f) {
  const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
  history.pushState(null, '', `${location.pathname}${q.toString() ? `?${q}` : ''}${location.hash}`);
  render();
}

function periods() {
  const year = new Date().getUTCFullYear();
  return [year, year - 1, year - 2].flatMap((y) => [String(y), ...[1, 2, 3, 4].map((q) => `${y}-Q${q}`)]);
}

function filterForm(f) {
  const field = (key, control) => h('label', {}, h('span', {}, t(key)), control);
  const text = (key) => h('input', { name: key, value: f[key], placeholder: t('all'), autocomplete: 'off' });
  const period = h('select', { name: 'period' }, periods().map((p) => h('option', { value: p, selected: p === f.period }, p)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('filters') },
    field('region', text('region')), field('industry', text('industry')), field('team', text('team')), field('period', period),
    h('button', { type: 'submit' }, t('apply')),
    h('button', { type: 'button', onclick: () => setFilters({ period: f.period }) }, t('clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    setFilters(Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) ?? '').trim()])));
  });
  return form;
}

function signInForm() {
  const error = h('p', { class: 'error', role: 'alert', 'aria-live': 'assertive' });
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, t('signIn')),
    h('label', {}, h('span', {}, t('email')), h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    h('label', {}, h('span', {}, t('password')), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit' }, t('signIn')), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    try {
      await signIn(String(data.get('email')), String(data.get('password')));
      render();
    } catch (err) {
      error.textContent = `${t('signInFailed')}: ${err.message}`;
    }
  });
  return form;
}

function chrome() {
  document.title = `${t('title')} · dashboard`;
  document.getElementById('title').textContent = t('title');
  document.getElementById('lang-label').textContent = t('language');
  document.getElementById('lang').value = language();
  const session = currentSession();
  const out = document.getElementById('signout');
  out.textContent = t('signOut');
  out.hidden = !session;
  document.getElementById('who').textContent = session?.user ? `${t('signedInAs')} ${session.user.name} (${session.user.role}${session.user.role === 'manager' ? `, ${t('book')}` : ''})` : '';
}

let generation = 0;
function render() {
  const mine = ++generation;
  delete document.body.dataset.ready;
  resetCharts();
  chrome();
  if (!currentSession()) {
    main.replaceChildren(signInForm());
    main.querySelector('input')?.focus();
    return;
  }
  const f = filters();
  const route = /^#\/customers\/([0-9a-fA-F]{24})$/.exec(location.hash);
  const view = route ? customerPage(route[1]) : dashboardPanels(f);
  main.replaceChildren(...(route ? [] : [filterForm(f)]), h('div', { class: route ? '' : 'grid' }, view.sections));
  view.done.then(() => { if (mine === generation) document.body.dataset.ready = route ? 'customer' : 'dashboard'; });
}

document.getElementById('lang').addEventListener('change', (e) => { setLanguage(e.target.value); render(); });
document.getElementById('signout').addEventListener('click', () => signOut());
onSignedOut(render);
window.addEventListener('hashchange', () => { render(); main.focus(); });
window.addEventListener('popstate', render);
setLanguage(language());
render();
