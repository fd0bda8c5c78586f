/**
 * Cold start of each HTTP entry, as the cost of being cold: a fresh Node 22 process, from its spawn
 * to the handler's first answer to a real API Gateway v2 event that does the entry's real work (a
 * send for sender-api, an open for the portal, against the local stand-ins), minus the same request
 * answered warm in that process. So lazy loading cannot hide a cost: whatever the first request
 * needs is paid before its answer. The floor is a minimal Hono + DynamoDB bundle (floor-entry.ts),
 * built the same way, whose first request is one GetItem. Entries and floor take turns in each
 * round, so load on the machine falls on all of them alike, and each entry's ratio is the median of
 * its per-round ratios: on a shared machine the load drifts over minutes, not within one round.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_BUILD_OPTIONS, LAMBDA_NODE_OPTIONS, PORTAL_WEB_DIR, buildLambdas, type LambdaBundle } from '../../cdk/build.ts';
import { httpApiEvent } from '../helpers/lambda-events.ts';
import { open as openPart, pageTenant, pickupFor, send, sendBody, startBenchWorld, uniqueAddress, type BenchWorld } from './world.ts';

export type ColdTarget = 'floor' | 'sender-api' | 'portal';
export const COLD_TARGETS: readonly ColdTarget[] = ['floor', 'sender-api', 'portal'];

export interface ColdStart {
  readonly target: ColdTarget;
  /** Median over the runs of (spawn → first answer) − (the same request, warm). */
  readonly coldMs: number;
  readonly warmMs: number;
  /** Medians of the phases: spawn → import done, import done → first answer. */
  readonly importMs: number;
  readonly firstRequestMs: number;
  /** The same cost in CPU time (the process's, to its first answer, less the warm request's): steadier on a busy machine. */
  readonly coldCpuMs: number;
  /** Median of the per-round CPU-time ratios. */
  readonly cpuRatio: number;
  readonly runs: readonly number[];
  /** Median over the runs of this run's cold start over the floor's in the same run (the floor: 1). */
  readonly ratio: number;
  readonly bundleBytes: number;
}

interface Sample { readonly coldMs: number; readonly warmMs: number; readonly importMs: number; readonly firstRequestMs: number; readonly coldCpuMs: number }

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The two events (first, then the same again) each target answers. */
async function eventsFor(target: ColdTarget, world: BenchWorld): Promise<[unknown, unknown]> {
  if (target === 'floor') {
    const event = httpApiEvent('GET', `/floor/${world.standard.id}`);
    return [event, event];
  }
  if (target === 'sender-api') {
    const event = () => httpApiEvent('POST', '/v1/messages', {
      headers: { authorization: `Bearer ${world.standard.sendKey}`, 'content-type': 'application/json' },
      body: sendBody([uniqueAddress('cold')]),
    });
    return [event(), event()];
  }
  // A message of its own per run, opened once already, so that the cold and the warm open do the
  // same work (a recipient's first open also appends the 'opened' event). The open says what the
  // pickup page's does: the credentials, and the tenant its page names (read with the message).
  const address = uniqueAddress('cold-open');
  await send(world, world.standard, sendBody([address]));
  const pickup = await pickupFor(world, address);
  await openPart(world, pickup);
  const tenant = await pageTenant(world, pickup.id);
  const event = httpApiEvent('POST', `/m/${pickup.id}/open`, {
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: pickup.link, token: pickup.token, tenant }),
  });
  return [event, event];
}

function runChild(node: string, bundle: string, eventsFile: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  const out = `${eventsFile}.out`;
  const spawnedAt = performance.timeOrigin + performance.now();
  const child = spawn(node, [join(import.meta.dirname, 'cold-child.mjs')], {
    env: { ...env, BENCH_BUNDLE: pathToFileURL(bundle).href, BENCH_EVENTS: eventsFile, BENCH_OUT: out },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`cold start of ${bundle} exited ${code}: ${stderr.slice(0, 2000)}`));
      const result = JSON.parse(readFileSync(out, 'utf8')) as { importedAt: number; firstAt: number; warmMs: number; firstCpuMs: number; warmCpuMs: number; statuses: number[] };
      const ok = result.statuses.every((s) => s >= 200 && s < 300);
      if (!ok) return reject(new Error(`cold start of ${bundle} answered ${result.statuses.join(', ')}`));
      resolve({
        coldMs: result.firstAt - spawnedAt - result.warmMs, warmMs: result.warmMs,
        importMs: result.importedAt - spawnedAt, firstRequestMs: result.firstAt - result.importedAt, coldCpuMs: result.firstCpuMs - result.warmCpuMs,
      });
    });
  });
}

