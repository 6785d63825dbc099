import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { entryTerms, normalise, queryTerms, scoreOf } from './knowledge-terms.ts';

// The knowledge base: complaints and problems with their solutions, shared by the whole organisation, so the next
// person solves the same problem in minutes. An entry is edited in versions (the past ones in knowledge_versions, so
// the entry stays small) and archived, never deleted. `uses` counts the cases it helped solve (knowledge_uses).

const knowledgeSchema = new Schema(
  {
    problem: { type: String, required: true, trim: true, maxlength: 500 },
    symptoms: { type: String, default: '', trim: true, maxlength: 8000 },
    solution: { type: String, required: true, trim: true, maxlength: 8000 },
    product: { type: String, default: '', trim: true, maxlength: 200 },
    category: { type: String, required: true, trim: true, maxlength: 100 },
    // The category as compared (?category=, a case's suggestions): "Billing" and "billing" are one category.
    categoryKey: { type: String, required: true },
    // Stored normalised (NFKC, lower case), so ?tag= matches whatever case a tag was typed in.
    tags: { type: [String], default: [] },
    // The normalised search terms of the entry's text (models/knowledge-terms.ts), kept current by every write.
    terms: { type: [String], default: [] },
    archived: { type: Boolean, required: true, default: false },
    archivedAt: { type: Date, default: null },
    archivedById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    sourceCaseId: { type: Schema.Types.ObjectId, ref: 'Case', default: null },
    // `case:<id>` for an entry made from a case, `entry:<own id>` otherwise: unique, so a case becomes at most one entry.
    // (The unique index cannot be on sourceCaseId itself: the nulls of all other entries would collide, and neither
    // engine may use a partial or sparse index here.)
    sourceKey: { type: String, required: true },
    uses: { type: Number, required: true, default: 0, min: 0 },
    createdById: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    createdByName: { type: String, required: true },
    // The author and time of the current version.
    editedById: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    editedByName: { type: String, required: true },
    editedAt: { type: Date, required: true },
  },
  { timestamps: true },
);

// Search: the candidates sharing a query's terms (a multikey index: one key per term).
knowledgeSchema.index({ terms: 1 });
// GET /knowledge without q: most used first, then newest; and ?category=
knowledgeSchema.index({ archived: 1, uses: -1, _id: -1 });
knowledgeSchema.index({ categoryKey: 1, archived: 1, uses: -1, _id: -1 });
// GET /knowledge?tag= (multikey: one key per tag), most used first
knowledgeSchema.index({ tags: 1, archived: 1, uses: -1, _id: -1 });
// One entry per source case (POST /cases/:id/knowledge)
knowledgeSchema.index({ sourceKey: 1 }, { unique: true });

export type Knowledge = InferSchemaType<typeof knowledgeSchema>;
export type KnowledgeRow = Knowledge & { _id: Types.ObjectId; __v?: number; createdAt: Date; updatedAt: Date };
export const KnowledgeModel = model('Knowledge', knowledgeSchema, 'knowledge');

/** The fields a person writes. */
export const contentFields = ['problem', 'symptoms', 'solution', 'product', 'category', 'tags'] as const;
export type KnowledgeContent = { problem: string; symptoms: string; solution: string; product: string; category: string; tags: string[] };

/** Tags as stored: normalised, each once, empty ones dropped. */
export const normaliseTags = (tags: readonly string[]) => [...new Set(tags.map(normalise).filter(Boolean))];

/** What is stored beside the content for searching and filtering. */
export function derivedFields(content: KnowledgeContent) {
  const tags = normaliseTags(content.tags);
  return { tags, categoryKey: normalise(content.category), terms: entryTerms({ ...content, tags }) };
}

