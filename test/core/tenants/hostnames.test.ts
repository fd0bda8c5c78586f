import { describe, expect, it } from 'vitest';
import { hostnameProblem, normaliseHostname, planHostnames, requestedHostnames } from '../../../functions/core/tenants/index.ts';
import type { FieldIssue } from '../../../functions/core/shared/index.ts';
import { aTenant } from '../../helpers/builders.ts';

describe('hostnameProblem', () => {
  it.each([
    // IPv4 in every notation a resolver or browser accepts.
    '127.0.0.1', '127.1', '127.0.1', '2130706433', '0x7f000001', '0x7f.1', '0177.0.0.1', '017700000001', '10.0.0.1', '169.254.169.254', '1.2.3.04',
    // IPv6, bracketed or not, and IPv4-mapped.
    '[::1]', '::1', '::ffff:127.0.0.1', '[fd00::1]',
    // Names that are never an organisation's own.
    'localhost', 'portal.localhost', 'intranet.local', 'db.internal', '1.0.0.127.in-addr.arpa',
    'd111111abcdef8.cloudfront.net', 'abc123.execute-api.us-east-1.amazonaws.com', 'sealpost.s3.amazonaws.com', 'x.lambda-url.eu-west-1.on.aws',
    // Not a hostname at all.
    '', 'com', 'https://secure.example.com', 'secure.example.com:8443', 'secure.example.com/path', 'secure..example.com', '-secure.example.com',
    'secure_portal.example.com', 'sécure.example.com', `${'a'.repeat(64)}.example.com`, 'user@secure.example.com',
  ])('refuses %j', (hostname) => {
    expect(hostnameProblem(normaliseHostname(hostname), ['portal.sealpost.example'])).toEqual(expect.any(String));
  });

  it('refuses the deployment\'s own portal host, in any case and with a final dot', () => {
    expect(hostnameProblem(normaliseHostname('Portal.Sealpost.Example.'), ['portal.sealpost.example'])).toMatch(/own portal host/);
  });

  it.each(['secure.example.com', 'portal.clinic.co.uk', 'xn--bcher-kva.example', 'a-b.c-d.example', '123.example.com', 'secure.example.xn--p1ai'])('accepts %j', (hostname) => {
    expect(hostnameProblem(hostname, ['portal.sealpost.example'])).toBeUndefined();
  });

  it('names every refused entry of a list by its index, and sorts and de-duplicates the rest', () => {
    const issues: FieldIssue[] = [];

    const out = requestedHostnames([' Secure.Example.COM. ', '127.1', 'secure.example.com', 'b.example.org'], ['portal.test'], issues);

    expect(out).toEqual(['127.1', 'b.example.org', 'secure.example.com']);
    expect(issues.map((i) => i.field)).toEqual(['portalHostnames/1']);
    expect(issues[0]?.message).toMatch(/IP address/);
  });
});

describe('planHostnames', () => {
  it('keeps approved names that are still asked for, holds new ones for approval and releases the rest', () => {
    const current = aTenant({ settings: { portalHostnames: ['a.example.com', 'b.example.com'], pendingHostnames: ['c.example.com'] } }).settings;

    expect(planHostnames(current, ['b.example.com', 'd.example.com'])).toEqual({ active: ['b.example.com'], pending: ['d.example.com'], released: ['a.example.com'] });
  });
});
