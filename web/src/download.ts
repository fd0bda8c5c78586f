/**
 * The download of a large message — one the sender sealed on its own machine (docs/protocol.md
 * §21.2) — with a progress bar: "Downloading 12.0 of 25.3 MiB", then "Decrypting…". The open
 * already counted the view and answered with the parts' URLs; lib/part-download.ts fetches and
 * decrypts them, and this module draws it under the ready view's spinner line, which it hides
 * meanwhile. Screen readers hear each quarter of the download and the decryption through the
 * page's polite live region, not every update of the bar.
 *
 * A part that keeps failing after its retries (the connection dropped) is offered again with
 * "Resume download": the URLs last 15 minutes, and resuming spends nothing. Expired URLs, a message
 * withdrawn meanwhile and a message that will not decrypt come back to the page, which says so.
 *
 * Built as its own asset (assets/download.js, web/build.ts) with its stylesheet beside it; the
 * pickup page imports it only when an open answers with parts, so ordinary messages never load it.
 */
import type { PartLink } from './lib/api.ts';
import { h } from './lib/dom.ts';
import { downloadAndDecrypt, type DownloadOutcome, type Progress } from './lib/part-download.ts';

const KiB = 1024;
const MiB = KiB * KiB;
/** "12.0 of 25.3 MiB"; a message under 1 MiB in whole KiB ("2 of 5 KiB"). */
const amounts = (done: number, total: number): string => total >= MiB
  ? `${(done / MiB).toFixed(1)} of ${(total / MiB).toFixed(1)} MiB`
  : `${Math.floor(done / KiB)} of ${Math.ceil(total / KiB)} KiB`;

const TEXT = {
  downloading: (done: number, total: number) => `Downloading ${amounts(done, total)}`,
  decrypting: 'Decrypting…',
  interrupted: 'The download was interrupted. Check your connection, then resume: nothing is lost and no view is used.',
  resume: 'Resume download',
  // Only an open gives new links, and it counts as a view: the recipient decides, from the email.
  expired: 'The download links of this message have expired. Open the link in your email again to download it.',
} as const;

/** What the page shows for a download that ended without the message; the expired links come with their own sentence. */
export type DownloadResult = Exclude<DownloadOutcome, { kind: 'expired' }> | { readonly kind: 'expired'; readonly text: string };

/**
 * Downloads and decrypts `parts` with `key`, the bar under the ready view's spinner line
 * (`#progress`), announced through its live region (`#status`); removes the bar when done.
 * `onDecrypting` is the page's own "Decrypting…" state, once every part is in.
 */
export async function downloadMessage(parts: readonly PartLink[], key: string, onDecrypting: () => void): Promise<DownloadResult> {
  loadStylesheet();
  const label = h('p', { id: 'download-label', class: 'download-label' });
  const bar = h('progress', { id: 'download-bar', class: 'download-bar', 'aria-labelledby': 'download-label' });
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: '' }, TEXT.interrupted);
  const resume = h('button', { type: 'button', class: 'button', hidden: '' }, TEXT.resume);
  const block = h('div', { id: 'download', class: 'download' }, label, bar, problem, resume);
  const anchor = document.getElementById('progress') ?? document.body;
  const announce = (text: string): void => {
    const status = document.getElementById('status');
    if (status) status.textContent = text;
  };
  const busy = anchor.closest('[aria-busy]');
  anchor.after(block);
  anchor.hidden = true;

  // The page already said "Downloading the message…": then a quarter, a half, three quarters.
  let quarter = 0;
  let phase: Progress['phase'] | undefined;
  const show = ({ phase: now, done, total }: Progress): void => {
    const text = now === 'download' ? TEXT.downloading(done, total) : TEXT.decrypting;
    label.textContent = text;
    bar.max = total;
    bar.value = done;
    bar.setAttribute('aria-valuetext', now === 'download' ? amounts(done, total) : text);
    // The page's own "Decrypting…" state says it to screen readers too.
    if (now === 'decrypt' && phase !== 'decrypt') onDecrypting();
    else if (now === 'download' && Math.floor((4 * done) / total) > quarter) {
      quarter = Math.floor((4 * done) / total);
      if (quarter < 4) announce(text);
    }
    phase = now;
  };
  show({ phase: 'download', done: 0, total: parts.reduce((sum, part) => sum + part.bytes, 0) });

  try {
    const outcome = await downloadAndDecrypt(parts, key, {
      onProgress: show,
      onInterrupted: () => new Promise<void>((resolve) => {
        problem.hidden = resume.hidden = false;
        busy?.setAttribute('aria-busy', 'false');
        announce(TEXT.interrupted);
        resume.focus();
        resume.onclick = () => {
          problem.hidden = resume.hidden = true;
          busy?.setAttribute('aria-busy', 'true');
          resolve();
        };
      }),
    });
    return outcome.kind === 'expired' ? { kind: 'expired', text: TEXT.expired } : outcome;
  } finally {
    block.remove();
    anchor.hidden = false;
  }
}

/** Adds download.css beside this module, once (the CSP allows same-origin stylesheets). */
function loadStylesheet(): void {
  const href = new URL('download.css', import.meta.url).href;
  const links = Array.from(document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]'));
  if (!links.some((link) => link.href === href)) document.head.append(h('link', { rel: 'stylesheet', href }));
}
