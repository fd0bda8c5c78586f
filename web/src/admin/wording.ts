/**
 * What the console says about the audit trail: each event type in plain words, who did it, and what
 * a settings change touched — the same sentence wherever an event appears (a message's history, the
 * activity list). The API's type names stay visible beside them, for whoever reads webhooks too.
 */
import { h } from '../lib/dom.ts';
import type { AuditEvent, EventType } from '../lib/admin-api.ts';
import { formatTime, time } from './ui.ts';

/** A short name for each event type: webhook choices, filters. */
export const EVENT_LABELS: Readonly<Record<EventType, string>> = {
  created: 'Sent',
  notified: 'Notification emailed',
  notify_failed: 'Notification failed',
  delivered: 'Notification delivered',
  bounced: 'Notification bounced',
  complained: 'Marked as spam',
  code_sent: 'Code emailed',
  verification_failed: 'Wrong code or passcode',
  locked: 'Locked out',
  verified: 'Code confirmed',
  opened: 'Opened',
  revealed: 'Viewed again',
  unwrapped: 'Opened from the inbox',
  recovered: 'Recovery link',
  replied: 'Replied',
  expiry_changed: 'Expiry changed',
  revoked: 'Revoked',
  expired: 'Expired',
  settings_changed: 'Settings changed',
  key_created: 'API key created',
  key_revoked: 'API key revoked',
  webhook_created: 'Webhook added',
  webhook_deleted: 'Webhook deleted',
};

/** The event types grouped as an administrator thinks of them (for choosing webhook events). */
export const EVENT_GROUPS: readonly { readonly name: string; readonly types: readonly EventType[] }[] = [
  { name: 'Sending', types: ['created', 'notified', 'notify_failed', 'delivered', 'bounced', 'complained'] },
  { name: 'Opening', types: ['opened', 'revealed', 'unwrapped', 'code_sent', 'verified', 'verification_failed', 'locked', 'replied'] },
  { name: 'Changes', types: ['expiry_changed', 'revoked', 'expired', 'recovered'] },
  { name: 'Organisation', types: ['settings_changed', 'key_created', 'key_revoked', 'webhook_created', 'webhook_deleted'] },
];

/** Settings fields as the settings form names them. */
const SETTING_NAMES: Readonly<Record<string, string>> = {
  displayName: 'organisation name',
  senderAddress: 'sender address',
  replyTo: 'reply-to address',
  portalHostnames: 'portal hostnames',
  pendingHostnames: 'hostnames waiting for approval',
  defaultExpiryDays: 'default lifetime',
  maxExpiryDays: 'longest lifetime',
  'brand.primaryColor': 'brand colour',
  'brand.logo': 'logo',
  messageCenter: 'Message Center',
  verification: 'recipient verification',
  auditRetentionDays: 'audit retention',
};

export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

export const EVENT_TONES: Partial<Record<EventType, Tone>> = {
  notify_failed: 'bad', bounced: 'bad', complained: 'bad', revoked: 'bad', locked: 'bad', verification_failed: 'warn',
  opened: 'good', revealed: 'good', unwrapped: 'good', verified: 'good', replied: 'good', delivered: 'good', recovered: 'warn',
};

/** "a", "a and b", "a and 2 others". */
export function addressesText(emails: readonly string[]): string {
  const [first, second] = emails;
  if (first === undefined) return '';
  if (second === undefined) return first;
  if (emails.length === 2) return `${first} and ${second}`;
  return `${first} and ${emails.length - 1} others`;
}

/** Who did it, in words: "key 3050b1ca…", "alice@example.com", "sealpost", "the operator". */
export function actorName(event: Pick<AuditEvent, 'actor' | 'recipient'>, ownKeyId?: string): string {
  const [kind, id = ''] = event.actor.split(':');
  switch (kind) {
    case 'key': return id === ownKeyId ? 'you (this console\'s key)' : `key ${id}`;
    case 'recipient': return event.recipient ?? 'a recipient';
    case 'inbox': return event.recipient ? `${event.recipient}, from the inbox` : 'a recipient, from the inbox';
    case 'recovery': return 'someone with the recovery link';
    case 'system': return 'sealpost';
    case 'operator': return 'the operator';
    case 'local': return 'npm start';
    case 'mail-service': return 'the mail service';
    default: return event.actor;
  }
}

