import { Types } from 'mongoose';
import { CaseModel, caseRole } from '../models/case.ts';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel, canRead } from '../models/customer.ts';
import { isDuplicateKeyError } from '../models/db-compat.ts';
import { GiftModel, monthIn, type GiftRecord } from '../models/gift.ts';
import { notifyGiftDecided, notifyGiftWaiting } from '../models/gift-alerts.ts';
import { giveBackAllowance, takeAllowance, untakeAllowance } from '../models/gift-allowance.ts';
import { allowancesOf, currentGiftPolicy } from '../models/gift-policy.ts';
import type { AuthUser } from '../models/user.ts';
import type { Refusal } from '../schemas/common.ts';
import type { GiftCreate } from '../schemas/gift-input.ts';

// What may happen in the gift ledger: a gift given (applied at once within what is left of the giver's monthly
// allowance, else waiting for an executive), the decision on a waiting gift, and a gift reversed by a new entry. Plain
// functions of the caller and the input already checked against its schema; each answers the entry written or why it
// was refused, which the route answers as HTTP.

export type GiftRefusal = Refusal<403 | 404 | 409>;
export type GiftOutcome = { gift: GiftRecord } | { refused: GiftRefusal };

const refused = (status: 403 | 404 | 409, message: string) => ({ refused: { status, message } });
const invalid = (field: string, message: string) => ({ refused: { status: 400 as const, errors: [{ field, message }] } });
const noCustomer = () => refused(404, 'No customer with this id.');

/** Whether the user may see an entry: leadership, its giver, or whoever may read its customer. */
export const canSeeGift = (user: AuthUser, gift: Pick<GiftRecord, 'giverId'>, customer: Parameters<typeof canRead>[1] | null) =>
  user.role !== 'manager' || String(gift.giverId) === user.id || (customer !== null && canRead(user, customer));

/**
 * Records a gift. Anyone who may read the customer gives; so does the owner or a helper of a case of that customer,
 * who may not read the customer file. The allowance is taken before the entry is written (models/gift-allowance.ts).
 */
export async function giveGift(user: AuthUser, input: GiftCreate, timezone: string, now = new Date()): Promise<GiftOutcome> {
  const customer = await CustomerModel.findById(input.customerId, { ownerId: 1, accountTeam: 1, tier: 1, companyRegion: 1 }).lean();
  if (!customer) return noCustomer();
  const kase = input.caseId ? await CaseModel.findById(input.caseId, { customerId: 1, ownerId: 1, openedById: 1, helperIds: 1 }).lean() : null;
  const ofCustomer = kase !== null && String(kase.customerId) === input.customerId;
  const throughCase = ofCustomer && ['owner', 'helper'].includes(caseRole(user, kase, customer));
  if (!canRead(user, customer) && !throughCase) return noCustomer();
  if (input.caseId && !ofCustomer) return invalid('caseId', 'caseId must be a case of this customer');
  if (input.contactId && !(await ContactModel.exists({ _id: input.contactId, customerId: customer._id }))) {
    return invalid('contactId', 'contactId must be a contact of this customer');
  }

  const month = monthIn(timezone, now);
  const limit = allowancesOf(await currentGiftPolicy(), user)[input.currency] ?? 0;
  const _id = new Types.ObjectId();
  const usage = { userId: user.id, month, currency: input.currency };
  const applied = await takeAllowance(usage, input.cost, limit, _id);
  try {
    const gift = await GiftModel.create({
      _id, key: `gift:${String(_id)}`, kind: 'gift', ...input, month, status: applied ? 'applied' : 'pending_approval',
      giverId: user.id, giverName: user.name, giverTeam: user.team, byId: user.id, byName: user.name,
      customerTier: customer.tier ?? null, customerRegion: customer.companyRegion ?? null, createdAt: now,
    });
    const record = gift.toObject() as GiftRecord;
    if (!applied) await notifyGiftWaiting(record, now);
    return { gift: record };
  } catch (err) {
    if (applied) await untakeAllowance(usage, input.cost, _id);
    throw err;
  }
}

/** An executive's or admin's decision on a gift waiting for approval; never on one's own gift. */
export async function decideGift(user: AuthUser, gift: GiftRecord, decision: 'approved' | 'rejected', comment: string, now = new Date()): Promise<GiftOutcome> {
  if (String(gift.giverId) === user.id) return refused(403, 'Someone else decides on your own gift.');
  if (gift.status !== 'pending_approval') return refused(409, `Only a gift waiting for approval is decided; this one is ${gift.kind === 'reversal' ? 'a reversal' : gift.status}.`);
  // Conditional on the status read: of two decisions at the same moment, one lands and the other is told so.
  const decided = await GiftModel.findOneAndUpdate(
    { _id: gift._id, status: 'pending_approval' },
    { $set: { status: decision, decidedById: user.id, decidedByName: user.name, decidedAt: now, decisionComment: comment } },
    { returnDocument: 'after' },
  ).lean<GiftRecord>();
  if (!decided) return refused(409, 'The gift was decided a moment ago by someone else.');
  await notifyGiftDecided(decided, now);
  return { gift: decided };
}

/**
 * Takes a gift back by a reversing entry (never by changing or deleting it): its giver, an executive or an admin. An
 * applied gift's cost returns to its month's allowance; an approved one's leaves the approved spend.
 */
export async function reverseGift(user: AuthUser, gift: GiftRecord, reason: string, now = new Date()): Promise<GiftOutcome> {
  if (user.role === 'manager' && String(gift.giverId) !== user.id) return refused(403, 'Only the giver, an executive or an admin reverses a gift.');
  if (gift.kind === 'reversal') return refused(409, 'A reversal is not reversed; record the gift again instead.');
  if (gift.status === 'pending_approval') return refused(409, 'The gift waits for approval: an executive rejects it instead.');
  if (gift.status === 'rejected') return refused(409, 'The gift was rejected: there is nothing to reverse.');
  const _id = new Types.ObjectId();
  try {
    const reversal = await GiftModel.create({
      _id, key: `reversal:${String(gift._id)}`, kind: 'reversal', customerId: gift.customerId, contactId: gift.contactId, caseId: gift.caseId,
      item: gift.item, cost: -gift.cost, currency: gift.currency, reasonCategory: gift.reasonCategory, reason, month: gift.month,
      status: gift.status, giverId: gift.giverId, giverName: gift.giverName, giverTeam: gift.giverTeam, byId: user.id, byName: user.name, customerTier: gift.customerTier,
      customerRegion: gift.customerRegion, reversesId: gift._id, createdAt: now,
    });
    if (gift.status === 'applied') await giveBackAllowance({ userId: String(gift.giverId), month: gift.month, currency: gift.currency }, gift.cost, gift._id);
    return { gift: reversal.toObject() as GiftRecord };
  } catch (err) {
    if (isDuplicateKeyError(err)) return refused(409, 'The gift is already reversed.');
    throw err;
  }
}
