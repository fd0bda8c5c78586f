import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesNotifier } from '../../../functions/adapters/ses/notifier.ts';
import { CapturingLogger } from '../../helpers/fakes.ts';
import { FaultInjector } from '../../helpers/fault-injector.ts';
import { capturedMail, startMailbox, type StandIn } from '../../../functions/stand-ins/stand-ins.ts';

let mailbox: StandIn;
let client: SESClient;
beforeAll(async () => {
  mailbox = await startMailbox();
  process.env.AWS_ENDPOINT_URL_SES = mailbox.endpoint;
  client = new SESClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => { client.destroy(); await mailbox.close(); });

const notification = {
  reference: { messageId: 'AbCdEfGhIjKlMnOpQrStUv', rid: 'r3' },
  from: { email: 'notices@acme.example', name: 'Acme "Health"' },
  to: { email: 'alice@example.com', name: 'Älice' },
  subject: 'Acme sent you a secure message',
  text: 'Open it: https://portal.test/m/abc#secret',
  html: '<p><a href="https://portal.test/m/abc#secret">Open</a></p>',
};

describe('SesNotifier', () => {
  it('sends one raw email with text and HTML parts from the tenant address through the SES API, tagged', async () => {
    const bodies: string[] = [];
    client.middlewareStack.add((next) => async (args) => {
      bodies.push(String((args.request as { body?: unknown }).body));
      return next(args);
    }, { step: 'finalizeRequest', name: 'captureBody' });

    const outcome = await new SesNotifier(client).send(notification);
    client.middlewareStack.remove('captureBody');

    expect(outcome).toEqual({ status: 'notified' });
    const mail = (await capturedMail(mailbox.endpoint)).at(-1);
    expect(mail?.from).toBe('"Acme \\"Health\\"" <notices@acme.example>');
    expect(mail?.destination.to).toEqual(['"Älice" <alice@example.com>']);
    expect(mail?.subject).toBe(notification.subject);
    expect(mail?.body.text?.trim()).toBe(notification.text);
    expect(mail?.body.html?.trim()).toBe(notification.html);
    // Tags come back in SES event notifications (bounce, complaint, delivery).
    const sent = new URLSearchParams(bodies[0]);
    expect(sent.get('Action')).toBe('SendRawEmail');
    expect([sent.get('Tags.member.1.Name'), sent.get('Tags.member.1.Value')]).toEqual(['sealpost-message', 'AbCdEfGhIjKlMnOpQrStUv']);
    expect([sent.get('Tags.member.2.Name'), sent.get('Tags.member.2.Value')]).toEqual(['sealpost-recipient', 'r3']);
    // The display name with a non-ASCII letter travels as an RFC 2047 encoded word.
    expect(Buffer.from(sent.get('RawMessage.Data') ?? '', 'base64').toString('latin1')).toMatch(/^To: =\?UTF-8\?[BQ]\?/m);
  });

  it('carries an inline picture inside the email, named by its Content-ID, so no remote image is needed', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

    const outcome = await new SesNotifier(client).send({
      ...notification, html: '<p><img src="cid:brand-logo" alt="Acme"></p>', inline: [{ cid: 'brand-logo', contentType: 'image/png', content: png }],
    });

    expect(outcome).toEqual({ status: 'notified' });
    const mail = (await capturedMail(mailbox.endpoint)).at(-1) as unknown as { attachments: { contentId?: string; cid?: string; contentType: string; related?: boolean; content: string }[] };
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ contentType: 'image/png', content: Buffer.from(png).toString('base64') });
    expect(mail.attachments[0]?.contentId).toBe('<brand-logo>');
  });

  it('reports a request SES refuses as failed, with a reason, and logs the error name without the link', async () => {
    const logger = new CapturingLogger();

    // No From at all: SES (and its stand-in) refuses an email without a sender.
    const outcome = await new SesNotifier(client, { logger }).send({ ...notification, from: { email: '' } });

    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/SES refused|rejected/);
    expect(logger.lines).toHaveLength(1);
    expect(JSON.parse(logger.lines[0]!)).toMatchObject({ event: 'ses_send_failed', httpStatus: 400 });
    expect(logger.lines[0]).not.toContain('#secret');
  });

  it('says that SES throttled, and never passes on the name of an error SES answers with', async () => {
    const injector = new FaultInjector();
    const throttled = new SESClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    injector.attach(throttled);
    injector.arm({ service: 'SES', command: 'SendRawEmail', target: 'SendRawEmail', ordinal: 1, kind: 'throttle' });

    const outcome = await new SesNotifier(throttled).send(notification);
    const refused = await new SesNotifier(client).send({ ...notification, from: { email: '' } });

    expect(injector.fired).toBe(3);
    expect(outcome).toEqual({ status: 'failed', reason: 'SES is sending at its maximum rate right now, so the email was not sent. Send it again in a little while.' });
    expect(refused.reason).not.toMatch(/Exception|Throttling|InvalidParameter|MessageRejected/);
  });

  it('reports an unreachable SES as failed', async () => {
    const down = new SESClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

    const outcome = await new SesNotifier(down).send(notification);

    expect(outcome).toEqual({ status: 'failed', reason: 'The email service did not confirm the email (no answer or a server error); it may not have been sent.' });
  });

  it('writes plain addresses without a display name', async () => {
    expect(await new SesNotifier(client).send({ ...notification, from: { email: 'a@example.com' } })).toEqual({ status: 'notified' });
    expect((await capturedMail(mailbox.endpoint)).at(-1)?.from).toBe('a@example.com');
  });

  it('sets Reply-To to the notification\'s replyTo, and none without one', async () => {
    // The mailbox stores Reply-To too; CapturedMail does not name it.
    const lastReplyTo = async () => ((await capturedMail(mailbox.endpoint)).at(-1) as unknown as { replyTo: string[] }).replyTo;

    expect(await new SesNotifier(client).send({ ...notification, replyTo: 'help@acme.example' })).toEqual({ status: 'notified' });
    expect(await lastReplyTo()).toEqual(['help@acme.example']);
    expect(await new SesNotifier(client).send(notification)).toEqual({ status: 'notified' });
    expect(await lastReplyTo()).toEqual([]);
  });
});
