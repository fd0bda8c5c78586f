/**
 * The recipient inbox of Message Center: sign-in by a code emailed to the address, a session, the
 * list of the address's available messages from one tenant, and opening one of them.
 *
 * What the session proves is control of the mailbox, the same thing the notification link proves,
 * so opening from the inbox hands the browser that recipient's own secret (unwrapped by KMS for
 * this one recipient, and recorded as an `unwrapped` event) plus a verification grant, and the
 * pickup page does the rest exactly as for a link.
 *
 * A code request gets the same answer whether or not the address has messages: nobody can learn
 * from the inbox who has been sent what.
 */
import { encodeSecret } from '../protocol/index.ts';
import { appendEvents, type EventLog } from '../audit/index.ts';
import { hasKeptSecrets, unwrapSecret } from './custody.ts';
import {
  sha256Base64Url, toBase64Url, AppError, MessageUnavailableError, UnauthorizedError, describeError, isExpired, type ProblemExtensions,
  type Clock, type KeyWrapper, type Logger, type Notifier, type RandomBytes,
} from '../shared/index.ts';
import { SIGN_IN_LIMITS, type InboxSession, type InboxStore, type SignInLimits } from './ports.ts';
import { buildSignInCodeEmail } from './sign-in-email.ts';
import { isWellFormedMessageId, type AttachmentSummary, type MessageHead, type MessageStore } from '../messages/index.ts';
import type { Tenant, TenantDirectory } from '../tenants/index.ts';

/** A session ends this long after sign-in, whatever the activity. */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60_000;
/** …and this long after its last use. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** How many of an address's newest entries the inbox shows. */
export const INBOX_PAGE = 50;
/** How many newest entries a code request looks at to decide whether the address has a message. */
const SIGN_IN_LOOKAHEAD = 10;

export interface InboxDeps {
  readonly inbox: InboxStore;
  readonly store: Pick<MessageStore, 'getHead'>;
  readonly tenants: Pick<TenantDirectory, 'getTenant'>;
  readonly keys: KeyWrapper;
  readonly events: EventLog;
  /** Sends the code email (SES in production). */
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly logger: Logger;
  /** The portal's own origin (the inbox API accepts POSTs from its pages too). */
  readonly portalOrigin: string;
  /**
   * Issues a verification grant for a recipient whose address the session proved (the pickup side
   * owns grants, so it is injected). Without it, the pickup page asks for its own proof.
   */
  readonly issueGrant?: (messageId: string, rid: string, now: Date) => Promise<string>;
  readonly limits?: SignInLimits;
  /**
   * Paces a code request: it answers no sooner than `ms` after it began, whatever it did, so its
   * time does not tell an address with messages (a code looked up and emailed) from one without.
   * Entries compose SIGN_IN_ANSWER_MS with a real timer.
   */
  readonly pace: { readonly ms: number; readonly sleep: (ms: number) => Promise<void> };
}

/**
 * How long every code request takes at least. Well above what the slow path costs (an entries
 * query, a head read, a conditional write and an SES send: typically 50–300 ms), so both answer
 * at this time; a send slower than this still shows (residual risk 25).
 */
export const SIGN_IN_ANSWER_MS = 1000;

