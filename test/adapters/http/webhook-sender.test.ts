import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWebhookSender, type Resolver } from '../../../functions/adapters/http/webhook-sender.ts';
import { dispatchWebhooks, verifyWebhookSignature, createWebhook } from '../../../functions/core/webhooks/index.ts';
import { aWebhookWorld, anAdmin } from '../../helpers/webhook-fakes.ts';

interface Received { headers: IncomingHttpHeaders; body: string }

/** A real HTTP receiver on 127.0.0.1 that records what it gets and answers with `handler`. */
async function startReceiver(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.writeHead(204).end()) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  servers.push(close);
  return { port, url: `http://127.0.0.1:${port}/hook`, received };
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((close) => close())); });

const LOCAL = { allowLoopback: true, allowInsecureHttp: true };
const post = (sender: HttpWebhookSender, url: string) => sender.send({ url, body: '{"id":"ev_1"}', headers: { 'Content-Type': 'application/json' } });

describe('HttpWebhookSender', () => {
  it('delivers a delivery the receiver can verify with the shown secret, retrying after a 500, when dispatched', async () => {
    const answers = [500, 200];
    const verdicts: boolean[] = [];
    const world = aWebhookWorld({ sender: new HttpWebhookSender(LOCAL), urlPolicy: LOCAL });
    let secret = '';
    const receiver = await startReceiver((req, res, body) => {
      void verifyWebhookSignature(secret, req.headers['sealpost-signature'] as string, body, world.clock().getTime() / 1000).then((ok) => {
        verdicts.push(ok);
        res.writeHead(answers.shift() ?? 200).end('thanks');
      });
    });
    const created = await createWebhook(world.deps, anAdmin(), { url: receiver.url, events: ['opened'] });
    secret = created.secret;
    world.advanceSeconds(1);
    await world.deps.events.append([{ tenantId: 'acme', type: 'opened', at: world.clock().toISOString(), actor: 'recipient:r0', messageId: 'm_1' }]);
    world.advanceSeconds(15);

    const first = await dispatchWebhooks(world.deps, world.clock());
    world.advanceSeconds(30);
    const second = await dispatchWebhooks(world.deps, world.clock());

    expect(first).toMatchObject({ failed: 1, delivered: 0 });
    expect(second).toMatchObject({ failed: 0, delivered: 1 });
    expect(verdicts).toEqual([true, true]);
    const [a, b] = receiver.received;
    expect(a?.headers['sealpost-event-id']).toBe(b?.headers['sealpost-event-id']);
    expect(a?.headers['sealpost-delivery']).not.toBe(b?.headers['sealpost-delivery']);
    expect(b?.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'sealpost-webhooks/1', 'sealpost-event-type': 'opened' });
    expect(JSON.parse(b?.body ?? '{}')).toMatchObject({ type: 'opened', tenantId: 'acme', data: { messageId: 'm_1' } });
    expect(world.deps.webhooks.deliveries.map((d) => [d.status, d.statusCode, d.error])).toEqual([['failed', 500, 'http-500'], ['delivered', 200, undefined]]);
  });

  it('gives up with "timeout" when the receiver does not answer in time', async () => {
    const receiver = await startReceiver(() => { /* never answers */ });
    const sender = new HttpWebhookSender({ ...LOCAL, timeoutMs: 200 });

    const result = await post(sender, receiver.url);

    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.statusCode).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('settles on the status when the receiver streams a body far beyond 4 KB', async () => {
    const receiver = await startReceiver((_q, res) => {
      res.writeHead(200);
      res.write('x'.repeat(64 * 1024));
      // …and never ends the response.
    });
    const sender = new HttpWebhookSender({ ...LOCAL, timeoutMs: 5_000 });

    const result = await post(sender, receiver.url);

    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(result.durationMs).toBeLessThan(4_000);
  });

  it('does not follow a redirect and reports it as "http-302" when the receiver answers with one', async () => {
    const target = await startReceiver();
    const receiver = await startReceiver((_q, res) => res.writeHead(302, { Location: target.url }).end());

    const result = await post(new HttpWebhookSender(LOCAL), receiver.url);

    expect(result).toMatchObject({ ok: false, statusCode: 302, error: 'http-302' });
    expect(target.received).toHaveLength(0);
  });

  it.each([
    ['localhost by name', (port: number) => `http://localhost:${port}/hook`],
    ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['[::1]', (port: number) => `http://[::1]:${port}/hook`],
    ['IPv4-mapped [::ffff:127.0.0.1]', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
    ['10.0.0.1', () => 'http://10.0.0.1/hook'],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv4-mapped [::ffff:169.254.169.254]', () => 'http://[::ffff:169.254.169.254]/'],
    ['0.0.0.0', (port: number) => `http://0.0.0.0:${port}/hook`],
  ])('refuses %s with "blocked-address" and sends nothing when loopback is not allowed', async (_name, urlFor) => {
    const receiver = await startReceiver();
    const sender = new HttpWebhookSender({ allowInsecureHttp: true, allowLoopback: false, timeoutMs: 2_000 });

    const result = await post(sender, urlFor(receiver.port));

    expect(result).toMatchObject({ ok: false, error: 'blocked-address' });
    expect(receiver.received).toHaveLength(0);
  });

  it.each([
    ['a private address', [{ address: '10.1.2.3', family: 4 }]],
    ['a public and a link-local address', [{ address: '93.184.216.34', family: 4 }, { address: 'fe80::1', family: 6 }]],
  ])('refuses a host name with "blocked-address" when it resolves to %s', async (_name, addresses) => {
    const sender = new HttpWebhookSender({ resolve: async () => addresses });

    const result = await post(sender, 'https://hooks.attacker.example/hook');

    expect(result).toMatchObject({ ok: false, error: 'blocked-address' });
  });

  it('connects to the address it checked, resolving once, when the host name is allowed', async () => {
    const receiver = await startReceiver();
    let lookups = 0;
    const resolve: Resolver = async () => { lookups++; return [{ address: '127.0.0.1', family: 4 }]; };
    const sender = new HttpWebhookSender({ ...LOCAL, resolve });

    const result = await post(sender, `http://receiver.test:${receiver.port}/hook`);

    expect(result).toMatchObject({ ok: true, statusCode: 204 });
    expect(lookups).toBe(1);
    expect(receiver.received[0]?.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it('refuses plain http with "insecure-url" when insecure http is not allowed', async () => {
    const receiver = await startReceiver();

    const result = await post(new HttpWebhookSender({ allowLoopback: true }), receiver.url);

    expect(result).toMatchObject({ ok: false, error: 'insecure-url' });
    expect(receiver.received).toHaveLength(0);
  });

  it('reports "connection" when nothing listens on the port', async () => {
    const receiver = await startReceiver();
    await servers.pop()?.();

    const result = await post(new HttpWebhookSender(LOCAL), receiver.url);

    expect(result).toMatchObject({ ok: false, error: 'connection' });
  });

  it('reports "dns" when the host name does not resolve', async () => {
    const resolve: Resolver = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }); };

    const result = await post(new HttpWebhookSender({ resolve }), 'https://no-such-host.example/hook');

    expect(result).toMatchObject({ ok: false, error: 'dns' });
  });
});
