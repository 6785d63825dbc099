import { get, qs } from './api.js';
import { date, money, monthName, num, pct, t } from './i18n.js';
import { chart, h, numbers, panel, tierColour } from './ui.js';

// The dashboard's panels, each from one report of the API with the page's filters.

const TIERS = ['S', 'A', 'B', 'C', 'none'];
const tierLabel = (x) => (x === 'none' ? t('none') : x);

/** [from, to) of a year or quarter, for the movements report. */
export function bounds(period) {
  const [, y, q] = /^(\d{4})(?:-Q([1-4]))?$/.exec(period) ?? [];
  const start = q ? (Number(q) - 1) * 3 : 0;
  return { from: new Date(Date.UTC(Number(y), start, 1)).toISOString(), to: new Date(Date.UTC(Number(y), start + (q ? 3 : 12), 1)).toISOString() };
}

function tiersPanel(f) {
  return panel('tiers', t('tiers'), async () => {
    const r = await get(`/api/v1/reports/tiers${qs({ region: f.region, industry: f.industry, team: f.team })}`);
    const currencies = Object.keys(r.totals.revenue12m);
    const alt = `${t('tiers')}: ${r.tiers.map((x) => `${tierLabel(x.tier)} ${num(x.count)} (${pct(x.share)})`).join(', ')}`;
    const columns = [{ key: 'tier', label: t('tier') }, { key: 'count', label: t('customers') }, { key: 'share', label: t('share') },
      ...currencies.flatMap((c) => [{ key: `rev_${c}`, label: `${t('revenue')} ${c}` }, { key: `revShare_${c}`, label: `${t('revenueShare')} ${c}` }])];
    const rows = r.tiers.map((x) => ({
      tier: { text: tierLabel(x.tier), value: x.tier }, count: { text: num(x.count), value: x.count }, share: { text: pct(x.share), value: x.share },
      ...Object.fromEntries(currencies.flatMap((c) => [[`rev_${c}`, { text: money(x.revenue12m[c], c), value: x.revenue12m[c] }],
        [`revShare_${c}`, { text: pct(x.revenueShare[c]), value: x.revenueShare[c] }]])),
    }));
    return [
      chart({
        type: 'bar',
        data: {
          labels: r.tiers.map((x) => tierLabel(x.tier)),
          datasets: [{ label: t('customers'), data: r.tiers.map((x) => x.count), backgroundColor: r.tiers.map((x) => tierColour[x.tier]) },
            ...currencies.map((c, i) => ({ label: `${t('revenueShare')} ${c}`, data: r.tiers.map((x) => x.revenueShare[c] * 100), yAxisID: 'y2', backgroundColor: ['#56B4E9', '#D55E00', '#F0E442', '#000000'][i % 4] }))],
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: t('customers') } }, y2: { position: 'right', min: 0, max: 100, title: { display: true, text: '%' }, grid: { drawOnChartArea: false } } } },
      }, alt),
      numbers('tiers', columns, rows),
    ];
  });
}

function movementsPanel(f) {
  return panel('movements', t('movements'), async () => {
    const r = await get(`/api/v1/reports/tier-movements${qs({ region: f.region, industry: f.industry, team: f.team, ...bounds(f.period) })}`);
    const to = ['S', 'A', 'B', 'C'];
    const columns = [{ key: 'from', label: `${t('from')} \\ ${t('to')}` }, ...to.map((x) => ({ key: x, label: x }))];
    const rows = r.matrix.map((m) => ({ from: { text: tierLabel(m.from), value: m.from }, ...Object.fromEntries(to.map((x) => [x, { text: num(m.counts[x]), value: m.counts[x] }])) }));
    const summary = `${num(r.totals.changes)} ${t('changes')}: ${num(r.totals.up)} ${t('up')}, ${num(r.totals.down)} ${t('down')}`;
    const max = Math.max(1, ...r.matrix.flatMap((m) => to.map((x) => m.counts[x])));
    const matrix = numbers('movements', columns, rows, { open: true });
    // Shade each cell by its count (a heat map readable without colour: the number is in the cell).
    matrix.querySelectorAll('td').forEach((td) => td.style.setProperty('--heat', String(Number(td.dataset.value) / max)));
    matrix.querySelector('table').classList.add('matrix');
    return [h('p', { class: 'summary', 'data-summary': 'movements' }, summary), matrix];
  });
}

