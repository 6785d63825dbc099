import { Types } from 'mongoose';
import { CaseModel, caseRole } from '../models/case.ts';
import { CustomerModel } from '../models/customer.ts';
import { isDuplicateKeyError } from '../models/db-compat.ts';
import { KnowledgeModel, contentFields, derivedFields, type KnowledgeContent, type KnowledgeRow } from '../models/knowledge.ts';
import { recordUse } from '../models/knowledge-uses.ts';
import { keepVersion } from '../models/knowledge-versions.ts';
import type { AuthUser } from '../models/user.ts';
import type { Refusal } from '../schemas/common.ts';

// What may happen to a knowledge entry: written by anyone signed in, edited in versions (each with its author),
// archived and restored by its author or leadership, made from a resolved case, and counted as used in a case. Plain
// functions of the caller and the records read, answering the entry written or why it was refused.

export type KnowledgeRefusal = Refusal<403 | 404 | 409>;
export type KnowledgeOutcome = { entry: KnowledgeRow } | { refused: KnowledgeRefusal };
export type KnowledgeEdit = Partial<KnowledgeContent> & { archived?: boolean };

const refused = (status: 403 | 404 | 409, message: string) => ({ refused: { status, message } });
const caseNotFound = () => refused(404, 'No case with this id.');

/** Writes a new entry by the user; from a case, linked to it (and refused by the unique index if it has one already). */
export async function createEntry(user: AuthUser, content: KnowledgeContent, sourceCaseId?: Types.ObjectId): Promise<KnowledgeRow> {
  const _id = new Types.ObjectId();
  const author = { id: new Types.ObjectId(user.id), name: user.name };
  const entry = await KnowledgeModel.create({
    _id, ...content, ...derivedFields(content), sourceCaseId: sourceCaseId ?? null,
    sourceKey: sourceCaseId ? `case:${String(sourceCaseId)}` : `entry:${String(_id)}`,
    createdById: author.id, createdByName: author.name, editedById: author.id, editedByName: author.name, editedAt: new Date(),
  });
  return entry.toObject() as KnowledgeRow;
}

/** Whether the user may archive or restore the entry: its author, an executive or an admin. */
export const canArchive = (user: AuthUser, entry: { createdById: unknown }) =>
  user.role === 'executive' || user.role === 'admin' || String(entry.createdById) === user.id;

/**
 * Applies an edit to the entry as it was read: a new version by the user, the one it replaces kept in
 * knowledge_versions. An edit that changes nothing answers the entry as it is. Written only if the entry is still at
 * the version read; null when another edit landed first, so the caller reads it again and retries.
 */
export async function editEntry(user: AuthUser, entry: KnowledgeRow, edit: KnowledgeEdit): Promise<KnowledgeOutcome | null> {
  const archived = edit.archived ?? entry.archived;
  if (archived !== entry.archived && !canArchive(user, entry)) {
    return refused(403, 'Only its author, an executive or an admin archives or restores an entry.');
  }
  const content = Object.fromEntries(contentFields.map((f) => [f, edit[f] ?? entry[f]])) as KnowledgeContent;
  const derived = derivedFields(content);
  const changed = contentFields.some((f) => JSON.stringify(f === 'tags' ? derived.tags : content[f]) !== JSON.stringify(entry[f]));
  if (!changed && archived === entry.archived) return { entry };
  if (changed && archived && entry.archived) return refused(409, 'An archived entry is not edited; restore it first (archived: false).');
  await keepVersion(entry);
  const now = new Date();
  const archiving = archived === entry.archived ? {} : archived
    ? { archived, archivedAt: now, archivedById: new Types.ObjectId(user.id) }
    : { archived, archivedAt: null, archivedById: null };
  const updated = await KnowledgeModel.findOneAndUpdate(
    { _id: entry._id, __v: entry.__v ?? 0 },
    { $set: { ...content, ...derived, ...archiving, editedById: new Types.ObjectId(user.id), editedByName: user.name, editedAt: now }, $inc: { __v: 1 } },
    { returnDocument: 'after', runValidators: true },
  ).lean<KnowledgeRow>();
  return updated && { entry: updated };
}

