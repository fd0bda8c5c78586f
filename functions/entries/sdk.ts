/**
 * The sealpost SDK as a package (Node 20+ and browsers): the typed client, and sealing with the very
 * sealer the server uses. `new Sealpost({ url, apiKey }).sendSealed(message)` seals on this machine
 * and sends through the sealed-upload API; `send(message)` has sealpost seal it (≤ 4 MiB).
 */
import { SealpostClient, seal, sendSealed, type MessageInput, type ProgressSealer, type SealedSendOptions, type SealedSendResult, type SealedMessage } from '../sdk/index.ts';
import type { OpenedUpload } from '../core/messages/index.ts';
import { SubsetSealer } from '../core/protocol/index.ts';

export * from '../sdk/index.ts';
export type { EventFeedPage, PublicEvent } from '../core/audit/index.ts';
export type { MessageStatus, MessageSummary, OpenedUpload, RecipientOutcome, SendReceipt } from '../core/messages/index.ts';
export type { SettingsView } from '../core/tenants/index.ts';

/**
 * The server's sealer (the protocol's RFC 9580 subset with WebCrypto, core/protocol/openpgp-seal.ts):
 * what seal() and sendSealed() use; open() decrypts with a key.
 */
export const sealer: ProgressSealer & { open(ciphertext: Uint8Array, key: string): Promise<Uint8Array> } = new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n)));

export class Sealpost extends SealpostClient {
  /** Seals `message` on this machine and sends it (see sdk/sealed.ts sendSealed). */
  sendSealed(message: MessageInput, options: Omit<SealedSendOptions, 'sealer'> = {}): Promise<SealedSendResult> {
    return sendSealed(this, message, { ...options, sealer });
  }

  /** Seals `message` for an upload opened with openUpload(), without sending anything. */
  seal(message: MessageInput, upload: OpenedUpload, onProgress?: (done: number, total: number) => void): Promise<SealedMessage> {
    return seal(message, upload, { sealer, ...(onProgress ? { onProgress } : {}) });
  }
}
