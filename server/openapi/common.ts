// Building blocks shared by the per-resource parts of the OpenAPI document.

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object) => ({ 'application/json': { schema } });
export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
export const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{24}$' } };
export const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } },
];
export const secured = [{ bearer: [] }];
export const errors = {
  400: problem('Invalid input; `errors` names each field'),
  401: problem('Missing, invalid or expired access token'),
  403: problem('The role may not do this'),
};

export const etagHeader = { ETag: { description: 'version of the resource, for If-Match', schema: { type: 'string' } } };
export const ifMatchParam = {
  name: 'If-Match', in: 'header', schema: { type: 'string' },
  description: 'ETag from a previous read; a stale one gets 412 and changes nothing. Without it the change applies to the record as it is '
    + 'when the write lands (a write at the same moment goes first and is kept).',
};
/** The 409 of a write without If-Match whose record kept changing under it (server/etag.ts, applyToLatest). */
export const keptChanging = (what: string) => problem(`The ${what} kept changing while the change was applied (sent without If-Match); try again`);
export const page = (item: string) => ({
  type: 'object', required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } },
});
export type Part = { paths: Record<string, object>; schemas: Record<string, object> };
