import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forbiddenAddressRange } from "./reachable-address";

const allowed = (address: string) => forbiddenAddressRange(address) === null;

describe("only globally reachable unicast addresses may be fetched (an allow-list)", () => {
  it.each([
    ["0.1.2.3", "this network"],
    ["0.0.0.0", "this network"],
    ["10.0.0.7", "private"],
    ["100.64.0.1", "shared address space"],
    ["100.127.255.255", "shared address space"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.0.2.10", "documentation"],
    ["192.88.99.1", "6to4 relay anycast"],
    ["192.168.1.1", "private"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
  ])("refuses the IPv4 special-purpose address %s (%s)", (address, reason) => {
    expect(forbiddenAddressRange(address)).toContain(reason);
  });

  it.each([
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique local"],
    ["fd12:3456::1", "unique local"],
    ["fec0::1", "site-local"],
    ["ff02::1", "multicast"],
    ["100::1", "discard-only"],
    ["2001:2::1", "IETF protocol assignments"],
    ["2001:1::1", "IETF protocol assignments"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["5f00::1", "segment routing"],
    ["fe80::1%eth0", "link-local"],
    ["4000::1", "not global unicast"],
    ["::ffff:0:7f00:1", "not global unicast"],
  ])("refuses the IPv6 address %s (%s): only 2000::/3 is global unicast, and not all of it", (address, reason) => {
    expect(forbiddenAddressRange(address)).toContain(reason);
  });

  // ipaddr.js calls several of these "unicast"; the embedded IPv4 is what is reached.
  it.each([
    ["::127.0.0.1", "loopback, the IPv4-compatible form of 127.0.0.1"],
    ["::ffff:127.0.0.1", "loopback, the IPv4-mapped form of 127.0.0.1"],
    ["::ffff:10.0.0.1", "private, the IPv4-mapped form of 10.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "link-local, the NAT64 form of 169.254.169.254"],
    ["64:ff9b::10.0.0.1", "private, the NAT64 form of 10.0.0.1"],
    ["64:ff9b:1::a00:1", "private, the local-use NAT64 form of 10.0.0.1"],
    ["2002:7f00:0001::", "loopback, the 6to4 form of 127.0.0.1"],
    ["2002:a9fe:a9fe::1", "link-local, the 6to4 form of 169.254.169.254"],
    // Teredo carries the client's address inverted: 80ff:fffe is ~127.0.0.1.
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback, the Teredo form of 127.0.0.1"],
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "private, the Teredo form of 10.0.0.1"],
  ])("judges %s by the IPv4 address it embeds", (address, reason) => {
    expect(forbiddenAddressRange(address)).toBe(reason);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700::1111",
    "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    "2001:4860:4860::8888",
    "2a00:1450:4001::200e",
    // Embedding forms of a public address reach that public address.
    "::ffff:93.184.215.14",
    "::93.184.215.14",
    "64:ff9b::5db8:d70e",
    "2002:5db8:d70e::1",
    "2001:0:4136:e378:8000:63bf:a247:28f1",
  ])("allows the globally reachable address %s", (address) => {
    expect(forbiddenAddressRange(address)).toBeNull();
  });

  it("refuses what is not an IP address at all", () => {
    expect(forbiddenAddressRange("localhost")).toBe("not an IP address");
    expect(forbiddenAddressRange("0x7f.1")).toBe("not an IP address");
  });

  it("lets the explicit test setting through to loopback only", () => {
    expect(forbiddenAddressRange("127.0.0.1", true)).toBeNull();
    expect(forbiddenAddressRange("::1", true)).toBeNull();
    expect(forbiddenAddressRange("10.0.0.1", true)).toBe("private");
    expect(forbiddenAddressRange("169.254.169.254", true)).toBe("link-local");
  });

  it("gives any IPv4 address and each IPv6 form embedding it the same verdict", () => {
    // Addresses near the edges of every special block as well as anywhere at all.
    const edges = [0, 10, 100, 127, 169, 172, 192, 198, 203, 224, 239, 240, 255].map((octet) => octet * 2 ** 24);
    const ipv4 = fc.oneof(
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.tuple(fc.constantFrom(...edges), fc.nat({ max: 2 ** 24 - 1 })).map(([base, offset]) => base + offset),
    );
    fc.assert(
      fc.property(ipv4, (value) => {
        const dotted = [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
        const hex = (n: number) => [(n >>> 16) & 0xffff, n & 0xffff].map((part) => part.toString(16)).join(":");
        const forms = [
          `::ffff:${dotted}`,
          `::${dotted}`,
          `64:ff9b::${dotted}`,
          `64:ff9b:1::${hex(value)}`,
          `2002:${hex(value)}::1`,
          `2001:0:4136:e378:8000:63bf:${hex(~value >>> 0)}`,
        ];
        const expected = allowed(dotted);
        for (const form of forms) expect([form, allowed(form)]).toEqual([form, expected]);
      }),
      { numRuns: 3_000 },
    );
  });
});
