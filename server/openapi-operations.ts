import type Joi from 'joi';
import joiToJson from 'joi-to-json';
import type { Answer, Operation } from './operation.ts';

// The package is CommonJS whose module.exports is the function; its types describe it as an ES default export.
const toJsonSchema = joiToJson as unknown as typeof joiToJson.parse;

// The OpenAPI paths of the declared operations (server/operation.ts), their joi schemas converted by joi-to-json.

type Schema = Record<string, unknown>;
type Description = {
  type?: string; flags?: { id?: string; presence?: string; description?: string };
  allow?: unknown[]; keys?: Record<string, Description>; items?: Description[]; rules?: Array<{ name: string; args?: { limit?: number } }>;
};

export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** Every operation may answer what no handler decides itself, always as a problem; the document says so once, as `default`. */
export const otherErrors = problem('Any other error (413 body too large, 415 wrong content type, 429 too many requests, 503 database away, 500)');

const rateLimitHeaders = {
  'RateLimit-Policy': { description: 'the limit: `"per-user";q=<requests>;w=<seconds>` (RATE_LIMIT_PER_MINUTE)', schema: { type: 'string' } },
  RateLimit: { description: 'what is left: `"per-user";r=<remaining>;t=<seconds until the window resets>`', schema: { type: 'string' } },
};
/** Every signed-in request counts against its user's limit (server/auth.ts). */
export const tooManyRequests = {
  ...problem('More requests in a minute than RATE_LIMIT_PER_MINUTE allows this user; wait Retry-After seconds'),
  headers: { ...rateLimitHeaders, 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } },
};

/** The operation's path as OpenAPI spells it: `/api/v1/customers/{id}` for Express's `/api/v1/customers/:id`. */
export const openapiPath = (op: Pick<Operation, 'path'>) => op.path.replace(/:(\w+)/g, '{$1}');

