import { Schema, Types, model } from 'mongoose';
import { insertManyTaken } from './db-compat.ts';
import { KnowledgeModel } from './knowledge.ts';

// Which cases each knowledge entry helped solve: one document per (entry, case), so counting the same use again, or
// twice at once, counts once. The entry's `uses` is the number of these documents.

const knowledgeUseSchema = new Schema(
  {
    knowledgeId: { type: Schema.Types.ObjectId, ref: 'Knowledge', required: true },
    caseId: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

// One use per entry and case; also counts an entry's uses.
knowledgeUseSchema.index({ knowledgeId: 1, caseId: 1 }, { unique: true });
// The entries used most in a period (the service report).
knowledgeUseSchema.index({ at: 1 });

export const KnowledgeUseModel = model('KnowledgeUse', knowledgeUseSchema, 'knowledge_uses');

/**
 * Records that the entry was used in the case; answers whether this call counted it (false when it was counted before).
 * `uses` is then set from the count of uses, raised only (`$max`): of several calls at once the last to count sees
 * every use, and a call that failed before updating the entry is made good by the next one.
 */
export async function recordUse(knowledgeId: Types.ObjectId, caseId: Types.ObjectId, userId: string, now = new Date()): Promise<boolean> {
  const taken = await insertManyTaken(KnowledgeUseModel, [{ knowledgeId, caseId, userId: new Types.ObjectId(userId), at: now }]);
  const uses = await KnowledgeUseModel.countDocuments({ knowledgeId });
  // Not an edit: the version (and so the ETag editors hold) and the edit time stay as they are.
  await KnowledgeModel.updateOne({ _id: knowledgeId }, { $max: { uses } }, { timestamps: false });
  return taken.size === 0;
}
