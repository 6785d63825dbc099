import { expect } from 'chai';
import { CaseModel, type CaseRecord } from '../models/case.ts';
import { CustomerModel } from '../models/customer.ts';
import { currentServicePolicy, targetFor } from '../models/service-policy.ts';
import { api, bearer, createCustomer, createUser, type TestUser } from './factories.ts';

// People around one customer and its service cases, shared by the case tests: the customer's owner and account-team
// member (team North), a manager of another team who takes the customer's call (the opener), a colleague to help or
// hand over to, a manager who has nothing to do with it, and leadership.

export async function caseWorld(tier: 'S' | 'A' | 'B' | 'C' | null = 'S') {
  const owner = await createUser({ role: 'manager', team: 'North' });
  const member = await createUser({ role: 'manager', team: 'North' });
  const opener = await createUser({ role: 'manager', team: 'South' });
  const colleague = await createUser({ role: 'manager', team: 'South' });
  const stranger = await createUser({ role: 'manager', team: 'West' });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await createCustomer(owner, { accountTeam: [member.id], tags: ['telecom'], company: { painPoints: 'secret pain points' } });
  // the tier the targets depend on, set here rather than left to the scoring
  await CustomerModel.updateOne({ _id: customer.id }, { $set: { tier } }, { timestamps: false });
  return { owner, member, opener, colleague, stranger, executive, admin, customer };
}
export type CaseWorld = Awaited<ReturnType<typeof caseWorld>>;

export const caseBody = (w: CaseWorld, fields: Record<string, unknown> = {}) => ({
  customerId: w.customer.id, channel: 'phone', category: 'billing', severity: 'critical',
  subject: 'Invoice charged twice', description: 'The March invoice was charged twice to the card.', ...fields,
});

export type CaseJson = {
  id: string; status: string; ownerId: string; openedById: string; helperIds: string[]; handover: { toUserId: string; note: string } | null;
  respondBy: string; resolveBy: string; respondedAt: string | null; resolvedAt: string | null; respondMet: boolean | null; resolveMet: boolean | null;
  overdue: boolean; firstContactResolution: boolean | null; handovers: number; reopens: number; customer: Record<string, string>;
  closure: { csat: number | null; automatic: boolean; confirmedBy: string } | null; history: Array<{ step: string; by: { id: string | null; name: string }; userId: string | null }>;
  comments: Array<{ text: string }>; [key: string]: unknown;
};

/** Opens a case over HTTP as `by` (the opener by default) and answers its JSON and ETag. */
export async function openCase(w: CaseWorld, by: TestUser = w.opener, fields: Record<string, unknown> = {}) {
  const res = await api().post('/api/v1/cases').set(bearer(by)).send(caseBody(w, fields));
  if (res.status !== 201) throw new Error(`openCase: ${res.status} ${res.text}`);
  return { body: res.body as CaseJson, etag: res.headers.etag as string };
}

/** Posts a step as `by`, expecting `status`; answers the body. */
export async function stepCase(id: string, path: string, by: TestUser, body: Record<string, unknown> | undefined, status = 200) {
  const req = api().post(`/api/v1/cases/${id}/${path}`).set(bearer(by));
  const res = body === undefined ? await req : await req.send(body);
  if (res.status !== status) throw new Error(`${path}: expected ${status}, got ${res.status} ${res.text}`);
  return res.body as CaseJson;
}

export const storedCase = async (id: string) => (await CaseModel.findById(id).lean<CaseRecord>())!;

/** The targets the policy in force gives a case of this tier and severity, in minutes. */
export async function expectedTargets(tier: string | null, severity: 'low' | 'normal' | 'high' | 'critical') {
  return targetFor(await currentServicePolicy(), tier, severity);
}

/** The case's steps in its history, in order. */
export const stepsOf = (kase: { history: Array<{ step: string }> }) => kase.history.map((h) => h.step);

export const expectSteps = (kase: { history: Array<{ step: string }> }, steps: string[]) => expect(stepsOf(kase)).to.deep.equal(steps);