export interface RequestContext {
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * Five wrong codes locked the address for a while. Said plainly: whoever typed them is told (the
 * same for an address with or without messages). Kind "locked" like the pickup's LockedError: 429.
 */
export class SignInLockedError extends AppError {
  readonly kind = 'locked';
  override readonly extensions: ProblemExtensions;
  constructor(override readonly retryAfter: number) {
    super('Too many wrong codes. For your security, signing in with this address is paused for 15 minutes; then ask for a new code.');
    this.extensions = { retryAfter };
  }
}

const SESSION_ENDED = 'Your inbox session has ended or you are not signed in. Sign in again with a code sent to your email address.';
const WRONG_CODE = 'That code is not right, or it has expired or was already used. Check the newest email, or ask for a new code.';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Six decimal digits, uniform (rejection sampling: no digit is likelier than another). */
export function newSignInCode(random: RandomBytes): string {
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  for (;;) {
    const bytes = random(4);
    const n = (((bytes[0] ?? 0) << 24) >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0);
    if (n < limit) return String(n % 1_000_000).padStart(6, '0');
  }
}

/**
 * How a code is kept: SHA-256 over tenant, address and code. Six digits are easy to try offline
 * against a stolen hash; what protects a code is that it lives 10 minutes, is used once and allows
 * five guesses — the hash only keeps it out of plain sight in the table.
 */
export function signInCodeHash(tenantId: string, email: string, code: string): Promise<string> {
  return sha256Base64Url(`sealpost/v1 inbox-code\n${tenantId}\n${normaliseEmail(email)}\n${code}`);
}

/** The tenant if it exists and is not disabled. */
async function activeTenant(deps: Pick<InboxDeps, 'tenants'>, tenantId: string): Promise<Tenant | undefined> {
  const tenant = await deps.tenants.getTenant(tenantId);
  return tenant && !tenant.disabled ? tenant : undefined;
}

/** True when `head` can be shown in (and opened from) the inbox of `email` with `tenantId` at `now`. */
function availableFor(head: MessageHead | undefined, tenantId: string, email: string, now: Date): head is MessageHead {
  return head !== undefined && head.tenantId === tenantId && head.state === 'active' && !isExpired(head.expiresAt, now)
    && hasKeptSecrets(head) && head.recipients.some((r) => normaliseEmail(r.email) === email);
}

/**
 * Asks for a sign-in code. Always answers `{ sent: true }`. An email goes out only when the address
 * has an available message from this (enabled) tenant and the code limits allow one; for an enabled
 * tenant the stored code state is written for every address alike, so the limits and the work done
 * do not depend on whether there are messages (the email itself is the only difference, and it goes
 * to the address), and the answer comes no sooner than `pace.ms` after the request began, so its
 * timing does not tell either.
 */
export async function requestSignIn(deps: InboxDeps, tenantId: string, email: string, ctx: RequestContext = {}): Promise<{ sent: true }> {
  const started = deps.clock().getTime();
  try {
    return await issueSignInCode(deps, tenantId, email, ctx);
  } finally {
    const left = started + deps.pace.ms - deps.clock().getTime();
    if (left > 0) await deps.pace.sleep(left);
  }
}

async function issueSignInCode(deps: InboxDeps, tenantId: string, email: string, _ctx: RequestContext): Promise<{ sent: true }> {
  const address = normaliseEmail(email);
  const now = deps.clock();
  const tenant = await activeTenant(deps, tenantId);
  // An unknown or disabled tenant stores nothing (its pages are neutral anyway; tenant ids are not secret).
  if (!tenant) return { sent: true };
  let hasMessages = false;
  const entries = await deps.inbox.listEntries(tenantId, address, SIGN_IN_LOOKAHEAD);
  for (const entry of entries) {
    if (availableFor(await deps.store.getHead(entry.messageId), tenantId, address, now)) {
      hasMessages = true;
      break;
    }
  }
  const code = newSignInCode(deps.random);
  // Without messages the stored code is one that was never sent: nobody can know it.
  const outcome = await deps.inbox.issueCode(tenantId, address, await signInCodeHash(tenantId, address, code), now, deps.limits ?? SIGN_IN_LIMITS);
  if (hasMessages && outcome === 'issued') {
    const limits = deps.limits ?? SIGN_IN_LIMITS;
    const mail = buildSignInCodeEmail({ tenant, to: { email: address }, code, validMinutes: Math.round(limits.codeTtlMs / 60_000) });
    try {
      const result = await deps.notifier.send(mail);
      if (result.status === 'failed') deps.logger.warn('inbox_code_not_sent', { tenantId, reason: result.reason });
    } catch (error) {
      deps.logger.error('inbox_code_not_sent', { tenantId, error: describeError(error) });
    }
  }
  return { sent: true };
}

/**
 * Checks a code and starts a session. The token is returned once (for the cookie) and stored only
 * as its SHA-256. A wrong code answers the same whether or not the address has messages.
 */
export async function verifySignIn(deps: InboxDeps, tenantId: string, email: string, code: string, _ctx: RequestContext = {}): Promise<{ sessionToken: string; expiresAt: string }> {
  const address = normaliseEmail(email);
  const now = deps.clock();
  const limits = deps.limits ?? SIGN_IN_LIMITS;
  if (!/^\d{6}$/.test(code) || !(await activeTenant(deps, tenantId))) throw new UnauthorizedError(WRONG_CODE);
  const outcome = await deps.inbox.redeemCode(tenantId, address, await signInCodeHash(tenantId, address, code), now, limits);
  if (outcome === 'locked') throw new SignInLockedError(Math.ceil(limits.lockMs / 1000));
  if (outcome !== 'ok') throw new UnauthorizedError(WRONG_CODE);
  const sessionToken = toBase64Url(deps.random(32));
  const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_MS).toISOString();
  const created = await deps.inbox.createSession({
    tokenHash: await sha256Base64Url(sessionToken), tenantId, email: address, createdAt: now.toISOString(), lastSeenAt: now.toISOString(), expiresAt,
  });
  if (!created) throw new UnauthorizedError(WRONG_CODE);
  deps.logger.info('inbox_signed_in', { tenantId });
  return { sessionToken, expiresAt };
}

/**
 * The session of a request's token for `tenantId`, within its timeouts; UnauthorizedError
 * otherwise. `touch` (POSTs only: a GET changes nothing) also restarts the idle timeout.
 */
