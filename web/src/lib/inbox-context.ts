/**
 * What ties a message opened from the Message Center inbox to that inbox: which inbox it came from
 * (the tenant and the page's path) and the list's order, so the message page can offer the way
 * back, the previous and next message, and signing out — and the inbox can show where the
 * recipient was when they come back.
 *
 * The inbox hands it over in sessionStorage (this tab only) just before it opens the pickup page;
 * the pickup page takes it (once, and only for the message it was meant for) and keeps it in its
 * own history entry, so a reload or Back/Forward still knows. It holds message ids, a tenant id and
 * a path: never a secret or a grant, which travel in the fragment exactly as in an emailed link.
 */

export interface InboxContext {
  readonly tenantId: string;
  /** The inbox page's path (`/inbox/<tenant>`, or `/inbox` on a tenant's own hostname). */
  readonly home: string;
  /** The listed messages' ids, in the list's order. */
  readonly ids: readonly string[];
}

const HAND_OVER = 'sealpost.inbox.open';
const LAST_OPENED = 'sealpost.inbox.last';
const NOTICE = 'sealpost.inbox.notice';

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[A-Za-z0-9_-]{22}$/;
const HOME = /^\/inbox(?:\/[A-Za-z0-9_-]{1,64})?\/?$/;
const MAX_IDS = 100;

/** `value` as an inbox context, or undefined when it is not exactly one (storage is only ever ours, but is checked all the same). */
export function inboxContextOf(value: unknown): InboxContext | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { tenantId, home, ids } = value as Record<string, unknown>;
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId) || typeof home !== 'string' || !HOME.test(home)) return undefined;
  if (!Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((id): id is string => typeof id === 'string' && MESSAGE_ID.test(id))) return undefined;
  return { tenantId, home, ids };
}

// Storage may be unavailable (disabled, or full): the inbox then works as before, without the thread.
function read(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}
function write(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Without storage the message page simply has no inbox bar.
  }
}

/** The inbox, just before it opens message `opening` in this tab. */
export function handOver(context: InboxContext, opening: string): void {
  write(HAND_OVER, JSON.stringify({ ...context, opening }));
}

/** The pickup page of message `id`: the context the inbox handed over for it, taken (it works once). */
export function takeHandOver(id: string): InboxContext | undefined {
  const raw = read(HAND_OVER);
  write(HAND_OVER, null);
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    const context = inboxContextOf(value);
    return context && (value as { opening?: unknown }).opening === id ? context : undefined;
  } catch {
    return undefined;
  }
}

/** The message page: `id` was opened, so the inbox can bring the recipient back to its row. */
export function rememberOpened(id: string): void {
  write(LAST_OPENED, id);
}

/** The inbox: the message last opened from it in this tab, if any (taken: it is said once). */
export function takeLastOpened(): string | undefined {
  const id = read(LAST_OPENED);
  write(LAST_OPENED, null);
  return id !== null && MESSAGE_ID.test(id) ? id : undefined;
}

/** The message page signed the recipient out: the inbox says so when it shows the sign-in form. */
export function noteSignedOut(): void {
  write(NOTICE, 'signed-out');
}

export function takeSignedOut(): boolean {
  const notice = read(NOTICE);
  write(NOTICE, null);
  return notice === 'signed-out';
}
