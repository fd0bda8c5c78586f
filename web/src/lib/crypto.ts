/**
 * The browser's only crypto module. Everything secret-related on the pickup page happens here, in
 * three steps (see docs/protocol.md):
 *
 *   1. Read the secret from the link fragment. The fragment never leaves the browser: it is not sent
 *      in requests, and the page removes it from the address bar (and so from history) on load.
 *   2. Derive the access token from the secret with the module the server uses too, so both sides
 *      agree byte for byte. The token proves possession of the link; it cannot decrypt anything.
 *   3. Decrypt the ciphertext the server returned. The OpenPGP password is the secret string itself.
 *
 * The secret is kept only in memory by the caller: never stored, never logged, never sent.
 */
import { decrypt, readMessage } from 'openpgp/lightweight';

import { deriveAccessToken, isWellFormedSecret } from '../../../functions/core/access-token.ts';

export { deriveAccessToken, isWellFormedSecret };

/**
 * Returns the secret carried by a link fragment (`location.hash`, with or without its `#`), or null
 * when the fragment is missing or malformed — a link cut short while being copied, for instance.
 * Punctuation a mail client glued to the end of the link (`…#secret).`) is ignored; a 44th key
 * character is not, since it means the link was altered.
 */
export function secretFromFragment(hash: string): string | null {
  const candidate = /^#?([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)/.exec(hash)?.[1];
  return candidate !== undefined && isWellFormedSecret(candidate) ? candidate : null;
}

/** Raised when the ciphertext cannot be decrypted with the secret (damaged data or the wrong link). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Decrypts a binary OpenPGP message (SEIPDv2, password-encrypted with the secret) and returns the
 * plaintext bytes — an RFC 5322 message.
 *
 * Only what the sealpost protocol uses is bundled: web/build.ts replaces OpenPGP.js's lazily loaded
 * extras (public-key curves, legacy ciphers, bzip2, Argon2) with a stub that fails, so a message
 * sealed any other way is rejected here instead of pulling in code the page otherwise never needs.
 */
export async function decryptMessage(ciphertext: Uint8Array, secret: string): Promise<Uint8Array> {
  try {
    const message = await readMessage({ binaryMessage: ciphertext });
    const { data } = await decrypt({ message, passwords: [secret], format: 'binary' });
    return data;
  } catch (cause) {
    // OpenPGP.js messages can echo packet details; the page shows its own wording instead.
    throw new DecryptionError('the message could not be decrypted', { cause });
  }
}
