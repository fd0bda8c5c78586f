/**
 * The customer-managed KMS key of a deployment. It encrypts the message table at rest, and the
 * functions use it directly to wrap stored secrets: webhook signing secrets, and the Message
 * Center's per-recipient secrets.
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
 * (unwrap) on this key only with the encryption context `purpose` the code wraps that kind of
 * secret under (SECRET_PURPOSE), one statement per purpose, so that each function gets exactly the
 * uses per purpose it needs: the portal, which handles unauthenticated input, may unwrap Message
 * Center secrets (functions/core/message-center/custody.ts, custodyContext) but neither wrap anything nor unwrap a
 * webhook secret (functions/core/webhooks/dispatch.ts, secretContext). The purpose grants are
 * separate from the DynamoDB statement on purpose: DynamoDB's own calls carry DynamoDB's context
 * (aws:dynamodb:tableName, aws:dynamodb:subscriberId), never `purpose`, so they are allowed by the
 * kms:ViaService statement alone, and a direct call never matches that one. Table access does not
 * depend on the purpose condition, and direct use cannot reach anything but the secrets of the
 * purposes granted.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { custodyContext, recoveryContext } from '../../functions/core/message-center/index.ts';
import { secretContext } from '../../functions/core/webhooks/index.ts';

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

/**
 * The encryption-context `purpose` of the Message Center's wrapped recipient secrets (wrapped at
 * send, unwrapped for a signed-in recipient and for recovery), taken from the code that wraps them.
 */
export const MESSAGE_CENTER_PURPOSE: string = (() => {
  const { purpose } = custodyContext('', '');
  if (!purpose) throw new Error('custodyContext() no longer sets a purpose: update the key grants in cdk/constructs/keys.ts');
  return purpose;
})();

/**
 * The encryption-context `purpose` of a Message Center message's custody key (wrapped at send,
 * unwrapped only to issue a recovery link), taken from the code that wraps it.
 */
export const MESSAGE_CENTER_RECOVERY_PURPOSE: string = (() => {
  const { purpose } = recoveryContext('', '');
  if (!purpose) throw new Error('recoveryContext() no longer sets a purpose: update the key grants in cdk/constructs/keys.ts');
  return purpose;
})();

/** Each kind of stored secret → the encryption-context `purpose` it is wrapped under. */
export const SECRET_PURPOSE = {
  webhookSigning: WEBHOOK_SECRET_PURPOSE,
  messageCenter: MESSAGE_CENTER_PURPOSE,
  messageCenterRecovery: MESSAGE_CENTER_RECOVERY_PURPOSE,
} as const;
export type SecretPurpose = keyof typeof SECRET_PURPOSE;
if (new Set(Object.values(SECRET_PURPOSE)).size !== Object.keys(SECRET_PURPOSE).length) {
  throw new Error('two kinds of stored secret share an encryption-context purpose: a grant for one would reach the other');
}

/** Direct use of the key: wrap (kms:Encrypt) or unwrap (kms:Decrypt) a stored secret. */
export type SecretKeyUse = 'wrap' | 'unwrap';
const SECRET_KEY_ACTIONS: Record<SecretKeyUse, string> = { wrap: 'kms:Encrypt', unwrap: 'kms:Decrypt' };

/** The direct uses a function gets, per kind of secret; a kind not named is not reachable. */
export type SecretKeyGrants = Partial<Readonly<Record<SecretPurpose, readonly SecretKeyUse[]>>>;

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
   * each kind of secret in `grants`, the direct calls of its uses on this key, for that purpose
   * only. No grants: the id alone.
   */
  bindSecretKey(fn: lambda.Function, grants: SecretKeyGrants = {}): void {
    fn.addEnvironment('SEALPOST_KMS_KEY_ID', this.key.keyArn);
    for (const [kind, uses] of Object.entries(grants) as [SecretPurpose, readonly SecretKeyUse[]][]) {
      if (uses.length === 0) continue;
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: [...new Set(uses)].map((use) => SECRET_KEY_ACTIONS[use]),
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:EncryptionContext:purpose': SECRET_PURPOSE[kind] } },
      }));
    }
  }
}