/** An entry as answered: its version is the number of versions it has had, this one included. */
export function knowledgeView(row: KnowledgeRow, score?: number) {
  const id = (v: unknown) => (v ? String(v) : null);
  return {
    id: String(row._id), problem: row.problem, symptoms: row.symptoms, solution: row.solution, product: row.product,
    category: row.category, tags: row.tags, archived: row.archived, archivedAt: row.archivedAt ?? null, archivedById: id(row.archivedById),
    sourceCaseId: id(row.sourceCaseId), uses: row.uses, version: (row.__v ?? 0) + 1,
    createdById: String(row.createdById), createdByName: row.createdByName,
    editedById: String(row.editedById), editedByName: row.editedByName, editedAt: row.editedAt,
    createdAt: row.createdAt, updatedAt: row.updatedAt,
    ...(score === undefined ? {} : { score }),
  };
}

export type KnowledgeFilter = { category?: string; tag?: string; archived: boolean };

/** The filter of a list, from validated scalars. */
export function listFilter(f: KnowledgeFilter): Record<string, unknown> {
  return {
    archived: f.archived,
    ...(f.category ? { categoryKey: normalise(f.category) } : {}),
    ...(f.tag ? { tags: normalise(f.tag) } : {}),
  };
}

/** How many candidates a search ranks at most: the most used of those sharing a term, so a common word stays fast. */
export const MAX_CANDIDATES = 500;

type Ranked = { row: KnowledgeRow; score: number };
const byRank = (a: Ranked, b: Ranked) => b.score - a.score || b.row.uses - a.row.uses || (String(b.row._id) > String(a.row._id) ? 1 : -1);

/** The entries matching the query's words, best first (score, then uses, then newest); empty for a query without words. */
export async function searchKnowledge(q: string, filter: KnowledgeFilter): Promise<Ranked[]> {
  const terms = queryTerms(q);
  if (!terms.length) return [];
  const rows = await KnowledgeModel.find({ ...listFilter(filter), terms: { $in: terms } })
    .sort({ uses: -1, _id: -1 }).limit(MAX_CANDIDATES).lean<KnowledgeRow[]>();
  return rows.map((row) => ({ row, score: scoreOf(row, terms) })).sort(byRank);
}

/** What a case's category and each tag it shares add to an entry's score when suggested for it. */
export const suggestionWeights = { category: 2, tag: 1 } as const;

/**
 * Entries that may solve a case, best first: those sharing its words (subject first) or tags, ranked by the words
 * matched, plus the most used of its category; a shared category and each shared tag add to the score. Archived
 * entries are left out.
 */
export async function suggestionsFor(kase: { category: string; tags?: string[]; subject: string; description: string }, limit = 5) {
  const terms = queryTerms(`${kase.subject}\n${kase.description}`);
  const tags = normaliseTags(kase.tags ?? []);
  const categoryKey = normalise(kase.category);
  const shared = [...(terms.length ? [{ terms: { $in: terms } }] : []), ...(tags.length ? [{ tags: { $in: tags } }] : [])];
  const [matching, ofCategory] = await Promise.all([
    shared.length
      ? KnowledgeModel.find({ archived: false, $or: shared }).sort({ uses: -1, _id: -1 }).limit(MAX_CANDIDATES).lean<KnowledgeRow[]>()
      : [],
    KnowledgeModel.find({ categoryKey, archived: false }).sort({ uses: -1, _id: -1 }).limit(limit).lean<KnowledgeRow[]>(),
  ]);
  const rows = new Map([...matching, ...ofCategory].map((row) => [String(row._id), row]));
  return [...rows.values()]
    .map((row) => ({
      row,
      score: scoreOf(row, terms) + (row.categoryKey === categoryKey ? suggestionWeights.category : 0)
        + row.tags.filter((t) => tags.includes(t)).length * suggestionWeights.tag,
    }))
    .sort(byRank).slice(0, limit)
    .map(({ row, score }) => knowledgeView(row, score));
}

/** Of these ids, the entries that exist and are not archived (a case resolved with them counts them as used). */
export async function activeEntryIds(ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await KnowledgeModel.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, archived: false }, { _id: 1 }).lean();
  return new Set(rows.map((r) => String(r._id)));
}
