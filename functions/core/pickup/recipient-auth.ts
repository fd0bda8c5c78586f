/**
 * Who may have a message's ciphertext: the one counted, rate-limited check every recipient path
 * goes through (open, code resend, secure reply). It identifies the recipient by the link, refuses
 * while they are locked, checks the token (a wrong one is a wrong passcode, counted), and for an
 * "email-code" message asks for, checks and uses up the emailed code, or accepts a grant.
 *
 * Every counted answer is decided by a conditional write (MessageStore.recordFailure/consumeCode),
 * never by what was read: parallel guesses get at most `maxFailures` answers. The code, passcode
 * and tokens never reach a log line, an event or an error.
 */
import { hashAccessToken } from '../protocol/index.ts';
import { appendEvents, type EventLog } from '../audit/index.ts';
import { buildCodeEmail } from './code-email.ts';
import {
  constantTimeEqual, CodeRateLimitedError, CodeWrongError, ConflictError, DependencyError, LockedError, MessageUnavailableError,
  PasscodeWrongError, VerificationRequiredError, describeError, isExpired, type Clock, type Logger, type Notifier, type RandomBytes,
} from '../shared/index.ts';
import { isWellFormedMessageId, type MessageHead, type RecipientRecord, type MessageStore, type TenantRead } from '../messages/index.ts';
import type { Tenant, TenantDirectory } from '../tenants/index.ts';
import type { PickupStore } from './ports.ts';
import {
  CODE_PATTERN, VERIFICATION_POLICY as LIMITS, attemptsLeft, generateCode, hasViewOrWindow, hashCode, isLocked, lockRetryAfter, maskEmail, newGrant,
  resendRetryAfter,
} from './verification.ts';

export interface RecipientAuthDeps {
  readonly store: MessageStore & PickupStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Sends the email codes. */
  readonly notifier: Notifier;
  /** The tenant's name and sender address for the code email. */
  readonly tenants: TenantDirectory;
  readonly random: RandomBytes;
}

/** What a recipient presents. All but `token` are optional; see docs/protocol.md §5.4. */
export interface RecipientCredentials {
  /** The link token (from the secret alone): identifies the recipient. */
  readonly link?: string;
  /** The access token (from the message key, i.e. with the passcode if there is one). */
  readonly token: string;
  /** The 6-digit code from the email. */
  readonly code?: string;
  /** A grant from an earlier verified request (Sealpost-Grant), instead of a code. */
  readonly grant?: string;
}

export interface AuthContext {
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Later parts: only a valid grant passes the email-code step, and no code is ever sent. */
  readonly grantOnly?: boolean;
  /** POST /m/:id/code: send a new code, whatever grant or code came along. */
  readonly resend?: boolean;
  /** The head as this request has just read it (`value` undefined: there is none): it is not read again. */
  readonly head?: { readonly value: MessageHead | undefined };
  /**
   * A tenant this request read with the head (MessageStore.readForOpen): used only if it is the
   * head's own, and then not read again. Any other (a hint that named another tenant) is ignored.
   */
  readonly tenant?: TenantRead;
}

