import { moneyText } from '../models/money.ts';
import type { NotificationKind } from '../models/notification.ts';
import type { Language } from '../models/preferences.ts';

// What an e-mail says: subject, a plain-text part and an HTML part, in the user's language (English or Chinese), each
// item with a link to its record. Pure functions of what the outbox read (usecases/mail-outbox.ts).

export type Composed = { subject: string; text: string; html: string };

export type NotificationFacts = {
  kind: NotificationKind; title: string; body: string; data: Record<string, unknown>; customerName: string | null;
};

export type DigestVisit = { id: string; customerId: string; customerName: string; dueDay: string; kind: string; overdueDays: number };
export type DigestApproval = { id: string; customerId: string; customerName: string; from: string | null; to: string; requestedBy: string; requestedDay: string };
export type DigestFacts = {
  userName: string; day: string;
  overdue: DigestVisit[]; today: DigestVisit[]; week: DigestVisit[]; approvals: DigestApproval[];
  notifications: Array<NotificationFacts & { day: string }>;
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The API address of the record a notification is about: the case, the visit, the approval, the gift, else the customer. */
export function recordLink(publicUrl: string, data: Record<string, unknown>): string | null {
  const id = (key: string) => (typeof data[key] === 'string' && /^[0-9a-f]{24}$/.test(data[key] as string) ? data[key] as string : null);
  if (id('caseId')) return `${publicUrl}/api/v1/cases/${id('caseId')}`;
  if (id('visitId')) return `${publicUrl}/api/v1/visits/${id('visitId')}`;
  if (id('approvalId')) return `${publicUrl}/api/v1/tier-approvals/${id('approvalId')}`;
  if (id('giftId')) return `${publicUrl}/api/v1/gifts/${id('giftId')}`;
  if (id('customerId')) return `${publicUrl}/api/v1/customers/${id('customerId')}`;
  return null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const day = (v: unknown) => (typeof v === 'string' ? v.slice(0, 10) : '');
const str = (v: unknown) => (typeof v === 'string' ? v : null);
const money = (d: Record<string, unknown>) => {
  const cost = num(d.cost);
  const currency = str(d.currency);
  return cost !== null && currency && /^[A-Z]{3}$/.test(currency) ? moneyText(cost, currency) : null;
};
const giftReasons: Record<string, string> = { apology: '致歉', goodwill: '善意', thanks: '感谢', retention: '挽留', other: '其他' };

/** Title and body of a notification in Chinese, from its kind and data; the English text when the data lacks a fact. */
function chinese(n: NotificationFacts): { title: string; body: string } {
  const name = n.customerName ?? '客户';
  const d = n.data;
  switch (n.kind) {
    case 'visit.reminder': {
      const lead = num(d.leadDays);
      const when = lead === 0 ? '今天' : lead === 1 ? '明天' : lead !== null ? `${lead} 天后` : '';
      return { title: `拜访提醒：${name}${when ? `（${when}到期）` : ''}`, body: `到期日 ${day(d.dueAt)}。请安排拜访，或注明原因后改期。` };
    }
    case 'visit.overdue': {
      const late = num(d.daysOverdue);
      return { title: `对 ${name} 的拜访已逾期${late !== null ? ` ${late} 天` : ''}`, body: '请尽快安排拜访。' };
    }
    case 'visit.missed':
      return { title: `对 ${name} 的拜访已错过`, body: '下一次拜访已重新安排。' };
    case 'satisfaction.alert': {
      const s = num(d.satisfaction);
      const r = num(d.recommend);
      return { title: `客户不满意：${name}`, body: s !== null && r !== null ? `满意度 ${s}/5，推荐意愿 ${r}/10。` : n.body };
    }
    case 'tier.approval':
      return { title: `待审批：${name} 的等级调整 ${String(d.from ?? '—')} → ${String(d.to ?? '')}`, body: typeof d.reason === 'string' ? `理由：${d.reason}` : '' };
    case 'gift.approval': {
      const item = str(d.item);
      const amount = money(d);
      if (!item || !amount) return { title: n.title, body: n.body };
      const reason = giftReasons[str(d.reasonCategory) ?? ''] ?? '其他';
      return { title: `待审批：送给 ${name} 的礼品 ${item}（${amount}）`, body: `${str(d.giverName) ?? '同事'}以「${reason}」为由赠送，已超出其本月额度。` };
    }
    case 'gift.decided': {
      const item = str(d.item);
      const decision = d.decision === 'approved' ? '已批准' : d.decision === 'rejected' ? '被拒绝' : null;
      if (!item || !decision) return { title: n.title, body: n.body };
      const comment = str(d.comment);
      return { title: `您送给 ${name} 的礼品 ${item} ${decision}`, body: `${str(d.decidedBy) ?? ''}${comment ? `：${comment}` : ''}` };
    }
    default:
      return n.kind.startsWith('case.') ? caseChinese(n, name) : { title: n.title, body: n.body };
  }
}

const targetWords: Record<string, string> = { respond: '响应', resolve: '解决' };

/** The case notifications in Chinese: the subject of the case is the customer's words and stays as written. */
function caseChinese(n: NotificationFacts, name: string): { title: string; body: string } {
  const d = n.data;
  const subject = typeof d.subject === 'string' ? `「${d.subject}」` : '';
  const by = typeof d.by === 'string' ? d.by : '';
  const target = targetWords[String(d.target)] ?? '';
  const due = typeof d.dueLocal === 'string' ? d.dueLocal : '';
  const note = typeof d.note === 'string' && d.note ? d.note : '';
  switch (n.kind) {
    case 'case.opened': return { title: `${name} 有新服务工单${subject}`, body: by ? `由 ${by} 受理并负责。` : '' };
    case 'case.handover':
      return d.answer === 'accepted' ? { title: `${by} 已接手工单${subject}`, body: `客户：${name}。` }
        : d.answer === 'declined' ? { title: `${by} 拒绝接手工单${subject}`, body: `您仍是负责人。${note ? `说明：${note}` : ''}` }
          : { title: `${by} 请您接手 ${name} 的工单${subject}`, body: `接受或拒绝之前，${by} 仍是负责人。${note ? `说明：${note}` : ''}` };
    case 'case.helper': return { title: `${by} 请您协助 ${name} 的工单${subject}`, body: '' };
    case 'case.comment': return { title: `${by} 评论了 ${name} 的工单${subject}`, body: note };
    case 'case.warning': return { title: `工单${subject}即将超过${target}时限`, body: due ? `${target}时限：${due}。客户：${name}。` : `客户：${name}。` };
    case 'case.escalated': return { title: `工单${subject}已超过${target}时限`, body: due ? `${target}时限为 ${due}。客户：${name}。` : `客户：${name}。` };
    case 'case.resolved': return { title: `${name} 的工单${subject}已解决`, body: note ? `解决方案：${note}` : '' };
    case 'case.reopened': return { title: `${name} 的工单${subject}被重新打开`, body: note ? `原因：${note}` : '' };
    case 'case.closed': return { title: `${name} 的工单${subject}已关闭`, body: d.automatic ? '解决后客户未回复，已自动关闭。' : '' };
    default: return { title: n.title, body: n.body };
  }
}

const words = {
  en: {
    open: 'Open', footer: 'You get this because of your notification preferences (GET/PATCH /api/v1/me/preferences).',
    digestSubject: (day: string, count: number) => `Your key accounts for ${day}: ${count} item${count === 1 ? '' : 's'}`,
    hello: (name: string) => `Hello ${name},`,
    overdue: 'Overdue visits', today: 'Visits due today', week: 'Visits due this week (next 7 days)', approvals: 'Tier changes waiting for your approval', other: 'Other notifications',
    visitLine: (v: DigestVisit) => `${v.customerName}: ${v.kind} visit due ${v.dueDay}${v.overdueDays > 0 ? ` (${v.overdueDays} day${v.overdueDays === 1 ? '' : 's'} overdue)` : ''}`,
    approvalLine: (a: DigestApproval) => `${a.customerName}: ${a.from ?? 'none'} -> ${a.to}, asked by ${a.requestedBy} on ${a.requestedDay}`,
  },
  zh: {
    open: '打开', footer: '根据您的通知偏好发送（GET/PATCH /api/v1/me/preferences）。',
    digestSubject: (day: string, count: number) => `${day} 大客户日报：${count} 项`,
    hello: (name: string) => `${name}，您好：`,
    overdue: '逾期的拜访', today: '今天到期的拜访', week: '本周到期的拜访（未来 7 天）', approvals: '等待您审批的等级调整', other: '其他通知',
    visitLine: (v: DigestVisit) => `${v.customerName}：${v.kind === 'cadence' ? '例行' : '临时'}拜访，${v.dueDay} 到期${v.overdueDays > 0 ? `（已逾期 ${v.overdueDays} 天）` : ''}`,
    approvalLine: (a: DigestApproval) => `${a.customerName}：${a.from ?? '无'} → ${a.to}，${a.requestedBy} 于 ${a.requestedDay} 提交`,
  },
} as const;

type Item = { line: string; detail?: string; link: string | null };
type Section = { heading: string; items: Item[] };

function render(language: Language, subject: string, intro: string[], sections: Section[]): Composed {
  const w = words[language];
  const text = [
    ...intro, '',
    ...sections.flatMap((s) => [s.heading, ...s.items.flatMap((i) => [`- ${i.line}`, ...(i.detail ? [`  ${i.detail}`] : []), ...(i.link ? [`  ${i.link}`] : [])]), '']),
    '--', w.footer,
  ].join('\n');
  const html = [
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escape(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.4">',
    ...intro.map((p) => `<p>${escape(p)}</p>`),
    ...sections.flatMap((s) => [
      `<h3>${escape(s.heading)}</h3>`, '<ul>',
      ...s.items.map((i) => `<li>${escape(i.line)}${i.detail ? `<br>${escape(i.detail)}` : ''}${i.link ? ` <a href="${escape(i.link)}">${escape(w.open)}</a>` : ''}</li>`),
      '</ul>',
    ]),
    `<hr><p style="color: #666; font-size: small">${escape(w.footer)}</p>`, '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** The facts of a notification in the user's language. */
function localized(language: Language, n: NotificationFacts): { title: string; body: string } {
  return language === 'zh' ? chinese(n) : { title: n.title, body: n.body };
}

/** One notification as its own e-mail: its title as the subject, its body and a link to its record. */
export function notificationEmail(language: Language, publicUrl: string, n: NotificationFacts): Composed {
  const { title, body } = localized(language, n);
  return renderSingle(language, title, body, recordLink(publicUrl, n.data));
}

function renderSingle(language: Language, title: string, body: string, link: string | null): Composed {
  const w = words[language];
  const text = [body || title, ...(link ? ['', link] : []), '', '--', w.footer].join('\n');
  const html = [
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.4">',
    `<p><strong>${escape(title)}</strong></p>`,
    ...(body ? [`<p>${escape(body)}</p>`] : []),
    ...(link ? [`<p><a href="${escape(link)}">${escape(w.open)}</a></p>`] : []),
    `<hr><p style="color: #666; font-size: small">${escape(w.footer)}</p>`, '</body></html>',
  ].join('\n');
  return { subject: title, text, html };
}

/** How many items a digest holds; none means no digest is sent. */
export const digestCount = (f: DigestFacts) => f.overdue.length + f.today.length + f.week.length + f.approvals.length + f.notifications.length;

/** The daily digest: overdue visits first, then today's, this week's, approvals waiting, and the other notifications. */
export function digestEmail(language: Language, publicUrl: string, f: DigestFacts): Composed {
  const w = words[language];
  const visitItem = (v: DigestVisit): Item => ({ line: w.visitLine(v), link: `${publicUrl}/api/v1/visits/${v.id}` });
  const sections: Section[] = [
    { heading: w.overdue, items: f.overdue.map(visitItem) },
    { heading: w.today, items: f.today.map(visitItem) },
    { heading: w.week, items: f.week.map(visitItem) },
    { heading: w.approvals, items: f.approvals.map((a) => ({ line: w.approvalLine(a), link: `${publicUrl}/api/v1/tier-approvals/${a.id}` })) },
    {
      heading: w.other,
      items: f.notifications.map((n) => {
        const { title, body } = localized(language, n);
        return { line: `${n.day} ${title}`, detail: body || undefined, link: recordLink(publicUrl, n.data) };
      }),
    },
  ].filter((s) => s.items.length > 0);
  return render(language, w.digestSubject(f.day, digestCount(f)), [w.hello(f.userName)], sections);
}
