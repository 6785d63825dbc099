import { t } from './i18n.js';

// Small DOM helpers and the building blocks of a panel: a chart with its text alternative, the table of its numbers
// and a CSV download of them. No innerHTML with data: every text goes in through textContent.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// Okabe–Ito: told apart with every common colour-vision deficiency.
export const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const tierColour = { S: '#0072B2', A: '#E69F00', B: '#009E73', C: '#CC79A7', none: '#7f7f7f' };

const charts = new Set();
/** Destroys the charts of the previous render. */
export function resetCharts() {
  charts.forEach((c) => c.destroy());
  charts.clear();
}

/** A chart in a figure: the canvas is an image whose label is the text alternative, also shown as the caption. */
export function chart(config, alt) {
  const canvas = h('canvas', { role: 'img', 'aria-label': alt });
  const figure = h('figure', { class: 'chart' }, h('div', { class: 'canvas-box' }, canvas), h('figcaption', {}, alt));
  if (window.Chart) {
    requestAnimationFrame(() => {
      if (!canvas.isConnected) return;
      const c = new window.Chart(canvas, {
        ...config,
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { position: 'bottom' } }, ...config.options,
        },
      });
      charts.add(c);
    });
  }
  return figure;
}

/**
 * The numbers as a table and a CSV download. `columns`: [{ key, label }]; `rows`: objects whose values are
 * { text, value } (value for the CSV and the tests, text as shown) or plain values.
 */
export function numbers(name, columns, rows, { open = false } = {}) {
  const cell = (v) => (v && typeof v === 'object' && 'text' in v ? v : { text: v ?? '–', value: v });
  const table = h('table', { 'data-table': name },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c, i) => {
      const v = cell(r[c.key]);
      return h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, 'data-key': c.key, 'data-value': v.value ?? '' }, v.href ? h('a', { href: v.href }, v.text) : v.text);
    })))));
  const download = () => {
    const esc = (s) => {
      const text = String(s ?? '');
      const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
    };
    const lines = [columns.map((c) => esc(c.key)), ...rows.map((r) => columns.map((c) => esc(cell(r[c.key]).value)))].map((l) => l.join(','));
    const url = URL.createObjectURL(new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `${name}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return h('div', { class: 'numbers' },
    h('details', { open }, h('summary', {}, t('table')), h('div', { class: 'table-wrap' }, table)),
    h('button', { type: 'button', class: 'csv', onclick: download }, t('csv')));
}

/** A panel: a titled region whose body is filled by `fill` (async); errors are said in the panel. */
export function panel(id, title, fill) {
  const body = h('div', { class: 'panel-body', 'aria-busy': 'true' }, t('loading'));
  const section = h('section', { class: 'panel', id: `panel-${id}`, 'data-panel': id, 'aria-labelledby': `h-${id}` }, h('h2', { id: `h-${id}` }, title), body);
  const done = Promise.resolve().then(fill).then((content) => {
    body.replaceChildren(...[content].flat().filter((c) => c !== null && c !== undefined));
    section.dataset.state = 'ready';
  }).catch((err) => {
    body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.status === 403 ? t('notAllowed') : `${t('failed')}: ${err.message}`));
    section.dataset.state = 'error';
  }).finally(() => body.setAttribute('aria-busy', 'false'));
  return { section, done };
}
