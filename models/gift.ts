import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { dayIn } from './time-zone.ts';

// The goodwill-gift ledger: append-only. A gift is one entry; a correction is a second entry, a reversal, that carries
// the negative cost and points at the gift it reverses; nothing is edited or deleted. The only write to an entry after
// it is stored is the decision on a gift that waited for approval, made once (conditional on its status).

export const reasonCategories = ['apology', 'goodwill', 'thanks', 'retention', 'other'] as const;
export type ReasonCategory = (typeof reasonCategories)[number];
export const entryKinds = ['gift', 'reversal'] as const;
export type EntryKind = (typeof entryKinds)[number];
/**
 * A gift is `applied` (within the giver's allowance) or `pending_approval` (beyond it), then `approved` or `rejected`.
 * A reversal carries the status of the spend it takes back (`applied` or `approved`), so that the entries of one status
 * sum to that spend with the reversals netted.
 */
export const giftStatuses = ['applied', 'pending_approval', 'approved', 'rejected'] as const;
export type GiftStatus = (typeof giftStatuses)[number];
/** The statuses that are spend: a reversal of either takes it back. */
export const spendStatuses = ['applied', 'approved'] as const;

const giftSchema = new Schema(
  {
    // The entry's natural key: `gift:<id>` for a gift, `reversal:<gift id>` for a reversal, so a gift is reversed at
    // most once even by two requests at the same moment (the unique index decides, on both engines).
    key: { type: String, required: true },
    kind: { type: String, enum: entryKinds, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    contactId: { type: Schema.Types.ObjectId, ref: 'Contact', default: null },
    caseId: { type: Schema.Types.ObjectId, ref: 'Case', default: null },
    item: { type: String, required: true, trim: true, maxlength: 200 },
    // Integer minor units of `currency`: positive for a gift, the gift's negative for its reversal.
    cost: { type: Number, required: true, validate: { validator: Number.isSafeInteger, message: 'cost must be an integer' } },
    currency: { type: String, required: true, match: /^[A-Z]{3}$/ },
    reasonCategory: { type: String, enum: reasonCategories, required: true },
    // Why the gift was given; for a reversal, why it was reversed.
    reason: { type: String, required: true, trim: true, maxlength: 2000 },
    // The month the spend counts in, on the organisation's clock (TZ); a reversal counts in its gift's month.
    month: { type: String, required: true, match: /^\d{4}-\d{2}$/ },
    status: { type: String, enum: giftStatuses, required: true },
    // Who gave the gift (on a reversal too, so the giver's ledger nets) and their team then, and who wrote this entry.
    // Top-level fields, not subdocuments: the embedded engine serves only top-level paths from its indexes.
    giverId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    giverName: { type: String, required: true },
    giverTeam: { type: String, default: '' },
    byId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    byName: { type: String, required: true },
    // The customer's tier and region when the gift was given, which the report groups and filters by.
    customerTier: { type: String, default: null },
    customerRegion: { type: String, default: null },
    // The gift a reversal takes back.
    reversesId: { type: Schema.Types.ObjectId, ref: 'Gift', default: null },
    // The decision on a gift that waited for approval.
    decidedById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    decidedByName: { type: String, default: null },
    decidedAt: { type: Date, default: null },
    decisionComment: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

giftSchema.index({ key: 1 }, { unique: true });
// GET /gifts?giverId=, newest first
giftSchema.index({ giverId: 1, _id: -1 });
// A giver's pending and approved spend of a month (GET /me/allowance)
giftSchema.index({ giverId: 1, month: 1 });
// GET /gifts?customerId= and a manager's list (the customers they may read)
giftSchema.index({ customerId: 1, _id: -1 });
// GET /gifts?caseId=
giftSchema.index({ caseId: 1, _id: -1 });
// GET /gifts?status=pending_approval (the approvals queue), newest first
giftSchema.index({ status: 1, _id: -1 });
// The report: the entries of the months of a period
giftSchema.index({ month: 1, status: 1 });
// The reversals of a page of gifts
giftSchema.index({ reversesId: 1 });
// The gifts.sweep job: the decisions and the reversals of the last days
giftSchema.index({ decidedAt: 1 });
giftSchema.index({ kind: 1, createdAt: 1 });

export type Gift = InferSchemaType<typeof giftSchema>;
export type GiftRecord = Gift & { _id: Types.ObjectId };
export const GiftModel = model('Gift', giftSchema, 'gifts');

/** The month (YYYY-MM) of an instant on the organisation's clock. */
export const monthIn = (timezone: string, at: Date) => dayIn(timezone, at).slice(0, 7);
