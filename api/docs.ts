import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context } from 'hono';
import { ProblemError } from './problem.js';

// Swagger UI is served from the installed package, so the reference page works offline.
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;
}

export function swaggerAsset(c: Context, file: string): Response {
  const type = ASSETS[file];
  if (!type) throw new ProblemError(404, 'not-found', 'Not found', `No documentation asset ${file}.`);
  return c.body(fs.readFileSync(path.join(swaggerDir, file)), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
}
