/**
 * Sealed uploads (docs/protocol.md §21): a sender seals on its own machine and sealpost only ever
 * holds ciphertext. Three steps, each one request:
 *
 *   open      — the sender declares the sealed size, the recipient count and a checksum; sealpost
 *               answers with the message id, the part layout and the MIME headers to seal with (and,
 *               for Message Center, the custody key to seal for as well).
 *   parts     — for each part (≤ 4 MiB, any order, again on retry) a URL that accepts exactly that
 *               part's bytes (its size and SHA-256 are signed into it), straight to the blob store,
 *               once: a part's key is write-once (If-None-Match: *), so nothing replaces it after
 *               the completion has read it.
 *   complete  — the sender names the recipients with each one's secret (or only its token hashes,
 *               when it delivers the links itself). sealpost reads the parts once, checks the checksum
 *               and the shape (one SKESK per recipient, plus custody, then one SEIPD v2), that every
 *               secret it was given opens a session key and all open the same one, then commits the
 *               head and sends the notifications exactly as a server-sealed send does. A secret is used
 *               to derive the stored hashes and to build its recipient's email, then dropped.
 *
 * Nothing is notified before the commit, and an upload that is never completed leaves nothing
 * readable: no head points at its parts, which are tagged pending and expire.
 */
import { canonicalSecret, deriveAccessToken, deriveLinkToken, deriveMessageKey, hashAccessToken } from '../protocol/index.ts';
import {
  ConflictError, NotFoundError, PayloadTooLargeError, ValidationError, describeError, fromBase64Url,
  type Address, type FieldIssue,
} from '../shared/index.ts';
import type { Principal, VerificationPolicy } from '../tenants/index.ts';
import { isWellFormedMessageId, newMessageId } from './ids.ts';
import { UPLOAD_PART_BYTES, partLayout, type RecipientKind, type SendReceipt } from './model.ts';
import type { BlobStore, CustodyHeadFields, PartUpload, UploadRecord, UploadStore } from './ports.ts';
import {
  createdEvent, keyServiceFailed, messageCenterFor, messageTerms, newHead, notifyCommitted, withIdempotency,
  type RecipientPlan, type SendContext, type SendDeps,
} from './send.ts';
import { pickupLink } from './notification.ts';
import { MAX_UPLOAD_RECIPIENTS, checkSealed, refused } from './upload-check.ts';

export { MAX_UPLOAD_RECIPIENTS, compositeChecksum, sha256Of } from './upload-check.ts';

/** How long an upload may stay unfinished (its pending parts expire in the blob store a day after they were written). */
export const UPLOAD_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** How long a part's upload URL is valid (a new one is had by asking again). */
export const PART_URL_SECONDS = 60 * 60;
/** Part URLs asked for in one request. */
export const MAX_PARTS_PER_REQUEST = 100;
/**
 * How long a completion's claim holds before another may take it over: twice the sender API's
 * 30-second function timeout (cdk/constructs/functions.ts), so the request that claimed it has
 * certainly stopped by then, and a sender's retry is never turned away for good.
 */
export const UPLOAD_CLAIM_LEASE_MS = 60_000;

/** Whether an upload's completion claim has outlived its lease (a claim from before `claimedAt` was recorded counts as such). */
export function claimIsStale(upload: Pick<UploadRecord, 'state' | 'claimedAt'>, now: Date): boolean {
  return upload.state === 'completing' && (upload.claimedAt === undefined || Date.parse(upload.claimedAt) < now.getTime() - UPLOAD_CLAIM_LEASE_MS);
}

export interface UploadDeps extends SendDeps {
  readonly uploads: UploadStore;
  readonly blobs: BlobStore;
  /** The largest sealed message accepted (bytes): SEALPOST_MAX_UPLOAD_MIB. */
  readonly maxUploadBytes: number;
}

const TOKEN_HASH = /^[A-Za-z0-9_-]{43}$/;

export interface OpenUploadRequest {
  /** How many recipients the message is sealed for (one SKESK each). */
  readonly recipients: number;
}

/** The sealed message's size and checksum, declared with the first part URLs (after sealing, which needs the id). */
export interface UploadDeclaration {
  /** The size of the sealed message in bytes. */
  readonly bytes: number;
  /** compositeChecksum of its parts (base64). */
  readonly sha256: string;
}

