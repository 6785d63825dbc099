import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

// Requests the service makes on a user's behalf (webhook deliveries) go to the public internet only: never to this
// host, the private networks around it, link-local addresses (cloud metadata at 169.254.169.254), multicast or
// reserved ranges, in any spelling. URLs are parsed by the WHATWG parser, which already turns `0x7f.1`, `2130706433`
// and `017700000001` into 127.0.0.1; names are resolved and every address they give is checked, both when a webhook
// is registered and when it is called (through the lookup of the connection itself, so a name that resolves
// differently the second time cannot slip through). An operator may allow internal receivers by network.

const v4 = [
  ['0.0.0.0', 8, 'a "this network" address'], ['10.0.0.0', 8, 'a private address'], ['100.64.0.0', 10, 'a shared (carrier NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'], ['169.254.0.0', 16, 'a link-local (cloud metadata) address'], ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'], ['192.0.2.0', 24, 'a documentation address'], ['192.88.99.0', 24, 'a reserved relay address'],
  ['192.168.0.0', 16, 'a private address'], ['198.18.0.0', 15, 'a benchmarking address'], ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'], ['224.0.0.0', 4, 'a multicast address'], ['240.0.0.0', 4, 'a reserved address'],
] as const;
const v6 = [
  ['::', 96, 'an unspecified or IPv4-compatible address'], ['::1', 128, 'a loopback address'], ['64:ff9b::', 96, 'a NAT64 address'],
  ['64:ff9b:1::', 48, 'a NAT64 address'], ['100::', 64, 'a discard address'], ['2001::', 32, 'a Teredo address'],
  ['2001:db8::', 32, 'a documentation address'], ['2002::', 16, 'a 6to4 address'], ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'], ['fec0::', 10, 'a site-local address'], ['ff00::', 8, 'a multicast address'],
] as const;

const ranges = [...v4.map(([net, prefix, why]) => ({ list: one(net, prefix, 'ipv4'), why })), ...v6.map(([net, prefix, why]) => ({ list: one(net, prefix, 'ipv6'), why }))];
function one(net: string, prefix: number, type: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return list;
}

/** An allow-list of networks (`10.1.2.0/24`, `192.168.5.10`, `fd00::/8`), as WEBHOOK_ALLOWED_NETWORKS gives it. */
export type AllowedNetworks = readonly string[];

/** A network as written in WEBHOOK_ALLOWED_NETWORKS (an address, or an address and a prefix length), or undefined if it is not one. */
export function parseNetwork(network: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefix, ...rest] = network.split('/');
  const family = isIP(address);
  const bits = family === 6 ? 128 : 32;
  if (!family || rest.length || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) return undefined;
  return { address, prefix: prefix === undefined ? bits : Number(prefix), type: family === 6 ? 'ipv6' : 'ipv4' };
}

function allowList(networks: AllowedNetworks): BlockList {
  const list = new BlockList();
  for (const network of networks) {
    const parsed = parseNetwork(network);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.type);
  }
  return list;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, `::ffff:7f00:1`), if it is one. */
function mappedV4(address: string): string | undefined {
  const match = /^::ffff:(?:0+:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (match) {
    const [hi, lo] = [parseInt(match[1]!, 16), parseInt(match[2]!, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const dotted = /^::ffff:(?:0+:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return dotted?.[1];
}

/** Why the service must not connect to this IP address (undefined: it may). */
export function refusedAddress(address: string, allowed: AllowedNetworks = []): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '');
  const family = isIP(ip);
  if (!family) return 'not an IP address';
  const v4inside = family === 6 ? mappedV4(ip) : undefined;
  const [checked, type] = v4inside ? [v4inside, 'ipv4' as const] : [ip, family === 6 ? 'ipv6' as const : 'ipv4' as const];
  if (allowed.length && allowList(allowed).check(checked, type)) return undefined;
  const hit = ranges.find((r) => r.list.check(checked, type));
  return hit ? `${ip} is ${hit.why}` : undefined;
}

export class RefusedDestination extends Error {
  code = 'EREFUSEDDESTINATION';
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

/**
 * Why a URL's host must not be called (undefined: it may): an IP literal is checked as it is, a name by every
 * address it resolves to (one internal address is enough to refuse it). A name that does not resolve (yet) passes:
 * it reaches nothing, and every delivery resolves it again through guardedLookup.
 */
export async function refusedUrl(url: string, allowed: AllowedNetworks = []): Promise<string | undefined> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return refusedAddress(host, allowed);
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host);
  } catch {
    return undefined;
  }
  for (const { address } of addresses) {
    const why = refusedAddress(address, allowed);
    if (why) return `${host} resolves to ${why}`;
  }
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: resolves the name like the default, and fails the connection if any address it gives
 * is refused, so the address actually connected to is one that was checked.
 */
export function guardedLookup(allowed: AllowedNetworks) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    lookupAll(hostname).then((addresses) => {
      for (const { address } of addresses) {
        const why = refusedAddress(address, allowed);
        if (why) return callback(new RefusedDestination(`refused: ${hostname} resolves to ${why}`), '');
      }
      if (!addresses.length) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '');
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    }, (err: NodeJS.ErrnoException) => callback(err, ''));
  };
}
