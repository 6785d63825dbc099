import Joi from 'joi';
import { isValidObjectId } from 'mongoose';
import { HttpError } from './errors.ts';

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

export const objectId = () => Joi.string().hex().length(24).messages({ 'string.hex': '{#label} must be an id', 'string.length': '{#label} must be an id' });

/** Checks a path id before it reaches a query: anything that is not an ObjectId answers 404, like an id that does not exist. */
export function idParam(value: string | undefined, what: string): string {
  if (typeof value !== 'string' || !isValidObjectId(value) || !/^[0-9a-f]{24}$/i.test(value)) {
    throw new HttpError(404, 'Not found', `No ${what} with this id.`);
  }
  return value;
}
