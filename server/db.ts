import mongoose from 'mongoose';
import type { Config } from './config.ts';
import { startEmbeddedDb, type EmbeddedDb } from './embedded-db/engine.ts';

export type Database = { uri: string; embedded: EmbeddedDb | undefined; close: () => Promise<void> };

// Queries go to the driver at once instead of queueing in mongoose: while the server is away the driver waits for it
// up to serverSelectionTimeoutMS, then the request is answered 503 (server/errors.ts) and readiness reports it.
mongoose.set('bufferCommands', false);
mongoose.set('autoIndex', false);
mongoose.set('strictQuery', true);

/**
 * Connects mongoose to MONGODB_URI, or to an embedded FerretDB started (and restarted when it dies) in DATA_DIR when
 * none is given. `warn` hears of each restart of the embedded engine.
 */
export async function connectDatabase(config: Config, say: (line: string) => void = console.log, warn = say): Promise<Database> {
  const embedded = config.mongodbUri
    ? undefined
    : await startEmbeddedDb({ dataDir: config.dataDir, postgresqlUrl: config.ferretdbPostgresqlUrl, say, warn });
  const uri = config.mongodbUri ?? embedded!.uri;
  try {
    await mongoose.connect(uri, {
      // The embedded engine's URI names no database; a MONGODB_URI names its own.
      ...(embedded ? { dbName: 'key_accounts' } : {}),
      serverSelectionTimeoutMS: 5000,
      // A server that went away is probed every second (not every 10 s), so its return is seen soon after it is back.
      heartbeatFrequencyMS: 1000,
    });
    await syncAllIndexes();
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return {
    uri,
    embedded,
    close: async () => {
      await mongoose.disconnect();
      await embedded?.stop();
    },
  };
}

export async function syncAllIndexes(): Promise<void> {
  for (const model of Object.values(mongoose.models)) await model.syncIndexes();
}
