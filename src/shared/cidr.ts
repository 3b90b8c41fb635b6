import { BlockList, isIP } from 'node:net';

/** An IP allow-list from CIDR strings (`203.0.113.0/24`, `2001:db8::/32`, or a single address). */
export function cidrAllowList(cidrs: string[]): ((ip: string) => boolean) | null {
  if (cidrs.length === 0) return null;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const family = isIP(addr ?? '');
    if (!family) throw new Error(`ADMIN_ALLOW_CIDRS: not an address: ${c}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  return (ip: string) => {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
    const candidate = v4mapped ? v4mapped[1]! : ip;
    const family = isIP(candidate);
    return family !== 0 && list.check(candidate, family === 6 ? 'ipv6' : 'ipv4');
  };
}
