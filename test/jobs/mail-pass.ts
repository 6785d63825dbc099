import { handler } from '../../jobs/mail-send.ts';
import { loadConfig } from '../../server/config.ts';
import { connectDatabase } from '../../server/db.ts';

// One pass of the mail job in a process of its own, on the test database (MONGODB_URI) at MAIL_NOW, sending through
// SMTP_URL: KA_FAILPOINT can SIGKILL it in the middle of a send (test/jobs/mail-send.test.ts).

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const db = await connectDatabase(config, () => undefined);
const result = await handler(config, { now: process.env.MAIL_NOW });
console.log(JSON.stringify(result));
await db.close();
