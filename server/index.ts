import { runService } from './service.ts';

// `npm run api`: the REST API alone; run `npm run worker` beside it for the jobs.
await runService({ api: true, worker: false });
