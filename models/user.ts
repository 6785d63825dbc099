import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { jsonOptions } from './json.ts';

export const roles = ['admin', 'executive', 'manager'] as const;
export type Role = (typeof roles)[number];

/** Who a request or a job acts for: what the access rules and the audit trail need of a user. */
export type AuthUser = { id: string; email: string; name: string; role: Role; team: string };

/** A stored user (read with at least email, name, role and team) as the one a request or a job acts for. */
export const authUserOf = (u: { _id: unknown; email: string; name: string; role: Role; team?: string | null }): AuthUser =>
  ({ id: String(u._id), email: u.email, name: u.name, role: u.role, team: u.team ?? '' });

const userSchema = new Schema(
  {
    // Stored lowercased, so the unique index makes addresses unique case-insensitively.
    email: { type: String, required: true, trim: true, lowercase: true, maxlength: 254 },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    role: { type: String, required: true, enum: roles },
    team: { type: String, trim: true, maxlength: 100, default: '' },
    active: { type: Boolean, required: true, default: true },
    passwordHash: { type: String, required: true },
    // SHA-256 of the secret half of the calendar feed token (the token itself is shown once, at issue).
    calendarTokenHash: { type: String, default: null },
    // What the user chose of models/preferences.ts (language, time zone, digest hour, channels per kind); defaults apply to the rest.
    preferences: { type: Schema.Types.Mixed, default: null },
    // Sessions (refresh families) signed out within the last day, so their access tokens (at most a day long) are
    // refused at once; read with the user on every request, so this costs no query of its own.
    endedSessions: { type: [new Schema({ sid: String, until: Date }, { _id: false })], default: [] },
    sessionsVersion: { type: Number, default: 0 },
  },
  { timestamps: true, toJSON: jsonOptions(['passwordHash', 'calendarTokenHash', 'preferences', 'endedSessions', 'sessionsVersion']) },
);

// Login looks a user up by address.
userSchema.index({ email: 1 }, { unique: true });
// Admin list filtered by role.
userSchema.index({ role: 1, _id: 1 });

export type User = InferSchemaType<typeof userSchema>;
export type UserDocument = HydratedDocument<User>;
export const UserModel = model('User', userSchema, 'users');

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 };

/** Salted scrypt, stored as `scrypt$N$r$p$salt$hash` so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

// Compared against when the address is unknown, so both failures take the same time.
const dummyHash = hashPassword(randomBytes(16).toString('hex'));

/** The user for these credentials, or undefined; an unknown address, a wrong password and an inactive account look alike. */
export async function userByCredentials(email: string, password: string): Promise<UserDocument | undefined> {
  const user = await UserModel.findOne({ email: email.trim().toLowerCase() });
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  return user && ok && user.active ? user : undefined;
}

/** Which of these ids are active users; owner and team fields accept only those. */
export async function activeUserIds(ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const found = await UserModel.find({ _id: { $in: ids }, active: true }, { _id: 1 }).lean();
  return new Set(found.map((u) => String(u._id)));
}

// --- sessions ------------------------------------------------------------------------------------------------------

/** Longer than any access token lives (ACCESS_TOKEN_TTL_SECONDS is at most a day). */
const ENDED_SESSION_KEPT_MS = 24 * 60 * 60_000 + 60_000;

/**
 * Marks the user's session ended, so its access tokens are refused from the next request; entries older than any
 * access token are dropped on the way. Conditional on the list's version read (FerretDB 1.24 has no conditional
 * $pull), so two sign-outs at once both hold.
 */
export async function endSession(userId: unknown, sessionId: string, now = Date.now()): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const user = await UserModel.findById(userId, { endedSessions: 1, sessionsVersion: 1 }).lean();
    if (!user) return;
    const kept = (user.endedSessions ?? []).filter((s) => s.until && s.until.getTime() > now && s.sid !== sessionId);
    const { matchedCount } = await UserModel.updateOne(
      { _id: user._id, sessionsVersion: user.sessionsVersion ?? 0 },
      { $set: { endedSessions: [...kept, { sid: sessionId, until: new Date(now + ENDED_SESSION_KEPT_MS) }] }, $inc: { sessionsVersion: 1 } },
      { timestamps: false },
    );
    if (matchedCount === 1) return;
  }
  throw new Error('the account kept changing while a session was signed out');
}

/** Whether the user's session was signed out (or revoked) within the life of its access tokens. */
export const sessionEnded = (user: { endedSessions?: Array<{ sid?: string | null; until?: Date | null }> | null }, sessionId: string, now = Date.now()) =>
  (user.endedSessions ?? []).some((s) => s.sid === sessionId && s.until !== null && s.until !== undefined && s.until.getTime() > now);

// --- calendar feed tokens ------------------------------------------------------------------------------------------

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A new calendar feed token for the user, replacing the last one: `<userId>.<secret>`. The id finds the user by
 * index; only a hash of the secret is stored, so a database reader cannot subscribe to someone's calendar.
 */
export async function issueCalendarToken(userId: string): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  await UserModel.updateOne({ _id: userId }, { $set: { calendarTokenHash: sha256(secret) } });
  return `${userId}.${secret}`;
}

/** The active user a calendar token belongs to, or null (unknown, rotated away, or the user deactivated). */
export async function userForCalendarToken(token: string) {
  const match = /^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const user = await UserModel.findById(match[1], { name: 1, role: 1, active: 1, calendarTokenHash: 1 }).lean();
  if (!user?.active || !user.calendarTokenHash) return null;
  const given = Buffer.from(sha256(match[2]!), 'hex');
  return timingSafeEqual(given, Buffer.from(user.calendarTokenHash, 'hex')) ? user : null;
}