/** The answer to opening an upload: everything the sender needs to seal and put the parts. */
export interface OpenedUpload {
  readonly id: string;
  readonly expiresAt: string;
  /** Every part but the last has exactly this size. */
  readonly partBytes: number;
  /** The largest sealed message this deployment accepts. */
  readonly maxBytes: number;
  /** The pickup link without its fragment: a recipient's link is this, `#`, and its secret. */
  readonly link: string;
  /** The headers to seal the MIME with, so that the message reads as one sealpost sealed itself. */
  readonly mime: { readonly from: Address; readonly replyTo?: string; readonly messageId: string };
  /** Message Center: seal for this password too (the custody key), and give it back at completion. */
  readonly custodyPassword?: string;
}

function checkSize(deps: UploadDeps, bytes: number): void {
  if (bytes > deps.maxUploadBytes) {
    throw new PayloadTooLargeError(`The sealed message is ${bytes} bytes; this deployment accepts at most ${deps.maxUploadBytes} bytes (${Math.floor(deps.maxUploadBytes / 1048576)} MiB, SEALPOST_MAX_UPLOAD_MIB). Nothing was stored.`);
  }
}

export async function openUpload(deps: UploadDeps, principal: Principal, request: OpenUploadRequest): Promise<OpenedUpload> {
  if (!Number.isInteger(request.recipients) || request.recipients < 1 || request.recipients > MAX_UPLOAD_RECIPIENTS) {
    throw new ValidationError(`An upload is for 1 to ${MAX_UPLOAD_RECIPIENTS} recipients.`, [{ field: 'recipients', message: `must be a whole number from 1 to ${MAX_UPLOAD_RECIPIENTS}` }]);
  }
  const { tenant } = principal;
  const now = deps.clock();
  const id = newMessageId(deps.random);
  const custody = messageCenterFor(deps, tenant);
  let custodyKey: { password: string; wrapped: Uint8Array } | undefined;
  if (custody) {
    try {
      custodyKey = await custody.drawKey(tenant.id, id);
    } catch (error) {
      throw keyServiceFailed(error);
    }
  }
  const expiresAt = new Date(now.getTime() + UPLOAD_LIFETIME_MS).toISOString();
  const record: UploadRecord = {
    id, tenantId: tenant.id, createdAt: now.toISOString(), expiresAt, recipients: request.recipients, state: 'open',
    ...(custodyKey ? { wrappedCustodyKey: custodyKey.wrapped, custodyPasswordHash: await hashAccessToken(custodyKey.password) } : {}),
  };
  if (!(await deps.uploads.create(record))) throw new ConflictError('A new upload could not be given an id. Retry.');
  const replyTo = tenant.settings.replyTo;
  return {
    id, expiresAt, partBytes: UPLOAD_PART_BYTES, maxBytes: deps.maxUploadBytes,
    link: pickupLink(deps.portalOrigin, id, '').slice(0, -1),
    mime: { from: { email: tenant.settings.senderAddress, name: tenant.settings.displayName }, ...(replyTo ? { replyTo } : {}), messageId: `<${id}@sealpost>` },
    ...(custodyKey ? { custodyPassword: custodyKey.password } : {}),
  };
}

const NO_SUCH_UPLOAD = 'No upload of yours with this id is open.';
const COMPLETED = 'This upload was completed: it is a message now (GET /v1/messages/{id}).';

/**
 * The tenant's own upload that is still open and unexpired, or the error that says why not. With
 * `completing`, also one whose completion claim is stale: its request died, and this one takes over.
 */
