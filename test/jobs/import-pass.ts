import { handler } from '../../jobs/customers-import.ts';
import { loadConfig } from '../../server/config.ts';
import { connectDatabase } from '../../server/db.ts';

// One run of the import job in a process of its own, on the test database (MONGODB_URI): KA_FAILPOINT can SIGKILL it
// in the middle of writing (test/jobs/customers-import.test.ts).

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const db = await connectDatabase(config, () => undefined);
console.log(JSON.stringify(await handler({})));
await db.close();
