import { csvColumns } from '../../models/customer-csv.ts';
import { INLINE_IMPORT_ROWS, MAX_IMPORT_ROWS, MAX_REPORTED_ISSUES, importStates } from '../../models/customer-import-job.ts';
import { errors, idParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';
import { customersPart } from './customers.ts';

const columns = csvColumns.join(',');
const objectId = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const date = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };

// The export takes the list's filters, without its paging and sort.
const listParameters = (customersPart.paths['/api/v1/customers'] as { get: { parameters: Array<{ name: string }> } }).get.parameters;
const filterParameters = listParameters.filter((p) => !['limit', 'cursor', 'sort'].includes(p.name));

const csv = (description: string) => ({ 'text/csv': { schema: { type: 'string', description } } });

export const customersCsvPart: Part = {
  paths: {
    '/api/v1/customers/export': {
      get: {
        tags: ['customers'], summary: 'Download the customers you may see as CSV (UTF-8 with BOM, sorted by name)', security: secured,
        parameters: filterParameters,
        responses: {
          200: {
            description: `One row per customer. Columns: ${columns}. Lists are joined with \`;\`, people are e-mail addresses, the parent `
              + 'is its code; a text cell starting with = + - @, tab or CR is prefixed with an apostrophe so spreadsheets do not run it.',
            headers: { 'Content-Disposition': { description: 'attachment; filename="customers-YYYY-MM-DD.csv"', schema: { type: 'string' } } },
            content: csv('CSV with a header row'),
          },
          400: errors[400], 401: errors[401],
        },
      },
    },
    '/api/v1/imports': {
      get: {
        tags: ['customers'], summary: 'Your CSV imports run by the worker, newest first (an admin sees all)', security: secured,
        parameters: [...pageParams],
        responses: { 200: { description: 'A page of imports', content: json(page('CustomerImport')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/imports/{id}': {
      parameters: [idParam],
      get: {
        tags: ['customers'], summary: 'A CSV import run by the worker: its progress, then its outcome', security: secured,
        responses: { 200: { description: 'The import', content: json(ref('CustomerImport')) }, 401: errors[401], 404: problem('No such import, or one of another user') },
      },
    },
    '/api/v1/customers/import': {
      post: {
        tags: ['customers'], summary: 'Create or update customers by code from CSV (managers and admins)', security: secured,
        description: 'Takes the export\'s columns (`code` and `name` required; `revenue12m` and `archived` are ignored). '
          + 'A column left out keeps the stored value; an empty cell clears it, except status, currency and ownerEmail which keep it. '
          + 'Every row is checked before anything is written: if one is bad, nothing is written. '
          + `A file of at most ${INLINE_IMPORT_ROWS} rows is imported while the request waits (200); a larger one, or any sent with `
          + '`Prefer: respond-async`, is imported by the worker: the answer is 202 with the import record, whose `Location` '
          + `reports progress and the outcome. At most ${MAX_IMPORT_ROWS} rows (lines) per file.`,
        parameters: [
          { name: 'dryRun', in: 'query', description: 'check only, write nothing', schema: { type: 'boolean', default: false } },
          { name: 'Prefer', in: 'header', description: '`respond-async`: import by the worker whatever the size', schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: csv(`CSV with a header row naming some of: ${columns}`) },
        responses: {
          200: { description: 'Imported (or, with dryRun, what would be)', content: json(ref('CustomerImportResult')) },
          202: {
            description: 'Queued for the worker; follow the Location', content: json(ref('CustomerImport')),
            headers: { Location: { description: '/api/v1/imports/{id}', schema: { type: 'string' } } },
          },
          400: { description: 'Bad rows; `errors` lists each with its line (the header is line 1); nothing was written', content: { 'application/problem+json': { schema: ref('CustomerImportProblem') } } },
          401: errors[401], 403: errors[403],
          409: problem('Some customers changed while the import ran; those are named and were not written, the other rows were'),
          413: problem(`The file is larger than 5 MB, or has more than ${MAX_IMPORT_ROWS} rows`),
          415: problem('The body is not text/csv'),
        },
      },
    },
  },
  schemas: {
    CustomerImport: {
      type: 'object',
      required: ['id', 'userId', 'dryRun', 'rows', 'state', 'checked', 'written', 'attempts', 'summary', 'issueCount', 'issues', 'notWritten', 'error', 'createdAt', 'startedAt', 'finishedAt'],
      properties: {
        id: objectId, userId: objectId, dryRun: { type: 'boolean' },
        rows: { type: 'integer', description: 'data lines in the file' },
        state: { enum: [...importStates], description: '`failed` with `issues`: nothing was written; `done` with `notWritten`: those rows changed meanwhile' },
        checked: { type: 'integer', description: 'rows checked so far' },
        written: { type: 'integer', description: 'rows written so far' },
        attempts: { type: 'integer', description: 'runs so far: above 1, a worker stopped and the import was run again from the file (rows written before count as unchanged)' },
        summary: { type: ['object', 'null'], properties: { created: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' } } },
        issueCount: { type: 'integer' },
        issues: { type: 'array', description: `the first ${MAX_REPORTED_ISSUES} problems, by line`, items: { type: 'object', properties: { line: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } } } },
        notWritten: { type: 'array', items: { type: 'string' } },
        error: { type: ['string', 'null'] },
        createdAt: date, startedAt: nullableDate, finishedAt: nullableDate,
      },
    },
    CustomerImportResult: {
      type: 'object', required: ['dryRun', 'created', 'updated', 'unchanged', 'rows'],
      properties: {
        dryRun: { type: 'boolean' }, created: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' },
        rows: {
          type: 'array',
          items: {
            type: 'object', required: ['line', 'code', 'action'],
            properties: {
              line: { type: 'integer' }, code: { type: 'string' }, action: { enum: ['created', 'updated', 'unchanged'] },
              id: { type: 'string', pattern: '^[0-9a-f]{24}$', description: 'absent for a new customer in a dry run' },
            },
          },
        },
      },
    },
    CustomerImportProblem: {
      allOf: [ref('Problem'), {
        type: 'object',
        properties: {
          errors: {
            type: 'array',
            items: {
              type: 'object', required: ['field', 'message'],
              properties: {
                line: { type: 'integer', description: "the row's line; absent when the query string itself is wrong (dryRun)" },
                field: { type: 'string', description: 'the column, empty for the row as a whole' }, message: { type: 'string' },
              },
            },
          },
        },
      }],
    },
  },
};
