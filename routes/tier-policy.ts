import { Router } from 'express';
import type { Config } from '../server/config.ts';

export function tierPolicyRouter(_config: Config): Router {
  return Router();
}
