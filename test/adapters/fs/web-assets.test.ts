/**
 * loadWebAssets: a deployment without its web client fails when the function starts; the page and
 * the assets are read when first served (a cold open reads none of them), then kept.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInboxAssets, loadWebAssets } from '../../../functions/adapters/fs/web-assets.ts';

function webDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'pickup.html'), '<p>first</p>');
  writeFileSync(join(dir, 'assets', 'pickup.js'), 'one()');
  writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served');
  return dir;
}

describe('loadWebAssets', () => {
  it('refuses at once a directory without the pickup page', () => {
    expect(() => loadWebAssets(mkdtempSync(join(tmpdir(), 'sealpost-empty-')))).toThrow(/pickup\.html is missing/);
  });

  it('reads each file when it is first asked for, and keeps what it read', () => {
    const dir = webDir();
    const web = loadWebAssets(dir);
    // Changed after loading, before first use: what is served is what is read then.
    writeFileSync(join(dir, 'pickup.html'), '<p>second</p>');
    writeFileSync(join(dir, 'assets', 'pickup.js'), 'two()');
    expect(web.pickupPage).toBe('<p>second</p>');
    expect(new TextDecoder().decode(web.assets.get('pickup.js')?.body)).toBe('two()');
    expect(web.assets.get('pickup.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(web.assets.has('notes.txt')).toBe(false);
    writeFileSync(join(dir, 'pickup.html'), '<p>third</p>');
    writeFileSync(join(dir, 'assets', 'pickup.js'), 'three()');
    expect(web.pickupPage).toBe('<p>second</p>');
    expect(new TextDecoder().decode(web.assets.get('pickup.js')?.body)).toBe('two()');
  });

  it('has no console page when none was built, and serves it when it was', () => {
    const dir = webDir();
    expect(loadWebAssets(dir).adminPage).toBeUndefined();
    writeFileSync(join(dir, 'admin.html'), '<p>console</p>');
    expect(loadWebAssets(dir).adminPage).toBe('<p>console</p>');
  });

  it('reads the inbox page when it is first asked for', () => {
    const dir = webDir();
    const inbox = loadInboxAssets(dir);
    writeFileSync(join(dir, 'inbox.html'), '<p>inbox</p>');
    expect(inbox.inboxPage).toBe('<p>inbox</p>');
    expect(loadInboxAssets(webDir()).inboxPage).toBeUndefined();
  });

  it('keeps no partial set of assets when a read fails: the next request reads them all again', () => {
    const dir = webDir();
    mkdirSync(join(dir, 'assets', 'broken.js')); // a directory where a file should be: its read fails
    const web = loadWebAssets(dir);
    expect(() => web.assets).toThrow();
    expect(() => web.assets).toThrow();
    rmSync(join(dir, 'assets', 'broken.js'), { recursive: true });
    expect([...web.assets.keys()].sort()).toEqual(['pickup.js']);
  });
});
