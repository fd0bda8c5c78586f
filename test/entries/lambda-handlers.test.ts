/**
 * The built Lambda bundles (dist/<entry>/index.mjs, exactly what the CDK stack deploys), driven the
 * way Lambda drives them: a real HTTP API v2 event (or an SNS-wrapped SES event) into the exported
 * handler, with the SDK pointed at the local stand-ins through AWS_ENDPOINT_URL_*.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecryptor, decrypt, deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { seedLocal } from '../../functions/entries/local/bootstrap.ts';
import { capturedMail, startDynamoDb, startMailbox, type StandIn } from '../../functions/stand-ins/stand-ins.ts';
import { startKms } from '../../functions/stand-ins/kms-stand-in.ts';
import { LAMBDA_BUILD_OPTIONS, LAMBDA_ENTRIES, PORTAL_WEB_DIR } from '../../cdk/build.ts';
import { sesEvent } from '../helpers/ses-events.ts';
import { parseLink } from '../helpers/builders.ts';
import { httpApiEvent, lambdaContext } from '../helpers/lambda-events.ts';
import { build } from 'esbuild';

type Result = { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
type Handler = (event: unknown, context: unknown) => Promise<Result>;

const API_KEY = 'sp_lambda_entry_test_key_0123456789';
const ADMIN_KEY = 'sp_lambda_entry_admin_key_0123456789';
let dynamo: StandIn;
let mailbox: StandIn;
let kms: StandIn & { keyId: string };
let maintenance: () => Promise<{ expired: number; webhooks?: { endpoints: number } }>;
let senderApi: Handler;
let portal: Handler;
let sesEvents: (event: unknown) => Promise<{ recorded: number }>;
const DIST = resolve('dist');

beforeAll(async () => {
  [dynamo, mailbox, kms] = await Promise.all([startDynamoDb(), startMailbox(), startKms()]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: mailbox.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    SEALPOST_KMS_KEY_ID: kms.keyId,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    SEALPOST_TABLE: 'sealpost-lambda',
    SEALPOST_PORTAL_ORIGIN: 'https://secure.example.org',
    SEALPOST_WEB_DIR: join(DIST, 'portal', PORTAL_WEB_DIR),
    SEALPOST_SES_CONFIGURATION_SET: '',
  });
  await seedLocal(new DynamoDBClient({}), 'sealpost-lambda', { sendKey: API_KEY, adminKey: ADMIN_KEY });
  senderApi = (await import(pathToFileURL(join(DIST, 'sender-api', 'index.mjs')).href)).handler as Handler;
  portal = (await import(pathToFileURL(join(DIST, 'portal', 'index.mjs')).href)).handler as Handler;
  sesEvents = (await import(pathToFileURL(join(DIST, 'ses-events', 'index.mjs')).href)).handler as (event: unknown) => Promise<{ recorded: number }>;
  maintenance = (await import(pathToFileURL(join(DIST, 'maintenance', 'index.mjs')).href)).handler as typeof maintenance;
});
afterAll(async () => { await Promise.all([dynamo.close(), mailbox.close(), kms.close()]); });

describe('Lambda entries', () => {
  it('sender API: sends a message, and the portal entry serves the page and the ciphertext', async () => {
    const sent = await senderApi(httpApiEvent('POST', '/v1/messages', {
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: ['lambda@example.com'], subject: 'From Lambda', text: 'lambda body' }),
    }), lambdaContext);
    expect(sent.statusCode).toBe(201);
    expect(sent.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const { id } = JSON.parse(sent.body) as { id: string };
    const mail = (await capturedMail(mailbox.endpoint)).find((m) => m.destination.to[0] === 'lambda@example.com');
    const link = parseLink(mail?.body.text ?? '');
    expect(link.url.startsWith('https://secure.example.org/m/')).toBe(true);

    const page = await portal(httpApiEvent('GET', `/m/${id}`), lambdaContext);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/assets/');

    const opened = await portal(httpApiEvent('POST', `/m/${id}/open`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link: await deriveLinkToken(link.secret), token: await deriveAccessToken(link.secret) }),
    }), lambdaContext);
    expect(opened.statusCode).toBe(200);
    expect(opened.isBase64Encoded).toBe(true);
    const ciphertext = new Uint8Array(Buffer.from(opened.body, 'base64'));
    const mime = new TextDecoder().decode(await new OpenPgpSealer().open(ciphertext, link.secret));
    expect(mime).toContain('lambda body');
    // …and the page's own decryptor reads it the same.
    expect(new TextDecoder().decode(await decrypt(ciphertext, link.secret))).toBe(mime);

    const status = await senderApi(httpApiEvent('GET', `/v1/messages/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } }), lambdaContext);
    const body = JSON.parse(status.body) as { events: { type: string }[]; recipients: { status: string; opens: number }[] };
    expect(body.events.map((e) => e.type)).toEqual(['created', 'notified', 'opened']);
    expect(body.recipients).toMatchObject([{ status: 'notified', opens: 1 }]);
  });

  it('portal: a message at the 4 MiB content limit is picked up in parts that each fit a Lambda response', async () => {
    const attachment = new Uint8Array(4 * 1024 * 1024 - 100).map((_, i) => (i * 7919) & 0xff);
    const sent = await senderApi(httpApiEvent('POST', '/v1/messages', {
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: ['big@example.com'], subject: 'Big', text: 'x', attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.from(attachment).toString('base64') }] }),
    }), lambdaContext);
    expect(sent.statusCode).toBe(201);
    const { id } = JSON.parse(sent.body) as { id: string };
    const link = parseLink((await capturedMail(mailbox.endpoint)).find((m) => m.destination.to[0] === 'big@example.com')?.body.text ?? '');
    const token = await deriveAccessToken(link.secret);
    const linkToken = await deriveLinkToken(link.secret);

    const pieces: Buffer[] = [];
    // The page's decryptor takes each part as it arrives.
    const decryptor = createDecryptor(link.secret);
    const streamed: Uint8Array[] = [];
    let parts = 1;
    for (let part = 0; part < parts; part++) {
      const res = await portal(httpApiEvent('POST', `/m/${id}/open`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: linkToken, token, part }) }), lambdaContext);
      expect(res.statusCode).toBe(200);
      // Lambda's response payload limit is 6 MB, counted on the base64 body it returns.
      expect(JSON.stringify(res).length).toBeLessThan(6 * 1000 * 1000);
      parts = Number(res.headers['sealpost-parts']);
      pieces.push(Buffer.from(res.body, 'base64'));
      streamed.push(await decryptor.push(new Uint8Array(pieces.at(-1) as Buffer)));
    }
    streamed.push(await decryptor.finish());

    expect(parts).toBe(2);
    const mime = new TextDecoder().decode(await new OpenPgpSealer().open(new Uint8Array(Buffer.concat(pieces)), link.secret));
    expect(mime).toContain('filename="big.bin"');
    expect(Buffer.concat(streamed).equals(Buffer.from(mime))).toBe(true);
  });

  it('ses-events: records SES bounce and delivery notifications in the message trail', async () => {
    const sent = await senderApi(httpApiEvent('POST', '/v1/messages', {
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: ['ok@example.com', 'bounce@example.com'], subject: 'Feedback', text: 'x' }),
    }), lambdaContext);
    const { id } = JSON.parse(sent.body) as { id: string };

    const delivered = await sesEvents(sesEvent('Delivery', { 'sealpost-message': id, 'sealpost-recipient': 'r0' }));
    await sesEvents(sesEvent('Delivery', { 'sealpost-message': id, 'sealpost-recipient': 'r0' })); // SNS redelivery
    const bounced = await sesEvents(sesEvent('Bounce', { 'sealpost-message': id, 'sealpost-recipient': 'r1' }, '2026-11-29T12:00:06.000Z'));
    const unknown = await sesEvents(sesEvent('Bounce', { 'sealpost-message': 'AAAAAAAAAAAAAAAAAAAAAA', 'sealpost-recipient': 'r0' }));

    expect([delivered.recorded, bounced.recorded, unknown.recorded]).toEqual([1, 1, 0]);
    const status = await senderApi(httpApiEvent('GET', `/v1/messages/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } }), lambdaContext);
    const events = (JSON.parse(status.body) as { events: { type: string; recipient?: string }[] }).events;
    expect(events.filter((e) => e.type === 'delivered' || e.type === 'bounced')).toEqual([
      expect.objectContaining({ type: 'delivered', recipient: 'ok@example.com' }),
      expect.objectContaining({ type: 'bounced', recipient: 'bounce@example.com' }),
    ]);
  });

  it('admin API and maintenance: a webhook registered through the sender-api bundle is picked up by the maintenance bundle', async () => {
    const created = await senderApi(httpApiEvent('POST', '/v1/admin/webhooks', {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://hooks.example.com/sealpost', events: ['opened'] }),
    }), lambdaContext);
    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
    const listed = await senderApi(httpApiEvent('GET', '/v1/admin/webhooks', { headers: { authorization: `Bearer ${ADMIN_KEY}` } }), lambdaContext);
    expect(JSON.parse(listed.body).webhooks).toHaveLength(1);

    const summary = await maintenance();

    expect(summary.expired).toBe(0);
    expect(summary.webhooks?.endpoints).toBe(1);
  });

  it('each bundle carries only the code its entry reaches', async () => {
    const inputs = async (entry: keyof typeof LAMBDA_ENTRIES) => {
      const result = await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [LAMBDA_ENTRIES[entry]], outdir: join(DIST, '.inspect'), write: false });
      return Object.keys(result.metafile?.inputs ?? {});
    };
    const has = (files: string[], fragment: string) => files.some((f) => f.includes(fragment));

    const [senderApi, portalInputs, sesInputs] = await Promise.all([inputs('sender-api'), inputs('portal'), inputs('ses-events')]);

    for (const files of [portalInputs, sesInputs]) {
      expect(has(files, 'node_modules/nodemailer/')).toBe(false);
    }
    // The portal emails verification codes; the feedback processor sends nothing.
    expect(has(portalInputs, 'client-ses')).toBe(true);
    expect(has(sesInputs, 'client-ses')).toBe(false);
    for (const files of [senderApi, portalInputs, sesInputs]) {
      // The sender API seals the protocol's subset itself (core/protocol/openpgp-seal.ts): no bundle carries openpgp.js.
      expect(has(files, 'node_modules/openpgp/')).toBe(false);
      expect(has(files, 'functions/stand-ins/')).toBe(false);
      expect(has(files, 'dynalite')).toBe(false);
      expect(has(files, 'web/src/')).toBe(false);
    }
    expect(has(senderApi, 'functions/core/protocol/openpgp-seal.ts')).toBe(true);
    expect(has(sesInputs, 'hono')).toBe(false);
    // Each HTTP entry carries its own route groups only (app.ts): no API schemas or OpenAPI document
    // in the portal, no pickup page in the sender API (whose API description still names the inbox's schemas).
    for (const route of ['functions/http/openapi.ts', 'functions/http/routes/messages.ts', 'functions/http/routes/admin-webhooks.ts']) {
      expect(has(portalInputs, route), route).toBe(false);
    }
    for (const route of ['functions/http/routes/portal.ts', 'functions/http/routes/console.ts']) {
      expect(has(senderApi, route), route).toBe(false);
    }
    // The portal checks its four bodies without zod (portal-bodies.ts).
    expect(has(portalInputs, 'node_modules/zod/')).toBe(false);
    expect(has(senderApi, 'node_modules/zod/')).toBe(true);
  });

  it('each HTTP entry loads at start only what its first request may need; S3, KMS, SES, webhook delivery and zod load on first use', async () => {
    // What a cold start compiles before the first request: the entry's chunk and every chunk it
    // imports statically (esbuild splitting, cdk/build.ts), not those only import() reaches.
    const atStart = async (entryPoint: string) => {
      const result = await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: { index: entryPoint }, outdir: join(DIST, '.inspect'), write: false });
      const outputs = result.metafile?.outputs ?? {};
      // The entry's own chunk (each import() target is an entry point of the metafile too).
      const entryChunk = Object.keys(outputs).find((file) => outputs[file]?.entryPoint === entryPoint) as string;
      expect(entryChunk).toBeDefined();
      const seen = new Set<string>();
      const builtins = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file) || !outputs[file]) return;
        seen.add(file);
        for (const { path, kind, external } of outputs[file].imports) {
          if (kind === 'import-statement' && external) builtins.add(path);
          else if (kind === 'import-statement') visit(path);
        }
      };
      visit(entryChunk);
      // Inputs of which a chunk holds code (a module tree-shaken to nothing is listed with 0 bytes).
      const held = (output: (typeof outputs)[string] | undefined) => Object.entries(output?.inputs ?? {}).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input);
      const inputs = [...seen].flatMap((file) => held(outputs[file]));
      const all = Object.values(outputs).flatMap(held);
      return { inputs, all, builtins: [...builtins].sort() };
    };
    const has = (files: string[], fragment: string) => files.some((f) => f.includes(fragment));
    const [senderApi, portalStart, floor] = await Promise.all([atStart(LAMBDA_ENTRIES['sender-api']), atStart(LAMBDA_ENTRIES.portal), atStart('test/bench/floor-entry.ts')]);
    // No Node module the cold-start floor does not import (node:http, node:util, node:dns... compile
    // a dozen of Node's internal modules each): the webhook sender and node:util are not loaded at start.
    expect(senderApi.builtins).toEqual(floor.builtins);
    expect(portalStart.builtins).toEqual(floor.builtins);
    // The webhook sender brings node:http, node:dns and node:net, which Node compiles on import.
    for (const sdk of ['client-s3/', 'client-kms/', 'adapters/s3/blob-store.ts', 'adapters/kms/', 'adapters/http/webhook-sender.ts']) {
      expect(has(senderApi.inputs, sdk), sdk).toBe(false);
      // Still in the deployed bundle, in a chunk of its own.
      expect(has(senderApi.all, sdk), sdk).toBe(true);
    }
    // zod and the schemas built with it load with the first request that needs them: a send is checked without it (send-body.ts).
    for (const lazy of ['node_modules/zod/', 'http/schemas.ts', 'http/admin-schemas.ts', 'http/upload-schemas.ts', 'http/reply-schemas.ts', 'http/webhook-schemas.ts']) {
      expect(has(senderApi.inputs, lazy), lazy).toBe(false);
      expect(has(senderApi.all, lazy), lazy).toBe(true);
      expect(has(portalStart.inputs, lazy), lazy).toBe(false);
    }
    for (const sdk of ['client-s3/', 'client-kms/', 'client-ses/', 'adapters/ses/']) expect(has(portalStart.inputs, sdk), sdk).toBe(false);
    expect(has(portalStart.all, 'client-ses/')).toBe(true);
    expect(has(portalStart.inputs, 'client-dynamodb/')).toBe(true);
  });

  it('each entry serves only its own routes', async () => {
    const apiOnPortal = await portal(httpApiEvent('GET', '/v1/messages/x', { headers: { authorization: `Bearer ${API_KEY}` } }), lambdaContext);
    const pageOnApi = await senderApi(httpApiEvent('GET', '/m/x'), lambdaContext);

    expect(apiOnPortal.statusCode).toBe(404);
    // An id DynamoDB would refuse (key over 2 KB) is a plain 404, not a 503 from the store.
    const tooLong = await senderApi(httpApiEvent('GET', `/v1/messages/${'a'.repeat(3000)}`, { headers: { authorization: `Bearer ${API_KEY}` } }), lambdaContext);
    expect(tooLong.statusCode).toBe(404);
    expect(pageOnApi.statusCode).toBe(404);
    expect(pageOnApi.headers['content-type']).toBe('application/problem+json');
  });
});
