/**
 * Fakes for secure replies: an in-memory ReplyRecorder over the in-memory message store (the same
 * conditions as the DynamoDB adapter), and a world that wires it with the sending pipeline and the
 * real recipient check.
 */
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { authorizeRecipient } from '../../functions/core/pickup/index.ts';
import { isExpired } from '../../functions/core/shared/index.ts';
import { sendMessage, type OutboundMessage, type RecipientRecord } from '../../functions/core/messages/index.ts';
import type { Principal, Tenant } from '../../functions/core/tenants/index.ts';
import type { AuthorizeRecipient, ReplyCount, ReplyDeps, ReplyRecorder } from '../../functions/core/replies/index.ts';
import { aClock, aSendingWorld, aTenant, parseLink } from './builders.ts';
import { InMemoryMessageStore, InMemoryTenantDirectory } from './fakes.ts';

export class InMemoryReplyRecorder implements ReplyRecorder {
  /** Set to make addReply throw, like a store outage after the reply went out. */
  failAddReply = false;
  constructor(private readonly store: InMemoryMessageStore) {}

  async countReply(input: Parameters<ReplyRecorder['countReply']>[0]): Promise<ReplyCount> {
    const head = this.store.heads.get(input.messageId);
    if (!head || head.state !== 'active' || isExpired(head.expiresAt, input.now)) return { status: 'unavailable' };
    const recipient = head.recipients.find((r) => r.rid === input.rid);
    if (!recipient) return { status: 'unavailable' };
    const floor = new Date(input.now.getTime() - input.windowMs).toISOString();
    const current = recipient.replyWindowStart !== undefined && recipient.replyWindowStart > floor;
    if (current && (recipient.replies ?? 0) >= input.limit) {
      return { status: 'limited', ...(recipient.replyWindowStart ? { windowStart: recipient.replyWindowStart } : {}) };
    }
    const updated: RecipientRecord = current
      ? { ...recipient, replies: (recipient.replies ?? 0) + 1 }
      : { ...recipient, replies: 1, replyWindowStart: input.now.toISOString() };
    this.store.heads.set(head.id, { ...head, recipients: head.recipients.map((r) => (r.rid === input.rid ? updated : r)) });
    return { status: 'counted' };
  }

  async addReply(messageId: string, replyId: string): Promise<boolean> {
    if (this.failAddReply) throw new Error('store down');
    const head = this.store.heads.get(messageId);
    if (!head) return false;
    this.store.heads.set(messageId, { ...head, replyIds: [...(head.replyIds ?? []), replyId] });
    return true;
  }
}

/** Everything sendReply needs, in memory, with a test clock and real sealing. */
export function aReplyWorld(options: { tenant?: Tenant } = {}) {
  const clock = aClock();
  const tenants = new InMemoryTenantDirectory();
  const tenant = options.tenant ?? aTenant();
  tenants.tenants.set(tenant.id, tenant);
  const base = aSendingWorld(clock, tenants);
  const store = base.store;
  const deps = {
    ...base,
    replies: new InMemoryReplyRecorder(store),
  };
  // The real recipient check (the one the route uses), on these fakes.
  const world = { ...deps, authorize: ((messageId, credentials, ctx) => authorizeRecipient(deps, messageId, credentials, ctx)) as AuthorizeRecipient } satisfies ReplyDeps;

  /** Sends an original message through the real pipeline; returns its id and each recipient's secret and token. */
  const sendOriginal = async (message: Partial<OutboundMessage> = {}) => {
    const principal: Principal = { tenant: tenants.tenants.get(tenant.id) as Tenant, keyId: 'key1', scope: 'send' };
    const before = deps.notifier.sent.length;
    const receipt = await sendMessage(world, principal, {
      to: [{ email: 'alice@example.com', name: 'Alice Example' }], cc: [], subject: 'Lab results', text: 'Your results are ready.', attachments: [], ...message,
    }, { requestHash: 'h' });
    const links = await Promise.all(deps.notifier.sent.slice(before).map(async (n) => {
      const { secret } = parseLink(n.text);
      return { email: n.to.email, secret, link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
    }));
    return { id: receipt.id, links };
  };
  return { deps: world, clock, tenant, sendOriginal };
}
