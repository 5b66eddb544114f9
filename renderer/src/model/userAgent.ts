/**
 * A user agent string as a person reads it: "Chrome 131 on Linux". The whole string stays available
 * (the Health view's tooltip); this only has to tell a user's own browsers apart.
 */
export function describeUserAgent(ua: string): string {
  if (!ua) return 'unknown browser';
  const version = (name: string) => new RegExp(`${name}/(\\d+)`).exec(ua)?.[1];
  let browser: string;
  if (version('Edg')) browser = `Edge ${version('Edg')}`;
  else if (version('Firefox')) browser = `Firefox ${version('Firefox')}`;
  else if (version('HeadlessChrome')) browser = `Headless Chrome ${version('HeadlessChrome')}`;
  else if (version('Chrome')) browser = `Chrome ${version('Chrome')}`;
  else if (version('Version') && /Safari\//.test(ua)) browser = `Safari ${version('Version')}`;
  else browser = ua.split(/[\s/]/)[0] ?? ua;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : null;
  return os ? `${browser} on ${os}` : browser;
}