async function openUploadOf(deps: UploadDeps, principal: Principal, id: string, options: { completing?: boolean } = {}): Promise<UploadRecord> {
  // An id of another shape names nothing: answered before any read (a key DynamoDB refuses would be a 503), and never echoed.
  if (!isWellFormedMessageId(id)) throw new NotFoundError(NO_SUCH_UPLOAD);
  const upload = await deps.uploads.get(id);
  // Another tenant's upload is answered exactly as one that does not exist.
  if (!upload || upload.tenantId !== principal.tenant.id) throw new NotFoundError(NO_SUCH_UPLOAD);
  if (upload.state === 'committed') throw new ConflictError(COMPLETED);
  if (upload.state === 'completing') {
    const stale = claimIsStale(upload, deps.clock());
    if (!stale) throw new ConflictError('This upload is being completed by another request. Retry in a few seconds.', { retryAfter: 2 });
    // Only a completion takes over: the dead request may have written the head, so nothing else may touch the parts.
    if (!options.completing) throw new ConflictError('A completion of this upload stopped unfinished: complete it again (POST /v1/uploads/{id}/complete).');
  }
  if (Date.parse(upload.expiresAt) <= deps.clock().getTime()) throw new NotFoundError('No upload of yours with this id is open: it expired unfinished, and its parts are being deleted. Start again.');
  return upload;
}

export interface PartRequest {
  readonly index: number;
  /** The part's SHA-256 (base64): the blob store refuses other bytes. */
  readonly sha256: string;
}

/**
 * URLs to put parts with: each accepts exactly its part's size and SHA-256, until it expires. The
 * first request fixes the sealed size and checksum; every later one must repeat them.
 */
export async function partUploads(deps: UploadDeps, principal: Principal, id: string, declaration: UploadDeclaration, parts: readonly PartRequest[]): Promise<(PartUpload & { index: number; bytes: number; expiresAt: string })[]> {
  checkSize(deps, declaration.bytes);
  const upload = await openUploadOf(deps, principal, id);
  if (upload.bytes !== declaration.bytes || upload.sha256 !== declaration.sha256) {
    if (upload.bytes !== undefined) throw new ConflictError(`This upload was declared as ${upload.bytes} bytes with another checksum: a sealed message is declared once. Open a new upload for another one.`);
    if (!(await deps.uploads.declare(principal.tenant.id, id, declaration.bytes, declaration.sha256, deps.clock()))) {
      throw new ConflictError('This upload was declared otherwise by another request, or is no longer open.');
    }
  }
  const layout = partLayout(declaration.bytes);
  const issues: FieldIssue[] = [];
  parts.forEach((p, i) => {
    if (p.index >= layout.length) issues.push({ field: `parts[${i}].index`, message: `must be below ${layout.length}: the upload has ${layout.length} part(s)` });
  });
  if (issues.length > 0) throw new ValidationError('A part is outside the upload\'s layout.', issues);
  const now = deps.clock().getTime();
  const seconds = Math.max(1, Math.min(PART_URL_SECONDS, Math.floor((Date.parse(upload.expiresAt) - now) / 1000)));
  const expiresAt = new Date(now + seconds * 1000).toISOString();
  return Promise.all(parts.map(async (p) => {
    const bytes = layout[p.index] as number;
    return { index: p.index, bytes, expiresAt, ...(await deps.blobs.uploadUrl(id, p.index, { bytes, sha256: p.sha256 }, seconds)) };
  }));
}

/** Abandons an open upload: it can no longer be completed, and its parts are deleted. */
export async function abortUpload(deps: UploadDeps, principal: Principal, id: string): Promise<void> {
  const upload = await openUploadOf(deps, principal, id);
  if (!(await deps.uploads.abort(principal.tenant.id, id))) throw new ConflictError('This upload changed while it was being abandoned (completed or abandoned by another request).');
  if (upload.bytes !== undefined) await deps.blobs.delete(id, partLayout(upload.bytes).length).catch((e: unknown) => deps.logger.warn('upload_parts_delete_failed', { messageId: id, error: describeError(e) }));
}

/** A recipient named at completion: its address and either its secret (sealpost emails the link) or only its token hashes. */
export type CompletionRecipient = Address & { readonly kind: RecipientKind } & (
  | { readonly secret: string; /** With a passcode: the key (secret mixed with the passcode) the message is sealed for. */ readonly key?: string }
  | { readonly tokenHash: string; readonly linkTokenHash: string }
);

export interface UploadCompletion {
  readonly recipients: readonly CompletionRecipient[];
  readonly expiresInDays?: number;
  readonly maxViews?: number;
  readonly replyTo?: string;
  readonly verification?: VerificationPolicy;
  /** True when the keys mix in a passcode the recipients know (then each emailed recipient's `key` is given). */
  readonly passcode?: boolean;
  /** Message Center: the custody password the upload was opened with. */
  readonly custodyPassword?: string;
}