/** `get /api/v1/customers/{id}/tier` is `getCustomersIdTier`, for client generators and REST clients. */
export function operationIdOf(method: string, path: string): string {
  const words = path.replace(/^\/api(\/v1)?/, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * What joi-to-json loses, put back: a string that may also be empty (`.allow('')`) keeps its format, pattern or
 * minimum length for the non-empty case with the empty string as an alternative, and an object's `.min(n)` becomes
 * minProperties. Named schemas are mended where they are kept.
 */
function mendEmpty(described: Description, json: Schema, components: Record<string, Schema>): Schema {
  const named = described.flags?.id;
  if (named && json.$ref) {
    components[named] = mendEmpty({ ...described, flags: { ...described.flags, id: undefined } }, components[named]!, components);
    return json;
  }
  // joi-to-json drops an object's `.min(n)` (a patch that must change something)
  const fewest = described.type === 'object' ? described.rules?.find((r) => r.name === 'min')?.args?.limit : undefined;
  if (fewest !== undefined) json.minProperties = fewest;
  if (described.type === 'object' && described.keys && json.properties) {
    const properties = json.properties as Record<string, Schema>;
    for (const [key, inner] of Object.entries(described.keys)) if (properties[key]) properties[key] = mendEmpty(inner, properties[key], components);
  }
  if (described.type === 'array' && described.items?.length === 1 && json.items) json.items = mendEmpty(described.items[0]!, json.items as Schema, components);
  if (described.type === 'string' && described.allow?.includes('') && (json.format || json.pattern || json.minLength)) {
    const { description, ...rest } = json;
    return { ...(description ? { description } : {}), anyOf: [rest, { const: '' }] };
  }
  return json;
}

/**
 * joi-to-json writes the rule of an object's `.pattern(regex, rule)` both as patternProperties and as a property named
 * after the regex literal (`"/^[A-Z]{3}$/"`); the second would document a key no answer has.
 */
function dropPatternKeys(json: unknown): void {
  if (!json || typeof json !== 'object') return;
  const schema = json as Schema;
  if (schema.patternProperties && schema.properties) {
    const properties = schema.properties as Record<string, unknown>;
    for (const regex of Object.keys(schema.patternProperties)) delete properties[`/${regex}/`];
    if (!Object.keys(properties).length) delete schema.properties;
  }
  for (const inner of Object.values(schema)) dropPatternKeys(inner);
}

/** A joi schema as JSON Schema; a named one (`.id('Customer')`) is kept once in the components and referred to. */
export function jsonSchemaOf(schema: Joi.Schema, components: Record<string, Schema>): Schema {
  const { schemas = {}, ...converted } = toJsonSchema(schema as never, 'open-api-3.1') as Schema & { schemas?: Record<string, Schema> };
  dropPatternKeys(converted);
  dropPatternKeys(schemas);
  const json = mendEmpty(schema.describe() as Description, converted, schemas);
  for (const [name, named] of Object.entries(schemas)) {
    if (components[name] && JSON.stringify(components[name]) !== JSON.stringify(named)) {
      // two different shapes under one name would leave one of them undocumented
      throw new Error(`openapi: two different schemas are named ${name}`);
    }
    components[name] = named;
  }
  return json;
}

function parametersOf(where: 'query' | 'header' | 'path', schema: Joi.ObjectSchema, components: Record<string, Schema>, names?: string[]) {
  const keys = (schema.describe() as Description).keys ?? {};
  return (names ?? Object.keys(keys)).map((name) => {
    const { description, ...json } = jsonSchemaOf(schema.extract(name), components);
    const required = where === 'path' || keys[name]?.flags?.presence === 'required';
    return { name, in: where, ...(required ? { required } : {}), ...(description ? { description } : {}), schema: json };
  });
}

const idSchema = { type: 'string', pattern: '^[0-9a-fA-F]{24}$' };

function answerOf(answer: Answer, components: Record<string, Schema>): object {
  if (typeof answer === 'string') return problem(answer);
  // JSON, another type, or both (a report answered as JSON or CSV by the Accept header)
  const content = {
    ...(answer.body ? { 'application/json': { schema: jsonSchemaOf(answer.body, components) } } : {}),
    ...(answer.content && Object.fromEntries(Object.entries(answer.content).map(([type, { description }]) =>
      [type, description ? { schema: { type: 'string', description } } : {}]))),
  };
  return { description: answer.description, ...(answer.headers ? { headers: answer.headers } : {}), ...(Object.keys(content).length ? { content } : {}) };
}

function documented(op: Operation, path: string, components: Record<string, Schema>): object {
  const bearer = op.access !== 'public' && op.access !== 'metrics';
  const pathNames = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const declared = new Set(Object.keys((op.params?.describe() as Description | undefined)?.keys ?? {}));
  const parameters = [
    ...pathNames.map((name) => (declared.has(name) ? parametersOf('path', op.params!, components, [name])[0]! : { name, in: 'path', required: true, schema: idSchema })),
    ...(op.query ? parametersOf('query', op.query, components) : []),
    ...(op.headers ? parametersOf('header', op.headers, components) : []),
  ];
  const requestBody = op.body
    ? { required: !op.bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(op.body, components) } } }
    : op.rawBody && { required: true, content: Object.fromEntries(Object.entries(op.rawBody).map(([type, { description }]) => [type, { schema: { type: 'string', description } }])) };
  const own = Object.fromEntries(Object.entries(op.responses).map(([status, answer]) => [status, answerOf(answer, components)]));
  const responses = {
    default: otherErrors,
    ...(op.query || op.body ? { 400: problem('Invalid input; `errors` names each field') } : {}),
    ...(bearer ? { 401: problem('Missing, invalid or expired access token'), 429: tooManyRequests } : {}),
    ...(Array.isArray(op.access) ? { 403: problem(`Needs one of the roles: ${op.access.join(', ')}`) } : {}),
    ...own,
  };
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    operationId: op.operationId ?? operationIdOf(op.method, path),
    security: op.access === 'public' ? [] : op.access === 'metrics' ? [{ metrics: [] }] : [{ bearer: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

/** The paths of the operations and the named schemas they use. */
export function documentOperations(operations: readonly Operation[]): { paths: Record<string, Record<string, object>>; schemas: Record<string, Schema> } {
  const schemas: Record<string, Schema> = {};
  const paths: Record<string, Record<string, object>> = {};
  for (const op of operations) {
    const path = openapiPath(op);
    if (paths[path]?.[op.method]) throw new Error(`openapi: ${op.method} ${path} is declared twice`);
    (paths[path] ??= {})[op.method] = documented(op, path, schemas);
  }
  return { paths, schemas };
}
