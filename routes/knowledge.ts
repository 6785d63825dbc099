import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { KnowledgeModel, knowledgeView, listFilter, searchKnowledge, type KnowledgeContent, type KnowledgeRow } from '../models/knowledge.ts';
import { pastVersions } from '../models/knowledge-versions.ts';
import { answer, moment, page } from '../schemas/common.ts';
import { knowledgeListItemSchema as listItemSchema, knowledgeSchema as entrySchema } from '../schemas/knowledge.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError, refusalError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, keptChanging, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, encodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';
import { createEntry, editEntry, entryFromCase, useEntry, type KnowledgeEdit } from '../usecases/knowledge-write.ts';

// The knowledge base, shared across the organisation: every signed-in user reads, writes and edits entries; archiving
// is for an entry's author and leadership. Search ranks entries by the words they share with the query, in any script.

const contentKeys = {
  problem: Joi.string().trim().min(1).max(500).description('what the customer ran into'),
  symptoms: Joi.string().trim().max(8000).allow('').description('how it showed'),
  solution: Joi.string().trim().min(1).max(8000),
  product: Joi.string().trim().max(200).allow(''),
  category: Joi.string().trim().min(1).max(100).description('compared without regard to case: Billing is billing'),
  tags: Joi.array().items(Joi.string().trim().min(1).max(50)).max(20).description('stored in lower case (NFKC), each once'),
};

const createSchema = Joi.object<KnowledgeContent>({
  problem: contentKeys.problem.required(), symptoms: contentKeys.symptoms.default(''), solution: contentKeys.solution.required(),
  product: contentKeys.product.default(''), category: contentKeys.category.required(), tags: contentKeys.tags.default([]),
}).id('KnowledgeCreate');
const patchSchema = Joi.object<KnowledgeEdit>({
  ...contentKeys,
  archived: Joi.boolean().description("true archives the entry, false restores it (its author, an executive or an admin); an archived entry's content is not edited"),
}).min(1).id('KnowledgePatch').description('The fields to change; each edit is a new version by its author');
const fromCaseSchema = Joi.object<Partial<KnowledgeContent>>(contentKeys).id('KnowledgeFromCase')
  .description("Overrides what is taken from the case: the problem from its subject, the symptoms from its description, its solution, category and tags");
const useSchema = Joi.object<{ caseId: string }>({ caseId: objectId().required().description('a case you can see') }).id('KnowledgeUse');
type ListQuery = { q?: string; category?: string; tag?: string; archived: boolean; limit: number; cursor?: string };
const listSchema = Joi.object<ListQuery>({
  q: Joi.string().trim().max(200).allow('').description('words in any script; CJK text matches by character pairs (卡纸 finds 打印机卡纸)'),
  category: Joi.string().trim().max(100),
  tag: Joi.string().trim().max(50),
  archived: Joi.boolean().default(false).description('true lists the archived entries instead'),
  ...pageKeys,
});

const versionSchema = answer({
  version: Joi.number().integer().min(1), problem: Joi.string(), symptoms: Joi.string().allow(''), solution: Joi.string(),
  product: Joi.string().allow(''), category: Joi.string(), tags: Joi.array().items(Joi.string()), archived: Joi.boolean(),
  editedById: objectId(), editedByName: Joi.string(), editedAt: moment(),
}).id('KnowledgeVersion');

const notFound = 'No such knowledge entry';
const changed = 'The entry changed since the ETag was read';

function sendEntry(res: Response, entry: KnowledgeRow, status = 200) {
  res.status(status).setHeader('ETag', etagOf(entry.__v ?? 0)).json(knowledgeView(entry));
}

async function entryFor(id: string | undefined): Promise<KnowledgeRow> {
  const entry = await KnowledgeModel.findById(idParam(id, 'knowledge entry')).lean<KnowledgeRow>();
  if (!entry) throw new HttpError(404, 'Not found', 'No knowledge entry with this id.');
  return entry;
}

const isOffset = (p: Record<string, unknown>) => Number.isInteger(p.o) && (p.o as number) >= 0;
const isUsesPosition = (p: Record<string, unknown>) => Number.isInteger(p.u) && typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id);

