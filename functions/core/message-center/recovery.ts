/**
 * Emergency recovery of a Message Center message by a tenant administrator: a one-time link that
 * opens the message in the portal, valid 24 hours, usable once.
 *
 * The server unwraps the message's custody key C (one KMS call, under its own context; see
 * custody.ts) and wraps it again under the link's own random secret R (protocol/recovery-wrap.ts);
 * R goes only into the link's fragment, in the admin's response. The head keeps the grant: the hash
 * of the link token derived from R, the wrapped C, its validity and who made it. Opening the link
 * is the pickup exchange (the page sends the link token of whatever secret its fragment holds): the
 * server finds the grant, marks it used (one conditional write) and returns the ciphertext with the
 * wrapped C, which only the browser holding R can open, and which decrypts the message through
 * its custody SKESK. C derives no recipient's tokens: the link holder reads the message, but opens,
 * counts views and replies as nobody; the trail records the recovery, not a recipient.
 *
 * A message sent before custody keys existed has only its recipients' secrets: its recovery still
 * wraps the first recipient's secret S (residual risk 27 in docs/threat-model.md), until such
 * messages have expired.
 *
 * A standard-mode message has no kept key: it cannot be recovered, and the API says so (409).
 */
import { appendEvents, type EventLog } from '../audit/index.ts';
import { encodeWrappedSecret, newRecoveryMaterial } from '../protocol/index.ts';
import { STANDARD_MODE_REASON, hasKeptSecrets, unwrapCustodyKey, unwrapSecret } from './custody.ts';
import {
  constantTimeEqual, ConflictError, MessageUnavailableError, ForbiddenError, NotFoundError, isExpired, type Clock, type KeyWrapper,
  type Logger, type RandomBytes,
} from '../shared/index.ts';
import type { RecoveryStore } from './ports.ts';
import { hashAccessToken } from '../protocol/index.ts';
import { ciphertextFor, openMessage, tenantOfHead, tenantToReadWith, type OpenContext, type OpenedPart, type PickupDeps, type RecipientCredentials } from '../pickup/index.ts';
import { isWellFormedMessageId, type MessageHead, type RecoveryGrant, type MessageStore, type TenantRead } from '../messages/index.ts';
import type { Principal } from '../tenants/index.ts';

/** A recovery link works this long (or until the message expires, if sooner). */
export const RECOVERY_VALID_MS = 24 * 60 * 60_000;
/** At most this many recovery links per message, ever. */
export const MAX_RECOVERIES = 5;
/** After a recovery link opened part 0, the later parts of a large message can be fetched this long. */
export const RECOVERY_PART_WINDOW_MS = 10 * 60_000;
/** Response header of a recovery open: base64url(iv || AES-GCM(HKDF(R), key)), the key the grant unlocks. */
export const WRAPPED_SECRET_HEADER = 'Sealpost-Wrapped-Secret';
/**
 * Response header of a recovery open: what the wrapped key is — `custody` (the OpenPGP password
 * itself) or `recipient` (a recipient's secret, for messages sent before custody keys).
 */
export const RECOVERED_KEY_HEADER = 'Sealpost-Recovered-Key';

export interface RecoveryDeps {
  readonly store: Pick<MessageStore, 'getHead'>;
  readonly recoveries: RecoveryStore;
  readonly keys: KeyWrapper;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly logger: Logger;
  /** The links' origin (SEALPOST_PORTAL_ORIGIN). */
  readonly portalOrigin: string;
}

export interface RecoveryLink {
  /** `<portalOrigin>/m/<id>#recover:<R>`: a bearer credential, shown once. */
  readonly url: string;
  readonly expiresAt: string;
}

const NOT_FOUND = 'No message with this id.';

/**
 * Issues a recovery link for a Message Center message of the admin's tenant. Another tenant's id
 * answers like an unknown one (404); a standard-mode message answers 409 with the reason.
 */
