/**
 * Sealing on the sender's machine: seal() builds the MIME and seals it with the server's own code
 * (core's planRecipients and composeMime; the sealer the server uses), and sendSealed() takes a
 * message from open to sent through the sealed-upload API (docs/protocol.md §21). sealpost never
 * sees the plaintext; each secret passes through it once, into its recipient's notification — or,
 * with deliverLinksMyself, never: the links come back to the caller.
 */
import { compositeChecksum, distinctRecipients, planRecipients, composeMime, sha256Of, type OpenedUpload, type PlannedRecipient, type SendReceipt } from '../core/messages/index.ts';
import { MAX_EXPIRY_DAYS, MAX_VIEWS, MIN_EXPIRY_DAYS, toBase64, type RandomBytes } from '../core/shared/index.ts';
import { DELIVERY_FAILED_PROBLEM, SealpostError } from './errors.ts';
import { toAddress, type CompletionRecipient, type MessageInput, type PartUploadUrl, type SealpostClient } from './client.ts';

/** Seals with progress: the server's sealer (core/protocol/openpgp-seal.ts SubsetSealer) is one. */
export interface ProgressSealer {
  sealWithProgress(plaintext: Uint8Array, passwords: readonly string[], onProgress: (bytesSealed: number) => void): Promise<Uint8Array>;
}

/** Where a sealed send is: sealing the plaintext, then uploading the ciphertext (bytes of total). */
export interface Progress {
  readonly stage: 'seal' | 'upload';
  readonly done: number;
  readonly total: number;
}

export interface SealedMessage {
  readonly ciphertext: Uint8Array;
  readonly recipients: readonly PlannedRecipient[];
}

const cryptoRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** Checks what sealpost cannot check once the message is sealed: the same rules as POST /v1/messages. */
export function checkMessage(message: MessageInput): void {
  const problems: string[] = [];
  if (message.to.length === 0) problems.push('at least one "to" recipient is needed');
  if (message.to.length > 50 || (message.cc?.length ?? 0) > 50) problems.push('at most 50 "to" and 50 "cc" recipients');
  if (!message.subject || /[\u0000-\u001f\u007f]/.test(message.subject) || message.subject.length > 250) problems.push('a subject of 1–250 characters without line breaks is needed');
  if (message.text === undefined && message.html === undefined) problems.push('give a text body, an HTML body or both');
  for (const a of message.attachments ?? []) {
    if (!a.filename || /[\\/\u0000-\u001f\u007f]/.test(a.filename) || a.filename.length > 255) problems.push(`"${a.filename.slice(0, 60)}" is not a file name sealpost accepts (1–255 characters, no path or control characters)`);
  }
  if ((message.attachments?.length ?? 0) > 20) problems.push('at most 20 attachments');
  if (message.passcode !== undefined && message.passcode.trim() === '') problems.push('a passcode must not be empty');
  // Checked before anything is sealed or uploaded: otherwise only the completion, after the upload, would say so.
  // (The tenant's own maximum, if lower, is known to the server alone.)
  const whole = (n: number | undefined, min: number, max: number) => n === undefined || (Number.isInteger(n) && n >= min && n <= max);
  if (!whole(message.expiresInDays, MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS)) problems.push(`the expiry must be a whole number of days from ${MIN_EXPIRY_DAYS} to ${MAX_EXPIRY_DAYS}`);
  if (!whole(message.maxViews, 1, MAX_VIEWS)) problems.push(`the views allowed must be a whole number from 1 to ${MAX_VIEWS}`);
  if (problems.length > 0) throw new SealpostError('usage', `The message cannot be sent: ${problems.join('; ')}.`);
}

/**
 * The message as an OpenPGP message sealed for each recipient's fresh secret (mixed with the
 * passcode, if any) and for the custody key of a Message Center upload: byte for byte what the
 * server would seal, with the headers the upload gave.
 */
export async function seal(message: MessageInput, upload: OpenedUpload, options: { sealer: ProgressSealer; random?: RandomBytes; now?: Date; onProgress?: (done: number, total: number) => void }): Promise<SealedMessage> {
  const random = options.random ?? cryptoRandom;
  const to = message.to.map(toAddress);
  const cc = (message.cc ?? []).map(toAddress);
  const planned = await planRecipients({ to, cc, ...(message.passcode !== undefined ? { passcode: message.passcode } : {}) }, random);
  const replyTo = message.replyTo ?? upload.mime.replyTo;
  const plaintext = composeMime({
    to, cc, subject: message.subject,
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    attachments: message.attachments ?? [],
    from: upload.mime.from,
    ...(replyTo ? { replyTo } : {}),
    date: options.now ?? new Date(),
    messageId: upload.mime.messageId,
  }, random);
  const passwords = [...planned.map((r) => r.key), ...(upload.custodyPassword ? [upload.custodyPassword] : [])];
  const ciphertext = await options.sealer.sealWithProgress(plaintext, passwords, (done) => options.onProgress?.(done, plaintext.length));
  plaintext.fill(0);
  return { ciphertext, recipients: planned };
}

export interface SealedSendOptions {
  readonly sealer: ProgressSealer;
  /** Return each recipient's link instead of having sealpost email it (sealpost then never sees a secret). */
  readonly deliverLinksMyself?: boolean;
  readonly onProgress?: (progress: Progress) => void;
  /** The Idempotency-Key of the completion (default: a random one, kept across its retries). */
  readonly idempotencyKey?: string;
  /** Parts uploaded at once (default 4). */
  readonly concurrency?: number;
  readonly random?: RandomBytes;
}

