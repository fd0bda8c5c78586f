/**
 * Key custody of Message Center messages, shared by the server and the browser (WebCrypto and
 * core/encoding only: no Node API, so web/ can import it as it imports access-token.ts).
 *
 * Standard mode ("link" custody): a recipient's secret exists only in the notification email.
 *
 * Message Center mode: at send time, every recipient's 32-byte secret is also kept, in rid order,
 * concatenated and wrapped by KMS in ONE call per message (not per recipient: KMS is billed and
 * throttled per request), under the encryption context {tenantId, messageId, purpose}. KMS binds
 * that context to the ciphertext, so wrapped secrets copied onto another message (or tenant) do not
 * unwrap. The server unwraps a single secret for a signed-in recipient (their inbox) or for an
 * administrator's emergency recovery, and each unwrap is an audit event.
 *
 * Recovery links carry their own secret R (32 random bytes) after the `#`. The server keeps only
 *   wrappedSecret = iv (12 bytes) || AES-256-GCM(key = HKDF-SHA-256(R, salt = empty,
 *                                  info = "sealpost/v1 recovery-wrap", 32 bytes), plaintext = S)
 * and the hash of the *link token* derived from base64url(R) exactly as for a pickup link
 * (deriveLinkToken: from the fragment's secret alone, so it is the same whether or not the message
 * has a passcode). The pickup page, which sends the link token with every open, fetches the
 * ciphertext with it, receives wrappedSecret, and unwraps S itself (unwrapRecoveredSecret); the
 * server never holds R after the admin's request ends.
 */
import { deriveLinkToken, encodeSecret, hashAccessToken, isWellFormedSecret, SECRET_BYTES } from './access-token.ts';
import { ConflictError } from './errors.ts';
import { fromBase64Url, toBase64Url } from './encoding.ts';
import type { Custody, MessageHead } from './model.ts';
import type { KeyWrapper, RandomBytes } from './ports.ts';

/** The `purpose` of the KMS encryption context of wrapped recipient secrets. */
export const CUSTODY_PURPOSE = 'message-center';
/** HKDF info of the key that wraps a secret under a recovery link's own secret. */
export const RECOVERY_WRAP_INFO = 'sealpost/v1 recovery-wrap';
const IV_BYTES = 12;
/** A KMS Encrypt plaintext is at most 4,096 bytes: 128 secrets; a message has at most 100 recipients. */
export const MAX_WRAPPED_SECRETS = 4096 / SECRET_BYTES;

/** The reason a standard-mode message cannot be recovered (answered with 409). */
export const STANDARD_MODE_REASON = 'This message was sent in standard mode: its key was never stored, so it cannot be recovered.';

/** KMS encryption context of a message's wrapped secrets. */
export function custodyContext(tenantId: string, messageId: string): Record<string, string> {
  return { tenantId, messageId, purpose: CUSTODY_PURPOSE };
}

/**
 * Wraps every recipient's secret (32 bytes each, in rid order) with ONE KMS call. The concatenated
 * plaintext is zeroed afterwards (best effort: JavaScript cannot guarantee no copy remains).
 */
