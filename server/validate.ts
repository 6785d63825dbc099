import { isValidObjectId } from 'mongoose';
import { HttpError } from './errors.ts';

// The HTTP side of validation; the checks themselves are schemas/common.ts, shared with the use cases.
export { objectId, parse } from '../schemas/common.ts';

/** Checks a path id before it reaches a query: anything that is not an ObjectId answers 404, like an id that does not exist. */
export function idParam(value: string | undefined, what: string): string {
  if (typeof value !== 'string' || !isValidObjectId(value) || !/^[0-9a-f]{24}$/i.test(value)) {
    throw new HttpError(404, 'Not found', `No ${what} with this id.`);
  }
  return value;
}
