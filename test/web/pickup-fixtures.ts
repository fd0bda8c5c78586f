/**
 * Builders for the pickup page tests: a MIME message as the sender API composes it, sealed the way
 * the server seals it, and a secret with its access token.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import * as openpgp from 'openpgp';

import { deriveAccessToken, encodeSecret } from '../../functions/core/protocol/index.ts';

type MailOptions = ConstructorParameters<typeof MailComposer>[0];

/** A 4×4 red PNG, used as an inline (cid:) image. */
export const RED_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGO4o6YGRwzEcQDsoxKBT+rXhgAAAABJRU5ErkJggg==',
  'base64',
);

/** Every byte value twice: a download that re-encodes text or trims bytes changes this. */
export const BINARY_BYTES = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);

export function aMailMessage(overrides: Partial<MailOptions> = {}): MailOptions {
  return {
    from: { name: 'Alice Sender', address: 'alice@example.com' },
    to: [{ name: 'Bob Recipient', address: 'bob@example.org' }],
    cc: ['carol@example.net'],
    subject: 'Quarterly report',
    date: new Date('2026-03-14T09:26:53Z'),
    text: 'Hello Bob,\n\nThe report is attached.\n  Indented line stays indented.\n\nSee https://example.com/report for details.\n\nAlice',
    ...overrides,
  };
}

export async function composeMime(options: MailOptions): Promise<Uint8Array> {
  return new Uint8Array(await new MailComposer(options).compile().build());
}

/** Seals MIME bytes exactly as the contract describes: SEIPDv2, AES-256, password = the secret. */
export async function seal(mime: Uint8Array, secret: string | readonly string[]): Promise<Uint8Array> {
  return openpgp.encrypt({
    message: await openpgp.createMessage({ binary: mime }),
    passwords: typeof secret === 'string' ? [secret] : [...secret],
    format: 'binary',
    config: { aeadProtect: true, preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256, s2kIterationCountByte: 0 },
  });
}

export interface Credentials {
  readonly secret: string;
  readonly token: string;
}

export async function aSecret(): Promise<Credentials> {
  const secret = encodeSecret(crypto.getRandomValues(new Uint8Array(32)));
  return { secret, token: await deriveAccessToken(secret) };
}
