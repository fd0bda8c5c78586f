import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIdempotencyStore, IDEMPOTENCY_LEASE_SECONDS } from '../../../functions/adapters/dynamodb/idempotency-store.ts';
import { startTestTable } from '../../helpers/dynamo.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => { env = await startTestTable(); });
afterAll(() => env.close());

const receipt = { id: 'm1', expiresAt: '2026-12-13T12:00:00.000Z', recipients: [{ email: 'a@example.com', status: 'notified' as const }] };
const t0 = new Date('2026-11-29T12:00:00Z');

describe('DynamoDbIdempotencyStore', () => {
  it('claims a new key, reports it in flight, then replays the receipt once complete', async () => {
    const store = new DynamoDbIdempotencyStore(env.client, env.tableName, () => t0);

    expect(await store.begin('acme', 'k1', 'body-a', t0)).toMatchObject({ state: 'new', claim: expect.any(String) });
    expect(await store.begin('acme', 'k1', 'body-a', t0)).toEqual({ state: 'in-flight' });
    await store.complete('acme', 'k1', receipt);

    expect(await store.begin('acme', 'k1', 'body-a', t0)).toEqual({ state: 'done', receipt });
    expect(await store.begin('acme', 'k1', 'body-b', t0)).toEqual({ state: 'mismatch' });
    expect(await store.begin('other', 'k1', 'body-b', t0)).toMatchObject({ state: 'new', claim: expect.any(String) });
  });

  it('frees a released key and takes over an abandoned claim after its lease', async () => {
    const store = new DynamoDbIdempotencyStore(env.client, env.tableName, () => t0);
    await store.begin('acme', 'k2', 'body', t0);
    await store.release('acme', 'k2');
    expect(await store.begin('acme', 'k2', 'body', t0)).toMatchObject({ state: 'new', claim: expect.any(String) });

    const later = new Date(t0.getTime() + (IDEMPOTENCY_LEASE_SECONDS + 1) * 1000);
    expect(await store.begin('acme', 'k2', 'body', later)).toMatchObject({ state: 'new', claim: expect.any(String) });
  });

  it('lets exactly one of 10 concurrent claims of one key win', async () => {
    const store = new DynamoDbIdempotencyStore(env.client, env.tableName, () => t0);

    const results = await Promise.all(Array.from({ length: 10 }, () => store.begin('acme', 'race', 'body', t0)));

    expect(results.filter((r) => r.state === 'new')).toHaveLength(1);
  });

  it('does not release a completed key', async () => {
    const store = new DynamoDbIdempotencyStore(env.client, env.tableName, () => t0);
    await store.begin('acme', 'k3', 'body', t0);
    await store.complete('acme', 'k3', receipt);

    await store.release('acme', 'k3');

    expect(await store.begin('acme', 'k3', 'body', t0)).toEqual({ state: 'done', receipt });
  });
});
