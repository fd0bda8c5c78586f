import { describe, expect, it } from 'vitest';
import type { Notifier, PickupNotification } from '../../../functions/core/shared/index.ts';
import { brandedEmail, embeddingLogos, type LogoReader } from '../../../functions/core/tenants/index.ts';
import { aTenant } from '../../helpers/builders.ts';
import { CapturingLogger } from '../../helpers/fakes.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const tenant = aTenant({ id: 'acme', settings: { displayName: 'Acme', brand: { logo: { contentType: 'image/png', digest: 'd'.repeat(43), bytes: PNG.length } } } });

function anEmail(): PickupNotification {
  return {
    reference: { messageId: 'm', rid: 'r0' }, from: { email: 'notices@acme.example' }, to: { email: 'alice@example.com' },
    subject: 'Acme sent you a secure message', text: 'text', ...brandedEmail(tenant, '<h1>Acme sent you a secure message</h1>'),
  };
}

function capture(): { sent: PickupNotification[]; notifier: Notifier } {
  const sent: PickupNotification[] = [];
  return { sent, notifier: { send: async (n) => { sent.push(n); return { status: 'notified' }; } } };
}

describe('embeddingLogos', () => {
  it('puts the logo\'s bytes inside the email under the Content-ID the HTML names, reading each logo once', async () => {
    const reads: string[] = [];
    const logos: LogoReader = { getLogo: async (tenantId, digest) => { reads.push(`${tenantId}/${digest}`); return PNG; } };
    const { sent, notifier } = capture();

    const sender = embeddingLogos(notifier, logos);
    await sender.send(anEmail());
    await sender.send(anEmail());

    expect(sent[0]?.html).toContain('<img src="cid:brand-logo"');
    expect(sent[0]?.inline).toEqual([{ cid: 'brand-logo', contentType: 'image/png', content: PNG }]);
    expect(reads).toEqual([`acme/${'d'.repeat(43)}`]);
  });

  it('leaves the picture out, not broken, when the logo cannot be read, and says why in the log', async () => {
    const logger = new CapturingLogger();
    const { sent, notifier } = capture();

    await embeddingLogos(notifier, { getLogo: async () => { throw new Error('table unavailable'); } }, logger).send(anEmail());
    await embeddingLogos(notifier, { getLogo: async () => undefined }).send(anEmail());

    for (const email of sent) {
      expect(email.html).not.toContain('<img');
      expect(email.html).toContain('<h1>Acme sent you a secure message</h1>');
      expect(email).not.toHaveProperty('inline');
      expect(email).not.toHaveProperty('logo');
    }
    expect(logger.lines.join('\n')).toContain('email_logo_unreadable');
  });

  it('sends an email without a logo as it is, reading nothing', async () => {
    const { sent, notifier } = capture();
    const { logo: _none, ...rest } = anEmail();
    const plain = { ...rest, ...brandedEmail(aTenant(), '<p>hi</p>') };

    await embeddingLogos(notifier, { getLogo: async () => { throw new Error('must not be read'); } }).send(plain);

    expect(sent).toEqual([plain]);
  });
});
