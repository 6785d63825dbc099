import { runService } from '../server/service.ts';

// `npm run worker`: the job worker alone; it drains running jobs on SIGTERM before it exits.
await runService({ api: false, worker: true });
