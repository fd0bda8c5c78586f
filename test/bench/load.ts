/**
 * Throughput and latency of send and open through the local stack (the product as `npm start` runs
 * it: one process, dynalite, the local mailbox) at 1, 4 and 16 concurrent clients, each sending its
 * next request when its last one is answered. A small message (one recipient, text only).
 */
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { parseLink } from '../helpers/builders.ts';
import { open, send, sendBody, startBenchWorld, uniqueAddress, type BenchWorld, type Pickup } from './world.ts';

export interface LoadResult {
  readonly operation: 'send' | 'open';
  readonly clients: number;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export const CLIENT_COUNTS = [1, 4, 16] as const;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function drive(operation: LoadResult['operation'], clients: number, requests: number, request: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < requests) {
      const i = next++;
      const t = performance.now();
      await request(i);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { operation, clients, requests, perSecond: requests / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** `count` pickups: messages of 50 recipients each, their links read from the mailbox. */
async function pickups(world: BenchWorld, count: number): Promise<Pickup[]> {
  const all: Pickup[] = [];
  while (all.length < count) {
    const to = Array.from({ length: 50 }, () => uniqueAddress('load'));
    await send(world, world.standard, sendBody(to));
    const wanted = new Set(to);
    const mails = (await capturedMail(world.stack.mailboxUrl)).filter((m) => m.destination.to.some((a) => wanted.has(a)));
    for (const mail of mails) {
      const { id, secret } = parseLink(mail.body.text ?? '');
      all.push({ id, secret, link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) });
    }
  }
  return all.slice(0, count);
}

export async function measureLoad(webDir: string, requestsPerLevel: (clients: number) => number): Promise<LoadResult[]> {
  const world = await startBenchWorld(webDir);
  try {
    const results: LoadResult[] = [];
    const body = sendBody([uniqueAddress('load-send')]);
    await send(world, world.standard, body); // warm-up
    for (const clients of CLIENT_COUNTS) {
      results.push(await drive('send', clients, requestsPerLevel(clients), () => send(world, world.standard, body)));
    }
    const total = CLIENT_COUNTS.reduce((sum, c) => sum + requestsPerLevel(c), 0);
    const pool = await pickups(world, total + 1);
    await open(world, pool.pop() as Pickup); // warm-up
    for (const clients of CLIENT_COUNTS) {
      const mine = pool.splice(0, requestsPerLevel(clients));
      results.push(await drive('open', clients, mine.length, (i) => open(world, mine[i] as Pickup)));
    }
    return results;
  } finally {
    await world.stack.close();
  }
}
