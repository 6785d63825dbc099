import Joi from 'joi';
import { MAX_REPORTED_ISSUES, importStates } from '../models/customer-import-job.ts';
import { answer, moment, objectId } from './common.ts';

// A CSV import run by the worker, as POST /customers/import (202) and GET /imports answer it.

const count = () => Joi.number().integer().min(0);

export const customerImportSchema = answer({
  id: objectId(),
  userId: objectId().description('who sent the file'),
  dryRun: Joi.boolean(),
  rows: count().description('data lines in the file'),
  state: Joi.string().valid(...importStates)
    .description('`failed` with `issues`: nothing was written; `done` with `notWritten`: those rows changed meanwhile'),
  checked: count().description('rows checked so far'),
  written: count().description('rows written so far'),
  attempts: count().description('runs so far: above 1, a worker stopped and the import was run again from the file (rows written before count as unchanged)'),
  summary: answer({ created: count(), updated: count(), unchanged: count() }).allow(null).description('once the file is checked'),
  issueCount: count(),
  issues: Joi.array().items(answer({ line: Joi.number().integer(), field: Joi.string().allow(''), message: Joi.string() }))
    .description(`the first ${MAX_REPORTED_ISSUES} problems, by line`),
  notWritten: Joi.array().items(Joi.string()).description('codes of the rows not written because their customer changed meanwhile'),
  error: Joi.string().allow(null),
  createdAt: moment(),
  startedAt: moment().allow(null),
  finishedAt: moment().allow(null),
}).id('CustomerImport');
