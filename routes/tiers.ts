import { Router } from 'express';
import type { Config } from '../server/config.ts';

export function tiersRouter(_config: Config): Router {
  return Router();
}