export async function completeUpload(deps: UploadDeps, principal: Principal, id: string, completion: UploadCompletion, ctx: SendContext): Promise<SendReceipt> {
  return withIdempotency(deps, principal.tenant.id, ctx, async (now) => {
    const upload = await openUploadOf(deps, principal, id, { completing: true });
    if (upload.bytes === undefined || upload.sha256 === undefined) throw refused('No part was declared: ask for part URLs (POST /v1/uploads/{id}/parts) and put every part first.', 'parts');
    const plans = await planCompletion(upload, completion);
    const custody = upload.wrappedCustodyKey ? deps.custody : undefined;
    if (upload.wrappedCustodyKey && !custody) throw new ConflictError('This upload was opened for Message Center, but this deployment has no key service configured. Nothing was sent.');
    if (upload.wrappedCustodyKey) {
      if (completion.custodyPassword === undefined || (await hashAccessToken(completion.custodyPassword)) !== upload.custodyPasswordHash) {
        throw new ValidationError('custodyPassword must be the one this upload was opened with (Message Center).', [{ field: 'custodyPassword', message: 'does not match the upload' }]);
      }
    }
    const terms = messageTerms(principal.tenant, completion, now);

    if (!(await deps.uploads.claim(principal.tenant.id, id, now))) throw new ConflictError('This upload is being completed by another request, or is no longer open.');
    let committed = false;
    try {
      // A claim taken over from a request that died after its commit point finds the head: the
      // upload is a message, and is only recorded as such (its notifications were that request's).
      if (await deps.store.getHead(id)) {
        committed = true;
        await deps.uploads.finish(principal.tenant.id, id);
        throw new ConflictError(COMPLETED);
      }
      const layout = partLayout(upload.bytes);
      await checkSealed(deps, { ...upload, sha256: upload.sha256 }, layout, plans, completion.custodyPassword);

      let fields: CustodyHeadFields = { custody: 'link' };
      if (custody && upload.wrappedCustodyKey) {
        const secretBytes = plans.map((p) => fromBase64Url(p.secret as string));
        try {
          fields = { custody: 'message-center', wrappedSecrets: await custody.keepSecrets(principal.tenant.id, id, secretBytes), wrappedCustodyKey: upload.wrappedCustodyKey };
        } catch (error) {
          throw keyServiceFailed(error);
        } finally {
          secretBytes.forEach((b) => b.fill(0));
        }
      }
      const head = newHead(principal.tenant, id, now, terms, plans, fields, {
        ...(completion.maxViews !== undefined ? { maxViews: completion.maxViews } : {}),
        ...(completion.passcode ? { passcode: true } : {}),
        blob: { parts: layout },
      });
      // The parts stop being pending before the head exists, so nothing a head points at can expire
      // as an unfinished upload; the head is the commit point.
      await deps.blobs.commit(id, layout.length).catch(async (error: unknown) => {
        // Some parts may be committed already: make them pending again, so that an upload never
        // completed leaves nothing but what its lifecycle sweeps after a day.
        await deps.blobs.uncommit(id, layout.length).catch((e: unknown) => deps.logger.warn('upload_parts_uncommit_failed', { messageId: id, error: describeError(e) }));
        throw error;
      });
      try {
        await deps.store.create(head, undefined, [createdEvent(principal, head, ctx, now)]);
      } catch (error) {
        if (!(await headLanded(deps, id, layout.length))) throw error;
      }
      committed = true;
      await deps.uploads.finish(principal.tenant.id, id).catch((e: unknown) => deps.logger.warn('upload_finish_failed', { messageId: id, error: describeError(e) }));
      return await notifyCommitted(deps, principal, head, plans, ctx, now);
    } finally {
      if (!committed) await deps.uploads.release(principal.tenant.id, id).catch((e: unknown) => deps.logger.warn('upload_release_failed', { messageId: id, error: describeError(e) }));
    }
  });
}

