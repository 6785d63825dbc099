import { CustomerImportFileModel, CustomerImportModel, IMPORT_LEASE_MS, MAX_REPORTED_ISSUES, type CustomerImport } from '../models/customer-import-job.ts';
import { UserModel, authUserOf } from '../models/user.ts';
import { importCustomers } from './customer-import.ts';
import { failpoint } from './failpoint.ts';

// The worker's side of a CSV import sent as a job (POST /customers/import of a large file answers 202): takes each
// import that is queued, or whose run stopped renewing its lease (a worker that died), and runs it from the file,
// reporting progress on the import as it goes. A run that finds its lease taken by another stops without a word.

/** Unexpected failures (the database away, say) of one import before it is given up as failed. */
const MAX_ATTEMPTS = 5;

class LeaseLost extends Error {}

/** Runs every import that is due at `now`, one after the other; answers how many it ran to an end. */
export async function runDueImports(now = () => new Date()): Promise<number> {
  let ran = 0;
  for (let job = await claimNext(now()); job; job = await claimNext(now())) {
    if (await runImport(job)) ran += 1;
  }
  return ran;
}

async function claimNext(now: Date): Promise<CustomerImport | null> {
  return CustomerImportModel.findOneAndUpdate(
    { $or: [{ state: 'queued' }, { state: { $in: ['checking', 'writing'] }, leaseUntil: { $lte: now } }] },
    { $set: { state: 'checking', leaseUntil: new Date(now.getTime() + IMPORT_LEASE_MS), startedAt: now, checked: 0, written: 0 }, $inc: { attempts: 1 } },
    { sort: { _id: 1 }, returnDocument: 'after' },
  ).lean<CustomerImport>();
}

/** Runs one claimed import; answers false when its lease went to another run meanwhile. */
async function runImport(job: CustomerImport): Promise<boolean> {
  const mine = { _id: job._id, attempts: job.attempts };
  const report = async (fields: Record<string, unknown>) => {
    const { matchedCount } = await CustomerImportModel.updateOne(mine, { $set: { ...fields, leaseUntil: new Date(Date.now() + IMPORT_LEASE_MS) } });
    if (matchedCount === 0) throw new LeaseLost();
  };
  const finish = async (fields: Record<string, unknown>) => {
    const { matchedCount } = await CustomerImportModel.updateOne(mine, { $set: { ...fields, leaseUntil: null, finishedAt: new Date() } });
    if (matchedCount) await CustomerImportFileModel.deleteOne({ _id: job._id });
  };
  try {
    const sender = await UserModel.findById(job.userId, { email: 1, name: 1, role: 1, team: 1, active: 1 }).lean();
    if (!sender?.active) {
      await finish({ state: 'failed', error: 'The account that sent the import is no longer active; nothing was written.' });
      return true;
    }
    const user = authUserOf(sender);
    const file = await CustomerImportFileModel.findById(job._id).lean();
    if (!file) {
      await finish({ state: 'failed', error: 'The file of this import is gone; send it again.' });
      return true;
    }
    const outcome = await importCustomers(user, file.text, {
      dryRun: job.dryRun,
      progress: {
        checked: (checked) => report({ checked }),
        writing: () => report({ state: 'writing' }),
        written: async (written) => {
          await report({ written });
          failpoint('import.written');
        },
      },
    });
    const counts = { summary: outcome.summary, issueCount: outcome.issues.length, issues: outcome.issues.slice(0, MAX_REPORTED_ISSUES) };
    if (outcome.issues.length) await finish({ ...counts, state: 'failed', error: `The file has ${outcome.issues.length} problem(s); nothing was written.` });
    else await finish({ ...counts, state: 'done', checked: outcome.rows.length, notWritten: outcome.notWritten });
    return true;
  } catch (err) {
    if (err instanceof LeaseLost) return false;
    // Tried again by a later run (the file is kept), unless it keeps failing.
    const message = (err as Error).message.slice(0, 500);
    if (job.attempts >= MAX_ATTEMPTS) await finish({ state: 'failed', error: `Stopped after ${job.attempts} attempts: ${message}` }).catch(() => undefined);
    else await CustomerImportModel.updateOne(mine, { $set: { leaseUntil: new Date(), error: message } }).catch(() => undefined);
    throw err;
  }
}
