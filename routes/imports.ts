import Joi from 'joi';
import { Types } from 'mongoose';
import { CustomerImportModel, importJson } from '../models/customer-import-job.ts';
import { page } from '../schemas/common.ts';
import { customerImportSchema } from '../schemas/customer-import.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';
import type { GetImportsQuery } from '../schemas/inputs.gen.ts';

const importListSchema = Joi.object<GetImportsQuery>(pageKeys);

/** CSV imports run by the worker (POST /customers/import of a large file answers 202 with one of these). */
export const importOperations = [
  // An import sent to the worker: its progress, then its outcome. Its sender's, or any for an admin.
  operation({
    method: 'get', path: '/api/v1/imports/:id', tag: 'customers', access: 'signed-in',
    summary: 'A CSV import run by the worker: its progress, then its outcome',
    responses: { 200: { description: 'The import', body: customerImportSchema }, 404: 'No such import, or one of another user' },
    handler: async (req, res) => {
      const user = currentUser(req);
      const job = await CustomerImportModel.findById(idParam(String(req.params.id), 'import')).lean();
      if (!job || (String(job.userId) !== user.id && user.role !== 'admin')) throw new HttpError(404, 'Not found', 'No import with this id.');
      res.json(importJson(job));
    },
  }),

  operation({
    method: 'get', path: '/api/v1/imports', tag: 'customers', access: 'signed-in',
    summary: 'Your CSV imports run by the worker, newest first (an admin sees all)',
    query: importListSchema,
    responses: { 200: { description: 'A page of imports', body: page(customerImportSchema) } },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const filter: Record<string, unknown> = { ...idsBefore(query.cursor), ...(user.role === 'admin' ? {} : { userId: new Types.ObjectId(user.id) }) };
      res.json(newestPage(await CustomerImportModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean(), query.limit, importJson));
    },
  }),
];