export interface SealedSendResult {
  readonly receipt: SendReceipt;
  /** With deliverLinksMyself: each recipient's pickup link, to send through your own mail. */
  readonly links?: readonly { readonly email: string; readonly link: string }[];
}

/**
 * Seals `message` here and sends it through the sealed-upload API: open, seal, put the parts (in
 * parallel, each retried, a fresh URL when one expired), complete. An upload that fails before it is
 * completed is abandoned (its parts deleted), so nothing is left behind.
 */
export async function sendSealed(client: SealpostClient, message: MessageInput, options: SealedSendOptions): Promise<SealedSendResult> {
  checkMessage(message);
  const count = distinctRecipients({ to: message.to.map(toAddress), cc: (message.cc ?? []).map(toAddress) }).length;
  const upload = await client.openUpload(count);
  /** Completed, or already abandoned: nothing for the finally block to clean up. */
  let settled = false;
  try {
    const sealed = await seal(message, upload, {
      sealer: options.sealer, ...(options.random ? { random: options.random } : {}),
      onProgress: (done, total) => options.onProgress?.({ stage: 'seal', done, total }),
    });
    const { ciphertext } = sealed;
    if (ciphertext.length > upload.maxBytes) {
      throw new SealpostError('refused', `The sealed message is ${ciphertext.length} bytes; this sealpost accepts at most ${upload.maxBytes} bytes (${Math.floor(upload.maxBytes / 1048576)} MiB). Nothing was sent.`, 413);
    }
    await uploadParts(client, upload, ciphertext, options);
    const recipients: CompletionRecipient[] = sealed.recipients.map((r) => {
      const address = { email: r.email, ...(r.name ? { name: r.name } : {}), kind: r.kind };
      if (options.deliverLinksMyself) return { ...address, tokenHash: r.tokenHash, linkTokenHash: r.linkTokenHash };
      return { ...address, secret: r.secret, ...(message.passcode !== undefined ? { key: r.key } : {}) };
    });
    let receipt: SendReceipt;
    try {
      receipt = await client.completeUpload(upload.id, {
        recipients,
        ...(message.expiresInDays !== undefined ? { expiresInDays: message.expiresInDays } : {}),
        ...(message.maxViews !== undefined ? { maxViews: message.maxViews } : {}),
        ...(message.replyTo !== undefined ? { replyTo: message.replyTo } : {}),
        ...(message.verification !== undefined ? { verification: message.verification } : {}),
        ...(message.passcode !== undefined ? { passcode: true } : {}),
        ...(upload.custodyPassword ? { custodyPassword: upload.custodyPassword } : {}),
      }, options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {});
    } catch (error) {
      // A delivery failure says what happened: nothing was delivered, and the message was discarded.
      if (!(error instanceof SealpostError) || error.kind !== 'transient' || error.problem?.type === DELIVERY_FAILED_PROBLEM) throw error;
      // The completion may have reached sealpost and sent the message while every answer was lost.
      // Abandoning tells: it succeeds only while the upload is still open, that is when nothing was
      // sent (and then nothing can be). Otherwise the message may exist under the upload's id.
      settled = true;
      if (await client.abandonUpload(upload.id).then(() => true, () => false)) throw error;
      throw new SealpostError('transient', `${error.message} The message may have been sent all the same, as ${upload.id}.`, error.status, error.problem, { cause: error, maybeSentAs: upload.id });
    }
    settled = true;
    const base = upload.link;
    return {
      receipt,
      ...(options.deliverLinksMyself ? { links: sealed.recipients.map((r) => ({ email: r.email, link: `${base}#${r.secret}` })) } : {}),
    };
  } finally {
    // Best effort: an upload nobody completes expires by itself anyway.
    if (!settled) await client.abandonUpload(upload.id).catch(() => undefined);
  }
}

/** Puts every part of `ciphertext` as the upload lays it out: checksummed, in parallel, retried. */
async function uploadParts(client: SealpostClient, upload: OpenedUpload, ciphertext: Uint8Array, options: SealedSendOptions): Promise<void> {
  const parts = Array.from({ length: Math.max(1, Math.ceil(ciphertext.length / upload.partBytes)) }, (_, index) => ciphertext.subarray(index * upload.partBytes, (index + 1) * upload.partBytes));
  const digests = await Promise.all(parts.map((p) => sha256Of(p)));
  const declaration = { bytes: ciphertext.length, sha256: await compositeChecksum(digests) };
  const request = (indexes: readonly number[]) => client.partUrls(upload.id, declaration, indexes.map((index) => ({ index, sha256: toBase64(digests[index] as Uint8Array) })));

  const urls = new Map<number, PartUploadUrl>();
  const all = parts.map((_, i) => i);
  for (let i = 0; i < all.length; i += 100) for (const url of await request(all.slice(i, i + 100))) urls.set(url.index, url);

  let done = 0;
  options.onProgress?.({ stage: 'upload', done, total: ciphertext.length });
  let next = 0;
  const worker = async () => {
    while (next < parts.length) {
      const index = next++;
      const bytes = parts[index] as Uint8Array;
      try {
        await client.putPart(urls.get(index) as PartUploadUrl, bytes);
      } catch (error) {
        // A URL that expired (or was refused) once gets a fresh one, once.
        if (!(error instanceof SealpostError) || error.kind !== 'refused' || error.status !== 403) throw error;
        const [fresh] = await request([index]);
        await client.putPart(fresh as PartUploadUrl, bytes);
      }
      done += bytes.length;
      options.onProgress?.({ stage: 'upload', done, total: ciphertext.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, parts.length) }, worker));
}

