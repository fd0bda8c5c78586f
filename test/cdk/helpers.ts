/**
 * Synthesis for the CDK tests: the app as `cdk synth` builds it (cdk.json's feature flags plus the
 * given context), in memory. Built-in CloudFormation validation is off except where a test asks for
 * it (it takes seconds per synthesis); asset staging is off because nothing here deploys.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { LAMBDA_ENTRIES, buildLambdas } from '../../cdk/build.ts';
import { createSealpostApp } from '../../cdk/app.ts';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { buildWeb } from '../../web/build.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An environment like the one the CDK CLI passes, so ARNs and conditions render as literals. */
export const TEST_ENV = { account: '111122223333', region: 'eu-central-1' } as const;
export const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:111122223333:certificate/0b8e2f34-5c1d-4a6e-9f70-1a2b3c4d5e6f';

/** Builds dist/ only when a bundle is missing (npm test builds first; the global setup does too). */
export async function ensureBuilt(): Promise<void> {
  const missing = Object.keys(LAMBDA_ENTRIES).some((entry) => !existsSync(path.join(rootDir, 'dist', entry, 'index.mjs')))
    || !existsSync(path.join(rootDir, 'dist', 'web', 'assets'));
  if (missing) {
    await buildWeb();
    await buildLambdas();
  }
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(rootDir, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface Synthesized {
  readonly stack: SealpostStack;
  readonly template: Template;
}

export function synth(context: Record<string, unknown>, options: { validate?: boolean; env?: { account: string; region: string } } = {}): Synthesized {
  const { stack } = createSealpostApp({
    context: { ...cdkJsonContext(), 'aws:cdk:disable-asset-staging': true, ...context },
    env: options.env ?? TEST_ENV,
    builtinCloudFormationValidation: options.validate ?? false,
  });
  return { stack, template: Template.fromStack(stack) };
}

type Json = Record<string, unknown>;
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Json;
}

export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The logical id of an L2 construct's main resource. */
export function logicalId(stack: SealpostStack, construct: IConstruct | undefined): string {
  if (!construct) throw new Error('no construct');
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every identity-policy statement that applies to a role: inline policies, attached AWS::IAM::Policy resources. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const role = template.toJSON().Resources[roleLogicalId] as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } };
  const inline = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => asList((policy.Properties as Json).Roles as unknown[]).some((ref) => (ref as Json).Ref === roleLogicalId))
    .flatMap((policy) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

export function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => asList(s.Action)))].sort();
}
