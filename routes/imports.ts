import { Router } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { CustomerImportModel, importJson } from '../models/customer-import-job.ts';
import { authenticate, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';

const importListSchema = Joi.object<{ limit: number; cursor?: string }>(pageKeys);

// CSV imports run by the worker (POST /customers/import of a large file answers 202 with one of these).
export function importsRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config));

  // An import sent to the worker: its progress, then its outcome. Its sender's, or any for an admin.
  router.get('/:id', async (req, res) => {
    const user = currentUser(req);
    const job = await CustomerImportModel.findById(idParam(String(req.params.id), 'import')).lean();
    if (!job || (String(job.userId) !== user.id && user.role !== 'admin')) throw new HttpError(404, 'Not found', 'No import with this id.');
    res.json(importJson(job));
  });

  router.get('/', async (req, res) => {
    const user = currentUser(req);
    const input = parse(importListSchema, req.query);
    const filter: Record<string, unknown> = { ...idsBefore(input.cursor), ...(user.role === 'admin' ? {} : { userId: new Types.ObjectId(user.id) }) };
    res.json(newestPage(await CustomerImportModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean(), input.limit, importJson));
  });

  return router;
}