export interface AuthorizedRecipient {
  readonly head: MessageHead;
  readonly recipient: RecipientRecord;
  /** A new grant, when this request verified a code: hand it to the client (Sealpost-Grant). */
  readonly grant?: string;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The tenant an open reads together with its message (MessageStore.readForOpen): the one its page
 * named, unless this instance holds that tenant already (TenantDirectory.holds) — a hint, which
 * tenantOfHead uses only if it is the message's own.
 */
export function tenantToReadWith(tenants: Pick<TenantDirectory, 'holds'>, hint: string | undefined): string | undefined {
  return hint !== undefined && tenants.holds?.(hint) !== true ? hint : undefined;
}

/**
 * The head's tenant: the one read with the head when it is the head's own (and then kept for the
 * next request: TenantDirectory.keep), otherwise read as ever. A tenant read for any other id (a
 * page that named another tenant) is set aside, never used, kept or compared beyond its id.
 */
export async function tenantOfHead(tenants: TenantDirectory, head: MessageHead, read: TenantRead | undefined): Promise<Tenant | undefined> {
  if (read === undefined || read.id !== head.tenantId) return tenants.getTenant(head.tenantId);
  tenants.keep?.(read.id, read.value);
  return read.value;
}

/** The recipient whose stored hash `field` equals `hash`, comparing against every recipient (no early exit). */
export function matchRecipient(head: MessageHead, hash: string, field: 'tokenHash' | 'linkTokenHash' = 'tokenHash'): RecipientRecord | undefined {
  let found: RecipientRecord | undefined;
  for (const recipient of head.recipients) {
    const stored = recipient[field];
    if (stored !== undefined && constantTimeEqual(stored, hash) && !found) found = recipient;
  }
  return found;
}

const available = (head: MessageHead | undefined, now: Date): head is MessageHead =>
  head !== undefined && head.state === 'active' && !isExpired(head.expiresAt, now);

/**
 * The whole check of a recipient's credentials for message `messageId`, in the order of
 * docs/protocol.md §5.4. Resolves with the head and recipient when the ciphertext may be released;
 * otherwise throws MessageUnavailableError (404), LockedError, PasscodeWrongError, CodeWrongError,
 * VerificationRequiredError (a code was just emailed) or CodeRateLimitedError.
 */
export async function authorizeRecipient(
  deps: RecipientAuthDeps,
  messageId: string,
  credentials: RecipientCredentials,
  ctx: AuthContext = {},
): Promise<AuthorizedRecipient> {
  const { link, token, code, grant } = credentials;
  if (!isWellFormedMessageId(messageId) || !TOKEN_PATTERN.test(token) || (link !== undefined && !TOKEN_PATTERN.test(link))) {
    throw new MessageUnavailableError();
  }
  const now = deps.clock();
  const head = ctx.head ? ctx.head.value : await deps.store.getHead(messageId);
  if (!available(head, now)) throw new MessageUnavailableError();
  const tokenHash = await hashAccessToken(token);
  // A message that stores link tokens is matched by the link only: matching by the token would let
  // a holder of the link try passcodes without ever being counted (a wrong guess would match no
  // one). Only a message sent before link tokens existed is matched by the token.
  const storesLinks = head.recipients.some((r) => r.linkTokenHash !== undefined);
  if (storesLinks && link === undefined) throw new MessageUnavailableError();
  const recipient = storesLinks
    ? matchRecipient(head, await hashAccessToken(link as string), 'linkTokenHash')
    : matchRecipient(head, tokenHash);
  if (!recipient) throw new MessageUnavailableError();
  // A disabled tenant's messages are closed, like its keys.
  const tenant = await tenantOfHead(deps.tenants, head, ctx.tenant);
  if (!tenant || tenant.disabled) throw new MessageUnavailableError();
  // Spent views close every action, not just the open: no code is sent, no reply accepted.
  if (!hasViewOrWindow(head, recipient, now)) throw new MessageUnavailableError();
  if (isLocked(recipient, now)) throw new LockedError(lockRetryAfter(recipient, now));

  if (!constantTimeEqual(recipient.tokenHash, tokenHash)) {
    // The link is right but the token is not: with a passcode, that is a wrong passcode.
    if (!head.passcode) throw new MessageUnavailableError();
    return countFailure(deps, head, recipient, 'passcode', now, ctx);
  }
  if (head.passcode && !(await deps.store.confirmUnlocked(head.id, recipient.rid, now, LIMITS))) {
    const fresh = await freshRecipient(deps, head.id, recipient.rid, now);
    if (isLocked(fresh, now)) throw new LockedError(lockRetryAfter(fresh, now));
    throw new MessageUnavailableError();
  }
  if (head.verification !== 'email-code') {
    if (ctx.resend) throw new ConflictError('This message needs no code: the link (and passcode, if any) opens it.');
    return { head, recipient };
  }
  if (!ctx.resend && grant !== undefined && TOKEN_PATTERN.test(grant) && grantIsValid(recipient, await hashAccessToken(grant), now)) {
    return { head, recipient };
  }
  if (ctx.grantOnly) throw new MessageUnavailableError();
  if (code === undefined || ctx.resend) return sendCode(deps, head, recipient, now, ctx);

  const codeHash = await hashCode(head.id, recipient.rid, code);
  const pending = recipient.code;
  if (!CODE_PATTERN.test(code) || !pending || isExpired(pending.expiresAt, now) || !constantTimeEqual(pending.hash, codeHash)) {
    return countFailure(deps, head, recipient, 'code', now, ctx);
  }
  const issued = newGrant(deps.random);
  const grantRecord = { hash: await hashAccessToken(issued), expiresAt: new Date(now.getTime() + LIMITS.grantTtlMs).toISOString() };
  if (!(await deps.store.consumeCode(head.id, recipient.rid, codeHash, grantRecord, now, LIMITS))) {
    // The right code, but another request used it first, it expired, or a parallel guess locked
    // the recipient: not counted (only the code's holder gets here), and nothing released.
    const fresh = await freshRecipient(deps, head.id, recipient.rid, now);
    if (isLocked(fresh, now)) throw new LockedError(lockRetryAfter(fresh, now));
    throw new CodeWrongError(attemptsLeft(fresh.failures ?? 0));
  }
  await appendEvents(deps, [event(head, recipient, 'verified', now, ctx, 'email-code')]);
  return { head, recipient, grant: issued };
}

/**
 * A grant for a recipient verified another way (a Message Center sign-in proves the address): lets
 * them open (and reply to) an "email-code" message for 10 minutes without a code.
 */
export async function issueGrant(deps: Pick<RecipientAuthDeps, 'store' | 'random'>, messageId: string, rid: string, now: Date): Promise<string> {
  const grant = newGrant(deps.random);
  const stored = await deps.store.storeGrant(messageId, rid, { hash: await hashAccessToken(grant), expiresAt: new Date(now.getTime() + LIMITS.grantTtlMs).toISOString() }, now);
  if (!stored) throw new MessageUnavailableError();
  return grant;
}

function grantIsValid(recipient: RecipientRecord, grantHash: string, now: Date): boolean {
  return recipient.grant !== undefined && constantTimeEqual(recipient.grant.hash, grantHash) && !isExpired(recipient.grant.expiresAt, now);
}

/** The recipient as stored now (after a refused write), or "not available" if the message went away meanwhile. */
async function freshRecipient(deps: RecipientAuthDeps, messageId: string, rid: string, now: Date): Promise<RecipientRecord> {
  const head = await deps.store.getHead(messageId);
  const recipient = available(head, now) ? head.recipients.find((r) => r.rid === rid) : undefined;
  if (!recipient) throw new MessageUnavailableError();
  return recipient;
}

type VerificationEventType = 'code_sent' | 'verification_failed' | 'locked' | 'verified';

function event(head: MessageHead, recipient: RecipientRecord, type: VerificationEventType, now: Date, ctx: AuthContext, detail?: string) {
  return {
    messageId: head.id, tenantId: head.tenantId, type, at: now.toISOString(), actor: `recipient:${recipient.rid}`, recipient: recipient.email,
    sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays, ...(detail !== undefined ? { detail } : {}),
  };
}

/** Counts a wrong code or passcode (one conditional write) and throws the answer it earned. */
async function countFailure(deps: RecipientAuthDeps, head: MessageHead, recipient: RecipientRecord, what: 'code' | 'passcode', now: Date, ctx: AuthContext): Promise<never> {
  const failures = await deps.store.recordFailure(head.id, recipient.rid, now, LIMITS);
  if (failures === undefined) {
    // Refused: a parallel guess locked the recipient first (or the message went away).
    const fresh = await freshRecipient(deps, head.id, recipient.rid, now);
    throw new LockedError(isLocked(fresh, now) ? lockRetryAfter(fresh, now) : LIMITS.lockMs / 1000);
  }
  const left = attemptsLeft(failures);
  const events = [event(head, recipient, 'verification_failed', now, ctx, `${what}; ${left} attempts left`)];
  if (left === 0) events.push(event(head, recipient, 'locked', now, ctx, `${LIMITS.lockMs / 60_000} minutes after ${LIMITS.maxFailures} wrong attempts`));
  await appendEvents(deps, events);
  if (left === 0) throw new LockedError(LIMITS.lockMs / 1000);
  throw what === 'code' ? new CodeWrongError(left) : new PasscodeWrongError(left);
}

/** Issues a code within the resend limits (one conditional write), emails it, and asks for it. */
async function sendCode(deps: RecipientAuthDeps, head: MessageHead, recipient: RecipientRecord, now: Date, ctx: AuthContext): Promise<never> {
  const tenant = await deps.tenants.getTenant(head.tenantId);
  if (!tenant) throw new MessageUnavailableError();
  const code = generateCode(deps.random);
  const expiresAt = new Date(now.getTime() + LIMITS.codeTtlMs).toISOString();
  if (!(await deps.store.issueCode(head.id, recipient.rid, { hash: await hashCode(head.id, recipient.rid, code), expiresAt }, now, LIMITS))) {
    const fresh = await freshRecipient(deps, head.id, recipient.rid, now);
    if (isLocked(fresh, now)) throw new LockedError(lockRetryAfter(fresh, now));
    throw new CodeRateLimitedError(Math.max(1, resendRetryAfter(fresh, now)));
  }
  const email = buildCodeEmail({
    tenant, code, reference: { messageId: head.id, rid: recipient.rid },
    to: { email: recipient.email, ...(recipient.name ? { name: recipient.name } : {}) },
  });
  let outcome: { status: 'notified' | 'failed'; reason?: string };
  try {
    outcome = await deps.notifier.send(email);
  } catch (error) {
    outcome = { status: 'failed', reason: describeError(error) };
  }
  if (outcome.status === 'failed') {
    // The code counts against the resend limit although it never left: a retry 30 s later sends a new one.
    deps.logger.warn('code_send_failed', { messageId: head.id, rid: recipient.rid, reason: outcome.reason });
    throw new DependencyError('The code could not be emailed right now. Try again in a minute.', 'ses');
  }
  await appendEvents(deps, [event(head, recipient, 'code_sent', now, ctx)]);
  throw new VerificationRequiredError(maskEmail(recipient.email), expiresAt);
}
