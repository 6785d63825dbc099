import { Router } from 'express';
import type { Config } from '../server/config.ts';

export function reportsRouter(_config: Config): Router {
  return Router();
}
