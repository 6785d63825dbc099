import type { Part } from './common.ts';

export const projectsPart: Part = { paths: {}, schemas: {} };