/** The bench's build: the Lambda entries exactly as `npm run build` makes them, and the floor, in a temporary directory. */
export interface BenchBundles {
  readonly dist: string;
  readonly lambdas: readonly LambdaBundle[];
  /** Each target's bundle file (BENCH_FLOOR_BUNDLE, BENCH_SENDER_BUNDLE, BENCH_PORTAL_BUNDLE: another bundle to measure in its place, e.g. a branch's, a variant of the floor, or an unminified one to profile). */
  readonly files: Readonly<Record<ColdTarget, string>>;
  /** The portal's SEALPOST_WEB_DIR: the web client its bundle carries. */
  readonly portalWebDir: string;
}

export async function buildBenchBundles(webDir: string): Promise<BenchBundles> {
  const dist = mkdtempSync(join(tmpdir(), 'sealpost-bench-dist-'));
  const lambdas = await buildLambdas(dist, webDir);
  await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: { index: join(import.meta.dirname, 'floor-entry.ts') }, outdir: join(dist, 'floor') });
  return {
    dist, lambdas, portalWebDir: join(dist, 'portal', PORTAL_WEB_DIR),
    files: {
      floor: process.env.BENCH_FLOOR_BUNDLE ?? join(dist, 'floor', 'index.mjs'),
      'sender-api': process.env.BENCH_SENDER_BUNDLE ?? join(dist, 'sender-api', 'index.mjs'),
      portal: process.env.BENCH_PORTAL_BUNDLE ?? join(dist, 'portal', 'index.mjs'),
    },
  };
}

/** Measures the entries and the floor of `built` (buildBenchBundles) `runs` times each. */
export async function measureColdStarts(node: string, built: BenchBundles, runs: number): Promise<ColdStart[]> {
  const { dist, lambdas, files: bundles } = built;
  const bytes = (target: ColdTarget) => lambdas.find((l) => l.entry === target)?.bytes ?? readFileSync(bundles[target]).length;

  const world = await startBenchWorld(built.portalWebDir);
  // The stack put the stand-ins' endpoints, region and local credentials into process.env (as
  // Lambda's environment would hold them); the Node options are the functions' own.
  const env = { ...process.env, SEALPOST_WEB_DIR: built.portalWebDir, NODE_OPTIONS: LAMBDA_NODE_OPTIONS };
  const samples = new Map<ColdTarget, Sample[]>(COLD_TARGETS.map((t) => [t, []]));
  try {
    for (let run = 0; run < runs; run++) {
      // Rotate who goes first, so no target always meets a freshly busy machine.
      const order = COLD_TARGETS.map((_, i) => COLD_TARGETS[(i + run) % COLD_TARGETS.length] as ColdTarget);
      for (const target of order) {
        const eventsFile = join(dist, `events-${target}-${run}.json`);
        writeFileSync(eventsFile, JSON.stringify(await eventsFor(target, world)));
        samples.get(target)?.push(await runChild(node, bundles[target], eventsFile, env));
      }
    }
  } finally {
    await world.stack.close();
  }
  const floors = samples.get('floor') ?? [];
  return COLD_TARGETS.map((target) => {
    const list = samples.get(target) ?? [];
    const of = (key: keyof Sample) => median(list.map((s) => s[key]));
    const ratioOf = (key: 'coldMs' | 'coldCpuMs') => median(list.map((s, run) => s[key] / (floors[run] as Sample)[key]));
    return {
      target, coldMs: of('coldMs'), warmMs: of('warmMs'), importMs: of('importMs'), firstRequestMs: of('firstRequestMs'), coldCpuMs: of('coldCpuMs'),
      runs: list.map((s) => s.coldMs), ratio: ratioOf('coldMs'), cpuRatio: ratioOf('coldCpuMs'), bundleBytes: bytes(target),
    };
  });
}

export { median };