function satisfactionPanel(f) {
  return panel('satisfaction', t('satisfaction'), async () => {
    // The current year means the last 12 months here (the report's default), not months still ahead.
    const period = f.period === String(new Date().getUTCFullYear()) ? undefined : f.period;
    const r = await get(`/api/v1/reports/satisfaction${qs({ ...f, period })}`);
    const months = [...new Set(r.months.map((m) => m.month))];
    const series = (field) => TIERS.filter((x) => x !== 'none').map((tier) => ({
      label: tier, borderColor: tierColour[tier], backgroundColor: tierColour[tier], spanGaps: true,
      data: months.map((m) => r.months.find((x) => x.month === m && x.tier === tier)?.[field] ?? null),
    }));
    const labels = months.map(monthName);
    const altOf = (field) => `${t(field === 'meanSatisfaction' ? 'mean' : 'nps')}: ${r.tiers.filter((x) => x.tier !== 'none')
      .map((x) => `${x.tier} ${num(x[field])} (${t('change')} ${num(x.change[field])})`).join(', ')}`;
    const columns = ['tier', 'visits', 'meanSatisfaction', 'promoters', 'passives', 'detractors', 'nps', 'changeMean', 'changeNps']
      .map((key) => ({ key, label: { tier: t('tier'), visits: t('visitsCount'), meanSatisfaction: t('mean'), changeMean: `${t('change')} (${t('mean')})`, changeNps: `${t('change')} (NPS)` }[key] ?? t(key) }));
    const rows = r.tiers.map((x) => ({
      tier: { text: tierLabel(x.tier), value: x.tier }, visits: { text: num(x.visits), value: x.visits },
      meanSatisfaction: { text: num(x.meanSatisfaction), value: x.meanSatisfaction }, promoters: { text: num(x.promoters), value: x.promoters },
      passives: { text: num(x.passives), value: x.passives }, detractors: { text: num(x.detractors), value: x.detractors },
      nps: { text: num(x.nps), value: x.nps }, changeMean: { text: num(x.change.meanSatisfaction), value: x.change.meanSatisfaction },
      changeNps: { text: num(x.change.nps), value: x.change.nps },
    }));
    const monthly = r.months.filter((m) => m.tier !== 'none').map((m) => ({ month: m.month, tier: m.tier, visits: m.visits, meanSatisfaction: m.meanSatisfaction, nps: m.nps }));
    const fallers = r.fallers.length ? h('div', {}, h('h3', {}, t('fallers')), numbers('satisfaction-fallers',
      [{ key: 'name', label: t('customer') }, { key: 'tier', label: t('tier') }, { key: 'before', label: t('before') }, { key: 'after', label: t('after') }],
      r.fallers.map((x) => ({ name: { text: x.name, value: x.code, href: `#/customers/${x.customerId}` }, tier: x.tier, before: { text: num(x.before), value: x.before }, after: { text: num(x.after), value: x.after } })), { open: true })) : null;
    return [
      h('div', { class: 'two' },
        chart({ type: 'line', data: { labels, datasets: series('meanSatisfaction') }, options: { scales: { y: { min: 1, max: 5 } } } }, altOf('meanSatisfaction')),
        chart({ type: 'line', data: { labels, datasets: series('nps') }, options: { scales: { y: { min: -100, max: 100 } } } }, altOf('nps'))),
      numbers('satisfaction', columns, rows),
      numbers('satisfaction-months', ['month', 'tier', 'visits', 'meanSatisfaction', 'nps'].map((key) => ({ key, label: key })), monthly),
      fallers,
    ];
  });
}

const disciplineColumns = (first) => [first, ...['due', 'onTime', 'late', 'missed', 'overdue', 'upcoming', 'onCadence'].map((key) => ({ key, label: t(key) }))];
const disciplineRow = (key, label, d) => ({
  [key]: { text: label, value: d[key] }, ...Object.fromEntries(['due', 'onTime', 'late', 'missed', 'overdue', 'upcoming'].map((k) => [k, { text: num(d[k]), value: d[k] }])),
  onCadence: { text: pct(d.onCadence), value: d.onCadence },
});

