import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context } from 'hono';
import { ProblemError } from './problem.js';

// Swagger UI is served from the installed package, so the reference page works offline.
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const SPEC_URL = '/openapi.json';
/**
 * The page's own start-up script is an asset too (not inline), so the Content-Security-Policy of
 * /docs allows scripts from this origin only.
 */
const INIT_SCRIPT = "window.ui = SwaggerUIBundle({ url: document.getElementById('ui').dataset.spec, dom_id: '#ui', persistAuthorization: true });\n";
/** Asset name → how to serve it. A Map, so names like `constructor` or `__proto__` are simply unknown. */
const ASSETS = new Map<string, { type: string; body: () => string | Buffer }>([
  ['swagger-ui.css', { type: 'text/css; charset=utf-8', body: () => fs.readFileSync(path.join(swaggerDir, 'swagger-ui.css')) }],
  ['swagger-ui-bundle.js', { type: 'text/javascript; charset=utf-8', body: () => fs.readFileSync(path.join(swaggerDir, 'swagger-ui-bundle.js')) }],
  ['baton-docs.js', { type: 'text/javascript; charset=utf-8', body: () => INIT_SCRIPT }],
]);

export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui" data-spec="${SPEC_URL}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/baton-docs.js"></script>
</body></html>`;
}

export function swaggerAsset(c: Context, file: string): Response {
  const asset = ASSETS.get(file);
  if (!asset) throw new ProblemError(404, 'not-found', 'Not found', `No documentation asset ${file}.`);
  return c.body(asset.body() as never, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
}
