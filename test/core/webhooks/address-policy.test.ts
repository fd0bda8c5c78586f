import { describe, expect, it } from 'vitest';
import { classifyAddress, isAllowedAddress, isLocalhostName, parseIpv6 } from '../../../functions/core/webhooks/index.ts';

const STRICT = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'reserved'], ['255.255.255.255', 'reserved'], ['224.0.0.1', 'reserved'], ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'], ['198.18.0.1', 'reserved'], ['::', 'reserved'], ['ff02::1', 'reserved'], ['2001:db8::1', 'reserved'],
    ['::10.0.0.1', 'reserved'], ['fec0::1', 'reserved'],
  ])('classifies %s as %s when it is in a special-purpose range', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'], ['2002:c0a8:0101::1', 'private'], ['[::ffff:192.168.0.1]', 'private'],
  ])('judges %s by its embedded IPv4 address (%s) when it is an IPv4-carrying IPv6 form', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])(
    'classifies %s as public when it is a global unicast address', (ip) => {
      expect(classifyAddress(ip)).toBe('public');
    },
  );

  it.each(['example.com', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1::2::3', 'fe80:::1', '12345::1', ''])(
    'returns undefined when %j is not an IP address literal', (text) => {
      expect(classifyAddress(text)).toBeUndefined();
    },
  );
});

describe('parseIpv6', () => {
  it('expands "::" and a dotted IPv4 tail into eight groups when both are present', () => {
    expect(parseIpv6('1:2::ffff:1.2.3.4')).toEqual([1, 2, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  });
});

describe('isAllowedAddress', () => {
  it('refuses loopback when loopback is not allowed and permits it when it is', () => {
    expect(isAllowedAddress('127.0.0.1', STRICT)).toBe(false);
    expect(isAllowedAddress('::1', STRICT)).toBe(false);
    expect(isAllowedAddress('127.0.0.1', LOCAL)).toBe(true);
    expect(isAllowedAddress('::ffff:127.0.0.1', LOCAL)).toBe(true);
  });

  it('refuses private and link-local addresses when loopback is allowed', () => {
    expect(isAllowedAddress('10.0.0.1', LOCAL)).toBe(false);
    expect(isAllowedAddress('169.254.169.254', LOCAL)).toBe(false);
  });

  it('refuses a host name when given one instead of an address', () => {
    expect(isAllowedAddress('example.com', LOCAL)).toBe(false);
  });
});

describe('isLocalhostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost'])('recognises %s when it names this machine', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });

  it('does not match a name that merely contains localhost when it is another domain', () => {
    expect(isLocalhostName('localhost.example.com')).toBe(false);
  });
});
