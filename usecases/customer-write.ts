import { diffFields, recordChange } from '../models/change.ts';
import { CustomerModel, canRead, dotted, nameKeyOf, wouldCycle, type CustomerDocument } from '../models/customer.ts';
import { ProjectModel } from '../models/project.ts';
import { rescore } from '../models/tiering.ts';
import { activeUserIds, type AuthUser } from '../models/user.ts';
import { keepCadenceVisits, reassignOpenVisits } from '../models/visit.ts';
import type { FieldError } from '../schemas/common.ts';
import type { CustomerInput } from '../schemas/customer-input.ts';

// Creating, changing and archiving a customer through the API, once the caller's rights and the version are checked:
// the checks against what is stored, the write, the timeline, and what follows (its score, its visits). The CSV
// import (usecases/customer-import*.ts) checks and writes whole files with the same model rules.

export type DuplicateWarning = { type: 'possible-duplicate'; message: string; customerId?: string; code?: string; name?: string };

/** What is wrong with a new customer's people and parent; empty when all is well. */
export async function newCustomerProblems(user: AuthUser, input: CustomerInput): Promise<FieldError[]> {
  return [...(await peopleProblems(input)), ...(await parentProblems(user, undefined, input.parentId))];
}

/** Creates the customer, tells the timeline, scores it and opens its first satisfaction visit. */
export async function createCustomer(user: AuthUser, input: CustomerInput): Promise<{ customer: CustomerDocument; warnings: DuplicateWarning[] }> {
  const customer = await CustomerModel.create({ ...input, ownerId: input.ownerId ?? user.id, nameKey: nameKeyOf(input.name) });
  await recordChange({ customerId: customer._id, entity: 'customer', entityId: customer._id, entityName: customer.name, action: 'created', actor: user });
  const warnings = await duplicateWarnings(user, customer);
  const scored = await reread(customer, async () => {
    await rescore(customer._id, 'new customer');
    await keepCadenceVisits([customer._id]); // its first satisfaction visit
  });
  return { customer: scored, warnings };
}

/** A change of the owner or the account team, which only the owner or an admin may make. */
export const reassigns = (input: Partial<CustomerInput>) => input.ownerId !== undefined || input.accountTeam !== undefined;

/** What is wrong with a change of the customer's people, parent or currency; empty when all is well. */
export async function changeProblems(user: AuthUser, customer: CustomerDocument, input: Partial<CustomerInput>): Promise<FieldError[]> {
  return [
    ...(await peopleProblems(input)),
    ...(await parentProblems(user, customer.id, input.parentId)),
    ...(await currencyProblems(customer, input.currency)),
  ];
}

/**
 * Writes the change if the customer is still at the version read (null when another write came first: nothing was
 * written), tells the timeline, hands the open visits of people no longer on the customer to its owner, and rescores
 * it on new tier inputs. Answers the customer as stored.
 */
export async function changeCustomer(user: AuthUser, customer: CustomerDocument, input: Partial<CustomerInput>): Promise<CustomerDocument | null> {
  const updated = await CustomerModel.findOneAndUpdate(
    { _id: customer._id, __v: customer.__v },
    { $set: dotted({ ...input, ...(input.name ? { nameKey: nameKeyOf(input.name) } : {}) }), $inc: { __v: 1 } },
    { returnDocument: 'after', runValidators: true },
  );
  if (!updated) return null;
  await recordChange({
    customerId: updated._id, entity: 'customer', entityId: updated._id, entityName: updated.name, action: 'updated', actor: user,
    fields: diffFields(customer.toObject(), updated.toObject()),
  });
  if (reassigns(input)) await reassignOpenVisits([updated]);
  return input.tierInputs ? reread(updated, () => rescore(updated._id, 'tier inputs changed')) : updated;
}

