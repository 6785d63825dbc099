import { runService } from './service.ts';

// `npm start`: the API and the job worker in one process.
await runService({ api: true, worker: true });
