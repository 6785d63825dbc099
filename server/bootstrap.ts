import { UserModel, hashPassword, type Role } from '../models/user.ts';
import type { Config } from './config.ts';
import { loadDemoBook } from './demo-data.ts';
import { demoPeople, loadDemoGifts } from './demo-gifts.ts';
import { loadDemoService } from './demo-service.ts';

export type DemoLogin = { email: string; password: string; role: Role; team: string; name: string };

// Known demo accounts, printed at start so a newcomer can sign in at once; never created in production by default.
export const demoLogins: DemoLogin[] = [
  { email: 'admin@demo.local', password: 'demo-admin-2026', role: 'admin', team: '', name: 'Ada Admin' },
  { email: 'exec@demo.local', password: 'demo-exec-2026', role: 'executive', team: '', name: 'Erin Executive' },
  { email: 'anna@demo.local', password: 'demo-anna-2026', role: 'manager', team: 'North', name: 'Anna Manager' },
  { email: 'ben@demo.local', password: 'demo-ben-2026', role: 'manager', team: 'South', name: 'Ben Manager' },
  { email: 'chen@demo.local', password: 'demo-chen-2026', role: 'manager', team: 'East', name: '陈静 (Chen Jing)' },
];

/**
 * On a database without users: creates the admin named by ADMIN_EMAIL, and the demo accounts when DEMO_DATA is on.
 * A database that already has users is never touched. Answers the demo logins it created.
 */
export async function bootstrapUsers(config: Config): Promise<{ admin?: string; demo: DemoLogin[]; demoCustomers?: number }> {
  if ((await UserModel.countDocuments({}).limit(1)) > 0) {
    // Remind of the demo logins on later starts, as long as those accounts are still there.
    if (!config.demoData) return { demo: [] };
    const present = await UserModel.find({ email: { $in: demoLogins.map((d) => d.email) } }, { email: 1 }).lean();
    return { demo: demoLogins.filter((d) => present.some((p) => p.email === d.email)) };
  }
  const result: { admin?: string; demo: DemoLogin[]; demoCustomers?: number } = { demo: [] };
  if (config.admin) {
    await UserModel.create({
      email: config.admin.email, name: 'Administrator', role: 'admin', passwordHash: await hashPassword(config.admin.password),
    });
    result.admin = config.admin.email;
  }
  if (config.demoData) {
    for (const demo of demoLogins) {
      if (demo.email === config.admin?.email) continue;
      const { password, ...fields } = demo;
      await UserModel.create({ ...fields, passwordHash: await hashPassword(password) });
      result.demo.push(demo);
    }
    const people = await UserModel.find({}, { name: 1, role: 1 }).lean();
    result.demoCustomers = await loadDemoBook(people);
    if (result.demoCustomers) {
      await loadDemoService(config.timezone);
      await loadDemoGifts(config.timezone, await demoPeople());
    }
  }
  return result;
}
