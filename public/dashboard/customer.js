import { get, qs } from './api.js';
import { date, monthName, num, t } from './i18n.js';
import { chart, h, numbers, panel } from './ui.js';

// A customer, read-only: the tier breakdown, satisfaction history, open actions, plans and timeline (existing APIs).

export function customerPage(id) {
  const enc = encodeURIComponent(id);
  const head = h('div', { class: 'customer-head' }, t('loading'));
  const headDone = get(`/api/v1/customers/${enc}`).then((c) => {
    head.replaceChildren(h('h2', { id: 'customer-name', 'data-customer': c.code }, `${c.name} (${c.code})`),
      h('p', {}, `${t('tier')}: ${c.tier ?? t('none')} · ${t('mean')}: ${num(c.satisfaction?.average)} · ${t('region')}: ${c.company?.region ?? '–'}`));
  });
  const tier = panel('customer-tier', t('breakdown'), async () => {
    const r = await get(`/api/v1/customers/${enc}/tier`);
    return [
      h('p', {}, `${t('tier')} ${r.tier ?? t('none')} · ${t('score')} ${num(r.score)} · ${date(r.updatedAt)}`),
      numbers('customer-tier', ['criterion', 'input', 'points', 'weight', 'contribution'].map((key) => ({ key, label: t(key) })),
        r.breakdown.map((b) => ({ criterion: b.criterion, input: { text: num(b.input), value: b.input }, points: b.points, weight: b.weight, contribution: b.contribution })), { open: true }),
      h('h3', {}, t('tierHistory')),
      numbers('customer-tier-history', [{ key: 'at', label: t('date') }, { key: 'from', label: t('from') }, { key: 'to', label: t('to') }, { key: 'reason', label: t('reasons') }],
        r.history.map((x) => ({ at: { text: date(x.at), value: x.at }, from: x.from ?? t('none'), to: x.to, reason: x.reason }))),
    ];
  });
  const history = panel('customer-satisfaction', t('history'), async () => {
    const r = await get(`/api/v1/visits${qs({ customerId: id, status: 'completed', limit: 100 })}`);
    const visits = r.items.filter((v) => v.satisfaction !== null).reverse();
    if (!visits.length) return h('p', {}, t('nothing'));
    const alt = `${t('history')}: ${visits.map((v) => `${date(v.completedAt)} ${v.satisfaction}/5`).join(', ')}`;
    return [
      chart({ type: 'line', data: { labels: visits.map((v) => monthName(v.completedAt.slice(0, 7))), datasets: [
        { label: t('score'), data: visits.map((v) => v.satisfaction), borderColor: '#0072B2', backgroundColor: '#0072B2' }] }, options: { scales: { y: { min: 1, max: 5 } } } }, alt),
      numbers('customer-visits', [{ key: 'date', label: t('date') }, { key: 'score', label: t('score') }, { key: 'recommend', label: t('recommend') }],
        visits.map((v) => ({ date: { text: date(v.completedAt), value: v.completedAt }, score: v.satisfaction, recommend: v.recommend }))),
    ];
  });
  const actions = panel('customer-actions', t('openActions'), async () => {
    const r = await get(`/api/v1/actions${qs({ customerId: id, limit: 200 })}`);
    const open = r.items.filter((a) => a.status !== 'done');
    if (!open.length) return h('p', {}, t('nothing'));
    return numbers('customer-actions', ['text', 'severity', 'status', 'date'].map((key) => ({ key, label: t(key) })),
      open.map((a) => ({ text: a.text, severity: a.severity, status: a.status, date: { text: date(a.dueDate), value: a.dueDate } })), { open: true });
  });
  const plans = panel('customer-plans', t('accountPlans'), async () => {
    const r = await get(`/api/v1/customers/${enc}/plans${qs({ limit: 20 })}`);
    if (!r.items.length) return h('p', {}, t('nothing'));
    return numbers('customer-plans', [{ key: 'period', label: t('period') }, { key: 'status', label: t('status') }, { key: 'objectives', label: '#' }],
      r.items.map((p) => ({ period: p.period, status: p.status, objectives: p.objectives.length })), { open: true });
  });
  const timeline = panel('customer-timeline', t('timeline'), async () => {
    const r = await get(`/api/v1/customers/${enc}/timeline${qs({ limit: 20 })}`);
    if (!r.items.length) return h('p', {}, t('nothing'));
    return numbers('customer-timeline', [{ key: 'at', label: t('date') }, { key: 'who', label: t('who') }, { key: 'what', label: t('what') }],
      r.items.map((c) => ({ at: { text: date(c.at), value: c.at }, who: c.actorName, what: [`${c.entity} ${c.action}`, c.fields.map((x) => x.field).join(', ')].filter(Boolean).join(': ') })), { open: true });
  });
  const parts = [tier, history, actions, plans, timeline];
  return {
    sections: [h('p', {}, h('a', { href: '#/', id: 'back' }, `← ${t('back')}`)), head, h('div', { class: 'grid' }, parts.map((p) => p.section))],
    done: Promise.all([headDone.catch(() => undefined), ...parts.map((p) => p.done)]),
  };
}
