import { Types } from 'mongoose';
import { CaseModel, activeCaseStatuses, isOverdue } from './case.ts';
import { sumBy } from './db-compat.ts';

// The service side of a customer file: the cases still open and what the customer complained about over the last
// 12 months (every case is a complaint or a request the customer raised), by category.

export const OPEN_CASES_SHOWN = 20;

export type ServiceSummary = {
  openCount: number;
  openCases: Array<{
    id: string; subject: string; category: string; severity: string; status: string; ownerId: string; respondBy: Date; resolveBy: Date; overdue: boolean;
  }>;
  complaints12m: { since: Date; count: number; byCategory: Array<{ category: string; count: number }> };
};

export async function serviceSummary(customerId: Types.ObjectId | string, now = new Date()): Promise<ServiceSummary> {
  const id = new Types.ObjectId(String(customerId));
  const since = new Date(now);
  since.setUTCFullYear(since.getUTCFullYear() - 1);
  const open = { customerId: id, status: { $in: activeCaseStatuses } };
  const [rows, openCount, categories] = await Promise.all([
    CaseModel.find(open, { subject: 1, category: 1, severity: 1, status: 1, ownerId: 1, respondBy: 1, resolveBy: 1, respondedAt: 1 })
      .sort({ _id: -1 }).limit(OPEN_CASES_SHOWN).lean(),
    CaseModel.countDocuments(open),
    sumBy(CaseModel, { customerId: id, createdAt: { $gte: since } }, 'category', { count: 1 }),
  ]);
  const byCategory = categories.map((c) => ({ category: String(c.key), count: c.count }))
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
  return {
    openCount,
    openCases: rows.map((c) => ({
      id: String(c._id), subject: c.subject, category: c.category, severity: c.severity, status: c.status, ownerId: String(c.ownerId),
      respondBy: c.respondBy, resolveBy: c.resolveBy, overdue: isOverdue(c, now),
    })),
    complaints12m: { since, count: byCategory.reduce((sum, c) => sum + c.count, 0), byCategory },
  };
}
