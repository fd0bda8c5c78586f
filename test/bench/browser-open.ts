/**
 * Opening a large message in the real pickup page in headless Chromium — from the press of "Open
 * message" to the message on screen: fetch → decrypt → parse → render — against the floor no page
 * can beat: one WebCrypto AES-256-GCM decrypt of as many bytes, in the same page. The message takes
 * the product's path for anything above 16 KiB: kept in the blob store in 4 MiB parts, its open
 * answers the parts' /blobs/ URLs, and the page loads assets/download.js, which downloads the parts
 * and decrypts them as they come (lib/part-download.ts). Also the peak memory of the tab's renderer
 * process while it opens (VmHWM, reset just before the press), the paint on its own (from the view
 * shown to its frame painted), and, in the same page, the other steps on their own: the open and
 * the parts fetched as the page fetches them (its own code, bundled here), and the page's
 * decryptor decrypting those parts as the page feeds it them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { composeMime } from '../../functions/core/messages/index.ts';
import { SubsetSealer } from '../../functions/core/protocol/index.ts';
import { UPLOAD_PART_BYTES } from '../../functions/core/messages/model.ts';
import { aSecret } from '../web/pickup-fixtures.ts';
import { startPickupServer } from '../web/pickup-server.ts';
import { launchChromium } from '../helpers/browser.ts';
import { median } from './cold-start.ts';

export interface BrowserOpen {
  /** The sealed message's size, as the page downloads it. */
  readonly bytes: number;
  readonly openMs: number;
  /** Of the open, the paint alone: from the message view shown (in the DOM) to the frame that draws it painted. */
  readonly paintMs: number;
  readonly aesGcmMs: number;
  /** Median of the per-run ratios (each run times both in the same page). */
  readonly ratio: number;
  /** The steps alone, in the same page: the open and its parts fetched as the page fetches them, and the page's decryptor on them. */
  readonly fetchMs: number;
  readonly decryptMs: number;
  /** Median of the per-run decrypt / AES-GCM ratios. */
  readonly decryptRatio: number;
  /** Peak resident memory of the tab's renderer process during the open. */
  readonly peakMiB: number;
}

/** A sealed message of about `bytes`: a short text and one attachment (base64 in the MIME, as the sender API composes it). */
async function sealedMessage(bytes: number, password: string): Promise<Uint8Array> {
  // base64 is 4/3 of the bytes, plus a line break per 76 characters.
  const attachment = new Uint8Array(Math.floor(((bytes - 4096) * 3) / 4 * (76 / 78)));
  for (let i = 0; i < attachment.length; i += 65536) crypto.getRandomValues(attachment.subarray(i, i + 65536));
  const mime = composeMime({
    from: { name: 'Bench', email: 'bench@example.com' }, to: [{ email: 'recipient@example.org' }], cc: [],
    subject: 'A large message', text: 'The file is attached.', messageId: 'bench', date: new Date(),
    attachments: [{ filename: 'large.bin', contentType: 'application/octet-stream', content: attachment }],
  }, (n) => crypto.getRandomValues(new Uint8Array(n)));
  return new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n))).seal(mime, [password]);
}

/** Renderer processes of the browser, by pid. */
async function renderers(browser: Browser): Promise<number[]> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; id: number }[] };
  await cdp.detach();
  return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
}

const peakKiB = (pid: number): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
/** Resets the kernel's peak-RSS mark of `pid` (proc(5), clear_refs "5"). */
const resetPeak = (pid: number): void => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/**
 * Presses "Open message" and resolves with the time until the message is on screen (in the page's
 * own clock): the message view shown with the text and the attachment list in it, and the frame
 * that draws it painted (a task queued from the next animation frame runs after its paint); and
 * the last part of it, from the view shown to that frame painted.
 */
function openInPage(page: Page): Promise<{ openMs: number; paintMs: number }> {
  return page.evaluate(() => new Promise<{ openMs: number; paintMs: number }>((resolve, reject) => {
    const view = document.getElementById('view-message') as HTMLElement;
    const failed = document.getElementById('view-error') as HTMLElement;
    const start = performance.now();
    const observer = new MutationObserver(() => {
      if (!view.hidden) {
        const shown = performance.now();
        observer.disconnect();
        if (!view.querySelector('.text-body')?.textContent?.includes('The file is attached.') || !view.querySelector('.attachment-list .attachment-meta')) {
          reject(new Error('the message view shows without its text or its attachment'));
          return;
        }
        requestAnimationFrame(() => setTimeout(() => {
          const painted = performance.now();
          resolve({ openMs: painted - start, paintMs: painted - shown });
        }));
      } else if (!failed.hidden) {
        observer.disconnect();
        reject(new Error(`the page failed: ${failed.textContent ?? ''}`));
      }
    });
    observer.observe(document.body, { attributes: true, subtree: true, attributeFilter: ['hidden'] });
    (document.getElementById('open-button') as HTMLButtonElement).click();
  }));
}

