/**
 * Key custody of Message Center messages.
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
 * The custody key: at send, 32 random bytes are drawn and wrapped by KMS under their own context
 * {tenantId, messageId, purpose: message-center-recovery}, and the message is sealed for their
 * base64url form as one more OpenPGP password. An administrator's recovery unwraps that key — never a
 * recipient's secret — so whoever holds a recovery link can read the message but cannot open,
 * count views or reply as any recipient. Only the sender API may wrap or unwrap it (the portal,
 * which unwraps recipients' secrets for the inbox, has no grant for this purpose).
 *
 * Recovery links wrap the key they unlock under their own secret R: protocol/recovery-wrap.ts.
 */
import { SECRET_BYTES, encodeSecret } from '../protocol/index.ts';
import { ConflictError, type KeyWrapper, type RandomBytes } from '../shared/index.ts';
import type { Custody, MessageHead, SecretCustody } from '../messages/index.ts';
import type { InboxEntryInput, InboxStore } from './ports.ts';

/** The `purpose` of the KMS encryption context of wrapped recipient secrets. */
export const CUSTODY_PURPOSE = 'message-center';
/** A KMS Encrypt plaintext is at most 4,096 bytes: 128 secrets; a message has at most 100 recipients. */
export const MAX_WRAPPED_SECRETS = 4096 / SECRET_BYTES;

/** The reason a standard-mode message cannot be recovered (answered with 409). */
export const STANDARD_MODE_REASON = 'This message was sent in standard mode: its key was never stored, so it cannot be recovered.';

/** The `purpose` of the KMS encryption context of a message's custody key. */
export const RECOVERY_PURPOSE = 'message-center-recovery';

/** KMS encryption context of a message's wrapped secrets. */
export function custodyContext(tenantId: string, messageId: string): Record<string, string> {
  return { tenantId, messageId, purpose: CUSTODY_PURPOSE };
}

/** KMS encryption context of a message's custody key. */
export function recoveryContext(tenantId: string, messageId: string): Record<string, string> {
  return { tenantId, messageId, purpose: RECOVERY_PURPOSE };
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

/** The inbox entries of a new head: one per recipient for Message Center custody, none otherwise. */
export function inboxEntries(head: Pick<MessageHead, 'id' | 'tenantId' | 'createdAt' | 'expiresAt' | 'recipients'> & { readonly custody?: Custody }): InboxEntryInput[] {
  if (head.custody !== 'message-center') return [];
  return head.recipients.map((r) => ({ tenantId: head.tenantId, email: r.email, messageId: head.id, rid: r.rid, createdAt: head.createdAt, expiresAt: head.expiresAt }));
}

/**
 * Unwraps a message's custody key (one KMS call, under its own context). Throws ConflictError for a
 * message without one (standard mode, or sent before custody keys).
 */
export async function unwrapCustodyKey(keys: KeyWrapper, head: Pick<MessageHead, 'id' | 'tenantId' | 'custody' | 'wrappedCustodyKey'>): Promise<Uint8Array> {
  if (head.custody !== 'message-center' || !(head.wrappedCustodyKey instanceof Uint8Array)) throw new ConflictError(STANDARD_MODE_REASON);
  const key = await keys.unwrap(head.wrappedCustodyKey, recoveryContext(head.tenantId, head.id));
  if (key.length !== SECRET_BYTES) {
    key.fill(0);
    throw new Error('the unwrapped custody key has the wrong length');
  }
  return key;
}

/**
 * Message Center's part of a send (the send path's SecretCustody): a fresh custody key wrapped under
 * its own context, the recipients' secrets wrapped in one KMS call, and after the head is committed
 * the inbox entries.
 */
export function messageCenterCustody(deps: { readonly keys: KeyWrapper; readonly inbox: Pick<InboxStore, 'putEntries'>; readonly random: RandomBytes }): SecretCustody {
  return {
    drawKey: async (tenantId, messageId) => {
      const custodyKey = deps.random(SECRET_BYTES);
      try {
        return { password: encodeSecret(custodyKey), wrapped: await deps.keys.wrap(custodyKey, recoveryContext(tenantId, messageId)) };
      } finally {
        custodyKey.fill(0);
      }
    },
    keepSecrets: (tenantId, messageId, secrets) => wrapSecrets(deps.keys, tenantId, messageId, secrets),
  };
}