export async function wrapSecrets(keys: KeyWrapper, tenantId: string, messageId: string, secrets: readonly Uint8Array[]): Promise<Uint8Array> {
  if (secrets.length === 0 || secrets.length > MAX_WRAPPED_SECRETS) throw new RangeError(`between 1 and ${MAX_WRAPPED_SECRETS} secrets can be wrapped together`);
  const joined = new Uint8Array(secrets.length * SECRET_BYTES);
  secrets.forEach((secret, i) => {
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a secret has exactly ${SECRET_BYTES} bytes`);
    joined.set(secret, i * SECRET_BYTES);
  });
  try {
    return await keys.wrap(joined, custodyContext(tenantId, messageId));
  } finally {
    joined.fill(0);
  }
}

/** True when the message's secrets were kept (Message Center custody). */
export function hasKeptSecrets(head: Pick<MessageHead, 'custody' | 'wrappedSecrets'>): head is Pick<MessageHead, 'custody'> & { wrappedSecrets: Uint8Array } {
  return head.custody === 'message-center' && head.wrappedSecrets instanceof Uint8Array && head.wrappedSecrets.length > 0;
}

/**
 * Unwraps the secret of recipient `rid` (one KMS call). KMS checks the context, so wrapped secrets
 * moved onto another head fail here (DependencyError from the KeyWrapper). Only the one recipient's
 * 32 bytes leave this function; the rest of the plaintext is zeroed.
 */
export async function unwrapSecret(keys: KeyWrapper, head: Pick<MessageHead, 'id' | 'tenantId' | 'recipients' | 'custody' | 'wrappedSecrets'>, rid: string): Promise<Uint8Array> {
  if (!hasKeptSecrets(head)) throw new ConflictError(STANDARD_MODE_REASON);
  const index = head.recipients.findIndex((r) => r.rid === rid);
  if (index < 0) throw new RangeError(`no recipient ${rid} in this message`);
  const all = await keys.unwrap(head.wrappedSecrets, custodyContext(head.tenantId, head.id));
  try {
    if (all.length !== head.recipients.length * SECRET_BYTES) throw new Error('the unwrapped secrets do not match the recipients of this message');
    return all.slice(index * SECRET_BYTES, (index + 1) * SECRET_BYTES);
  } finally {
    all.fill(0);
  }
}

/** The custody fields of a new head: what the send path spreads into it. */
export type CustodyHeadFields =
  | { readonly custody: 'message-center'; readonly wrappedSecrets: Uint8Array }
  | { readonly custody: 'link' };

/**
 * The custody of a new message, decided by the tenant's setting *at send time*: turning Message
 * Center on wraps only messages sent from then on; turning it off stops wrapping new ones and
 * leaves those already wrapped as they are.
 */
export async function messageCenterHeadFields(
  keys: KeyWrapper,
  settings: { readonly messageCenter: boolean },
  tenantId: string,
  messageId: string,
  secrets: readonly Uint8Array[],
): Promise<CustodyHeadFields> {
  if (!settings.messageCenter) return { custody: 'link' };
  return { custody: 'message-center', wrappedSecrets: await wrapSecrets(keys, tenantId, messageId, secrets) };
}

/** One inbox entry per recipient of a Message Center message, written at send time. */
export interface InboxEntryInput {
  readonly tenantId: string;
  /** As sent; the store keys entries by a hash of its lower-case form. */
  readonly email: string;
  readonly messageId: string;
  readonly rid: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** The inbox entries of a new head: one per recipient for Message Center custody, none otherwise. */
export function inboxEntries(head: Pick<MessageHead, 'id' | 'tenantId' | 'createdAt' | 'expiresAt' | 'recipients'> & { readonly custody?: Custody }): InboxEntryInput[] {
  if (head.custody !== 'message-center') return [];
  return head.recipients.map((r) => ({ tenantId: head.tenantId, email: r.email, messageId: head.id, rid: r.rid, createdAt: head.createdAt, expiresAt: head.expiresAt }));
}

async function recoveryWrapKey(recoverySecret: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', recoverySecret as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(RECOVERY_WRAP_INFO) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

/** iv || AES-256-GCM(HKDF(R), S): a secret wrapped under a recovery link's own secret R. */
export async function wrapForRecovery(recoverySecret: Uint8Array, secret: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
  if (recoverySecret.length !== SECRET_BYTES || secret.length !== SECRET_BYTES || iv.length !== IV_BYTES) throw new RangeError('recovery wrap needs a 32-byte R, a 32-byte secret and a 12-byte iv');
  const key = await recoveryWrapKey(recoverySecret, 'encrypt');
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer> }, key, secret as Uint8Array<ArrayBuffer>));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv, 0);
  out.set(sealed, IV_BYTES);
  return out;
}

/** Raised by the browser (and tests) when a wrapped secret does not open with the link's R. */
export class RecoveryUnwrapError extends Error {
  override readonly name = 'RecoveryUnwrapError';
}

/**
 * The browser's side of a recovery link: unwraps the message secret S from the server's
 * `Sealpost-Wrapped-Secret` (base64url, or bytes) with the link's secret R (the fragment). Returns
 * S as the 43-character secret string the pickup page decrypts with.
 */
export async function unwrapRecoveredSecret(recoverySecret: string, wrapped: string | Uint8Array): Promise<string> {
  if (!isWellFormedSecret(recoverySecret)) throw new RecoveryUnwrapError('malformed recovery secret');
  let bytes: Uint8Array;
  try {
    bytes = typeof wrapped === 'string' ? fromBase64Url(wrapped) : wrapped;
  } catch {
    throw new RecoveryUnwrapError('malformed wrapped secret');
  }
  if (bytes.length !== IV_BYTES + SECRET_BYTES + 16) throw new RecoveryUnwrapError('malformed wrapped secret');
  try {
    const key = await recoveryWrapKey(fromBase64Url(recoverySecret), 'decrypt');
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) }, key, bytes.slice(IV_BYTES)));
    return encodeSecret(plain);
  } catch {
    throw new RecoveryUnwrapError('the wrapped secret does not open with this recovery link');
  }
}

/** A new recovery link's parts: R (the fragment), what the head keeps, and the wrapped secret. */
export interface RecoveryMaterial {
  /** base64url(R): goes after the `#` of the recovery link and nowhere else. */
  readonly recoverySecret: string;
  /** base64url SHA-256 of deriveLinkToken(base64url(R)): stored in the RecoveryGrant. */
  readonly tokenHash: string;
  readonly wrappedSecret: Uint8Array;
}

/** Makes a recovery link's material for secret S. R and the iv come from `random`; R is zeroed after. */
export async function newRecoveryMaterial(secret: Uint8Array, random: RandomBytes): Promise<RecoveryMaterial> {
  const r = random(SECRET_BYTES);
  try {
    const recoverySecret = encodeSecret(r);
    const wrappedSecret = await wrapForRecovery(r, secret, random(IV_BYTES));
    const tokenHash = await hashAccessToken(await deriveLinkToken(recoverySecret));
    return { recoverySecret, tokenHash, wrappedSecret };
  } finally {
    r.fill(0);
  }
}

/** base64url of the wrapped secret, as sent in the Sealpost-Wrapped-Secret response header. */
export function encodeWrappedSecret(wrapped: Uint8Array): string {
  return toBase64Url(wrapped);
}
