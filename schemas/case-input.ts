import Joi from 'joi';
import { caseChannels, caseSeverities, caseStatuses, type CaseChannel, type CaseSeverity, type CaseStatus } from '../models/case.ts';
import { objectId, pageKeys } from './common.ts';

// What a client sends to open a service case and to move it on, shared by the routes and the use cases
// (usecases/case-open.ts, usecases/case-transition.ts).

const text = (max: number) => Joi.string().trim().max(max);

export type OpenInput = {
  customerId: string; contactId?: string; channel: CaseChannel; category: string; severity: CaseSeverity; subject: string;
  description?: string; tags?: string[]; visitId?: string; projectId?: string;
};

export const openSchema = Joi.object<OpenInput>({
  customerId: objectId().required().description('any customer, also one of another team: whoever the customer reached owns the case'),
  contactId: objectId().description('a contact of that customer'),
  channel: Joi.string().valid(...caseChannels).required().description('how the customer reached us'),
  category: text(100).min(1).required().description('what the case is about, e.g. billing, delivery, quality'),
  severity: Joi.string().valid(...caseSeverities).required(),
  subject: text(200).min(1).required(),
  description: text(8000).allow(''),
  tags: Joi.array().items(Joi.string().trim().lowercase().min(1).max(40)).max(20).unique().description('stored lower-case'),
  visitId: objectId().description('the visit where the customer raised it, of that customer'),
  projectId: objectId().description('the project it concerns, of that customer'),
}).id('CaseOpen');

export type CaseListQuery = {
  limit: number; cursor?: string; status?: CaseStatus; owner?: string; customerId?: string; severity?: CaseSeverity; overdue?: boolean;
};

export const listSchema = Joi.object<CaseListQuery>({
  ...pageKeys,
  status: Joi.string().valid(...caseStatuses),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()).description('`me` or a user id: the cases this person owns'),
  customerId: objectId(),
  severity: Joi.string().valid(...caseSeverities),
  overdue: Joi.boolean().description('true: open cases past a target not met yet (no answer by respondBy, not resolved by resolveBy); '
    + 'false: the others'),
});

export const commentSchema = Joi.object<{ text: string }>({ text: text(4000).min(1).required() }).id('CaseComment');
export const helperSchema = Joi.object<{ userId: string }>({ userId: objectId().required().description('an active user') }).id('CaseHelper');
export const handoverSchema = Joi.object<{ toUserId: string; note?: string }>({
  toUserId: objectId().required().description('an active user other than the owner; replaces a handover still waiting'),
  note: text(2000).allow('').description('what the new owner needs to know'),
}).id('CaseHandover');
export const answerSchema = Joi.object<{ note?: string }>({ note: text(2000).allow('').description('why, for the owner') }).id('CaseHandoverAnswer');
export const resolveSchema = Joi.object<{ solution: string; knowledgeIds?: string[] }>({
  solution: text(8000).min(1).required().description('what solved it, as the customer was told'),
  knowledgeIds: Joi.array().items(objectId()).max(20).unique().description('knowledge entries that helped'),
}).id('CaseResolve');
export const reopenSchema = Joi.object<{ reason: string }>({ reason: text(2000).min(1).required() }).id('CaseReopen');
export const closeSchema = Joi.object<{ confirmedBy: string; csat: number; comment?: string }>({
  confirmedBy: text(200).min(1).required().description('who at the customer confirmed it is solved'),
  csat: Joi.number().integer().min(1).max(5).required().description("the customer's satisfaction with how it was solved, 1-5"),
  comment: text(2000).allow(''),
}).id('CaseClose');

export type CommentInput = { text: string };
export type HandoverInput = { toUserId: string; note?: string };
export type ResolveInput = { solution: string; knowledgeIds?: string[] };
export type CloseInput = { confirmedBy: string; csat: number; comment?: string };