export const knowledgeOperations = [
  operation({
    method: 'get', path: '/api/v1/knowledge', tag: 'knowledge', access: 'signed-in',
    summary: 'Search the knowledge base, or list it by how often entries solved cases',
    description: 'With q, the entries sharing its words, best first (then most used, then newest; at most 500 are ranked). '
      + 'Without, most used first, then newest. category and tag narrow either; archived entries only with archived=true.',
    query: listSchema,
    responses: { 200: { description: 'A page of entries', body: page(listItemSchema) } },
    handler: async (_req, res, { query }) => {
      const filter = { category: query.category, tag: query.tag, archived: query.archived };
      if (query.q) {
        const offset = (decodeCursor(query.cursor, isOffset)?.o as number | undefined) ?? 0;
        const ranked = await searchKnowledge(query.q, filter);
        const more = ranked.length > offset + query.limit;
        res.json({
          items: ranked.slice(offset, offset + query.limit).map((r) => knowledgeView(r.row, r.score)),
          nextCursor: more ? encodeCursor({ o: offset + query.limit }) : null,
        });
        return;
      }
      const after = decodeCursor(query.cursor, isUsesPosition);
      const position = after && { uses: after.u as number, id: new Types.ObjectId(after.id as string) };
      const rows = await KnowledgeModel.find({
        ...listFilter(filter),
        ...(position ? { $or: [{ uses: { $lt: position.uses } }, { uses: position.uses, _id: { $lt: position.id } }] } : {}),
      }).sort({ uses: -1, _id: -1 }).limit(query.limit + 1).lean<KnowledgeRow[]>();
      res.json(toPage(rows, query.limit, (r) => ({ u: r.uses, id: String(r._id) }), (r) => knowledgeView(r)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/knowledge', tag: 'knowledge', access: 'signed-in',
    summary: 'Write a knowledge entry',
    body: createSchema,
    responses: { 201: { description: 'Created', headers: etagHeader, body: entrySchema } },
    handler: async (req, res, { body }) => {
      const entry = await createEntry(currentUser(req), body);
      res.location(`/api/v1/knowledge/${String(entry._id)}`);
      sendEntry(res, entry, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/knowledge/:id', tag: 'knowledge', access: 'signed-in',
    summary: 'Read a knowledge entry',
    responses: { 200: { description: 'The entry', headers: etagHeader, body: entrySchema }, 404: notFound },
    handler: async (req, res) => sendEntry(res, await entryFor(String(req.params.id))),
  }),

  operation({
    method: 'get', path: '/api/v1/knowledge/:id/versions', tag: 'knowledge', access: 'signed-in',
    summary: "An entry's earlier versions, newest first, each with its author and time",
    query: Joi.object<{ limit: number; cursor?: string }>(pageKeys),
    responses: { 200: { description: 'A page of earlier versions', body: page(versionSchema) }, 404: notFound },
    handler: async (req, res, { query }) => {
      const entry = await entryFor(String(req.params.id));
      const before = decodeCursor(query.cursor, (p) => Number.isInteger(p.v) && (p.v as number) >= 1)?.v as number | undefined;
      const rows = await pastVersions(entry._id, (entry.__v ?? 0) + 1, query.limit, before);
      res.json(toPage(rows, query.limit, (r) => ({ v: r.version }), ({ knowledgeId: _k, ...r }) => r));
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/knowledge/:id', tag: 'knowledge', access: 'signed-in',
    summary: 'Edit an entry (a new version by you), or archive or restore it',
    headers: ifMatchHeader, body: patchSchema,
    responses: {
      200: { description: 'The entry as edited', headers: etagHeader, body: entrySchema },
      403: 'Archiving or restoring is for the entry\'s author, an executive or an admin', 404: notFound,
      409: `An archived entry is not edited until it is restored; or: ${keptChanging('entry')}`, 412: changed,
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      const outcome = await applyToLatest(req, 'knowledge entry', async (version) => {
        const entry = await entryFor(String(req.params.id));
        if (version !== undefined && version !== (entry.__v ?? 0)) throw staleError('knowledge entry');
        return editEntry(user, entry, body);
      });
      if ('refused' in outcome) throw refusalError(outcome.refused);
      sendEntry(res, outcome.entry);
    },
  }),

  operation({
    method: 'post', path: '/api/v1/knowledge/:id/used', tag: 'knowledge', access: 'signed-in',
    summary: 'Count the entry as used in a case (once per case), and add it to the case',
    body: useSchema,
    responses: {
      200: { description: 'Counted before for this case: the entry as it is', headers: etagHeader, body: entrySchema },
      201: { description: 'Counted: the entry with its uses', headers: etagHeader, body: entrySchema },
      400: 'caseId is not a case you can see', 404: notFound, 409: 'The entry is archived',
    },
    handler: async (req, res, { body }) => {
      const outcome = await useEntry(currentUser(req), await entryFor(String(req.params.id)), body.caseId);
      if ('refused' in outcome) throw refusalError(outcome.refused);
      sendEntry(res, outcome.entry, outcome.counted ? 201 : 200);
    },
  }),

  operation({
    method: 'post', path: '/api/v1/cases/:id/knowledge', tag: 'knowledge', access: 'signed-in',
    summary: 'Turn a resolved or closed case into a knowledge entry linked to it',
    description: "The problem from the case's subject, the symptoms from its description, its solution, category and tags; "
      + "the body may override any of them. For the case's owner, executives and admins; a case becomes one entry at most.",
    body: fromCaseSchema, bodyOptional: true,
    responses: {
      201: { description: 'Created, and added to the case', headers: etagHeader, body: entrySchema },
      403: "Only the case's owner, an executive or an admin", 404: 'No such case, or one you may not see',
      409: 'The case is not resolved or closed, or was turned into an entry already (the detail names it)',
    },
    handler: async (req, res, { body }) => {
      const outcome = await entryFromCase(currentUser(req), idParam(String(req.params.id), 'case'), body ?? {});
      if ('refused' in outcome) throw refusalError(outcome.refused);
      res.location(`/api/v1/knowledge/${String(outcome.entry._id)}`);
      sendEntry(res, outcome.entry, 201);
    },
  }),
];
