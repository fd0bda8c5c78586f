/**
 * The customer-managed KMS key of a deployment. Today it encrypts the message table at rest; no
 * function calls KMS itself yet.
 *
 * Key policy:
 * - the account root gets `kms:*` (CDK's default statement). AWS requires an account-level
 *   statement: without it the key can become unmanageable, and only AWS Support can recover it.
 * - each function role that uses the table gets the data-key operations DynamoDB may perform on its
 *   behalf — the set AWS's own key policy for DynamoDB and CDK's table grants use, spelled out
 *   without wildcards — and only when DynamoDB is the caller (`kms:ViaService`), so a function can
 *   never use the key directly. Cf. the KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS".
 *
 * The Message Center issue adds direct use: `kms:Encrypt` for the sender API and `kms:Decrypt` for
 * the portal and the admin console, each conditioned on `kms:EncryptionContext:tenant`,
 * `kms:EncryptionContext:message` and `kms:EncryptionContext:purpose`, so that one message's
 * wrapped key cannot be unwrapped as another's.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Replacing the key would make the table (and every backup) unreadable: its logical id never changes. */
export const KEY_LOGICAL_ID = 'SealpostKey';

/** What DynamoDB may do with the key on a function's behalf when it reads and writes the table. */
export const DYNAMODB_KEY_ACTIONS = [
  'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo',
] as const;

export interface KeysProps {
  readonly removalPolicy: RemovalPolicy;
}

export class Keys extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'sealpost: encrypts the message table at rest',
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
}