export async function recoverMessage(deps: RecoveryDeps, principal: Principal, messageId: string, ctx: { sourceIp?: string; userAgent?: string } = {}): Promise<RecoveryLink> {
  if (principal.scope !== 'admin') throw new ForbiddenError();
  if (!isWellFormedMessageId(messageId)) throw new NotFoundError(NOT_FOUND);
  const now = deps.clock();
  const head = await deps.store.getHead(messageId);
  if (!head || head.tenantId !== principal.tenant.id) throw new NotFoundError(NOT_FOUND);
  if (!hasKeptSecrets(head)) throw new ConflictError(STANDARD_MODE_REASON);
  if (head.state !== 'active' || isExpired(head.expiresAt, now)) throw new ConflictError('This message has expired or was revoked, so there is nothing left to recover.');
  if ((head.recoveries?.length ?? 0) >= MAX_RECOVERIES) throw new ConflictError(`This message already had ${MAX_RECOVERIES} recovery links, the most it can have.`);
  const first = head.recipients[0];
  if (!first) throw new ConflictError('This message has no recipients to recover.');

  // The custody key opens the whole message and is no recipient's; a message sent before custody
  // keys has only its recipients' secrets, of which the first is as good as any.
  const custody = head.wrappedCustodyKey !== undefined;
  const key = custody ? await unwrapCustodyKey(deps.keys, head) : await unwrapSecret(deps.keys, head, first.rid);
  let material;
  try {
    material = await newRecoveryMaterial(key, deps.random);
  } finally {
    key.fill(0);
  }
  const expiresAt = new Date(Math.min(now.getTime() + RECOVERY_VALID_MS, Date.parse(head.expiresAt))).toISOString();
  const actor = `key:${principal.keyId}`;
  const grant: RecoveryGrant = {
    tokenHash: material.tokenHash, wrappedSecret: material.wrappedSecret, ...(custody ? { unlocks: 'custody' as const } : { unlocks: 'recipient' as const, rid: first.rid }),
    createdAt: now.toISOString(), expiresAt, createdBy: actor,
  };
  if (!(await deps.recoveries.addRecovery(head.tenantId, head.id, grant, now, MAX_RECOVERIES))) {
    throw new ConflictError('The recovery link could not be issued: the message changed meanwhile (it expired, was revoked, or reached its limit of recovery links).');
  }
  await appendEvents(deps, [{
    messageId, tenantId: head.tenantId, type: 'recovered', at: now.toISOString(), actor, detail: 'recovery link issued',
    after: { expiresAt }, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
  }]);
  deps.logger.info('recovery_link_issued', { messageId, tenantId: head.tenantId });
  // `recover:` tells the page it needs no passcode; the server never sees the fragment.
  return { url: `${deps.portalOrigin.replace(/\/+$/, '')}/m/${encodeURIComponent(messageId)}#recover:${material.recoverySecret}`, expiresAt };
}

export interface RecoveryMatch {
  /** Position in `head.recoveries` (grants are only ever appended, so it is stable). */
  readonly index: number;
  readonly grant: RecoveryGrant;
}

/**
 * The recovery grant whose token hash equals `linkHash` (base64url SHA-256 of the link token the
 * client sent), if it is unexpired at `now` (used or not: the caller decides). Compares against
 * every grant without an early exit, like matchRecipient.
 */
export function matchRecovery(head: Pick<MessageHead, 'recoveries'>, linkHash: string, now: Date): RecoveryMatch | undefined {
  let found: RecoveryMatch | undefined;
  (head.recoveries ?? []).forEach((grant, index) => {
    if (constantTimeEqual(grant.tokenHash, linkHash) && !found) found = { index, grant };
  });
  return found && !isExpired(found.grant.expiresAt, now) ? found : undefined;
}

export interface RecoveryOpenDeps {
  readonly recoveries: RecoveryStore;
  readonly events: EventLog;
  readonly logger: Logger;
}

/**
 * The recovery side of `POST /m/{id}/open`, for a link token that matched no recipient
 * (`linkHash` = base64url SHA-256 of the request's `link`). Part 0 uses the
 * grant (one conditional write: of two racing opens, one wins) and records a `recovered` event;
 * later parts are served only within 10 minutes after that. Returns what the response adds (the
 * wrapped secret for the Sealpost-Wrapped-Secret header), or undefined: the caller then answers
 * the same 404 as for any unavailable message. The caller has already checked that the head is
 * active and unexpired.
 */