/** One WebCrypto AES-256-GCM decrypt of `bytes` bytes, in the page. */
function aesGcmInPage(page: Page, bytes: number): Promise<number> {
  return page.evaluate(async (length) => {
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data);
    const start = performance.now();
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed);
    return performance.now() - start;
  }, bytes);
}

/**
 * The steps on their own, with the page's own code (api.ts's open, part-download.ts's fetching and
 * decrypting), bundled as the page bundles it, as a script for the bench to put into the page (CDP
 * evaluation, which the page's CSP does not govern): `__sealpostSteps` opens the message, fetches its
 * parts as the page does (fetchParts: a few at a time, in order) and times that; then feeds them to
 * the page's decryptor as the page does (createPartDecryptor) and times that.
 */
async function stepsScript(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `
        import { openMessage } from './web/src/lib/api.ts';
        import { createPartDecryptor, fetchParts } from './web/src/lib/part-download.ts';
        globalThis.__sealpostSteps = async ({ id, token, key }) => {
          const start = performance.now();
          const opened = await openMessage(id, { token });
          if (opened.kind !== 'parts') throw new Error('the open did not answer with parts: ' + opened.kind);
          const parts = [];
          const failure = await fetchParts(opened.parts, async (bytes) => { parts.push(bytes); });
          if (failure) throw new Error('a part failed: ' + failure.kind);
          const fetched = performance.now();
          const decryptor = createPartDecryptor(key, parts.reduce((sum, part) => sum + part.length, 0));
          for (const part of parts) decryptor.push(part).catch(() => undefined);
          await decryptor.finish();
          return { fetchMs: fetched - start, decryptMs: performance.now() - fetched };
        };`,
      resolveDir: join(import.meta.dirname, '..', '..'), loader: 'ts',
    },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

function stepsInPage(page: Page, id: string, token: string, key: string): Promise<{ fetchMs: number; decryptMs: number }> {
  return page.evaluate(`__sealpostSteps(${JSON.stringify({ id, token, key })})`) as Promise<{ fetchMs: number; decryptMs: number }>;
}

export async function measureBrowserOpen(webDir: string, sizes: readonly number[], runs: number): Promise<BrowserOpen[]> {
  const script = await stepsScript();
  const server = await startPickupServer(webDir);
  const browser = await launchChromium();
  const results: BrowserOpen[] = [];
  try {
    for (const [n, size] of sizes.entries()) {
      const { secret, token } = await aSecret();
      const ciphertext = await sealedMessage(size, secret);
      const id = `bench-${n}`;
      // As the portal keeps every message above 16 KiB: in the blob store, in 4 MiB parts.
      server.messages.set(id, { token, ciphertext, blobPartBytes: UPLOAD_PART_BYTES });
      const opens: number[] = [];
      const paints: number[] = [];
      const floors: number[] = [];
      const peaks: number[] = [];
      const fetches: number[] = [];
      const decrypts: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${server.origin}/m/${id}#${secret}`);
        await page.waitForSelector('#open-button:not([disabled])');
        const pids = await renderers(browser);
        pids.forEach(resetPeak);
        const { openMs, paintMs } = await openInPage(page);
        const peak = Math.max(...pids.map(peakKiB)) / 1024;
        const aesGcmMs = await aesGcmInPage(page, ciphertext.length);
        await page.evaluate(script);
        const steps = await stepsInPage(page, id, token, secret);
        await context.close();
        if (run === 0) continue; // warm-up: the browser's first page pays its own start
        opens.push(openMs);
        paints.push(paintMs);
        floors.push(aesGcmMs);
        peaks.push(peak);
        fetches.push(steps.fetchMs);
        decrypts.push(steps.decryptMs);
      }
      const over = (times: readonly number[]) => median(times.map((t, i) => t / (floors[i] as number)));
      results.push({
        bytes: ciphertext.length, openMs: median(opens), paintMs: median(paints), aesGcmMs: median(floors), ratio: over(opens), peakMiB: Math.max(...peaks),
        fetchMs: median(fetches), decryptMs: median(decrypts), decryptRatio: over(decrypts),
      });
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}
