import Joi from 'joi';

// What every API shape is built from, and how input is checked against one. Plain joi: no HTTP here, so a use case
// (the CSV import checks each row as a POST body) validates exactly as a route does.

export type FieldError = { field: string; message: string };

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

export const objectId = () => Joi.string().hex().length(24).messages({ 'string.hex': '{#label} must be an id', 'string.length': '{#label} must be an id' });

/** Query keys every list accepts: `limit` (default 50, max 200) and the opaque `cursor` of the previous page. */
export const pageKeys = {
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(512).pattern(/^[A-Za-z0-9_-]+$/),
};