export async function openRecovery(
  deps: RecoveryOpenDeps,
  head: MessageHead,
  linkHash: string,
  now: Date,
  part: number,
  ctx: { sourceIp?: string; userAgent?: string } = {},
): Promise<{ wrappedSecret: string; unlocks: 'custody' | 'recipient' } | undefined> {
  if (!hasKeptSecrets(head)) return undefined;
  const match = matchRecovery(head, linkHash, now);
  if (!match) return undefined;
  const { grant, index } = match;
  if (part === 0) {
    if (grant.usedAt !== undefined) return undefined;
    if (!(await deps.recoveries.useRecovery(head.id, index, grant.tokenHash, now))) return undefined;
    await appendEvents(deps, [{
      messageId: head.id, tenantId: head.tenantId, type: 'recovered', at: now.toISOString(), actor: `recovery:${index}`, detail: 'recovery link opened',
      sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
    }]);
  } else {
    const usedAt = grant.usedAt === undefined ? Number.NaN : Date.parse(grant.usedAt);
    if (!(usedAt <= now.getTime() && now.getTime() - usedAt < RECOVERY_PART_WINDOW_MS)) return undefined;
  }
  return { wrappedSecret: encodeWrappedSecret(grant.wrappedSecret), unlocks: grant.unlocks ?? 'recipient' };
}

/** What opening a message in the portal needs: pickup's deps, plus recovery links where the deployment keeps them. */
export interface PortalOpenDeps extends PickupDeps {
  readonly recoveries?: RecoveryStore;
}

/**
 * A part opened by a recovery link: with the key the grant unlocks (the custody key, or for an older
 * message a recipient's secret), wrapped under the link's own key (the browser unwraps it).
 */
export type RecoveredPart = OpenedPart & { readonly wrappedSecret: string; readonly unlocks: 'custody' | 'recipient' };

const LINK_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A recovery link's open: its link token matches a recovery record of the message instead of a
 * recipient. Undefined when it is not one (the caller goes on with the recipient path, which then
 * answers 404 as for any unknown credential).
 */
async function openByRecovery(
  deps: PortalOpenDeps, head: MessageHead | undefined, link: string, part: number, ctx: { sourceIp?: string; userAgent?: string }, tenantRead?: TenantRead,
): Promise<RecoveredPart | undefined> {
  const now = deps.clock();
  if (!deps.recoveries || !head || head.state !== 'active' || isExpired(head.expiresAt, now) || (head.recoveries?.length ?? 0) === 0) return undefined;
  const linkHash = await hashAccessToken(link);
  if (!matchRecovery(head, linkHash, now)) return undefined;
  const tenant = await tenantOfHead(deps.tenants, head, tenantRead);
  if (!tenant || tenant.disabled) throw new MessageUnavailableError();
  // Read before the one-time use: an unreadable message must not burn the link.
  const body = await ciphertextFor(deps, head, part);
  const opened = await openRecovery({ recoveries: deps.recoveries, events: deps.events, logger: deps.logger }, head, linkHash, now, part, ctx);
  if (!opened) throw new MessageUnavailableError();
  return { ...body, part, ...opened };
}

/**
 * POST /m/{id}/open: a recovery link opens through the same exchange as a recipient's link (the page
 * sends the link token of whatever secret its fragment holds), so it is tried first; anything else is
 * a recipient's open (pickup).
 */
export async function openMessageOrRecovery(
  deps: PortalOpenDeps,
  messageId: string,
  credentials: RecipientCredentials,
  ctx: OpenContext = {},
): Promise<OpenedPart | RecoveredPart> {
  const part = ctx.part ?? 0;
  if (!Number.isInteger(part) || part < 0) throw new MessageUnavailableError();
  const { link } = credentials;
  if (!deps.recoveries || link === undefined || !LINK_PATTERN.test(link) || !isWellFormedMessageId(messageId)) return openMessage(deps, messageId, credentials, ctx);
  // One read of the head serves both paths: the recovery check and, when it is not one, the recipient's open.
  // Part 0 of a small message: the head and its one chunk in one read (MessageStore.readForOpen).
  const read: { head?: MessageHead; firstPart?: Uint8Array; tenant?: TenantRead } = part === 0
    ? await deps.store.readForOpen(messageId, tenantToReadWith(deps.tenants, ctx.tenantHint))
    : { head: await deps.store.getHead(messageId) };
  const head = { value: read.head };
  return (await openByRecovery(deps, head.value, link, part, ctx, read.tenant))
    ?? openMessage(deps, messageId, credentials, { ...ctx, head, ...(read.firstPart ? { firstPart: read.firstPart } : {}), ...(read.tenant ? { tenant: read.tenant } : {}) });
}
