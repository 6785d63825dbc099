// English and Chinese; the choice is remembered in localStorage, numbers and dates follow it through Intl.

const strings = {
  en: {
    title: 'Key accounts', language: 'Language', signIn: 'Sign in', signOut: 'Sign out', email: 'Email', password: 'Password',
    signInFailed: 'Sign-in failed', filters: 'Filters', region: 'Region', industry: 'Industry', team: 'Team', period: 'Period', apply: 'Apply',
    clear: 'Clear', all: 'all', loading: 'Loading…', failed: 'Could not load', notAllowed: 'Not available for your role', csv: 'Download CSV',
    table: 'Numbers as a table', tiers: 'Tier distribution', movements: 'Tier movements', satisfaction: 'Satisfaction and NPS',
    visits: 'Visit discipline', plans: 'Plan coverage and attainment', atRisk: 'Key accounts at risk', tier: 'Tier', customers: 'Customers',
    share: 'Share', revenue: 'Revenue 12 months', revenueShare: 'Revenue share', from: 'From', to: 'To', changes: 'changes', up: 'up', down: 'down',
    month: 'Month', visitsCount: 'Visits', mean: 'Mean satisfaction', nps: 'NPS', promoters: 'Promoters', passives: 'Passives',
    detractors: 'Detractors', change: 'Change vs previous', fallers: 'Satisfaction fell most', before: 'Before', after: 'After',
    due: 'Due', onTime: 'On time', late: 'Late', missed: 'Missed', overdue: 'Overdue now', upcoming: 'Upcoming', onCadence: 'On cadence',
    byTeam: 'Per team', withPlan: 'With approved plan', coverage: 'Coverage', attainment: 'Mean attainment', owner: 'Owner', reasons: 'Reasons',
    customer: 'Customer', noneAtRisk: 'No key account at risk', back: 'Back to the dashboard', breakdown: 'Tier breakdown', criterion: 'Criterion',
    input: 'Input', points: 'Points', weight: 'Weight', contribution: 'Contribution', history: 'Satisfaction history', date: 'Date',
    score: 'Score', recommend: 'Recommend', openActions: 'Open actions', status: 'Status', severity: 'Severity', text: 'Text',
    accountPlans: 'Plans', timeline: 'Timeline', who: 'Who', what: 'What', none: 'none', nothing: 'Nothing yet', book: 'your book',
    chartOf: 'Chart of', signedInAs: 'Signed in as', tierHistory: 'Tier history',
    low_satisfaction: 'low satisfaction', falling_satisfaction: 'falling satisfaction', overdue_visit: 'overdue visit',
    missed_visit: 'missed visit', open_high_case: 'open high-severity case', no_approved_plan: 'no approved plan',
  },
  zh: {
    title: '重点客户', language: '语言', signIn: '登录', signOut: '退出', email: '邮箱', password: '密码', signInFailed: '登录失败',
    filters: '筛选', region: '地区', industry: '行业', team: '团队', period: '期间', apply: '应用', clear: '清除', all: '全部',
    loading: '加载中…', failed: '无法加载', notAllowed: '您的角色无权查看', csv: '下载 CSV', table: '数据表', tiers: '客户等级分布',
    movements: '等级变动', satisfaction: '满意度与 NPS', visits: '回访纪律', plans: '计划覆盖率与达成率', atRisk: '风险重点客户',
    tier: '等级', customers: '客户数', share: '占比', revenue: '近 12 个月收入', revenueShare: '收入占比', from: '原等级', to: '新等级',
    changes: '次变动', up: '升级', down: '降级', month: '月份', visitsCount: '回访次数', mean: '平均满意度', nps: 'NPS',
    promoters: '推荐者', passives: '中立者', detractors: '贬损者', change: '较上期变化', fallers: '满意度下降最多', before: '之前',
    after: '之后', due: '应访', onTime: '按时', late: '延迟', missed: '错过', overdue: '当前逾期', upcoming: '待访', onCadence: '按周期比例',
    byTeam: '按团队', withPlan: '有已批准计划', coverage: '覆盖率', attainment: '平均达成率', owner: '负责人', reasons: '原因',
    customer: '客户', noneAtRisk: '没有风险重点客户', back: '返回仪表板', breakdown: '等级评分明细', criterion: '指标', input: '输入',
    points: '得分', weight: '权重', contribution: '贡献', history: '满意度历史', date: '日期', score: '评分', recommend: '推荐意愿',
    openActions: '未完成的改进行动', status: '状态', severity: '严重程度', text: '内容', accountPlans: '客户计划', timeline: '时间线',
    who: '人员', what: '变更', none: '无', nothing: '暂无', book: '您的客户', chartOf: '图表：', signedInAs: '当前用户',
    tierHistory: '等级历史',
    low_satisfaction: '满意度低', falling_satisfaction: '满意度下降', overdue_visit: '回访逾期', missed_visit: '错过回访',
    open_high_case: '未结高严重度服务案例', no_approved_plan: '无已批准计划',
  },
};

const KEY = 'dashboard.lang';
let lang = localStorage.getItem(KEY) ?? (navigator.language?.startsWith('zh') ? 'zh' : 'en');
if (!strings[lang]) lang = 'en';

export const language = () => lang;
export const locale = () => (lang === 'zh' ? 'zh-CN' : 'en-GB');
export function setLanguage(next) {
  lang = strings[next] ? next : 'en';
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
export const t = (key) => strings[lang][key] ?? strings.en[key] ?? key;

export const num = (n, options = {}) => (n === null || n === undefined ? '–' : new Intl.NumberFormat(locale(), options).format(n));
export const pct = (n) => (n === null || n === undefined ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(n));
/** Minor units of a currency as money (2 decimals for most currencies; Intl knows the exceptions). */
export function money(minor, currency) {
  const f = new Intl.NumberFormat(locale(), { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}
export const date = (iso) => (iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso)) : '–');
export const monthName = (ym) => new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${ym}-01T00:00:00Z`));
