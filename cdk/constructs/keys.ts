/**
 * The customer-managed KMS key of a deployment. It encrypts the message table at rest, and the
 * functions use it directly to wrap stored secrets (webhook signing secrets now; Message Center
 * keys later).
 *
 * Key policy:
 * - the account root gets `kms:*` (CDK's default statement). AWS requires an account-level
 *   statement: without it the key can become unmanageable, and only AWS Support can recover it.
 *   It also makes the functions' IAM policies (below) effective for the key.
 * - each function role that uses the table gets the data-key operations DynamoDB may perform on its
 *   behalf — the set AWS's own key policy for DynamoDB and CDK's table grants use, spelled out
 *   without wildcards — and only when DynamoDB is the caller (`kms:ViaService`). Cf. the KMS
 *   Developer Guide, "How Amazon DynamoDB uses AWS KMS".
 *
 * Direct use (bindSecretKey): a role's own policy allows `kms:Encrypt` (wrap) and/or `kms:Decrypt`
 * (unwrap) on this key only with the encryption context `purpose` = `webhook-signing`, the context
 * the code wraps webhook secrets under (functions/core/webhook-dispatch.ts, secretContext). The two
 * grants are separate statements on purpose: DynamoDB's own calls carry DynamoDB's context
 * (aws:dynamodb:tableName, aws:dynamodb:subscriberId), never `purpose`, so they are allowed by the
 * kms:ViaService statement alone, and a direct call never matches that one. Table access does not
 * depend on the purpose condition, and direct use cannot reach anything but webhook secrets. The
 * Message Center issue adds its own purpose the same way.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { secretContext } from '../../functions/core/webhook-dispatch.ts';

/** Replacing the key would make the table (and every backup) unreadable: its logical id never changes. */
export const KEY_LOGICAL_ID = 'SealpostKey';

/** What DynamoDB may do with the key on a function's behalf when it reads and writes the table. */
export const DYNAMODB_KEY_ACTIONS = [
  'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo',
] as const;

/** The encryption-context `purpose` of wrapped webhook secrets, taken from the code that wraps them. */
export const WEBHOOK_SECRET_PURPOSE: string = (() => {
  const { purpose } = secretContext('', '');
  if (!purpose) throw new Error('secretContext() no longer sets a purpose: update the key grants in cdk/constructs/keys.ts');
  return purpose;
})();

/** Direct use of the key: wrap (kms:Encrypt) or unwrap (kms:Decrypt) a webhook secret. */
export type SecretKeyUse = 'wrap' | 'unwrap';
const SECRET_KEY_ACTIONS: Record<SecretKeyUse, string> = { wrap: 'kms:Encrypt', unwrap: 'kms:Decrypt' };

export interface KeysProps {
  readonly removalPolicy: RemovalPolicy;
}

export class Keys extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'sealpost: encrypts the message table at rest and wraps stored secrets',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      // A disposable stage waits the shortest window KMS allows before the key is gone.
      pendingWindow: Duration.days(props.removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
    });
    (this.key.node.defaultChild as kms.CfnKey).overrideLogicalId(KEY_LOGICAL_ID);
  }

  /** Lets `role` use the key only through DynamoDB in this stack's region, to read and write the table. */
  allowUseThroughDynamoDb(role: iam.IRole): void {
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [role],
      actions: [...DYNAMODB_KEY_ACTIONS],
      // In a key policy, "*" means this key.
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}` } },
    }));
  }

  /**
   * Gives `fn` the key (SEALPOST_KMS_KEY_ID, its ARN: every function's config requires it) and, for
   * each of `uses`, the direct call on this key, for webhook secrets only. No uses: the id alone.
   */
  bindSecretKey(fn: lambda.Function, uses: readonly SecretKeyUse[]): void {
    fn.addEnvironment('SEALPOST_KMS_KEY_ID', this.key.keyArn);
    if (uses.length === 0) return;
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: [...new Set(uses)].map((use) => SECRET_KEY_ACTIONS[use]),
      resources: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:purpose': WEBHOOK_SECRET_PURPOSE } },
    }));
  }
}
