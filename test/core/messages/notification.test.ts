import { describe, expect, it } from 'vitest';
import { buildPickupNotification, pickupLink } from '../../../functions/core/messages/index.ts';
import { DEFAULT_BUTTON_COLOR, type Tenant } from '../../../functions/core/tenants/index.ts';
import { aTenant } from '../../helpers/builders.ts';
import { aBrandedTenant } from '../../helpers/brand-fakes.ts';

const LINK = pickupLink('https://portal.test', 'AbCdEfGhIjKlMnOpQrStUv', 'S'.repeat(43));

function notify(tenant: Tenant, extra: { portalOrigin?: string; replyTo?: string } = {}) {
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

  it('shows a PNG logo by its absolute URL on the portal origin, with the name as alt text', () => {
    const tenant = withPngLogo(aBrandedTenant({ id: 'acme co' }));

    const fromOption = notify(tenant, { portalOrigin: 'https://secure.acme.example/' });
    const fromLink = notify(tenant);

    expect(fromOption.html).toContain('<img src="https://secure.acme.example/brand/acme%20co/logo/dGVzdC1kaWdlc3QtdGVzdC1kaWdlc3QtdGVzdC1kaWc" alt="&lt;b&gt;Acme &amp; Co&lt;/b&gt;" height="40"');
    expect(fromLink.html).toContain('<img src="https://portal.test/brand/acme%20co/logo/dGVzdC1kaWdlc3QtdGVzdC1kaWdlc3QtdGVzdC1kaWc"');
  });

  it('shows no image when the tenant has no logo, or an SVG one (which mail clients do not show)', () => {
    const svgLogo: Tenant = { ...aBrandedTenant(), settings: { ...aBrandedTenant().settings, brand: { logo: { contentType: 'image/svg+xml', digest: 'x'.repeat(43), bytes: 10 } } } };

    expect(notify(aBrandedTenant()).html).not.toContain('<img');
    expect(notify(svgLogo).html).not.toContain('<img');
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
    expect(Object.keys(n).sort()).toEqual(['from', 'html', 'reference', 'replyTo', 'subject', 'text', 'to']);
    expect(n.html).toContain(`href="${LINK}"`);
  });
});
