import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { CaseModel } from '../models/case.ts';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel, nameKeyOf } from '../models/customer.ts';
import { GiftModel } from '../models/gift.ts';
import { GiftUsageModel } from '../models/gift-allowance.ts';
import { currentGiftPolicy, defaultGiftPolicyRules, type Allowances } from '../models/gift-policy.ts';
import { api, bearer, createUser, type TestUser } from './factories.ts';

// What the gift tests share: people around a customer, allowances set per person, and a gift body.

const uid = () => randomUUID().slice(0, 8);

export async function makeCustomer(owner: TestUser, accountTeam: TestUser[] = [], fields: Record<string, unknown> = {}) {
  const name = `Gift Co ${uid()}`;
  return CustomerModel.create({
    code: `GF-${uid()}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, accountTeam: accountTeam.map((u) => u.id), ...fields,
  });
}

/** An open case of the customer owned (and opened) by `owner`. */
export async function makeCase(customerId: Types.ObjectId, owner: TestUser, helpers: TestUser[] = []) {
  const now = Date.now();
  return CaseModel.create({
    customerId, channel: 'phone', category: 'billing', severity: 'normal', subject: 'Invoice twice', openedById: owner.id, ownerId: owner.id,
    helperIds: helpers.map((h) => h.id), respondBy: new Date(now + 3_600_000), resolveBy: new Date(now + 86_400_000),
  });
}

/**
 * A customer with its owner and an account-team member (team North), a manager of another team who is not on it
 * (South), an executive and an admin, and one contact.
 */
export async function giftWorld() {
  const owner = await createUser({ role: 'manager', team: `North-${uid()}` });
  const member = await createUser({ role: 'manager', team: owner.team });
  const outsider = await createUser({ role: 'manager', team: `South-${uid()}` });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await makeCustomer(owner, [member], { tier: 'A', company: { region: 'EMEA' } });
  const contact = await ContactModel.create({ customerId: customer._id, name: `Person ${uid()}` });
  return { owner, member, outsider, executive, admin, customer, contact };
}
export type GiftWorld = Awaited<ReturnType<typeof giftWorld>>;

/** Gives these people these monthly allowances, on top of the default role allowances (a new policy version). */
export async function setAllowances(admin: TestUser, exceptions: Array<{ user: TestUser; allowances: Allowances }>) {
  const current = await currentGiftPolicy();
  const kept = current.users.filter((u) => !exceptions.some((e) => e.user.id === u.userId)).map(({ userId, allowances, note }) => ({ userId, allowances, note }));
  const res = await api().put('/api/v1/gift-policy').set(bearer(admin))
    .send({ roles: defaultGiftPolicyRules.roles, users: [...kept, ...exceptions.map((e) => ({ userId: e.user.id, allowances: e.allowances }))] });
  if (res.status !== 200) throw new Error(`setAllowances: ${res.status} ${res.text}`);
}

export const giftBody = (customerId: unknown, fields: Record<string, unknown> = {}) => ({
  customerId: String(customerId), item: 'Dinner voucher', cost: 3000, currency: 'USD', reasonCategory: 'apology', reason: 'Delivery was two weeks late',
  ...fields,
});

export const give = (user: TestUser, body: Record<string, unknown>) => api().post('/api/v1/gifts').set(bearer(user)).send(body);

/** The stored ledger entries and allowance usage of a person, for comparing before and after. */
export async function ledgerOf(user: TestUser) {
  const id = new Types.ObjectId(user.id);
  return {
    entries: await GiftModel.find({ giverId: id }).sort({ _id: 1 }).lean(),
    usage: await GiftUsageModel.find({ userId: id }).sort({ key: 1 }).lean(),
  };
}
