import { Router } from 'express';
import { authenticate } from '../server/auth.ts';
import type { Config } from '../server/config.ts';

// Shares its mount point with other routers, so authentication is attached per route, not with router.use:
// a request for a path no router has must still reach the 404 handler.
export function customersCsvRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);
  void auth;
  return router;
}
