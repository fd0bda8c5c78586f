/** The built web client (dist/web), read into memory once when first served, for the portal and console routes. */
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
  // Checked at start, so a function deployed without its web client fails at once, not on a first page.
  if (!existsSync(pagePath)) throw new Error(`web client not built: ${pagePath} is missing (run npm run build:web)`);
  const assetsDir = join(webDir, 'assets');
  // The console is optional: a web directory built before it existed still serves the portal.
  const adminPath = join(webDir, 'admin.html');
  // Each read on first use, then kept: an open (the portal's usual first request) serves none of them.
  let pickupPage: string | undefined;
  let adminPage: { page?: string } | undefined;
  let assets: Map<string, { body: Uint8Array; contentType: string }> | undefined;
  return {
    get pickupPage() {
      pickupPage ??= readFileSync(pagePath, 'utf8');
      return pickupPage;
    },
    get adminPage() {
      adminPage ??= existsSync(adminPath) ? { page: readFileSync(adminPath, 'utf8') } : {};
      return adminPage.page;
    },
    get assets() {
      // Kept only once every file is read: a read that fails is tried (and fails) again on the next
      // request, rather than leaving a partial set that answers 404 for the missing files for good.
      if (assets === undefined) {
        const read = new Map<string, { body: Uint8Array; contentType: string }>();
        for (const name of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
          const type = TYPES[extname(name)];
          if (type) read.set(name, { body: new Uint8Array(readFileSync(join(assetsDir, name))), contentType: type });
        }
        assets = read;
      }
      return assets;
    },
  };
}

/**
 * The Message Center inbox page (dist/web/inbox.html), when built. Its script and stylesheet are
 * ordinary assets (assets/inbox.js, assets/inbox.css), which loadWebAssets already serves.
 */
export function loadInboxAssets(webDir: string): InboxAssets {
  const inboxPath = join(webDir, 'inbox.html');
  let inbox: { page?: string } | undefined;
  return {
    get inboxPage() {
      inbox ??= existsSync(inboxPath) ? { page: readFileSync(inboxPath, 'utf8') } : {};
      return inbox.page;
    },
  };
}
