import { randomUUID } from 'node:crypto';
import type { Agenda } from 'agenda';
import request from 'supertest';
import { UserModel, hashPassword, type Role } from '../models/user.ts';
import { signAccessToken } from '../server/auth.ts';
import { app, config } from './setup.ts';

export const api = () => request(app);

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 8)}@test.local`;

export type TestUser = { id: string; email: string; password: string; role: Role; team: string };

// Hashing is slow on purpose; tests share one hash per password.
const hashes = new Map<string, Promise<string>>();

export async function createUser(fields: { role?: Role; team?: string; active?: boolean; password?: string; email?: string } = {}): Promise<TestUser> {
  const password = fields.password ?? 'correct horse battery staple';
  if (!hashes.has(password)) hashes.set(password, hashPassword(password));
  const role = fields.role ?? 'manager';
  const email = fields.email ?? uniqueEmail(role);
  const user = await UserModel.create({
    email, name: `Test ${role}`, role, team: fields.team ?? 'Test', active: fields.active ?? true,
    passwordHash: await hashes.get(password)!,
  });
  return { id: user.id as string, email: user.email, password, role, team: user.team ?? '' };
}

export function tokenFor(user: { id: string; role: Role }): string {
  return signAccessToken(config, user);
}

export const bearer = (user: { id: string; role: Role }) => ({ Authorization: `Bearer ${tokenFor(user)}` });

export async function login(user: TestUser) {
  const res = await api().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
  return res.body as { accessToken: string; refreshToken: string; tokenType: string; expiresIn: number };
}

export function expectProblem(res: request.Response, status: number) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers['content-type']}`);
  }
  const body = JSON.parse(res.text) as { type: string; title: string; status: number; detail?: string; errors?: { field: string; message: string }[] };
  if (body.status !== status || !body.type || !body.title) throw new Error(`not a problem document: ${res.text}`);
  return body;
}

let customerSeq = 0;
export const uniqueCode = (prefix = 'C') => `${prefix}-${Date.now().toString(36)}-${(customerSeq++).toString(36)}`.toUpperCase();

/** Creates a customer through the API as `owner` (a manager or an admin) and answers its JSON. */
export async function createCustomer(owner: TestUser, fields: Record<string, unknown> = {}) {
  const res = await api().post('/api/v1/customers').set(bearer(owner))
    .send({ code: uniqueCode(), name: `Customer ${uniqueCode('N')}`, ...fields });
  if (res.status !== 201) throw new Error(`createCustomer: ${res.status} ${res.text}`);
  return res.body as { id: string; code: string; name: string; ownerId: string; accountTeam: string[]; [key: string]: unknown };
}

/** Stands in for Agenda where a test checks only what a job registers and schedules: records the last define and every. */
export function recordingAgenda() {
  const calls: Record<'define' | 'every', unknown[] | undefined> = { define: undefined, every: undefined };
  const agenda = {
    define: (...args: unknown[]) => { calls.define = args; },
    every: async (...args: unknown[]) => { calls.every = args; },
  } as unknown as Agenda;
  return { agenda, calls };
}
