import { describe, expect, it } from 'vitest';
import { buildPickupNotification, pickupLink } from '../../../functions/core/messages/index.ts';
import { DEFAULT_BUTTON_COLOR, type Tenant } from '../../../functions/core/tenants/index.ts';
import { aTenant } from '../../helpers/builders.ts';
import { aBrandedTenant } from '../../helpers/brand-fakes.ts';

const LINK = pickupLink('https://portal.test', 'AbCdEfGhIjKlMnOpQrStUv', 'S'.repeat(43));

function notify(tenant: Tenant, extra: { replyTo?: string; passcode?: boolean; code?: boolean } = {}) {
  return buildPickupNotification({
    tenant,
    reference: { messageId: 'AbCdEfGhIjKlMnOpQrStUv', rid: 'r0' },
    to: { email: 'alice@example.com' },
    link: LINK,
    expiresAt: new Date('2026-12-06T12:00:00.000Z'),
    ...extra,
  });
}

const withPngLogo = (tenant: Tenant): Tenant => ({
  ...tenant,
  settings: { ...tenant.settings, brand: { ...tenant.settings.brand, logo: { contentType: 'image/png', digest: 'dGVzdC1kaWdlc3QtdGVzdC1kaWdlc3QtdGVzdC1kaWc', bytes: 120 } } },
});

describe('buildPickupNotification', () => {
  it('carries the tenant name as from-name, heading and subject, escaped in the HTML', () => {
    const tenant = aBrandedTenant();

    const n = notify(tenant);

    expect(n.from).toEqual({ email: 'notices@acme.example', name: '<b>Acme & Co</b>' });
    expect(n.subject).toBe('<b>Acme & Co</b> sent you a secure message');
    expect(n.html).toContain('<h1 style="font-size:20px;margin:0 0 16px">&lt;b&gt;Acme &amp; Co&lt;/b&gt; sent you a secure message</h1>');
    expect(n.html).not.toContain('<b>');
    expect(n.text).toContain('<b>Acme & Co</b> has sent you a secure message.');
  });

  it('colours the button with the tenant colour, and with the default when there is none', () => {
    const branded = notify(aBrandedTenant());
    const plain = notify(aTenant());

    expect(branded.html).toContain('background:#0f766e;color:#ffffff');
    expect(branded.html).not.toContain(DEFAULT_BUTTON_COLOR);
    expect(plain.html).toContain(`background:${DEFAULT_BUTTON_COLOR};color:#ffffff`);
  });

  it('shows a PNG logo from inside the email (cid:), names it for the notifier to embed, with the name as alt text', () => {
    const tenant = withPngLogo(aBrandedTenant({ id: 'acme co' }));

    const n = notify(tenant);

    expect(n.html).toContain('<img src="cid:brand-logo" alt="&lt;b&gt;Acme &amp; Co&lt;/b&gt;" height="40"');
    expect(n.html).not.toContain('/brand/');
    expect(n.logo).toEqual({ tenantId: 'acme co', digest: 'dGVzdC1kaWdlc3QtdGVzdC1kaWdlc3QtdGVzdC1kaWc', cid: 'brand-logo' });
  });

  it('says what is needed besides the link: the passcode, the emailed code, or both in one sentence', () => {
    const tenant = aTenant({ settings: { displayName: 'Harbour Clinic' } });
    const sentences = [{}, { passcode: true }, { code: true }, { passcode: true, code: true }].map((needs) => notify(tenant, needs));

    expect(sentences.map((n) => /To open it[^.]*\./.exec(n.text)?.[0])).toEqual([
      undefined,
      'To open it you will also need the passcode Harbour Clinic gave you.',
      'To open it you will also need a 6-digit code that we email you when you open it.',
      'To open it you will also need the passcode Harbour Clinic gave you, and a 6-digit code that we email you when you open it.',
    ]);
    expect(sentences[3]?.html).toContain('the passcode Harbour Clinic gave you, and a 6-digit code that we email you when you open it.');
  });

  it('shows no image when the tenant has no logo, or an SVG one (which mail clients do not show)', () => {
    const svgLogo: Tenant = { ...aBrandedTenant(), settings: { ...aBrandedTenant().settings, brand: { logo: { contentType: 'image/svg+xml', digest: 'x'.repeat(43), bytes: 10 } } } };

    expect(notify(aBrandedTenant()).html).not.toContain('<img');
    expect(notify(svgLogo).html).not.toContain('<img');
    expect(notify(svgLogo)).not.toHaveProperty('logo');
  });

  it('replies to the message reply-to address, else the tenant one, else nobody in particular', () => {
    expect(notify(aBrandedTenant()).replyTo).toBe('help@acme.example');
    expect(notify(aBrandedTenant(), { replyTo: 'dr.jones@acme.example' }).replyTo).toBe('dr.jones@acme.example');
    expect(notify(aTenant())).not.toHaveProperty('replyTo');
  });

  it('says "sealpost" only in the "Secured by" line and nothing of the message content', () => {
    const n = notify(withPngLogo(aBrandedTenant()));

    expect(n.html.match(/sealpost/gi)).toEqual(['sealpost']);
    expect(n.html).toContain('Secured by sealpost');
    expect(n.text).not.toMatch(/sealpost/i);
    expect(Object.keys(n).sort()).toEqual(['from', 'html', 'logo', 'reference', 'replyTo', 'subject', 'text', 'to']);
    expect(n.html).toContain(`href="${LINK}"`);
  });
});
