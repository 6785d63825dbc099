import type { Part } from './common.ts';

export const tierPolicyPart: Part = { paths: {}, schemas: {} };
