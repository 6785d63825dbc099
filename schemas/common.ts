import Joi from 'joi';

// What every API shape is built from, and how input is checked against one. Plain joi: no HTTP here, so a use case
// (the CSV import checks each row as a POST body) validates exactly as a route does.

export type FieldError = { field: string; message: string };

/**
 * Why a use case refused to act, for its caller to answer: 400 naming the fields, or 403 (the caller may not), 404
 * (what it names is not there for them), 409 (the record's state forbids it) with a message. `S` narrows the statuses.
 */
export type Refusal<S extends 403 | 404 | 409 = 403 | 404 | 409> = { status: 400; errors: FieldError[] } | { status: S; message: string };

/** Validates input against a schema and returns the typed, converted value; the input is never mutated. */
export function parse<T>(schema: Joi.Schema<T>, input: unknown): T {
  const { value, error } = schema.validate(input ?? {}, {
    abortEarly: false,
    stripUnknown: false,
    convert: true,
    errors: { wrap: { label: false } },
  });
  if (error) throw error;
  return value;
}

/** The field errors of a failed validation, as a 400 answer lists them. */
export function fieldErrors(err: Joi.ValidationError): FieldError[] {
  return err.details.map((d) => ({
    field: d.path.join('.') || String(d.context?.key ?? ''),
    message: d.message.replaceAll('"', ''),
  }));
}

/** An id as this service issues them: 24 hex digits (written as a pattern, not `.hex()`, so the OpenAPI document carries it). */
export const objectId = () => Joi.string().pattern(/^[0-9a-fA-F]{24}$/).messages({ 'string.pattern.base': '{#label} must be an id' });

/** Query keys every list accepts: `limit` (default 50, max 200) and the opaque `cursor` of the previous page. */
export const pageKeys = {
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(512).pattern(/^[A-Za-z0-9_-]+$/),
};

/**
 * The shape of an answer: every key is present unless marked `.optional()` (a nested object is an `answer` too).
 * Answers are documented from these and checked against the document in the tests, not at run time. Each key is
 * made required itself: joi-to-json loses an inherited presence on a key with messages of its own (an id).
 */
export const answer = (keys: Record<string, Joi.Schema>) => Joi.object(Object.fromEntries(Object.entries(keys)
  .map(([key, schema]) => [key, (schema.describe().flags as { presence?: string } | undefined)?.presence === 'optional' ? schema : schema.required()])));

/** A page of a list: its items and the cursor of the next page, null on the last. */
export const page = (item: Joi.Schema) => answer({ items: Joi.array().items(item), nextCursor: Joi.string().allow(null) });

/** A moment as answered: an ISO 8601 date-time string. */
export const moment = () => Joi.date().iso();
