import { hostname, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { hostAllowed, originAllowed, ownOrigins } from './security.js';

const PORT = 8470;
const ipv4 = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .filter((a) => a.family === 'IPv4')
  .map((a) => a.address);

describe('the request checks of the window web server', () => {
  it('bound to every address (0.0.0.0 --tls, a tablet on the LAN): each address of this machine and its names are its own', () => {
    const origins = ownOrigins('0.0.0.0', PORT, 'https');
    expect(origins[0]).toBe(`https://127.0.0.1:${PORT}`);
    for (const a of ipv4) {
      expect(origins).toContain(`https://${a}:${PORT}`);
      expect(hostAllowed(`${a}:${PORT}`, '0.0.0.0', PORT)).toBe(true);
      expect(originAllowed(`https://${a}:${PORT}`, `${a}:${PORT}`, origins, 'https')).toBe(true);
      // the same address over plain http is another origin
      expect(originAllowed(`http://${a}:${PORT}`, `${a}:${PORT}`, origins, 'https')).toBe(false);
    }
    const name = hostname().toLowerCase();
    expect(hostAllowed(`${name}:${PORT}`, '0.0.0.0', PORT)).toBe(true);
    expect(hostAllowed(`${name}.local:${PORT}`, '0.0.0.0', PORT)).toBe(true);
    expect(origins).toContain(`https://${name}.local:${PORT}`);
    // DNS rebinding: any other name is refused
    expect(hostAllowed(`evil.example:${PORT}`, '0.0.0.0', PORT)).toBe(false);
    expect(hostAllowed(`${name}.evil.example:${PORT}`, '0.0.0.0', PORT)).toBe(false);
  });

  it('bound to one address: that address, not the others', () => {
    expect(ownOrigins('192.168.1.5', PORT, 'https')).toEqual([`https://192.168.1.5:${PORT}`]);
    expect(hostAllowed(`192.168.1.5:${PORT}`, '192.168.1.5', PORT)).toBe(true);
    expect(hostAllowed(`192.168.1.6:${PORT}`, '192.168.1.5', PORT)).toBe(false);
    expect(hostAllowed(`localhost:${PORT}`, '192.168.1.5', PORT)).toBe(false);
    expect(hostAllowed(`${hostname().toLowerCase()}:${PORT}`, '192.168.1.5', PORT)).toBe(false);
  });
});
