/**
 * A small evaluator of a role's identity-policy statements, for "may X do Y on Z" questions in the
 * CDK tests. It resolves the template's intrinsics through a map of known values (anything else
 * becomes a placeholder that matches nothing real), matches actions and resources with IAM's `*`
 * and `?` wildcards, and supports exactly the condition operators our roles use; any other
 * operator throws, so that a new kind of condition cannot be silently read as satisfied.
 * It does not model key policies, bucket policies, SCPs or permission boundaries: an answer is what
 * the role's own policy allows, which is what least privilege is about here.
 */
import { asList, type Statement } from './helpers.ts';

/** One request: the action, the resource ARN, and the request context (condition keys). */
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** Values for the template's Ref and Fn::GetAtt: 'LogicalId' (Ref) or 'LogicalId.Attribute', and pseudo parameters. */
export type Known = Readonly<Record<string, string>>;

export function resolve(value: unknown, known: Known): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return known[node.Ref as string] ?? `<unresolved:${String(node.Ref)}>`;
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return known[`${id}.${attribute}`] ?? `<unresolved:${id}.${attribute}>`;
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolve(part, known)).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** IAM's wildcards: `*` any run of characters, `?` any one. */
function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

function conditionHolds(operator: string, key: string, expected: string[], context: Request['context']): boolean {
  const actual = context?.[key];
  const values = actual === undefined ? [] : asList(actual as string | string[]);
  switch (operator) {
    case 'StringEquals': return values.length > 0 && values.some((v) => expected.includes(v));
    case 'StringLike': return values.length > 0 && values.some((v) => expected.some((e) => wildcard(e, v)));
    // ForAllValues over an absent key is true (IAM User Guide, "Multivalued context keys").
    case 'ForAllValues:StringLike': return values.every((v) => expected.some((e) => wildcard(e, v)));
    default: throw new Error(`condition operator ${operator} is not modelled by test/cdk/policy.ts`);
  }
}

function matches(statement: Statement, request: Request, known: Known): boolean {
  if ('NotAction' in statement || 'NotResource' in statement) throw new Error('NotAction and NotResource are not modelled by test/cdk/policy.ts');
  if (!asList(statement.Action).some((action) => wildcard(action, request.action, true))) return false;
  if (!asList(statement.Resource).some((resource) => wildcard(resolve(resource, known), request.resource))) return false;
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(entries as Record<string, unknown>)) {
      if (!conditionHolds(operator, key, asList(expected as unknown[]).map((e) => resolve(e, known)), request.context)) return false;
    }
  }
  return true;
}

/** True when some Allow statement matches the request and no Deny statement does. */
export function isAllowed(statements: readonly Statement[], request: Request, known: Known): boolean {
  const matching = statements.filter((s) => matches(s, request, known));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}
