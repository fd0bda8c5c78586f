/**
 * The webhook admin API's request schemas (zod): loaded by routes/admin-webhooks.ts on the first
 * request that needs them, and by the OpenAPI document.
 */
import * as z from 'zod';
import { EVENT_TYPES } from '../core/audit/index.ts';
import { MAX_WEBHOOK_URL_LENGTH, type NewWebhook } from '../core/webhooks/index.ts';
import { parseWith } from './zod-parse.ts';

export const MAX_DELIVERY_PAGE = 100;

/** POST /v1/admin/webhooks. The URL's finer rules (https, public address) are checked in core. */
export const createWebhookRequestSchema = z.strictObject({
  url: z.string().min(1, 'is required').max(MAX_WEBHOOK_URL_LENGTH, `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`),
  events: z.array(z.enum([...EVENT_TYPES, '*'], `must be one of ${EVENT_TYPES.join(', ')} or "*"`))
    .min(1, 'needs at least one event type, or ["*"] for all')
    .max(EVENT_TYPES.length, `allows at most ${EVENT_TYPES.length} event types`)
    .refine((events) => new Set(events).size === events.length, 'must not repeat an event type')
    .refine((events) => !events.includes('*') || events.length === 1, '"*" stands for all event types and must be alone'),
});

export type CreateWebhookRequest = z.input<typeof createWebhookRequestSchema>;

export const deliveriesQuerySchema = z.strictObject({
  limit: z.string().regex(/^\d{1,3}$/, 'must be a whole number').transform(Number)
    .refine((n) => n >= 1 && n <= MAX_DELIVERY_PAGE, `must be between 1 and ${MAX_DELIVERY_PAGE}`).optional(),
});

export function parseCreateWebhook(body: unknown): NewWebhook {
  // The schema's refinements guarantee the filter's shape: distinct types, or "*" alone.
  return parseWith(createWebhookRequestSchema, body) as NewWebhook;
}

export function parseDeliveriesQuery(query: unknown): z.output<typeof deliveriesQuerySchema> {
  return parseWith(deliveriesQuerySchema, query);
}
