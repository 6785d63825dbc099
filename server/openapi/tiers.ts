import type { Part } from './common.ts';

export const tiersPart: Part = { paths: {}, schemas: {} };
