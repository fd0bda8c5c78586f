/**
 * The browser's only crypto module. Everything secret-related on the pickup page happens here, in
 * three steps (see docs/protocol.md):
 *
 *   1. Read the secret from the link fragment. The fragment never leaves the browser: it is not sent
 *      in requests, and the page removes it from the address bar (and so from history) on load.
 *   2. Derive the message key (the secret, mixed with the passcode if the message has one), the
 *      access token and the link token with the module the server uses too, so both sides agree
 *      byte for byte. The tokens prove possession of the link (and passcode); they decrypt nothing.
 *   3. Decrypt the ciphertext the server returned. The OpenPGP password is the message key. The
 *      decryptor is the protocol module's too (core/protocol/openpgp-subset.ts): the fixed RFC 9580
 *      subset sealpost seals, with WebCrypto alone, so the page carries no OpenPGP library.
 *
 * A recovery link (Message Center) carries its own secret R instead of the recipient's: the open
 * answer then holds the recipient's secret S wrapped under R, unwrapped here (unwrapRecoveredSecret,
 * AES-GCM under HKDF(R)), and the message key is derived from S as in step 2.
 *
 * The secret, passcode and key are kept only in memory by the caller: never stored, logged or sent.
 */
import {
  canonicalSecret, createDecryptor, decrypt, deriveAccessToken, deriveLinkToken, deriveMessageKey, isWellFormedSecret, unwrapRecoveredSecret,
  type DecryptOptions, type Decryptor,
} from '../../../functions/core/protocol/index.ts';

export { deriveAccessToken, deriveLinkToken, deriveMessageKey, isWellFormedSecret, unwrapRecoveredSecret };

/**
 * Returns the secret carried by a link fragment (`location.hash`, with or without its `#`), and the
 * grant after it when the fragment is `<secret>:<grant>` (the Message Center's link after a
 * sign-in), or null when the fragment is missing or malformed — a link cut short while being copied,
 * for instance. Punctuation a mail client glued to the end of the link (`…#secret).`) is ignored;
 * a 44th key character is not, since it means the link was altered. The secret comes back in its
 * canonical spelling (canonicalSecret), so it derives the tokens and the password it was sealed with.
 * A recovery link's fragment is `recover:<R>` (`recovery: true`): the page then needs no passcode.
 */
export function credentialsFromFragment(hash: string): { secret: string; grant?: string; recovery?: true } | null {
  const match = /^#?(recover:)?([A-Za-z0-9_-]{43})(?::([A-Za-z0-9_-]{43}))?(?:[^A-Za-z0-9_-]|$)/.exec(hash);
  const secret = canonicalSecret(match?.[2] ?? '');
  if (secret === undefined || match === null) return null;
  if (match[1] !== undefined) return match[3] === undefined ? { secret, recovery: true } : null;
  return match[3] === undefined ? { secret } : { secret, grant: match[3] };
}

/** Raised when the ciphertext cannot be decrypted with the secret (damaged data or the wrong link). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Decrypts a binary OpenPGP message (v6 SKESK, SEIPD v2 with AES-256-GCM, password-encrypted with
 * the message key) and returns the plaintext bytes — an RFC 5322 message. A message sealed any other
 * way is refused (docs/protocol.md §3).
 */
export async function decryptMessage(ciphertext: Uint8Array, key: string): Promise<Uint8Array> {
  try {
    return await decrypt(ciphertext, key);
  } catch (cause) {
    // The page shows its own wording, whatever went wrong.
    throw new DecryptionError('the message could not be decrypted', { cause });
  }
}

/**
 * Decrypts a message as its parts arrive: `push` each part in order, then `finish`. Plaintext comes
 * out chunk by chunk as each is authenticated, but it is the whole message only once `finish`
 * resolves — nothing may be shown or saved as the message before that. Every failure is a
 * DecryptionError.
 */
export function createMessageDecryptor(key: string, options: DecryptOptions = {}): Decryptor {
  const decryptor = createDecryptor(key, options);
  const wrap = (work: Promise<Uint8Array>) => work.catch((cause: unknown) => {
    throw new DecryptionError('the message could not be decrypted', { cause });
  });
  return { push: (bytes) => wrap(decryptor.push(bytes)), finish: () => wrap(decryptor.finish()) };
}