export async function authenticateSession(deps: Pick<InboxDeps, 'inbox' | 'clock' | 'tenants'>, token: string | undefined, tenantId: string, options: { touch: boolean }): Promise<InboxSession> {
  if (token === undefined || !TOKEN_PATTERN.test(token)) throw new UnauthorizedError(SESSION_ENDED);
  const now = deps.clock();
  const tokenHash = await sha256Base64Url(token);
  const idleFloor = new Date(now.getTime() - SESSION_IDLE_MS);
  const session = options.touch ? await deps.inbox.touchSession(tokenHash, now, idleFloor) : await deps.inbox.getSession(tokenHash);
  // Every read checks the times itself: TTL deletes late, and a plain read does not check at all.
  if (!session || isExpired(session.expiresAt, now) || !(Date.parse(session.lastSeenAt) > idleFloor.getTime()) || session.tenantId !== tenantId) {
    throw new UnauthorizedError(SESSION_ENDED);
  }
  if (!(await activeTenant(deps, tenantId))) throw new UnauthorizedError(SESSION_ENDED);
  return session;
}

/** One message as the inbox lists it. */
export interface InboxItem {
  readonly id: string;
  /** The tenant's display name. */
  readonly sender: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly read: boolean;
  readonly replied: boolean;
  /** The sender's label (stored in the clear), so the recipient can tell messages apart. */
  readonly label?: string;
  /** How many files it carries and their size, when known. */
  readonly attachments?: AttachmentSummary;
}

/**
 * The signed-in address's available messages from the session's tenant, newest first: revoked,
 * expired and other tenants' messages are left out, and so is any message the address is not (or no
 * longer) a recipient of. The tenant's current setting does not matter: a message kept for the inbox
 * stays readable there until it expires, even after Message Center is turned off.
 */
export async function listInbox(deps: InboxDeps, session: InboxSession): Promise<InboxItem[]> {
  const now = deps.clock();
  const tenant = await activeTenant(deps, session.tenantId);
  if (!tenant) return [];
  const entries = await deps.inbox.listEntries(session.tenantId, session.email, INBOX_PAGE);
  const heads = await Promise.all(entries.map((e) => deps.store.getHead(e.messageId)));
  const items: InboxItem[] = [];
  const seen = new Set<string>();
  for (const head of heads) {
    if (!availableFor(head, session.tenantId, session.email, now) || seen.has(head.id)) continue;
    seen.add(head.id);
    const recipient = head.recipients.find((r) => normaliseEmail(r.email) === session.email);
    items.push({
      id: head.id,
      sender: tenant.settings.displayName,
      createdAt: head.createdAt,
      expiresAt: head.expiresAt,
      read: (recipient?.opens ?? 0) > 0,
      replied: (recipient?.replies ?? 0) > 0,
      ...(head.label !== undefined ? { label: head.label } : {}),
      ...(head.attachments ? { attachments: head.attachments } : {}),
    });
  }
  return items.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

/**
 * Opens one message for the signed-in recipient: unwraps *that recipient's* secret only (one KMS
 * call), records an `unwrapped` event, and obtains a verification grant. The browser then opens
 * `/m/<id>#<secret>:<grant>` as if it had followed the link. Every "cannot" is the same 404.
 */
export async function openFromInbox(deps: InboxDeps, session: InboxSession, messageId: string, ctx: RequestContext = {}): Promise<{ secret: string; grant?: string }> {
  if (!isWellFormedMessageId(messageId)) throw new MessageUnavailableError();
  const now = deps.clock();
  const head = await deps.store.getHead(messageId);
  if (!availableFor(head, session.tenantId, session.email, now)) throw new MessageUnavailableError();
  const recipient = head.recipients.find((r) => normaliseEmail(r.email) === session.email);
  if (!recipient) throw new MessageUnavailableError();
  const bytes = await unwrapSecret(deps.keys, head, recipient.rid);
  let secret: string;
  try {
    secret = encodeSecret(bytes);
  } finally {
    bytes.fill(0);
  }
  await appendEvents(deps, [{
    messageId, tenantId: head.tenantId, type: 'unwrapped', at: now.toISOString(), actor: `inbox:${recipient.rid}`,
    recipient: recipient.email, detail: 'opened from the inbox', sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: head.auditRetentionDays,
  }]);
  const grant = deps.issueGrant ? await deps.issueGrant(messageId, recipient.rid, now) : undefined;
  return grant === undefined ? { secret } : { secret, grant };
}

/** Ends the session of `token`, if there is one (a missing or malformed token is already signed out). */
export async function signOut(deps: Pick<InboxDeps, 'inbox'>, token: string | undefined): Promise<void> {
  if (token === undefined || !TOKEN_PATTERN.test(token)) return;
  await deps.inbox.deleteSession(await sha256Base64Url(token));
}