/**
 * Archives (or restores) the customer. Conditional on the state it leaves: of two requests at once exactly one
 * archives (or restores) and tells the timeline; the other finds it done and answers the same state. An archived
 * customer is not scored or visited (its open visit is cancelled); a restored one is, at once.
 */
export async function setArchived(user: AuthUser, customer: CustomerDocument, archived: boolean): Promise<CustomerDocument> {
  const changed = customer.archived !== archived && await CustomerModel.findOneAndUpdate(
    { _id: customer._id, archived: !archived },
    { $set: { archived, archivedAt: archived ? new Date() : null }, $inc: { __v: 1 } },
    { returnDocument: 'after' },
  );
  if (!changed) return customer.archived === archived ? customer : (await CustomerModel.findById(customer._id)) ?? customer;
  await recordChange({
    customerId: changed._id, entity: 'customer', entityId: changed._id, entityName: changed.name,
    action: archived ? 'archived' : 'restored', actor: user, fields: [{ field: 'archived', old: !archived, new: archived }],
  });
  if (archived) {
    await keepCadenceVisits([changed._id]);
    return changed;
  }
  return reread(changed, async () => {
    await rescore(changed._id, 'restored');
    await keepCadenceVisits([changed._id]);
  });
}

/** Owner and team members must be active users. */
async function peopleProblems(input: Partial<CustomerInput>): Promise<FieldError[]> {
  const ids = [...(input.ownerId ? [input.ownerId] : []), ...(input.accountTeam ?? [])];
  const found = await activeUserIds(ids);
  const errors: FieldError[] = [];
  if (input.ownerId && !found.has(input.ownerId)) errors.push({ field: 'ownerId', message: 'ownerId must be an active user' });
  (input.accountTeam ?? []).forEach((id, i) => {
    if (!found.has(id)) errors.push({ field: `accountTeam.${i}`, message: `accountTeam.${i} must be an active user` });
  });
  return errors;
}

async function parentProblems(user: AuthUser, customerId: string | undefined, parentId: string | null | undefined): Promise<FieldError[]> {
  if (!parentId) return [];
  const parent = await CustomerModel.findById(parentId, { ownerId: 1, accountTeam: 1 }).lean();
  // A parent the caller cannot see is reported as missing, like any other customer of another team.
  if (!parent || !canRead(user, parent)) return [{ field: 'parentId', message: 'parentId must be a customer you can see' }];
  if (customerId && (await wouldCycle(customerId, parentId))) {
    return [{ field: 'parentId', message: 'parentId cannot be the customer itself or one of its subsidiaries' }];
  }
  return [];
}

// revenue12m sums project values in the customer's currency, so it cannot change under existing projects.
async function currencyProblems(customer: CustomerDocument, currency: string | undefined): Promise<FieldError[]> {
  if (!currency || currency === customer.currency || !(await ProjectModel.exists({ customerId: customer._id }))) return [];
  return [{ field: 'currency', message: 'currency cannot change while the customer has projects' }];
}

/** Other customers with the same normalized name, named only when the caller may see them. */
async function duplicateWarnings(user: AuthUser, customer: CustomerDocument): Promise<DuplicateWarning[]> {
  const twins = await CustomerModel.find({ nameKey: customer.nameKey, _id: { $ne: customer._id } }, { code: 1, name: 1, ownerId: 1, accountTeam: 1 }).limit(5).lean();
  return twins.map((t) => (canRead(user, t)
    ? { type: 'possible-duplicate', message: `A customer with a similar name exists: ${t.name} (${t.code}).`, customerId: String(t._id), code: t.code, name: t.name }
    : { type: 'possible-duplicate', message: 'A customer with a similar name exists in another team; check with an administrator before you go on.' }));
}

/** The stored customer after a rescoring, whose derived tier fields the document in hand does not have. */
async function reread(customer: CustomerDocument, rescoring: () => Promise<unknown>): Promise<CustomerDocument> {
  await rescoring();
  return (await CustomerModel.findById(customer._id)) ?? customer;
}
