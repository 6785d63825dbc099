import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';
import { endSession } from './user.ts';

const refreshTokenSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    // All tokens descended from one login; reuse of any of them revokes the lot.
    familyId: { type: String, required: true },
    // The token that was rotated into this one (`root:<familyId>` for the first), unique so that a token
    // can be rotated only once even when two refreshes race: the loser hits the index and counts as reuse.
    parentKey: { type: String, required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true },
);

// Refresh and logout look a token up by its hash; the token itself is never stored.
refreshTokenSchema.index({ tokenHash: 1 }, { unique: true });
// One child per token (see parentKey).
refreshTokenSchema.index({ parentKey: 1 }, { unique: true });
// Reuse revokes a family (a long session has thousands of rotated tokens: the index finds the live ones).
refreshTokenSchema.index({ familyId: 1, revokedAt: 1 });
// Deactivating a user revokes all of their tokens.
refreshTokenSchema.index({ userId: 1 });

export type RefreshToken = InferSchemaType<typeof refreshTokenSchema>;
export const RefreshTokenModel = model('RefreshToken', refreshTokenSchema, 'refresh_tokens');

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new refresh token and its family: the session its access tokens name (`sid`), ended when the family is revoked. */
export async function issueRefreshToken(
  userId: Types.ObjectId | string,
  ttlDays: number,
  parent?: { familyId: string; id: Types.ObjectId },
): Promise<{ token: string; familyId: string }> {
  const token = randomBytes(32).toString('base64url');
  const familyId = parent?.familyId ?? randomUUID();
  await RefreshTokenModel.create({
    userId,
    familyId,
    parentKey: parent ? String(parent.id) : `root:${familyId}`,
    tokenHash: hashOf(token),
    expiresAt: new Date(Date.now() + ttlDays * 86_400_000),
  });
  return { token, familyId };
}

export type Rotation = { ok: true; userId: Types.ObjectId; token: string; familyId: string } | { ok: false; reason: 'unknown' | 'expired' | 'reused' };

/** Exchanges a refresh token for a new one of the same family. A token presented twice revokes its whole family. */
export async function rotateRefreshToken(token: string, ttlDays: number): Promise<Rotation> {
  const current = await RefreshTokenModel.findOne({ tokenHash: hashOf(token) });
  if (!current) return { ok: false, reason: 'unknown' };
  if (current.usedAt || current.revokedAt) {
    await revokeFamily(current.familyId);
    return { ok: false, reason: 'reused' };
  }
  if (current.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
  let next: string;
  try {
    next = (await issueRefreshToken(current.userId, ttlDays, { familyId: current.familyId, id: current._id })).token;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await revokeFamily(current.familyId);
    return { ok: false, reason: 'reused' };
  }
  await RefreshTokenModel.updateOne({ _id: current._id }, { $set: { usedAt: new Date() } });
  return { ok: true, userId: current.userId, token: next, familyId: current.familyId };
}

/** Revokes every token of the family and ends its session (its access tokens are refused from the next request). */
export async function revokeFamily(familyId: string): Promise<void> {
  // The session first: should the process stop in between, a refresh still works but its access tokens do not.
  const member = await RefreshTokenModel.findOne({ familyId }, { userId: 1 }).lean();
  if (member) await endSession(member.userId, familyId);
  await RefreshTokenModel.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date() } });
}

/** Logout: revokes the family of this token, if it is one of ours. */
export async function revokeRefreshToken(token: string): Promise<void> {
  const found = await RefreshTokenModel.findOne({ tokenHash: hashOf(token) }, { familyId: 1 }).lean();
  if (found) await revokeFamily(found.familyId);
}

export async function revokeAllForUser(userId: Types.ObjectId | string): Promise<void> {
  await RefreshTokenModel.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date() } });
}