/**
 * After a head write that failed: whether it landed all the same (its answer was lost), and if it
 * surely did not, the parts made pending again — the upload is given back open, so they expire as
 * an unfinished upload's do unless the sender completes it again. When nothing can be told, the
 * parts stay committed (a live message's parts must never expire early): then they are unreadable,
 * as no head names them, until the sender abandons the upload or the bucket's lifecycle deletes
 * them after 100 days (docs/protocol.md §21.1).
 */
async function headLanded(deps: UploadDeps, id: string, parts: number): Promise<boolean> {
  let head;
  try {
    head = await deps.store.getHead(id);
  } catch (error) {
    deps.logger.warn('upload_head_unknown', { messageId: id, error: describeError(error) });
    return false;
  }
  // Ours: the claim held, and a head written before it was taken over was found right after the claim.
  if (head) return true;
  await deps.blobs.uncommit(id, parts).catch((e: unknown) => deps.logger.warn('upload_parts_uncommit_failed', { messageId: id, error: describeError(e) }));
  return false;
}

/** The recipients' plans from the completion: hashes derived here from each secret (or taken as given), checked for sense. */
async function planCompletion(upload: UploadRecord, completion: UploadCompletion): Promise<(RecipientPlan & { key?: string })[]> {
  const issues: FieldIssue[] = [];
  const { recipients } = completion;
  // The bound holds here too, whatever the record says: every recipient may cost an unlock below.
  if (recipients.length > MAX_UPLOAD_RECIPIENTS) {
    throw new ValidationError('The recipients do not fit this upload.', [{ field: 'recipients', message: `names ${recipients.length} recipients; a message has at most ${MAX_UPLOAD_RECIPIENTS}` }]);
  }
  if (recipients.length !== upload.recipients) {
    issues.push({ field: 'recipients', message: `names ${recipients.length} recipient(s); the upload was opened and sealed for ${upload.recipients}` });
  }
  if (!recipients.some((r) => r.kind === 'to')) issues.push({ field: 'recipients', message: 'needs at least one "to" recipient' });
  const seen = new Set<string>();
  recipients.forEach((r, i) => {
    const email = r.email.toLowerCase();
    if (seen.has(email)) issues.push({ field: `recipients[${i}].email`, message: 'names a recipient twice' });
    seen.add(email);
    if ('secret' in r) {
      if (canonicalSecret(r.secret) === undefined) issues.push({ field: `recipients[${i}].secret`, message: 'is not a secret (43 base64url characters, 32 bytes)' });
      if (completion.passcode && (r.key === undefined || canonicalSecret(r.key) === undefined)) issues.push({ field: `recipients[${i}].key`, message: 'is required with a passcode: the key the message is sealed for' });
      if (!completion.passcode && r.key !== undefined) issues.push({ field: `recipients[${i}].key`, message: 'is given only with a passcode' });
    } else {
      if (upload.wrappedCustodyKey) issues.push({ field: `recipients[${i}]`, message: 'needs its secret: Message Center keeps every recipient\'s secret for the inbox, so links cannot be delivered by the sender' });
      if (!TOKEN_HASH.test(r.tokenHash)) issues.push({ field: `recipients[${i}].tokenHash`, message: 'is not a token hash (43 base64url characters)' });
      if (!TOKEN_HASH.test(r.linkTokenHash)) issues.push({ field: `recipients[${i}].linkTokenHash`, message: 'is not a token hash (43 base64url characters)' });
    }
  });
  if (issues.length > 0) throw new ValidationError('The recipients do not fit this upload.', issues);

  return Promise.all(recipients.map(async (r, index) => {
    const base = { email: r.email, ...(r.name ? { name: r.name } : {}), kind: r.kind, rid: `r${index}` };
    if (!('secret' in r)) return { ...base, tokenHash: r.tokenHash, linkTokenHash: r.linkTokenHash };
    const secret = canonicalSecret(r.secret) as string;
    const key = r.key !== undefined ? (canonicalSecret(r.key) as string) : await deriveMessageKey(secret);
    return {
      ...base, secret, key,
      tokenHash: await hashAccessToken(await deriveAccessToken(key)),
      linkTokenHash: await hashAccessToken(await deriveLinkToken(secret)),
    };
  }));
}
