/**
 * The zod schema of a body declared as field rules (portal-bodies.ts), for the OpenAPI document,
 * which is generated from zod schemas. Only the document (a lazily loaded chunk of the sender API)
 * and the tests import this: the portal checks these bodies without zod.
 */
import * as z from 'zod';
import type { BodyRules, FieldRule } from './portal-bodies.ts';

function fieldSchema(rule: FieldRule): z.ZodType {
  let schema: z.ZodType;
  if (rule.type === 'string') {
    let text = z.string();
    if (rule.max) text = rule.max.message === undefined ? text.max(rule.max.value) : text.max(rule.max.value, rule.max.message);
    for (const { regex, message } of rule.patterns ?? []) text = text.regex(regex, message);
    schema = text;
  } else {
    schema = z.number().int().min(rule.min).max(rule.max);
  }
  return rule.optional ? schema.optional() : schema;
}

export function zodSchemaOf(rules: BodyRules): z.ZodType {
  return z.strictObject(Object.fromEntries(Object.entries(rules).map(([field, rule]) => [field, fieldSchema(rule)])));
}
