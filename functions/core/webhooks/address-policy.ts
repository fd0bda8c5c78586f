/**
 * Which network addresses a webhook may reach (SSRF defence). Pure parsing and range checks, shared
 * by registration (early feedback on IP-literal URLs) and the sender (the check that counts: every
 * address is checked right before the connection is made to it).
 *
 * IPv4: everything except the IANA special-purpose ranges is allowed. IPv6: only global unicast
 * (2000::/3) is allowed, minus documentation and protocol blocks; IPv6 forms that embed an IPv4
 * address (IPv4-mapped, NAT64, 6to4) are judged by that IPv4 address.
 */

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

export interface AddressPolicy {
  /** Local mode only: lets webhooks reach 127.0.0.0/8 and ::1 (a receiver on the developer's machine). */
  readonly allowLoopback: boolean;
}

type Range = readonly [base: number, prefix: number, cls: Exclude<AddressClass, 'public'>];

const V4_RANGES: readonly Range[] = [
  [ip4(0, 0, 0, 0), 8, 'reserved'], // "this network"
  [ip4(10, 0, 0, 0), 8, 'private'],
  [ip4(100, 64, 0, 0), 10, 'private'], // carrier-grade NAT
  [ip4(127, 0, 0, 0), 8, 'loopback'],
  [ip4(169, 254, 0, 0), 16, 'link-local'], // includes the cloud metadata service 169.254.169.254
  [ip4(172, 16, 0, 0), 12, 'private'],
  [ip4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments
  [ip4(192, 0, 2, 0), 24, 'reserved'], // TEST-NET-1
  [ip4(192, 88, 99, 0), 24, 'reserved'], // 6to4 relay anycast
  [ip4(192, 168, 0, 0), 16, 'private'],
  [ip4(198, 18, 0, 0), 15, 'reserved'], // benchmarking
  [ip4(198, 51, 100, 0), 24, 'reserved'], // TEST-NET-2
  [ip4(203, 0, 113, 0), 24, 'reserved'], // TEST-NET-3
  [ip4(224, 0, 0, 0), 4, 'reserved'], // multicast
  [ip4(240, 0, 0, 0), 4, 'reserved'], // reserved, including broadcast 255.255.255.255
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inRange(value: number, base: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((value & mask) >>> 0) === ((base & mask) >>> 0);
}

/** Dotted-quad IPv4 (strict: four decimal parts 0–255, no leading zeros that could mean octal). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** IPv6 as eight 16-bit groups (accepts "::", an embedded dotted IPv4 tail and a %zone suffix). */
export function parseIpv6(text: string): number[] | undefined {
  const address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (piece.includes('.')) {
        if (i !== pieces.length - 1) return undefined;
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

function classifyV4(value: number): AddressClass {
  for (const [base, prefix, cls] of V4_RANGES) if (inRange(value, base, prefix)) return cls;
  return 'public';
}

function classifyV6(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback'; // ::1
  if (upperZero && g5 === 0xffff) return classifyV4(embedded); // ::ffff:a.b.c.d (IPv4-mapped)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embedded); // NAT64
  if (g0 === 0x2002) return classifyV4(((g1 << 16) | g2) >>> 0); // 6to4 carries the IPv4 address in bits 16–47
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g0 & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast: ::, ::/96, multicast, site-local…
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 < 0x0200) return 'reserved'; // 2001::/23 protocol assignments (Teredo…)
  return 'public';
}

/** The class of an IP address literal, or undefined when `text` is not one (it is a host name). */
export function classifyAddress(text: string): AddressClass | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return classifyV4(v4);
  const v6 = parseIpv6(text);
  return v6 ? classifyV6(v6) : undefined;
}

/** True when a webhook may connect to this IP address under the policy. */
export function isAllowedAddress(ip: string, policy: AddressPolicy): boolean {
  const cls = classifyAddress(ip);
  return cls === 'public' || (cls === 'loopback' && policy.allowLoopback);
}

/** Host names that always mean this machine, whatever DNS says (RFC 6761). */
export function isLocalhostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}
