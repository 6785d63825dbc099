import Joi from 'joi';
import { roles } from '../models/user.ts';
import { answer, moment, objectId } from './common.ts';

// A user as answered: GET /me and the users routes answer this shape (the model's toJSON: no password hash, tokens,
// preferences or sessions).

/** A user's role; the users routes filter by it too. */
export const roleSchema = Joi.string().valid(...roles).id('Role');

export const userSchema = answer({
  id: objectId(),
  email: Joi.string().email({ tlds: false }),
  name: Joi.string(),
  role: roleSchema,
  team: Joi.string().allow(''),
  active: Joi.boolean().description('false: deactivated, cannot sign in'),
  createdAt: moment().optional(),
  updatedAt: moment().optional(),
}).id('User');