function visitsPanel(f) {
  return panel('visits', t('visits'), async () => {
    const r = await get(`/api/v1/reports/visits${qs(f)}`);
    const bar = (items, labelOf, alt) => chart({
      type: 'bar',
      data: { labels: items.map(labelOf), datasets: ['onTime', 'late', 'missed', 'overdue'].map((k, i) => ({ label: t(k), data: items.map((x) => x[k]), backgroundColor: ['#009E73', '#E69F00', '#D55E00', '#CC79A7'][i] })) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    }, alt);
    const alt = (items, labelOf) => `${t('onCadence')}: ${items.map((x) => `${labelOf(x)} ${pct(x.onCadence)} (${num(x.onTime)}/${num(x.due)})`).join(', ')}`;
    const teamLabel = (x) => x.team || t('none');
    return [
      h('div', { class: 'two' },
        bar(r.tiers, (x) => tierLabel(x.tier), `${t('tier')} — ${alt(r.tiers, (x) => tierLabel(x.tier))}`),
        bar(r.teams, teamLabel, `${t('byTeam')} — ${alt(r.teams, teamLabel)}`)),
      numbers('visits', disciplineColumns({ key: 'tier', label: t('tier') }), r.tiers.map((x) => disciplineRow('tier', tierLabel(x.tier), x))),
      numbers('visits-teams', disciplineColumns({ key: 'team', label: t('team') }), r.teams.map((x) => disciplineRow('team', teamLabel(x), x))),
    ];
  });
}

function plansPanel(f) {
  return panel('plans', t('plans'), async () => {
    const r = await get(`/api/v1/reports/plans${qs({ region: f.region, industry: f.industry, team: f.team, period: f.period })}`);
    const alt = `${t('coverage')}: ${r.tiers.map((x) => `${tierLabel(x.tier)} ${pct(x.coverage)} (${num(x.withApprovedPlan)}/${num(x.customers)}), ${t('attainment')} ${pct(x.meanAttainment)}`).join('; ')}`;
    const columns = ['tier', 'customers', 'withApprovedPlan', 'coverage', 'meanAttainment'].map((key) => ({ key, label: { withApprovedPlan: t('withPlan'), meanAttainment: t('attainment') }[key] ?? t(key) }));
    const rows = r.tiers.map((x) => ({
      tier: { text: tierLabel(x.tier), value: x.tier }, customers: { text: num(x.customers), value: x.customers },
      withApprovedPlan: { text: num(x.withApprovedPlan), value: x.withApprovedPlan }, coverage: { text: pct(x.coverage), value: x.coverage },
      meanAttainment: { text: pct(x.meanAttainment), value: x.meanAttainment },
    }));
    return [
      chart({
        type: 'bar',
        data: { labels: r.tiers.map((x) => tierLabel(x.tier)), datasets: [
          { label: t('coverage'), data: r.tiers.map((x) => x.coverage * 100), backgroundColor: '#0072B2' },
          { label: t('attainment'), data: r.tiers.map((x) => (x.meanAttainment === null ? null : x.meanAttainment * 100)), backgroundColor: '#E69F00' }] },
        options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '%' } } } },
      }, alt),
      numbers('plans', columns, rows),
    ];
  });
}

function atRiskPanel(f) {
  return panel('at-risk', t('atRisk'), async () => {
    const r = await get(`/api/v1/reports/key-accounts-at-risk${qs({ region: f.region, industry: f.industry, team: f.team })}`);
    if (!r.items.length) return h('p', {}, t('noneAtRisk'));
    const columns = [{ key: 'name', label: t('customer') }, { key: 'tier', label: t('tier') }, { key: 'owner', label: t('owner') }, { key: 'reasons', label: t('reasons') }];
    const rows = r.items.map((x) => ({
      name: { text: `${x.name} (${x.code})`, value: x.code, href: `#/customers/${x.customerId}` }, tier: x.tier, owner: x.ownerName,
      reasons: { text: x.reasons.map((y) => t(y.code)).join(', '), value: x.reasons.map((y) => y.code).join(' ') },
    }));
    return [h('p', { class: 'summary' }, `${num(r.items.length)} · ${date(r.asOf)}`), numbers('at-risk', columns, rows, { open: true })];
  });
}

/** Every panel for these filters; `done` settles when all have rendered. */
export function dashboardPanels(filters) {
  const list = [tiersPanel, movementsPanel, satisfactionPanel, visitsPanel, plansPanel, atRiskPanel].map((p) => p(filters));
  return { sections: list.map((p) => p.section), done: Promise.all(list.map((p) => p.done)) };
}
