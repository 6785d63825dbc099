import Joi from 'joi';
import { answer, moment, objectId } from './common.ts';

// A knowledge entry as answered (models/knowledge.ts knowledgeView): the knowledge routes answer it, and GET /cases/:id
// answers its suggested entries as list items (with their score).

const entryKeys = {
  id: objectId(), problem: Joi.string(), symptoms: Joi.string().allow(''), solution: Joi.string(), product: Joi.string().allow(''),
  category: Joi.string(), tags: Joi.array().items(Joi.string()), archived: Joi.boolean(), archivedAt: moment().allow(null),
  archivedById: objectId().allow(null), sourceCaseId: objectId().allow(null).description('the case the entry was made from'),
  uses: Joi.number().integer().min(0).description('how many cases the entry helped solve'),
  version: Joi.number().integer().min(1).description('how many versions the entry has had, this one included; /versions lists the earlier ones'),
  createdById: objectId(), createdByName: Joi.string(),
  editedById: objectId().description('the author of this version'), editedByName: Joi.string(), editedAt: moment(),
  createdAt: moment(), updatedAt: moment(),
};

export const knowledgeSchema = answer(entryKeys).id('Knowledge');

/** An entry in a search, a list or a case's suggestions: with a score when it was ranked. */
export const knowledgeListItemSchema = answer({
  ...entryKeys,
  score: Joi.number().min(0).optional()
    .description('when ranked: the weight of the words matched (problem and symptoms 3, solution 2, product, category and tags 1; a suggestion adds 2 for the case\'s category and 1 per shared tag)'),
}).id('KnowledgeListItem');
