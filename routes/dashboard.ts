import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { operation } from '../server/operation.ts';

// The leadership dashboard: a static page (public/dashboard/, plain HTML and JS modules, no build step) that signs in
// with the API's accounts and draws the reports. Chart.js comes from its npm package and is served from here, not
// from a CDN, so the page works on a closed network and within the Content-Security-Policy ('self' scripts only).

const here = path.dirname(fileURLToPath(import.meta.url));
// From the sources (routes/) or the build (dist/routes/): the folder is at the package root either way.
const root = [path.resolve(here, '..'), path.resolve(here, '../..')].find((dir) => existsSync(path.join(dir, 'public/dashboard'))) ?? path.resolve(here, '..');
const pageDir = path.join(root, 'public/dashboard');
const chartDir = path.dirname(createRequire(import.meta.url).resolve('chart.js'));

/** The page's scripts, styles and the charting library; no operation of their own. */
export function dashboardAssets(): Router {
  return Router()
    .use('/dashboard/assets', express.static(pageDir, { index: false, fallthrough: false }))
    .use('/dashboard/vendor', express.static(chartDir, { index: false, fallthrough: false }));
}

export const dashboardOperations = [
  operation({
    method: 'get', path: '/dashboard', tag: 'operations', access: 'public',
    summary: 'The leadership dashboard (tiers, movements, satisfaction, visit discipline, plans, key accounts at risk) in the browser',
    description: 'Sign in with an API account; a manager sees the same page for their own book. Filters live in the query string '
      + '(`region`, `industry`, `team`, `period`), a customer at `#/customers/<id>`.',
    responses: { 200: { description: 'HTML page', content: { 'text/html': {} } } },
    handler: (_req, res) => {
      res.sendFile(path.join(pageDir, 'index.html'));
    },
  }),
];
