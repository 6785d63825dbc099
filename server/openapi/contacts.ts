import type { Part } from './common.ts';

export const contactsPart: Part = { paths: {}, schemas: {} };
