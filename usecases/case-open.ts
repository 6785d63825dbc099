import { Types } from 'mongoose';
import { CaseModel, type CaseRecord } from '../models/case.ts';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel } from '../models/customer.ts';
import { ProjectModel } from '../models/project.ts';
import { currentServicePolicy, targetFor } from '../models/service-policy.ts';
import { afterOnClock } from '../models/time-zone.ts';
import type { AuthUser } from '../models/user.ts';
import { VisitModel } from '../models/visit.ts';
import type { FieldError } from '../schemas/common.ts';
import type { OpenInput } from '../schemas/case-input.ts';

// Opening a service case: whoever the customer reached owns it, whatever team the customer is of. The customer's tier
// at that moment and the service policy in force set its targets, counted on the organisation's clock.

export type OpenOutcome = { kase: CaseRecord } | { refused: { status: 400; errors: FieldError[] } };

/** What the links of the input name must be: a customer not archived, and a contact, visit and project of it. */
async function linkErrors(input: OpenInput): Promise<FieldError[]> {
  const customer = await CustomerModel.findById(input.customerId, { archived: 1 }).lean();
  if (!customer) return [{ field: 'customerId', message: 'customerId names no customer' }];
  if (customer.archived) return [{ field: 'customerId', message: 'the customer is archived; restore it first' }];
  const ofCustomer = async (field: 'contactId' | 'visitId' | 'projectId', model: typeof ContactModel | typeof VisitModel | typeof ProjectModel) => {
    const id = input[field];
    if (!id) return [];
    const found = await (model as typeof ContactModel).exists({ _id: id, customerId: input.customerId });
    return found ? [] : [{ field, message: `${field} must name a ${field.slice(0, -2)} of this customer` }];
  };
  return [...await ofCustomer('contactId', ContactModel), ...await ofCustomer('visitId', VisitModel), ...await ofCustomer('projectId', ProjectModel)];
}

/** Opens the case with the caller as its opener and owner. */
export async function openCase(user: AuthUser, input: OpenInput, timezone: string, now = new Date()): Promise<OpenOutcome> {
  const errors = await linkErrors(input);
  if (errors.length) return { refused: { status: 400, errors } };
  const [customer, policy] = await Promise.all([CustomerModel.findById(input.customerId, { tier: 1 }).lean(), currentServicePolicy()]);
  const target = targetFor(policy, customer?.tier, input.severity);
  const me = new Types.ObjectId(user.id);
  const created = await CaseModel.create({
    ...input, openedById: me, ownerId: me, status: 'open',
    tier: customer?.tier ?? null, policyVersion: policy.version,
    respondBy: afterOnClock(timezone, now, target.respondMinutes), resolveBy: afterOnClock(timezone, now, target.resolveMinutes),
    history: [{ at: now, by: { id: me, name: user.name }, step: 'opened', note: '' }],
    effectsSince: now,
  });
  return { kase: created.toObject() as CaseRecord };
}
