/**
 * Sealing and opening 10 MiB as the product does — sealed with the sender API's sealer (the
 * protocol's own, core/protocol/openpgp-seal.ts, its chunks on node:crypto's AES-GCM), opened with the protocol's WebCrypto
 * decryptor (the page's) — against the floor no sealing can beat: the same bytes encrypted and
 * decrypted once with raw AES-256-GCM (node:crypto). openpgp.js's own seal and open are measured too
 * (data only: nothing in the product runs openpgp.js; it is the tests' oracle).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decrypt, encodeSecret } from '../../functions/core/protocol/index.ts';
import { composeSealer } from '../../functions/entries/compose/sender.ts';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { median } from './cold-start.ts';

export interface SealOpen {
  readonly bytes: number;
  readonly sealOpenMs: number;
  readonly rawAesGcmMs: number;
  /** Median of the per-round ratios (each round times both, back to back). */
  readonly ratio: number;
  readonly sealMs: number;
  readonly openMs: number;
  /** openpgp.js 6 sealing the same bytes with sealpost's configuration (what the server used before): data only. */
  readonly openpgpSealMs: number;
  readonly openpgpOpenMs: number;
}

/** Each timed run starts from a collected heap when the bench runs with --expose-gc, so one run's garbage is not the next one's pause. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  collect();
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function rawAesGcm(key: Buffer, plaintext: Uint8Array): void {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(cipher.getAuthTag());
  Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

export async function measureSealOpen(runs: number, bytes = 10 * 1024 * 1024): Promise<SealOpen> {
  // The sender API's own sealer, composed as its entry composes it (chunks on node:crypto's AES-GCM).
  const sealer = composeSealer();
  const openpgp = new OpenPgpSealer();
  const plaintext = new Uint8Array(randomBytes(bytes));
  const secret = encodeSecret(new Uint8Array(randomBytes(32)));
  const key = randomBytes(32);
  let sealed = await sealer.seal(plaintext, [secret]);
  const check = (opened: Uint8Array) => { if (opened.length !== bytes) throw new Error('seal + open lost bytes'); };
  check(await decrypt(sealed, secret)); // warm-up, every side
  check(await openpgp.open(await openpgp.seal(plaintext, [secret]), secret));
  rawAesGcm(key, plaintext);
  // Interleaved, so that a busy moment of the machine does not fall on one side only.
  const seal: number[] = [];
  const open: number[] = [];
  const raw: number[] = [];
  const openpgpSeal: number[] = [];
  const openpgpOpen: number[] = [];
  for (let i = 0; i < runs; i++) {
    seal.push(await timed(async () => { sealed = await sealer.seal(plaintext, [secret]); }));
    open.push(await timed(async () => check(await decrypt(sealed, secret))));
    raw.push(await timed(() => rawAesGcm(key, plaintext)));
    let theirs = sealed;
    openpgpSeal.push(await timed(async () => { theirs = await openpgp.seal(plaintext, [secret]); }));
    openpgpOpen.push(await timed(async () => check(await openpgp.open(theirs, secret))));
  }
  const sealOpen = seal.map((s, i) => s + (open[i] as number));
  return {
    bytes, sealOpenMs: median(sealOpen), rawAesGcmMs: median(raw), ratio: median(sealOpen.map((t, i) => t / (raw[i] as number))),
    sealMs: median(seal), openMs: median(open), openpgpSealMs: median(openpgpSeal), openpgpOpenMs: median(openpgpOpen),
  };
}
