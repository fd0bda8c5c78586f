/**
 * KeyWrapper on AWS KMS: Encrypt/Decrypt with the context as the KMS EncryptionContext, so KMS
 * itself refuses a wrapped value moved to another tenant, message or purpose (and CloudTrail logs
 * the context with every use). Details never carry the value, the context or the SDK's message.
 */
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
// The client, for the composition's import() of this module: imported by name here, the SDK is
// tree-shaken to what this adapter uses (an import() of the SDK itself keeps every export).
export { KMSClient } from '@aws-sdk/client-kms';
import { DependencyError, type KeyWrapper } from '../../core/shared/index.ts';

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

export class KmsKeyWrapper implements KeyWrapper {
  /** `keyId`: key id, key ARN, alias name (`alias/…`) or alias ARN of a symmetric KMS key. */
  constructor(private readonly client: KMSClient, private readonly keyId: string) {}

  async wrap(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array> {
    let ciphertext: Uint8Array | undefined;
    try {
      ({ CiphertextBlob: ciphertext } = await this.client.send(new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: { ...context } })));
    } catch (error) {
      throw new DependencyError('The key service (KMS) could not protect the secret right now. Try again shortly.', 'kms', error);
    }
    if (!ciphertext) throw new DependencyError('The key service (KMS) returned no wrapped value. Try again shortly.', 'kms');
    return ciphertext;
  }

  async unwrap(wrapped: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array> {
    let plaintext: Uint8Array | undefined;
    try {
      // KeyId pins the key: without it KMS would decrypt a value made with any key this role may use.
      ({ Plaintext: plaintext } = await this.client.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: { ...context } })));
    } catch (error) {
      const name = errorName(error);
      // KMS cannot tell a tampered value from a wrong context (both fail authentication), nor can we.
      if (name === 'InvalidCiphertextException') throw new DependencyError('The wrapped value does not belong to this object (it was altered or made for another one), so it cannot be unwrapped.', 'kms', error);
      if (name === 'IncorrectKeyException') throw new DependencyError('The wrapped value was made with another key than the one configured, so it cannot be unwrapped.', 'kms', error);
      throw new DependencyError('The key service (KMS) could not unwrap the value right now. Try again shortly.', 'kms', error);
    }
    if (!plaintext) throw new DependencyError('The key service (KMS) returned no plaintext. Try again shortly.', 'kms');
    return plaintext;
  }
}
