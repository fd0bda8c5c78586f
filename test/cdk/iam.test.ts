/**
 * Least privilege, read from the synthesized template: each function role holds exactly the actions
 * its code calls, on named resources, and the KMS key admits the functions only through DynamoDB.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { TEST_ENV, actionsOf, asList, ensureBuilt, logicalId, roleStatements, synth, type Statement } from './helpers.ts';

let stack: SealpostStack;
let template: Template;
let roles: Record<'sender-api' | 'portal' | 'ses-events', string>;

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com', alarmEmail: 'ops@example.com' }));
  const fns = stack.functions.byEntry;
  roles = {
    'sender-api': logicalId(stack, fns['sender-api'].role),
    portal: logicalId(stack, fns.portal.role),
    'ses-events': logicalId(stack, fns['ses-events'].role),
  };
});

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

describe('function roles', () => {
  it('grant sender-api exactly its DynamoDB calls, SendEmail and its own log stream', () => {
    const actions = actionsOf(roleStatements(template, roles['sender-api']));

    expect(actions).toEqual([
      'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      ...LOGS, 'ses:SendEmail',
    ].sort());
  });

  it('grant the portal exactly the reads, the open and its event', () => {
    const actions = actionsOf(roleStatements(template, roles.portal));

    expect(actions).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', ...LOGS].sort());
  });

  it('grant ses-events exactly the head read, the event write and its dead-letter queue', () => {
    const actions = actionsOf(roleStatements(template, roles['ses-events']));

    expect(actions).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'sqs:SendMessage', ...LOGS].sort());
  });

  it('limit every DynamoDB grant to the item families the code touches (dynamodb:LeadingKeys)', () => {
    const grants = (role: string) => Object.fromEntries(roleStatements(template, role)
      .filter((s) => asList(s.Action).some((a) => String(a).startsWith('dynamodb:')))
      .flatMap((s) => asList(s.Action).map((action) => [action, (s.Condition as Record<string, Record<string, unknown>>)['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']])));

    expect(grants(roles.portal)).toEqual({
      'dynamodb:GetItem': ['MSG#*'], 'dynamodb:Query': ['MSG#*'], 'dynamodb:UpdateItem': ['MSG#*'], 'dynamodb:BatchWriteItem': ['MSG#*'],
    });
    expect(grants(roles['ses-events'])).toEqual({ 'dynamodb:GetItem': ['MSG#*'], 'dynamodb:BatchWriteItem': ['MSG#*'] });
    expect(grants(roles['sender-api'])).toEqual({
      'dynamodb:GetItem': ['TENANT#*', 'APIKEY#*', 'MSG#*', 'IDEM#*'],
      'dynamodb:PutItem': ['MSG#*', 'IDEM#*'],
      'dynamodb:UpdateItem': ['MSG#*', 'IDEM#*'],
      'dynamodb:DeleteItem': ['IDEM#*'],
      'dynamodb:Query': ['MSG#*'],
      'dynamodb:BatchWriteItem': ['MSG#*'],
    });
  });

  it('have no managed policies (no AWSLambdaBasicExecutionRole)', () => {
    const resources = template.toJSON().Resources as Record<string, { Properties: { ManagedPolicyArns?: unknown[] } }>;

    for (const role of Object.values(roles)) expect(resources[role]?.Properties.ManagedPolicyArns ?? []).toEqual([]);
  });

  it('contain no wildcard action and no "*" resource', () => {
    const statements = Object.values(roles).flatMap((role) => roleStatements(template, role));

    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action).not.toMatch(/\*/);
      for (const resource of asList(statement.Resource)) expect(resource).not.toBe('*');
    }
  });

  it('scope DynamoDB to the table, SES to our identity and configuration set, logs to the own log group', () => {
    const resourcesFor = (role: string, prefix: string) => roleStatements(template, role)
      .filter((s) => asList(s.Action).every((a) => a.startsWith(prefix)))
      .flatMap((s) => asList(s.Resource));

    for (const role of Object.values(roles)) {
      expect(new Set(resourcesFor(role, 'dynamodb:').map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ 'Fn::GetAtt': ['SealpostTable', 'Arn'] })]));
    }
    const arn = (resource: string, ref: string) => ({ 'Fn::Join': ['', [`arn:aws:ses:${TEST_ENV.region}:${TEST_ENV.account}:${resource}/`, { Ref: ref }]] });
    expect(sorted(resourcesFor(roles['sender-api'], 'ses:'))).toEqual(sorted([
      arn('identity', logicalId(stack, stack.mail.identity)),
      arn('configuration-set', logicalId(stack, stack.mail.configurationSet)),
    ]));
    const senderLogs = resourcesFor(roles['sender-api'], 'logs:');
    expect(senderLogs).toEqual([{ 'Fn::GetAtt': [logicalId(stack, stack.functions.senderApi.logGroup), 'Arn'] }]);
  });

  it('let only sender-api send email', () => {
    const senders = Object.entries(roles).filter(([, role]) => actionsOf(roleStatements(template, role)).some((a) => a.startsWith('ses:')));

    expect(senders.map(([entry]) => entry)).toEqual(['sender-api']);
  });
});

describe('other roles in the stack', () => {
  it('are only the CDK BucketDeployment handler, which is exempt from the wildcard rule', () => {
    // aws-s3-deployment's singleton handler is CDK-internal: it gets AWSLambdaBasicExecutionRole and
    // cloudfront:CreateInvalidation/GetInvalidation on "*" from CDK, and it runs only during a
    // deploy, never on a request path. Any other role appearing here must be reviewed (and added to
    // the function-role tests above), not silently exempted.
    const others = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !Object.values(roles).includes(id));

    expect(others).toEqual([logicalId(stack, stack.edge.assetsDeployment.handlerRole)]);
  });
});

describe('KMS key policy', () => {
  const keyStatements = (): Statement[] => (template.toJSON().Resources.SealpostKey.Properties.KeyPolicy.Statement as Statement[]);
  const roleArn = (role: string) => JSON.stringify({ 'Fn::GetAtt': [role, 'Arn'] });
  /** Principals of a statement, one JSON string each (CDK merges equal statements into one with several). */
  const principalsOf = (s: Statement) => asList((s.Principal as { AWS?: unknown } | undefined)?.AWS).map((p) => JSON.stringify(p));

  it('admits the account root, required to keep the key manageable', () => {
    const root = keyStatements().filter((s) => principalsOf(s).some((p) => p.includes(':root')));

    expect(root).toHaveLength(1);
    expect(root[0]?.Action).toBe('kms:*');
  });

  it('admits each function role only to the data-key operations, without wildcards, only through DynamoDB in the stack region', () => {
    const byRole = (role: string) => keyStatements().filter((s) => principalsOf(s).includes(roleArn(role)));

    for (const role of Object.values(roles)) {
      const statements = byRole(role);
      expect(actionsOf(statements)).toEqual([
        'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
      ]);
      for (const statement of statements) {
        // The URL suffix stays a pseudo parameter: amazonaws.com, or amazonaws.com.cn in China.
        expect(statement.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`dynamodb.${TEST_ENV.region}.`, { Ref: 'AWS::URLSuffix' }]] } } });
      }
    }
  });

  it('admits no other principal', () => {
    const principals = new Set(keyStatements().flatMap((s) => [...principalsOf(s), ...(s.Principal && !(s.Principal as { AWS?: unknown }).AWS ? [JSON.stringify(s.Principal)] : [])]));

    expect([...principals].filter((p) => !p.includes(':root')).sort()).toEqual(Object.values(roles).map(roleArn).sort());
  });
});
