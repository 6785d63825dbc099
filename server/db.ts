import mongoose from 'mongoose';
import type { Config } from './config.ts';
import { startEmbeddedDb, type EmbeddedDb } from './embedded-db/engine.ts';

export type Database = { uri: string; embedded: EmbeddedDb | undefined; close: () => Promise<void> };

// Queries fail at once while disconnected instead of queueing behind a dead server (readiness reports it).
mongoose.set('bufferCommands', false);
mongoose.set('autoIndex', false);
mongoose.set('strictQuery', true);

/** Connects mongoose to MONGODB_URI, or to an embedded FerretDB started in DATA_DIR when none is given. */
export async function connectDatabase(config: Config, say: (line: string) => void = console.log): Promise<Database> {
  const embedded = config.mongodbUri
    ? undefined
    : await startEmbeddedDb({ dataDir: config.dataDir, postgresqlUrl: config.ferretdbPostgresqlUrl, say });
  const uri = config.mongodbUri ?? embedded!.uri;
  try {
    await mongoose.connect(uri, {
      // The embedded engine's URI names no database; a MONGODB_URI names its own.
      ...(embedded ? { dbName: 'key_accounts' } : {}),
      serverSelectionTimeoutMS: 5000,
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