/** The case with this id and how the user stands to it; `none` for a case the user may not see, as for a missing one. */
async function caseFor(user: AuthUser, id: string) {
  const kase = await CaseModel.findById(id).lean();
  const customer = kase && await CustomerModel.findById(kase.customerId, { ownerId: 1, accountTeam: 1 }).lean();
  if (!kase || !customer) return { kase: null, role: 'none' as const };
  return { kase, role: caseRole(user, kase, customer) };
}

/** Adds the entry to the case's knowledge, once; a change of the case, so its version moves (other writers read it again). */
async function linkToCase(caseId: Types.ObjectId, knowledgeId: Types.ObjectId): Promise<void> {
  await CaseModel.updateOne({ _id: caseId, knowledgeIds: { $ne: knowledgeId } }, { $addToSet: { knowledgeIds: knowledgeId }, $inc: { __v: 1 } });
}

const alreadyTurned = (caseId: string, entryId: unknown) =>
  refused(409, `Case ${caseId} was turned into knowledge entry ${String(entryId)} already (/api/v1/knowledge/${String(entryId)}).`);

/**
 * Turns a resolved or closed case into an entry linked to it: the problem from its subject, the symptoms from its
 * description, its solution, category and tags; the given fields override these. The case's owner and leadership may.
 */
export async function entryFromCase(user: AuthUser, caseId: string, given: Partial<KnowledgeContent>): Promise<KnowledgeOutcome> {
  const { kase, role } = await caseFor(user, caseId);
  if (!kase || role === 'none') return caseNotFound();
  if (role !== 'owner' && role !== 'leadership') return refused(403, "Only the case's owner, an executive or an admin turns a case into knowledge.");
  if (kase.status !== 'resolved' && kase.status !== 'closed') {
    return refused(409, `Only a resolved or closed case becomes knowledge; this one is ${kase.status}.`);
  }
  const content: KnowledgeContent = {
    problem: kase.subject, symptoms: kase.description ?? '', solution: kase.solution ?? '', product: '', category: kase.category, tags: kase.tags ?? [],
    ...given,
  };
  if (!content.solution) return { refused: { status: 400, errors: [{ field: 'solution', message: 'the case has no solution to copy; give one' }] } };
  const existing = await KnowledgeModel.findOne({ sourceKey: `case:${caseId}` }, { _id: 1 }).lean();
  if (existing) {
    await linkToCase(kase._id, existing._id); // made good if a crash came between the entry and the link
    return alreadyTurned(caseId, existing._id);
  }
  try {
    const entry = await createEntry(user, content, kase._id);
    await linkToCase(kase._id, entry._id);
    return { entry };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const winner = await KnowledgeModel.findOne({ sourceKey: `case:${caseId}` }, { _id: 1 }).lean();
    return alreadyTurned(caseId, winner?._id);
  }
}

/**
 * Counts the entry as used in a case the user can see, once per case, and adds it to the case's knowledge. Answers the
 * entry and whether this call counted it.
 */
export async function useEntry(user: AuthUser, entry: KnowledgeRow, caseId: string): Promise<{ entry: KnowledgeRow; counted: boolean } | { refused: KnowledgeRefusal }> {
  const { kase, role } = await caseFor(user, caseId);
  if (!kase || role === 'none') return { refused: { status: 400, errors: [{ field: 'caseId', message: 'caseId must be a case you can see' }] } };
  if (entry.archived) return refused(409, 'An archived entry is not used; restore it first.');
  const counted = await recordUse(entry._id, kase._id, user.id);
  await linkToCase(kase._id, entry._id);
  const now = await KnowledgeModel.findById(entry._id).lean<KnowledgeRow>();
  return { entry: now ?? entry, counted };
}