const when = (value: unknown): string => formatTime(typeof value === 'string' ? value : undefined, '?');

/** The changed settings of a settings_changed event, by the names the form uses. */
export function changedSettings(event: Pick<AuditEvent, 'after' | 'before' | 'detail'>): string[] {
  const keys = Object.keys(event.after ?? event.before ?? {});
  if (keys.length === 0 && event.detail) return event.detail.split(/,\s*/);
  return keys.map((key) => SETTING_NAMES[key] ?? key);
}

function webhookUrl(event: Pick<AuditEvent, 'after' | 'before'>): string {
  const url = (event.after ?? event.before)?.url;
  return typeof url === 'string' ? `${url} ` : '';
}

/** One event as a sentence, e.g. "Opened by alice@example.com (view 1 of 3)". */
export function describeEvent(event: AuditEvent, ownKeyId?: string): string {
  const by = actorName(event, ownKeyId);
  const to = event.recipient ?? 'a recipient';
  const detail = event.detail ? ` (${event.detail})` : '';
  switch (event.type) {
    case 'created': return `Sent by ${by}`;
    case 'notified': return `Notification emailed to ${to}`;
    case 'notify_failed': return `Notification to ${to} failed${detail}`;
    case 'delivered': return `Notification delivered to ${to}'s mail server`;
    case 'bounced': return `Notification to ${to} bounced${detail}`;
    case 'complained': return `${to} marked the notification as spam${detail}`;
    case 'code_sent': return `Verification code emailed to ${to}`;
    case 'verification_failed': {
      // The API's detail is "code; <n> attempts left" (protocol §5.4): said in words, "1 attempt left".
      const counted = /^(code|passcode); (\d+) attempts left$/.exec(event.detail ?? '');
      if (!counted) return `Wrong ${event.detail?.startsWith('passcode') ? 'passcode' : 'code'} from ${to}${detail}`;
      const left = Number(counted[2]);
      return `Wrong ${counted[1]} from ${to} (${left === 0 ? 'no attempts left' : left === 1 ? '1 attempt left' : `${left} attempts left`})`;
    }
    case 'locked': return `${to} locked out for 15 minutes after too many wrong answers`;
    case 'verified': return `${to} confirmed the emailed code`;
    case 'opened': return `Opened by ${by}${detail}`;
    case 'revealed': return `Viewed again by ${by}${detail}`;
    case 'unwrapped': return `${to} opened it from the inbox`;
    case 'recovered': return event.actor.startsWith('key:') ? `Recovery link issued by ${by}` : 'Recovery link used: the message was opened with it';
    case 'replied': return `${to} replied securely${event.detail ? ` (reply ${event.detail})` : ''}`;
    case 'expiry_changed': return `Expiry changed by ${by}: from ${when(event.before?.expiresAt)} to ${when(event.after?.expiresAt)}`;
    case 'revoked': return `Revoked by ${by}`;
    case 'expired': return 'Expired: the links stopped working';
    case 'settings_changed': return `Settings changed by ${by}: ${changedSettings(event).join(', ')}`;
    case 'key_created': return `API key ${event.objectId ?? ''} created by ${by}${detail}`.replace('  ', ' ');
    case 'key_revoked': return `API key ${event.objectId ?? ''} revoked by ${by}${detail}`.replace('  ', ' ');
    case 'webhook_created': return `Webhook ${webhookUrl(event)}added by ${by}`;
    case 'webhook_deleted': return `Webhook ${webhookUrl(event)}deleted by ${by}`;
    default: return `${event.type as string} by ${by}${detail}`;
  }
}

/** Events as a list, in the order given: when, what in words, and the API's name for it. */
export function historyList(events: readonly AuditEvent[], label: string, ownKeyId?: string): HTMLElement {
  return h('ol', { class: 'history', 'aria-label': label }, ...events.map((e) => h(
    'li',
    { class: `history-item tone-${EVENT_TONES[e.type] ?? 'neutral'}` },
    time(e.at),
    h('span', { class: 'history-text break' }, describeEvent(e, ownKeyId)),
    h('code', { class: 'event-type' }, e.type),
  )));
}
