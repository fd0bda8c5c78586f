/**
 * Least privilege, read from the synthesized template: each function role holds exactly the actions
 * its code calls, on named resources; the key policy admits the functions only through DynamoDB, and
 * their own policies allow direct KMS use only per purpose (webhook secrets, Message Center secrets, custody keys).
 * The blob bucket's parts and their key: each role may do exactly what its adapter calls, on
 * `blobs/*` only, and use the blob key only through S3 for that bucket (cdk/constructs/blobs.ts);
 * test/cdk/policy.ts answers the allowed and denied requests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { TEST_ENV, actionsOf, asList, ensureBuilt, logicalId, roleStatements, synth, type Statement } from './helpers.ts';
import { isAllowed, type Known, type Request } from './policy.ts';

let stack: SealpostStack;
let template: Template;
type Entry = 'sender-api' | 'portal' | 'ses-events' | 'maintenance';
let roles: Record<Entry, string>;

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com', alarmEmail: 'ops@example.com' }));
  const fns = stack.functions.byEntry;
  roles = {
    'sender-api': logicalId(stack, fns['sender-api'].role),
    portal: logicalId(stack, fns.portal.role),
    'ses-events': logicalId(stack, fns['ses-events'].role),
    maintenance: logicalId(stack, fns.maintenance.role),
  };
});

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

const TABLE = { 'Fn::GetAtt': ['SealpostTable', 'Arn'] };
const INDEX_ARN = (name: string) => ({ 'Fn::Join': ['', [TABLE, `/index/${name}`]] });
const KEY = { 'Fn::GetAtt': ['SealpostKey', 'Arn'] };
const BLOB_KEY = { 'Fn::GetAtt': ['SealpostBlobKey', 'Arn'] };
const BLOB_BUCKET = { 'Fn::GetAtt': ['SealpostBlobBucket', 'Arn'] };
const BLOB_OBJECTS = { 'Fn::Join': ['', [BLOB_BUCKET, '/blobs/*']] };
const S3_VIA = { 'Fn::Join': ['', [`s3.${TEST_ENV.region}.`, { Ref: 'AWS::URLSuffix' }]] };
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const where = (resource: unknown) => (JSON.stringify(resource) === JSON.stringify(TABLE) ? 'table'
  : JSON.stringify(resource) === JSON.stringify(INDEX_ARN('gsi1')) ? 'gsi1'
    : JSON.stringify(resource) === JSON.stringify(INDEX_ARN('gsi2')) ? 'gsi2' : JSON.stringify(resource));

/** The statements that use the table key directly (the blob key's are checked on their own below). */
const kmsStatements = (role: string) => roleStatements(template, role)
  .filter((s) => asList(s.Action).some((a) => a.startsWith('kms:')) && !same(s.Resource, BLOB_KEY));
/** The encryption-context purposes a statement admits; fails on any other condition or resource. */
function purposeOf(statement: Statement): string[] {
  expect(statement.Resource).toEqual(KEY);
  expect(Object.keys(statement.Condition ?? {})).toEqual(['StringEquals']);
  const equals = (statement.Condition as { StringEquals: Record<string, string | string[]> }).StringEquals;
  expect(Object.keys(equals)).toEqual(['kms:EncryptionContext:purpose']);
  return asList(equals['kms:EncryptionContext:purpose']).sort();
}
/** KMS action → the purposes it is allowed for, on our key, sorted. */
function kmsGrants(role: string): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const statement of kmsStatements(role)) {
    for (const action of asList(statement.Action)) grants[action] = [...(grants[action] ?? []), ...purposeOf(statement)].sort();
  }
  return grants;
}

/** "<action> on <table|gsi1|gsi2>" → the dynamodb:LeadingKeys patterns that grant it, sorted. */
function dynamoGrants(role: string): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const statement of roleStatements(template, role)) {
    const leadingKeys = (statement.Condition as Record<string, Record<string, string[]>> | undefined)?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    for (const action of asList(statement.Action).filter((a) => a.startsWith('dynamodb:'))) {
      for (const resource of asList(statement.Resource)) {
        const grant = `${action} on ${where(resource)}`;
        expect(grants[grant], `${grant} is granted by one statement only`).toBeUndefined();
        grants[grant] = [...(leadingKeys ?? ['(any partition)'])].sort();
      }
    }
  }
  return grants;
}

