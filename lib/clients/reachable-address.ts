import { isIP } from "node:net";

/**
 * Which addresses a URL chosen by an agent may reach: only globally reachable
 * unicast ones. An allow-list, because a deny-list trusts a library's labels,
 * and a label such as "unicast" is also given to IPv6 forms that carry a
 * loopback or private IPv4 inside them. The blocks come from the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890 and its updates).
 */

type Block = { base: bigint; bits: number; prefix: number; name: string };

// IPv4 special-purpose blocks: none of them is globally reachable unicast.
const IPV4_REFUSED: readonly Block[] = [
  v4("0.0.0.0/8", "this network"),
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "IETF protocol assignments"),
  v4("192.0.2.0/24", "documentation"),
  v4("192.88.99.0/24", "deprecated 6to4 relay anycast"),
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "benchmarking"),
  v4("198.51.100.0/24", "documentation"),
  v4("203.0.113.0/24", "documentation"),
  v4("224.0.0.0/4", "multicast"),
  // Also 255.255.255.255, the limited broadcast address.
  v4("240.0.0.0/4", "reserved"),
];

// IPv6 blocks refused inside 2000::/3, the only global unicast space allocated.
// Everything outside it (::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8,
// 100::/64, …) is refused by not being in it.
const IPV6_GLOBAL = v6("2000::/3", "global unicast");
const IPV6_REFUSED_IN_GLOBAL: readonly Block[] = [
  // Teredo (2001::/32) is judged by its client address before this list is read.
  v6("2001::/23", "IETF protocol assignments"),
  v6("2001:db8::/32", "documentation"),
  v6("3fff::/20", "documentation"),
];

const MAPPED = v6("::ffff:0:0/96", "IPv4-mapped");
const COMPATIBLE = v6("::/96", "IPv4-compatible");
const NAT64 = v6("64:ff9b::/96", "NAT64");
const NAT64_LOCAL = v6("64:ff9b:1::/48", "local-use NAT64");
const TEREDO = v6("2001::/32", "Teredo");
const SIX_TO_FOUR = v6("2002::/16", "6to4");

const MASK_32 = 0xffffffffn;

/**
 * Why an address may not be connected to, or null when it is globally
 * reachable unicast. `allowLoopback` is the explicit test setting that lets a
 * loopback HTTPS fixture through; nothing else is ever allowed by it.
 */
export function forbiddenAddressRange(address: string, allowLoopback = false): string | null {
  const family = isIP(address);
  if (family === 4) return judgeIpv4(ipv4Value(address), allowLoopback);
  if (family === 6) {
    return judgeIpv6(ipv6Value(address), allowLoopback);
  }
  return "not an IP address";
}

function judgeIpv4(value: bigint, allowLoopback: boolean): string | null {
  const block = IPV4_REFUSED.find((candidate) => inBlock(value, candidate));
  if (!block) return null;
  if (allowLoopback && block.name === "loopback") return null;
  return block.name;
}

function judgeIpv6(value: bigint, allowLoopback: boolean): string | null {
  if (value === 0n) return "unspecified";
  if (value === 1n) return allowLoopback ? null : "loopback";
  // Every form that carries an IPv4 address reaches that address in the end
  // (directly, through a translator, or through a tunnel relay): it is
  // judged as that address, whatever its own prefix looks like.
  const embedded = embeddedIpv4(value);
  if (embedded) {
    const verdict = judgeIpv4(embedded.ipv4, allowLoopback);
    return verdict && `${verdict}, the ${embedded.form} form of ${bytesOf(embedded.ipv4, 4).join(".")}`;
  }
  if (!inBlock(value, IPV6_GLOBAL)) return describeOutsideGlobal(value);
  const block = IPV6_REFUSED_IN_GLOBAL.find((candidate) => inBlock(value, candidate));
  return block ? block.name : null;
}

/** The IPv4 address an IPv6 address carries, and the form it carries it in. */
function embeddedIpv4(value: bigint): { form: string; ipv4: bigint } | null {
  // Mapped and NAT64 put the IPv4 address in the last 32 bits; so do the
  // deprecated IPv4-compatible addresses (::a.b.c.d), which some stacks
  // still route as IPv4. The local-use NAT64 prefix is judged the same way,
  // as its common /96 layout.
  for (const block of [MAPPED, COMPATIBLE, NAT64, NAT64_LOCAL]) {
    if (inBlock(value, block)) return { form: block.name, ipv4: value & MASK_32 };
  }
  // Teredo: the client's IPv4 address is the last 32 bits, inverted.
  if (inBlock(value, TEREDO)) return { form: TEREDO.name, ipv4: (value & MASK_32) ^ MASK_32 };
  // 6to4: 2002:AABB:CCDD::/48 routes to the IPv4 address AA.BB.CC.DD.
  if (inBlock(value, SIX_TO_FOUR)) return { form: SIX_TO_FOUR.name, ipv4: (value >> 80n) & MASK_32 };
  return null;
}

// Only to name the refusal: everything outside 2000::/3 is refused anyway.
const IPV6_NAMED_OUTSIDE_GLOBAL: readonly Block[] = [
  v6("fc00::/7", "unique local"),
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "site-local"),
  v6("ff00::/8", "multicast"),
  v6("100::/64", "discard-only"),
  v6("5f00::/16", "segment routing (SRv6) SIDs"),
];
function describeOutsideGlobal(value: bigint): string {
  return IPV6_NAMED_OUTSIDE_GLOBAL.find((block) => inBlock(value, block))?.name ?? "not global unicast";
}

function inBlock(value: bigint, block: Block): boolean {
  return value >> BigInt(block.bits - block.prefix) === block.base >> BigInt(block.bits - block.prefix);
}

function v4(cidr: string, name: string): Block {
  const [address, prefix] = cidr.split("/") as [string, string];
  return { base: ipv4Value(address), bits: 32, prefix: Number(prefix), name };
}

function v6(cidr: string, name: string): Block {
  const [address, prefix] = cidr.split("/") as [string, string];
  return { base: ipv6Value(address), bits: 128, prefix: Number(prefix), name };
}

function ipv4Value(address: string): bigint {
  return address.split(".").reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/**
 * The 128-bit value of an address node:net accepts as IPv6. Parsed here, not
 * by ipaddr.js, which reads the IPv4-compatible "::127.0.0.1" as the mapped
 * "::ffff:127.0.0.1": two different addresses.
 */
function ipv6Value(address: string): bigint {
  let text = address.split("%")[0]!; // a zone (fe80::1%eth0) names an interface, not part of the address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => "0");
  return [...headGroups, ...zeros, ...tailGroups].reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function bytesOf(value: bigint, length: number): number[] {
  return Array.from({ length }, (_, index) => Number((value >> BigInt(8 * (length - 1 - index))) & 0xffn));
}
