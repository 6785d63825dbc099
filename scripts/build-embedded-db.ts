import { ensureEngineBinary } from '../server/embedded-db/engine.ts';

// `npm run db:build`: builds the embedded FerretDB ahead of time (npm start and npm test also build it when missing).
console.log(ensureEngineBinary());