describe('function roles', () => {
  it('grant sender-api exactly its DynamoDB calls, secret wrapping and unwrapping, sealed uploads\' parts, SendRawEmail and its own log stream', () => {
    const actions = actionsOf(roleStatements(template, roles['sender-api']));

    expect(actions).toEqual([
      'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', ...LOGS,
      's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:PutObjectTagging', 'ses:SendRawEmail',
    ].sort());
  });

  it('grant the portal exactly the reads, the open and its events, sign-in and sessions, Message Center unwrapping, part downloads and SendRawEmail', () => {
    const actions = actionsOf(roleStatements(template, roles.portal));

    expect(actions).toEqual([
      'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem',
      'dynamodb:Query', 'dynamodb:UpdateItem', 'kms:Decrypt', ...LOGS, 's3:GetObject', 'ses:SendRawEmail',
    ].sort());
  });

  it('grant ses-events exactly the head read, the event write and its dead-letter queue', () => {
    const actions = actionsOf(roleStatements(template, roles['ses-events']));

    expect(actions).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'sqs:SendMessage', ...LOGS].sort());
  });

  it('grant maintenance exactly the queue queries, the writes of expiry and delivery, secret unwrapping and deleting expired parts', () => {
    const actions = actionsOf(roleStatements(template, roles.maintenance));

    expect(actions).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'kms:Decrypt', ...LOGS, 's3:DeleteObject'].sort());
  });

  it('limit every DynamoDB grant to the partitions the code touches (dynamodb:LeadingKeys), on the table or the index it queries', () => {
    const anyOf = (...patterns: string[]) => patterns.sort();

    expect(dynamoGrants(roles['sender-api'])).toEqual({
      'dynamodb:GetItem on table': anyOf('TENANT#*', 'APIKEY#*', 'WEBHOOK#*', 'MSG#*', 'IDEM#*'),
      'dynamodb:PutItem on table': anyOf('TENANT#*', 'APIKEY#*', 'HOST#*', 'WEBHOOK#*', 'MSG#*', 'IDEM#*', 'INBOX#*'),
      'dynamodb:UpdateItem on table': anyOf('TENANT#*', 'APIKEY#*', 'MSG#*', 'IDEM#*'),
      'dynamodb:DeleteItem on table': anyOf('TENANT#*', 'HOST#*', 'WEBHOOK#*', 'IDEM#*'),
      'dynamodb:BatchWriteItem on table': anyOf('TENANT#*', 'MSG#*', 'INBOX#*'),
      'dynamodb:Query on table': anyOf('MSG#*', 'WEBHOOK#*'),
      'dynamodb:Query on gsi1': anyOf('KEYS#*', 'MSGS#*', 'EVENTS#*', 'WEBHOOKS#*'),
    });
    expect(dynamoGrants(roles.portal)).toEqual({
      'dynamodb:GetItem on table': anyOf('MSG#*', 'HOST#*', 'TENANT#*', 'SIGNIN#*', 'SESSION#*'),
      'dynamodb:BatchGetItem on table': anyOf('MSG#*', 'TENANT#*'),
      'dynamodb:Query on table': anyOf('MSG#*', 'INBOX#*'),
      'dynamodb:UpdateItem on table': anyOf('MSG#*', 'SIGNIN#*', 'SESSION#*'),
      'dynamodb:PutItem on table': anyOf('MSG#*', 'SESSION#*'),
      'dynamodb:DeleteItem on table': anyOf('SESSION#*'),
      'dynamodb:BatchWriteItem on table': ['MSG#*'],
    });
    expect(dynamoGrants(roles['ses-events'])).toEqual({
      'dynamodb:GetItem on table': ['MSG#*'], 'dynamodb:PutItem on table': ['MSG#*'], 'dynamodb:BatchWriteItem on table': ['MSG#*'],
    });
    expect(dynamoGrants(roles.maintenance)).toEqual({
      'dynamodb:Query on gsi2': anyOf('EXPIRING', 'WEBHOOKS'),
      'dynamodb:Query on gsi1': ['EVENTS#*'],
      'dynamodb:UpdateItem on table': anyOf('MSG#*', 'WEBHOOK#*'),
      'dynamodb:PutItem on table': anyOf('MSG#*', 'WEBHOOK#*'),
      'dynamodb:BatchWriteItem on table': ['MSG#*'],
    });
  });

  it('let functions call KMS directly only on our key, each action only for the purposes its code wraps or unwraps', () => {
    // DynamoDB's own calls never carry `purpose`; a direct call without the right one is denied.
    expect(kmsGrants(roles['sender-api'])).toEqual({
      'kms:Decrypt': ['message-center', 'message-center-recovery', 'webhook-signing'],
      'kms:Encrypt': ['message-center', 'message-center-recovery', 'webhook-signing'],
    });
    expect(kmsGrants(roles.maintenance)).toEqual({ 'kms:Decrypt': ['webhook-signing'] });
    expect(kmsGrants(roles.portal)).toEqual({ 'kms:Decrypt': ['message-center'] });
    expect(kmsGrants(roles['ses-events'])).toEqual({});
  });

  it('let the portal only unwrap Message Center secrets: no kms:Encrypt, no webhook secrets, no other condition', () => {
    const statements = kmsStatements(roles.portal);

    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'message-center' } },
    }]);
  });

  it('give sender-api wrapping and unwrapping under each purpose in a statement of its own', () => {
    const statements = kmsStatements(roles['sender-api']);

    expect(statements).toHaveLength(3);
    for (const statement of statements) {
      expect(statement.Resource).toEqual(KEY);
      expect(asList(statement.Action).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
    }
    expect(statements.map((s) => purposeOf(s)).sort()).toEqual([['message-center'], ['message-center-recovery'], ['webhook-signing']]);
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

  it('scope DynamoDB to the table and its indexes, S3 to the blob bucket\'s parts, SES to our identity and configuration set, logs to the own log group', () => {
    const resourcesFor = (role: string, prefix: string) => roleStatements(template, role)
      .filter((s) => asList(s.Action).every((a) => a.startsWith(prefix)))
      .flatMap((s) => asList(s.Resource));
    const allowed = new Set([TABLE, INDEX_ARN('gsi1'), INDEX_ARN('gsi2')].map((r) => JSON.stringify(r)));

    for (const role of Object.values(roles)) {
      const dynamo = resourcesFor(role, 'dynamodb:').map((r) => JSON.stringify(r));
      expect(dynamo.length).toBeGreaterThan(0);
      for (const resource of dynamo) expect(allowed.has(resource), resource).toBe(true);
    }
    const arn = (resource: string, ref: string) => ({ 'Fn::Join': ['', [`arn:aws:ses:${TEST_ENV.region}:${TEST_ENV.account}:${resource}/`, { Ref: ref }]] });
    for (const sender of [roles['sender-api'], roles.portal]) {
      expect(sorted(resourcesFor(sender, 'ses:'))).toEqual(sorted([
        arn('identity', logicalId(stack, stack.mail.identity)),
        arn('configuration-set', logicalId(stack, stack.mail.configurationSet)),
      ]));
    }
    for (const [entry, fn] of Object.entries(stack.functions.byEntry)) {
      expect(resourcesFor(roles[entry as Entry], 'logs:')).toEqual([{ 'Fn::GetAtt': [logicalId(stack, fn.logGroup), 'Arn'] }]);
    }
    // Objects under blobs/ only; the bucket itself only for sender-api's s3:ListBucket.
    for (const role of Object.values(roles)) {
      for (const s of roleStatements(template, role).filter((st) => asList(st.Action).some((a) => a.startsWith('s3:')))) {
        expect(asList(s.Action).every((a) => a.startsWith('s3:'))).toBe(true);
        expect(same(s.Resource, BLOB_OBJECTS) || (same(s.Resource, BLOB_BUCKET) && same(s.Action, 's3:ListBucket')), JSON.stringify(s)).toBe(true);
      }
    }
  });

  it('let functions use the blob key only through S3 in the stack region, for the blob bucket, exactly as their parts need', () => {
    const blobKeyStatements = (role: string) => roleStatements(template, role).filter((s) => same(s.Resource, BLOB_KEY));
    const condition = { StringEquals: { 'kms:ViaService': S3_VIA, 'kms:EncryptionContext:aws:s3:arn': BLOB_BUCKET } };

    expect(blobKeyStatements(roles['sender-api'])).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: BLOB_KEY, Condition: condition }]);
    expect(blobKeyStatements(roles.portal)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: BLOB_KEY, Condition: condition }]);
    expect(blobKeyStatements(roles.maintenance)).toEqual([]);
    expect(blobKeyStatements(roles['ses-events'])).toEqual([]);
  });

  it('use no KMS key but the table key and the blob key', () => {
    const keys = Object.values(roles).flatMap((role) => roleStatements(template, role))
      .filter((s) => asList(s.Action).some((a) => a.startsWith('kms:')))
      .flatMap((s) => asList(s.Resource).map((r) => JSON.stringify(r)));

    expect(new Set(keys)).toEqual(new Set([JSON.stringify(KEY), JSON.stringify(BLOB_KEY)]));
  });

  it('let only sender-api (notifications) and the portal (verification and sign-in codes) send email', () => {
    const senders = Object.entries(roles).filter(([, role]) => actionsOf(roleStatements(template, role)).some((a) => a.startsWith('ses:')));

    expect(senders.map(([entry]) => entry).sort()).toEqual(['portal', 'sender-api']);
  });

  it('give the portal exactly the SendRawEmail statement sender-api has: same identity, same configuration set', () => {
    const ses = (role: string) => roleStatements(template, role).filter((s) => asList(s.Action).some((a) => a.startsWith('ses:')));

    expect(ses(roles.portal)).toHaveLength(1);
    expect(ses(roles.portal)).toEqual(ses(roles['sender-api']));
    expect(ses(roles.portal)[0]?.Action).toBe('ses:SendRawEmail');
    expect(ses(roles.portal)[0]?.Condition).toBeUndefined();
  });
});

