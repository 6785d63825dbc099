import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { insertManyTaken } from './db-compat.ts';
import type { KnowledgeRow } from './knowledge.ts';

// The past versions of knowledge entries, one document per version, so an entry edited many times stays small.
// A version is written before the edit that replaces it, and only once (the unique index): a crash between the two
// writes leaves a version that really existed, and two editors racing from the same version store it once.

const knowledgeVersionSchema = new Schema(
  {
    knowledgeId: { type: Schema.Types.ObjectId, ref: 'Knowledge', required: true },
    version: { type: Number, required: true, min: 1 },
    problem: { type: String, required: true },
    symptoms: { type: String, default: '' },
    solution: { type: String, required: true },
    product: { type: String, default: '' },
    category: { type: String, required: true },
    tags: { type: [String], default: [] },
    archived: { type: Boolean, required: true },
    editedById: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    editedByName: { type: String, required: true },
    editedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// An entry's versions, newest first (GET /knowledge/:id/versions); one document per version.
knowledgeVersionSchema.index({ knowledgeId: 1, version: -1 }, { unique: true });

export type KnowledgeVersion = InferSchemaType<typeof knowledgeVersionSchema>;
export const KnowledgeVersionModel = model('KnowledgeVersion', knowledgeVersionSchema, 'knowledge_versions');

/** Keeps the entry as it is now as a past version, unless it is kept already. */
export async function keepVersion(entry: KnowledgeRow): Promise<void> {
  const { problem, symptoms, solution, product, category, tags, archived, editedById, editedByName, editedAt } = entry;
  await insertManyTaken(KnowledgeVersionModel, [{
    knowledgeId: entry._id, version: (entry.__v ?? 0) + 1,
    problem, symptoms, solution, product, category, tags, archived, editedById, editedByName, editedAt,
  }]);
}

/** A page of an entry's past versions, newest first, before the version `before` (exclusive) when given. */
export async function pastVersions(knowledgeId: Types.ObjectId, current: number, limit: number, before?: number) {
  const below = Math.min(current, before ?? current);
  const rows = await KnowledgeVersionModel.find({ knowledgeId, version: { $lt: below } })
    .sort({ version: -1 }).limit(limit + 1).lean();
  return rows.map(({ _id, knowledgeId: entryId, ...rest }) => ({ ...rest, knowledgeId: String(entryId), editedById: String(rest.editedById) }));
}
