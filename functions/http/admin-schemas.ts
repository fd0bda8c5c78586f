/**
 * Request schemas of the admin API (/v1/admin/*), the message controls (PATCH /v1/messages/{id})
 * and the events feed. Validation happens here; core receives typed, decoded values.
 */
import * as z from 'zod';
import { isEventPosition, EVENT_TYPES, type EventType } from '../core/audit/index.ts';
import { MAX_LOGO_BYTES, type SettingsPatch } from '../core/tenants/index.ts';
import {
  MAX_EXPIRY_DAYS, MAX_RETENTION_DAYS, MIN_EXPIRY_DAYS, MIN_RETENTION_DAYS, CONTROL_CHARS, EMAIL_PATTERN as EMAIL, ValidationError,
} from '../core/shared/index.ts';
import { parseWith } from './zod-parse.ts';

const email = z.string().max(254, 'is longer than 254 characters').refine((v) => EMAIL.test(v), 'is not a valid email address');
const days = z.number().int('must be a whole number').min(MIN_EXPIRY_DAYS, `must be at least ${MIN_EXPIRY_DAYS}`).max(MAX_EXPIRY_DAYS, `must be at most ${MAX_EXPIRY_DAYS}`);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const settingsPatchSchema = z.strictObject({
  displayName: z.string().min(1, 'is required').max(100, 'is longer than 100 characters').refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters'),
  senderAddress: email,
  replyTo: email.nullable(),
  portalHostnames: z.array(z.string().max(253, 'is longer than 253 characters')).max(10, 'allows at most 10 hostnames'),
  defaultExpiryDays: days,
  maxExpiryDays: days,
  messageCenter: z.boolean(),
  verification: z.enum(['none', 'email-code'], 'must be "none" or "email-code"'),
  auditRetentionDays: z.number().int('must be a whole number').min(MIN_RETENTION_DAYS, `must be at least ${MIN_RETENTION_DAYS} (a year)`).max(MAX_RETENTION_DAYS, `must be at most ${MAX_RETENTION_DAYS} (ten years)`),
  brand: z.strictObject({
    primaryColor: z.string().max(16).nullable(),
    logo: z.strictObject({
      contentType: z.enum(['image/png', 'image/svg+xml'], 'must be "image/png" or "image/svg+xml"'),
      data: z.string().max(Math.ceil(MAX_LOGO_BYTES / 3) * 4 + 4, `is larger than ${MAX_LOGO_BYTES / 1024} KB`)
        .refine((v) => v.length % 4 === 0 && BASE64.test(v), 'must be standard base64'),
    }).nullable(),
  }).partial(),
}).partial();

export type SettingsPatchRequest = z.input<typeof settingsPatchSchema>;

export function parseSettingsPatch(body: unknown): SettingsPatch {
  const p = parseWith(settingsPatchSchema, body);
  const { brand, ...rest } = p;
  if (!brand) return rest;
  const { logo, ...brandRest } = brand;
  return {
    ...rest,
    brand: {
      ...brandRest,
      ...(logo === undefined ? {} : { logo: logo === null ? null : { contentType: logo.contentType, bytes: new Uint8Array(Buffer.from(logo.data, 'base64')) } }),
    },
  };
}

export const createKeySchema = z.strictObject({ scope: z.enum(['send', 'admin'], 'must be "send" or "admin"') });

export function parseCreateKey(body: unknown): z.output<typeof createKeySchema> {
  return parseWith(createKeySchema, body);
}

export const changeMessageSchema = z.strictObject({
  expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-31T12:00:00Z' }).optional(),
  expiresInDays: days.optional(),
}).refine((b) => (b.expiresAt === undefined) !== (b.expiresInDays === undefined), { message: 'give exactly one of "expiresAt" or "expiresInDays"', path: ['expiresAt'] });

/** The new expiry of PATCH /v1/messages/{id}: an instant, or days from now. */
export function parseChangeMessage(body: unknown, now: Date): Date {
  const b = parseWith(changeMessageSchema, body);
  return b.expiresAt !== undefined ? new Date(b.expiresAt) : new Date(now.getTime() + (b.expiresInDays as number) * 86_400_000);
}

export const MAX_PAGE = 100;

function limitOf(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PAGE}`, [{ field: 'limit', message: `must be 1–${MAX_PAGE}` }]);
  return n;
}

/** Query of GET /v1/events: ?since=<ISO time>&type=opened,revoked&cursor=…&limit=… (the route joins repeated types with commas) */
export function parseEventQuery(q: Record<string, string | undefined>): { since?: string; types?: EventType[]; cursor?: string; limit: number; order?: 'oldest' | 'newest' } {
  const out: { since?: string; types?: EventType[]; cursor?: string; limit: number; order?: 'oldest' | 'newest' } = { limit: limitOf(q.limit, 50) };
  if (q.order !== undefined) {
    if (q.order !== 'oldest' && q.order !== 'newest') throw new ValidationError('order must be "oldest" or "newest"', [{ field: 'order', message: 'must be "oldest" or "newest"' }]);
    out.order = q.order;
  }
  if (q.since !== undefined) {
    const t = Date.parse(q.since);
    if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(q.since)) throw new ValidationError('since must be an ISO 8601 date or date-time, e.g. 2026-11-01T00:00:00Z', [{ field: 'since', message: 'is not a date' }]);
    out.since = new Date(t).toISOString();
  }
  if (q.type !== undefined) {
    // Each type once: DynamoDB takes at most 100 values in the filter's IN, and there are fewer known types than that.
    const types = [...new Set(q.type.split(',').map((t) => t.trim()).filter((t) => t.length > 0))];
    const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (unknown.length > 0) throw new ValidationError(`type: unknown event type(s) ${unknown.join(', ').slice(0, 200)}; known: ${EVENT_TYPES.join(', ')}`, [{ field: 'type', message: 'unknown event type' }]);
    out.types = types as EventType[];
  }
  if (q.cursor !== undefined) {
    if (!isEventPosition(q.cursor) && !ISO_INSTANT.test(q.cursor)) throw new ValidationError('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid' }]);
    out.cursor = q.cursor;
  }
  return out;
}

/** A feed cursor is an event's position, or (at the settled end of the feed) a plain instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MESSAGE_CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9_-]{1,64}$/;

/** Query of GET /v1/messages: ?cursor=…&limit=… */
export function parseMessageListQuery(q: Record<string, string | undefined>): { cursor?: string; limit: number } {
  if (q.cursor !== undefined && !MESSAGE_CURSOR.test(q.cursor)) throw new ValidationError('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid' }]);
  return { limit: limitOf(q.limit, 25), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) };
}