describe('other roles in the stack', () => {
  it('are only CDK\'s deploy-time handlers: the BucketDeployment, and the reader of the us-east-1 firewall stack\'s exports', () => {
    // aws-s3-deployment's singleton handler is CDK-internal: it gets AWSLambdaBasicExecutionRole and
    // cloudfront:CreateInvalidation/GetInvalidation on "*" from CDK. The cross-region export reader
    // (the web ACL's ARN, made in us-east-1) reads only this stack's /cdk/exports/ parameters. Both
    // run only during a deploy, never on a request path. Any other role appearing here must be
    // reviewed (and added to the function-role tests above), not silently exempted.
    const others = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !Object.values(roles).includes(id));
    const reader = others.find((id) => id.startsWith('CustomCrossRegionExportReader'));
    const readerStatements = (template.toJSON().Resources[reader ?? ''].Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement);

    expect(others.sort()).toEqual([logicalId(stack, stack.edge.assetsDeployment.handlerRole), reader].sort());
    expect(readerStatements).toEqual([expect.objectContaining({ Resource: 'arn:aws:ssm:eu-central-1:111122223333:parameter/cdk/exports/Sealpost/*' })]);
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

describe('blob bucket access, request by request', () => {
  const BUCKET = 'sealpost-sealpostblobbucket-1a2b3c4d5e6f';
  const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
  const BLOB_KEY_ARN = `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/0b1c2d3e-blob`;
  const known: Known = {
    SealpostBlobBucket: BUCKET,
    'SealpostBlobBucket.Arn': BUCKET_ARN,
    'SealpostBlobKey.Arn': BLOB_KEY_ARN,
    'SealpostKey.Arn': `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/9f8e7d6c-table`,
    'SealpostTable.Arn': `arn:aws:dynamodb:${TEST_ENV.region}:${TEST_ENV.account}:table/Sealpost-SealpostTable`,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const part = (key = 'blobs/AAAAAAAAAAAAAAAAAAAAAA/0') => `${BUCKET_ARN}/${key}`;
  /** What S3 puts in the request context when it calls KMS for this bucket on a role's behalf (bucket keys: the bucket ARN). */
  const throughS3 = { 'kms:ViaService': `s3.${TEST_ENV.region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': BUCKET_ARN };
  const may = (entry: Entry, request: Request) => isAllowed(roleStatements(template, roles[entry]), request, known);
  const ENTRIES = ['sender-api', 'portal', 'ses-events', 'maintenance'] as const;
  /** The entries a request is allowed for, sorted. */
  const who = (request: Request) => ENTRIES.filter((entry) => may(entry, request));

  it('let sender-api put a part with its pending tag, read it back, re-tag and delete it, and tell a missing part by listing', () => {
    for (const action of ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:DeleteObject']) {
      expect(who({ action, resource: part() }), action).toContain('sender-api');
    }
    expect(who({ action: 's3:ListBucket', resource: BUCKET_ARN })).toEqual(['sender-api']);
  });

  it('let only sender-api write or re-tag parts, the portal and sender-api read them, and sender-api and maintenance delete them', () => {
    expect(who({ action: 's3:PutObject', resource: part() })).toEqual(['sender-api']);
    expect(who({ action: 's3:PutObjectTagging', resource: part() })).toEqual(['sender-api']);
    expect(who({ action: 's3:GetObject', resource: part() })).toEqual(['sender-api', 'portal']);
    expect(who({ action: 's3:DeleteObject', resource: part() })).toEqual(['sender-api', 'maintenance']);
  });

  it('keep every role to blobs/ in the blob bucket: no other key, no other bucket', () => {
    for (const resource of [part('other/AAAA/0'), part('blobsx/0'), part('blob/AAAA/0'), 'arn:aws:s3:::another-bucket/blobs/AAAA/0', BUCKET_ARN]) {
      for (const action of ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:PutObjectTagging']) {
        expect(who({ action, resource }), `${action} ${resource}`).toEqual([]);
      }
    }
  });

  it('let nobody change the bucket, its policy, its lifecycle, its CORS or its ACLs, nor touch versions or read tags', () => {
    const denied = [
      ['s3:PutBucketPolicy', BUCKET_ARN], ['s3:DeleteBucketPolicy', BUCKET_ARN], ['s3:DeleteBucket', BUCKET_ARN],
      ['s3:PutLifecycleConfiguration', BUCKET_ARN], ['s3:PutBucketCORS', BUCKET_ARN], ['s3:PutEncryptionConfiguration', BUCKET_ARN],
      ['s3:PutBucketPublicAccessBlock', BUCKET_ARN], ['s3:PutBucketAcl', BUCKET_ARN], ['s3:PutObjectAcl', part()],
      ['s3:DeleteObjectVersion', part()], ['s3:GetObjectTagging', part()], ['s3:DeleteObjectTagging', part()], ['s3:ListAllMyBuckets', '*'],
    ] as const;

    for (const [action, resource] of denied) expect(who({ action, resource }), action).toEqual([]);
  });

  it('let S3 use the blob key for sender-api\'s PUTs and GETs and the portal\'s GETs only, and nobody call it directly', () => {
    expect(who({ action: 'kms:GenerateDataKey', resource: BLOB_KEY_ARN, context: throughS3 })).toEqual(['sender-api']);
    expect(who({ action: 'kms:Decrypt', resource: BLOB_KEY_ARN, context: throughS3 })).toEqual(['sender-api', 'portal']);
    // A direct call carries no kms:ViaService; another bucket's objects carry another ARN; DynamoDB is not S3.
    expect(who({ action: 'kms:Decrypt', resource: BLOB_KEY_ARN, context: { 'kms:EncryptionContext:aws:s3:arn': BUCKET_ARN } })).toEqual([]);
    expect(who({ action: 'kms:Decrypt', resource: BLOB_KEY_ARN, context: { ...throughS3, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::another-bucket' } })).toEqual([]);
    expect(who({ action: 'kms:Decrypt', resource: BLOB_KEY_ARN, context: { ...throughS3, 'kms:ViaService': `dynamodb.${TEST_ENV.region}.amazonaws.com` } })).toEqual([]);
    for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:CreateGrant', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey']) {
      expect(who({ action, resource: BLOB_KEY_ARN, context: throughS3 }), action).toEqual([]);
    }
  });

  it('do not let the blob grants reach the table key, nor the table key\'s purposes reach the blob key', () => {
    const tableKey = known['SealpostKey.Arn'] as string;

    expect(who({ action: 'kms:Decrypt', resource: tableKey, context: throughS3 })).toEqual([]);
    expect(who({ action: 'kms:Decrypt', resource: BLOB_KEY_ARN, context: { 'kms:EncryptionContext:purpose': 'message-center' } })).toEqual([]);
  });
});
