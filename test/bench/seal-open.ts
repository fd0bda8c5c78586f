/**
 * Sealing and opening 10 MiB on the server (openpgp.js, as the sender API seals), against the floor
 * no sealing can beat: the same bytes encrypted and decrypted once with raw AES-256-GCM (node:crypto).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encodeSecret } from '../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../../functions/adapters/openpgp/sealer.ts';
import { median } from './cold-start.ts';

export interface SealOpen {
  readonly bytes: number;
  readonly sealOpenMs: number;
  readonly rawAesGcmMs: number;
  /** Median of the per-round ratios (each round times both, back to back). */
  readonly ratio: number;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
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
  const sealer = new OpenPgpSealer();
  const plaintext = new Uint8Array(randomBytes(bytes));
  const secret = encodeSecret(new Uint8Array(randomBytes(32)));
  const key = randomBytes(32);
  const roundTrip = async () => {
    const opened = await sealer.open(await sealer.seal(plaintext, [secret]), secret);
    if (opened.length !== bytes) throw new Error('seal + open lost bytes');
  };
  await roundTrip(); // warm-up, both sides
  rawAesGcm(key, plaintext);
  // Interleaved, so that a busy moment of the machine does not fall on one side only.
  const sealOpen: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < runs; i++) {
    sealOpen.push(await timed(roundTrip));
    raw.push(await timed(() => rawAesGcm(key, plaintext)));
  }
  return { bytes, sealOpenMs: median(sealOpen), rawAesGcmMs: median(raw), ratio: median(sealOpen.map((t, i) => t / (raw[i] as number))) };
}
