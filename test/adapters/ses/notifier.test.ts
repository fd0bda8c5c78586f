import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMailbox, SesNotifier } from '../../../functions/adapters/ses/notifier.ts';
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
  it('sends one email with text and HTML parts from the tenant address through the SES API', async () => {
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
    expect(mail?.destination.to).toEqual(['=?UTF-8?B?w4RsaWNl?= <alice@example.com>']);
    expect(mail?.subject).toBe(notification.subject);
    expect(mail?.body.text).toBe(notification.text);
    expect(mail?.body.html).toBe(notification.html);
    // Tags come back in SES event notifications (bounce, complaint, delivery).
    const sent = new URLSearchParams(bodies[0]);
    expect([sent.get('Tags.member.1.Name'), sent.get('Tags.member.1.Value')]).toEqual(['sealpost-message', 'AbCdEfGhIjKlMnOpQrStUv']);
    expect([sent.get('Tags.member.2.Name'), sent.get('Tags.member.2.Value')]).toEqual(['sealpost-recipient', 'r3']);
  });

  it('reports a request SES refuses as failed, with a reason, and logs the error name without the link', async () => {
    const logger = new CapturingLogger();

    const outcome = await new SesNotifier(client, { logger }).send({ ...notification, subject: '' });

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
    injector.arm({ service: 'SES', command: 'SendEmail', target: 'SendEmail', ordinal: 1, kind: 'throttle' });

    const outcome = await new SesNotifier(throttled).send(notification);
    const refused = await new SesNotifier(client).send({ ...notification, subject: '' });

    expect(injector.fired).toBe(3);
    expect(outcome).toEqual({ status: 'failed', reason: 'SES is sending at its maximum rate right now, so the email was not sent. Send it again in a little while.' });
    expect(refused.reason).not.toMatch(/Exception|Throttling|InvalidParameter|MessageRejected/);
  });

  it('reports an unreachable SES as failed', async () => {
    const down = new SESClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

    const outcome = await new SesNotifier(down).send(notification);

    expect(outcome).toEqual({ status: 'failed', reason: 'The email service did not confirm the email (no answer or a server error); it may not have been sent.' });
  });

  it('formats plain addresses without a display name', () => {
    expect(formatMailbox({ email: 'a@example.com' })).toBe('a@example.com');
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
