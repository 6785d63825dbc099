import { Schema, model } from 'mongoose';

// One document per heartbeat source ('jobs' for the Agenda worker); /readyz reads it by _id.
const heartbeatSchema = new Schema(
  {
    _id: { type: String, required: true },
    beatAt: { type: Date, required: true },
    by: { type: String, required: true },
  },
  { versionKey: false },
);

export const HeartbeatModel = model('Heartbeat', heartbeatSchema, 'heartbeats');

export async function beat(source: string, by: string): Promise<void> {
  await HeartbeatModel.updateOne({ _id: source }, { $set: { beatAt: new Date(), by } }, { upsert: true });
}

export async function lastBeat(source: string): Promise<Date | undefined> {
  const doc = await HeartbeatModel.findById(source, { beatAt: 1 }).lean();
  return doc?.beatAt;
}
