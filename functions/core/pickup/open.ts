/**
 * Recipient pickup: the credentials of a recipient (see recipient-auth.ts: link, token, and for
 * some messages a code or grant) buy the ciphertext of one message, once checked against existence,
 * state, expiry and the recipient's hashes. Every failure that is not about verification is the
 * same MessageUnavailableError.
 */
import { DependencyError, MessageUnavailableError, describeError } from '../shared/index.ts';
import { authorizeRecipient, tenantToReadWith, type AuthContext, type RecipientAuthDeps, type RecipientCredentials } from './recipient-auth.ts';
import { withinPartWindow } from './verification.ts';
import { isWellFormedMessageId, type BlobDownloads, type MessageHead, type TenantRead } from '../messages/index.ts';

export interface PickupDeps extends RecipientAuthDeps {
  /** Where browsers download the parts of messages whose ciphertext is in the blob store (sealed uploads). */
  readonly downloads?: BlobDownloads;
}

/** How long the download URLs of an open stay valid: enough for a large message on a slow line. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

/** What an open request says besides the credentials. */
export interface OpenContext {
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly part?: number;
  /**
   * The tenant the pickup page was served for (its brand), which the page sends with the open: read
   * with the message in the open's one read, so a portal that does not hold that tenant (a cold
   * start, or after TENANT_CACHE_MS) need not read it after the message. A hint only — the message's
   * own tenant decides, and one that names another tenant just costs that read (tenantOfHead).
   */
  readonly tenantHint?: string;
}

/** The audit-trail window of an open: its UTC hour. */
export function openWindow(now: Date): string {
  return now.toISOString().slice(0, 13);
}

/** One part of a message in the blob store: a same-origin URL that serves it for a while, and its size. */
export interface PartDownload {
  readonly url: string;
  readonly bytes: number;
}

/**
 * What an open returns: part `part` of the ciphertext itself (a message in the table's chunks), or —
 * for a message in the blob store — where to download each of its parts (they are only ciphertext).
 */
export type OpenedBody = { readonly ciphertext: Uint8Array } | { readonly downloads: readonly PartDownload[] };

export type OpenedPart = OpenedBody & {
  readonly part: number;
  readonly parts: number;
  /** A grant issued by this request (a code was verified): the client sends it for later parts. */
  readonly grant?: string;
};

/**
 * The body of an open of part `part`, read before the open is counted (an unreadable message must not
 * use up a view). A message in the blob store is opened whole by part 0: its answer lists every part.
 */
export async function ciphertextFor(deps: PickupDeps, head: MessageHead, part: number): Promise<OpenedBody & { readonly parts: number }> {
  if (head.blob) {
    if (part !== 0) throw new MessageUnavailableError();
    if (!deps.downloads) {
      deps.logger.error('blob_downloads_missing', { messageId: head.id });
      throw new DependencyError('This message cannot be downloaded right now. Try again later.', 's3');
    }
    const downloads = deps.downloads;
    // Never valid past the message's own expiry (the open has just checked that it is not expired).
    const seconds = Math.max(1, Math.min(DOWNLOAD_URL_SECONDS, Math.floor((Date.parse(head.expiresAt) - deps.clock().getTime()) / 1000)));
    const urls = await Promise.all(head.blob.parts.map(async (bytes, index) => ({ url: await downloads.downloadUrl(head.id, index, seconds), bytes })));
    return { downloads: urls, parts: head.blob.parts.length };
  }
  const parts = deps.store.partCount(head);
  if (part >= parts) throw new MessageUnavailableError();
  return { ciphertext: await readPartOrUnavailable(deps, head, part), parts };
}

/**
 * A part of the ciphertext; a missing chunk is logged and answered like any unavailable message. A
 * store that cannot be read right now is a 503 to retry, not "not available".
 */
export async function readPartOrUnavailable(deps: PickupDeps, head: MessageHead, part: number): Promise<Uint8Array> {
  try {
    return await deps.store.readPart(head, part);
  } catch (error) {
    if (error instanceof DependencyError) throw error;
    deps.logger.warn('ciphertext_unreadable', { messageId: head.id, part, error: describeError(error) });
    throw new MessageUnavailableError();
  }
}

/**
 * Returns part `part` of a message's ciphertext to a recipient whose credentials pass
 * authorizeRecipient (later parts of an "email-code" message need the grant, never a code). Part 0
 * counts as the open (one conditional write, which a racing revoke wins); later parts re-check
 * everything but record nothing.
 */
export async function openMessage(
  deps: PickupDeps,
  messageId: string,
  credentials: RecipientCredentials,
  ctx: OpenContext & { head?: AuthContext['head']; firstPart?: Uint8Array; tenant?: TenantRead } = {},
): Promise<OpenedPart> {
  const part = ctx.part ?? 0;
  if (!Number.isInteger(part) || part < 0) throw new MessageUnavailableError();
  // Part 0 of a small message: the head and its one chunk in one read (the open's first call), and
  // the tenant the page named with them: a hint, used only if it is the head's own tenant.
  const read = part === 0 && ctx.head === undefined && isWellFormedMessageId(messageId)
    ? await deps.store.readForOpen(messageId, tenantToReadWith(deps.tenants, ctx.tenantHint))
    : undefined;
  const given = ctx.head ?? (read ? { value: read.head } : undefined);
  const firstPart = part === 0 ? ctx.firstPart ?? read?.firstPart : undefined;
  const tenant = ctx.tenant ?? read?.tenant;
  const { head, recipient, grant } = await authorizeRecipient(deps, messageId, credentials, {
    ...(ctx.sourceIp !== undefined ? { sourceIp: ctx.sourceIp } : {}),
    ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
    ...(given !== undefined ? { head: given } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
    grantOnly: part > 0,
  });
  const now = deps.clock();
  // With a view limit, the later parts of a large message belong to the view that part 0 counted:
  // they are served only shortly after it, so a used-up link cannot fetch the rest again.
  if (part > 0 && head.maxViews !== undefined && !withinPartWindow(recipient.lastOpenedAt, now)) throw new MessageUnavailableError();

  // The one chunk read with the head (readForOpen), when the head checked is that very read.
  const body = firstPart && given?.value === head ? { ciphertext: firstPart, parts: 1 } : await ciphertextFor(deps, head, part);
  if (part === 0) {
    // One conditional write is the commit point: the count (a revoke that raced us wins, and so
    // does the view limit) and the audit event, all or nothing. Every open is
    // counted. The audit trail gets "opened" for a recipient's first view and "revealed" for later
    // ones — each of them under a view limit, otherwise at most one per recipient per hour, so a
    // holder of the link cannot flood it.
    const recorded = await deps.store.recordOpen(messageId, recipient.rid, now, openWindow(now), head.maxViews, {
      expected: { opens: recipient.opens, ...(recipient.lastOpenWindow !== undefined ? { lastOpenWindow: recipient.lastOpenWindow } : {}) },
      event: (views, newWindow) => {
        const type = views <= 1 ? 'opened' : 'revealed';
        if (type !== 'opened' && !newWindow && head.maxViews === undefined) return undefined;
        return {
          messageId, tenantId: head.tenantId, type, at: now.toISOString(), actor: `recipient:${recipient.rid}`,
          recipient: recipient.email, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
          ...(head.maxViews !== undefined ? { detail: `view ${views} of ${head.maxViews}` } : {}),
        };
      },
    });
    if (!recorded) throw new MessageUnavailableError();
  }
  return { ...body, part, ...(grant !== undefined ? { grant } : {}) };
}
