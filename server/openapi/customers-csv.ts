import type { Part } from './common.ts';

export const customersCsvPart: Part = { paths: {}, schemas: {} };
