import type { Part } from './common.ts';

export const reportsPart: Part = { paths: {}, schemas: {} };
