import { randomUUID } from 'node:crypto';
import { CaseModel, type CaseStatus } from '../models/case.ts';
import { CustomerModel, nameKeyOf } from '../models/customer.ts';
import { KnowledgeModel } from '../models/knowledge.ts';
import { api, bearer, createUser, type TestUser } from './factories.ts';

// What the knowledge tests share: entries written over HTTP, and cases made directly in the database (the case routes
// are another part's work), with the people who stand to a case in each way.

export const uid = () => randomUUID().slice(0, 8);

/** A category of the test's own, so lists filtered by it hold the test's entries only. */
export const ownCategory = () => `Cat ${uid()}`;

export type EntryInput = { problem: string; solution: string; category: string; symptoms?: string; product?: string; tags?: string[] };

/** Writes an entry over HTTP as `user`; answers its JSON. */
export async function writeEntry(user: TestUser, input: EntryInput) {
  const res = await api().post('/api/v1/knowledge').set(bearer(user)).send(input);
  if (res.status !== 201) throw new Error(`writeEntry: ${res.status} ${res.text}`);
  return res.body as { id: string; uses: number; version: number; [key: string]: unknown };
}

/** Sets an entry's use count directly, for tests of the order by uses. */
export const setUses = (id: string, uses: number) => KnowledgeModel.updateOne({ _id: id }, { $set: { uses } });

/**
 * A customer owned by `customerOwner` and a case of it owned by `caseOwner` (who is not on the customer's team: the
 * person the customer happened to reach), with a helper; `status` resolved unless told.
 */
export async function makeCase(caseOwner: TestUser, customerOwner: TestUser, fields: Record<string, unknown> = {}, helpers: TestUser[] = []) {
  const name = `Knowledge Co ${uid()}`;
  const customer = await CustomerModel.create({ code: `KB-${uid()}`, name, nameKey: nameKeyOf(name), ownerId: customerOwner.id });
  const now = Date.now();
  return CaseModel.create({
    customerId: customer._id, channel: 'phone', category: 'Printing', severity: 'normal',
    subject: 'Printer jams on thick paper', description: 'The tray jams on 200 g/m² stock every morning',
    tags: ['paper', 'Tray'], openedById: caseOwner.id, ownerId: caseOwner.id, helperIds: helpers.map((h) => h.id),
    status: 'resolved' satisfies CaseStatus, respondBy: new Date(now + 3_600_000), resolveBy: new Date(now + 8 * 3_600_000),
    resolvedAt: new Date(now), solution: 'Use the manual feed tray for stock above 160 g/m²', ...fields,
  });
}

/** Everyone who stands to a case in some way, and a case resolved by its owner. */
export async function caseWorld(fields: Record<string, unknown> = {}) {
  const [owner, customerOwner, helper, stranger, executive, admin] = await Promise.all([
    createUser({ role: 'manager', team: 'South' }), createUser({ role: 'manager', team: 'North' }),
    createUser({ role: 'manager', team: 'East' }), createUser({ role: 'manager', team: 'North' }),
    createUser({ role: 'executive' }), createUser({ role: 'admin' }),
  ]);
  const kase = await makeCase(owner, customerOwner, fields, [helper]);
  return { owner, customerOwner, helper, stranger, executive, admin, kase };
}
