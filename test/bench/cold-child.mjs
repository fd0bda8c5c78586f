// One cold start, in a fresh process of the Node under test (plain JavaScript: no loader in the way).
// Imports the bundle BENCH_BUNDLE, hands its handler the first event of BENCH_EVENTS (a JSON file
// holding [first, again]), then the second — the same request, warm — and writes to BENCH_OUT:
// when the process started, when the import was done and when the first answer came (epoch ms,
// the same clock as the parent's), how long the warm one took, the CPU time the process had used
// by its first answer and the warm request's own, and both status codes.
import { readFileSync, writeFileSync } from 'node:fs';

const now = () => performance.timeOrigin + performance.now();
const [first, again] = JSON.parse(readFileSync(process.env.BENCH_EVENTS, 'utf8'));
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30_000 };
const { handler } = await import(process.env.BENCH_BUNDLE);
const importedAt = now();
const cold = await handler(first, context);
const firstAt = now();
const cpu = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
const firstCpuMs = cpu();
const warmStart = now();
const warm = await handler(again, context);
const warmMs = now() - warmStart;
const warmCpuMs = cpu() - firstCpuMs;
writeFileSync(process.env.BENCH_OUT, JSON.stringify({
  startedAt: performance.timeOrigin, importedAt, firstAt, warmMs, firstCpuMs, warmCpuMs, statuses: [cold.statusCode, warm.statusCode], node: process.version,
}));
