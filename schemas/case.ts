import Joi from 'joi';
import { caseChannels, caseSeverities, caseStatuses, caseSteps } from '../models/case.ts';
import { tiers } from '../models/customer.ts';
import { knowledgeListItemSchema } from './knowledge.ts';
import { answer, moment, objectId } from './common.ts';

// A service case as every case route answers it (models/case-view.ts builds it).

const person = answer({ id: objectId(), name: Joi.string() });

export const caseKeys = {
  id: objectId(),
  customerId: objectId(),
  customer: answer({ id: objectId(), code: Joi.string(), name: Joi.string() })
    .description("the customer's code and name: all a case tells of the customer file (GET /customers/{id} answers the rest to those who may see it)"),
  contactId: objectId().allow(null), visitId: objectId().allow(null), projectId: objectId().allow(null),
  channel: Joi.string().valid(...caseChannels), category: Joi.string(), severity: Joi.string().valid(...caseSeverities),
  subject: Joi.string(), description: Joi.string().allow(''), tags: Joi.array().items(Joi.string()),
  openedById: objectId().description('who the customer reached first'),
  ownerId: objectId().description('accountable until the case is closed; changes only by a handover the new owner accepts'),
  helperIds: Joi.array().items(objectId()).description('see and comment on the case'),
  handover: answer({ toUserId: objectId(), note: Joi.string().allow(''), at: moment() }).allow(null)
    .description('a handover offered and not yet accepted or declined'),
  status: Joi.string().valid(...caseStatuses),
  tier: Joi.string().valid(...tiers).allow(null).description("the customer's tier when the case was opened (null: not classified)"),
  policyVersion: Joi.number().integer().allow(null).description('the service policy version that set the targets'),
  respondBy: moment().description('answer the customer by then'),
  resolveBy: moment().description('resolve it by then; a reopened case keeps it'),
  respondedAt: moment().allow(null).description("the owner's first step after opening, or the resolution"),
  resolvedAt: moment().allow(null).description('the last resolution; null again while reopened'),
  closedAt: moment().allow(null),
  respondMet: Joi.boolean().allow(null).description('null until answered or respondBy passed'),
  resolveMet: Joi.boolean().allow(null).description('null until resolved or resolveBy passed'),
  overdue: Joi.boolean().description('a target passed without being met, and the case still needs work'),
  solution: Joi.string().allow(''),
  knowledgeIds: Joi.array().items(objectId()),
  closure: answer({
    confirmedBy: Joi.string().allow(''), csat: Joi.number().integer().min(1).max(5).allow(null), comment: Joi.string().allow(''),
    automatic: Joi.boolean().description('closed by itself after resolution without an answer from the customer (no CSAT)'),
  }).allow(null),
  handovers: Joi.number().integer().min(0), reopens: Joi.number().integer().min(0),
  firstContactResolution: Joi.boolean().allow(null)
    .description('set at closing: true when the person who opened it closed it, never handed over nor reopened'),
  comments: Joi.array().items(answer({ at: moment(), by: person, text: Joi.string() })),
  history: Joi.array().items(answer({
    at: moment(), by: answer({ id: objectId().allow(null), name: Joi.string() }).description('id null: the system'),
    step: Joi.string().valid(...caseSteps), note: Joi.string().allow(''),
    userId: objectId().allow(null).description('the other person of the step: the helper added, the one offered the case, the owner who handed it over'),
  })).description('every step, oldest first'),
  createdAt: moment(), updatedAt: moment(),
};

export const caseSchema = answer(caseKeys).id('Case')
  .description("A customer's problem, owned by whoever the customer reached first until it is closed");

/** A case as GET /cases/:id answers it: with the knowledge entries that may solve it. */
export const caseDetailSchema = answer({
  ...caseKeys,
  suggestions: Joi.array().items(knowledgeListItemSchema)
    .description('up to 5 entries of the knowledge base that may solve it: same category and tags, words of its subject and description; best first'),
}).id('CaseDetail').description("A customer's problem, with the knowledge entries that may solve it");
