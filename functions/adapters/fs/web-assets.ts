/** Loads the built web client (dist/web) into memory once, for the portal and console routes to serve. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { InboxAssets } from '../../core/message-center/index.ts';
import type { WebAssets } from '../../core/shared/index.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function loadWebAssets(webDir: string): WebAssets {
  const pagePath = join(webDir, 'pickup.html');
  if (!existsSync(pagePath)) throw new Error(`web client not built: ${pagePath} is missing (run npm run build:web)`);
  const assetsDir = join(webDir, 'assets');
  const assets = new Map<string, { body: Uint8Array; contentType: string }>();
  for (const name of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: new Uint8Array(readFileSync(join(assetsDir, name))), contentType: type });
  }
  // The console is optional: a web directory built before it existed still serves the portal.
  const adminPath = join(webDir, 'admin.html');
  return {
    pickupPage: readFileSync(pagePath, 'utf8'),
    ...(existsSync(adminPath) ? { adminPage: readFileSync(adminPath, 'utf8') } : {}),
    assets,
  };
}

/**
 * The Message Center inbox page (dist/web/inbox.html), when built. Its script and stylesheet are
 * ordinary assets (assets/inbox.js, assets/inbox.css), which loadWebAssets already serves.
 */
export function loadInboxAssets(webDir: string): InboxAssets {
  const inboxPath = join(webDir, 'inbox.html');
  return existsSync(inboxPath) ? { inboxPage: readFileSync(inboxPath, 'utf8') } : {};
}
