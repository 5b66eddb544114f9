import { X509Certificate } from 'node:crypto';

/** The host's own self-signed certificate, where the window meets it (the broker's WSS with `tls` on). */
export interface PinnedCertificate {
  /** the host name the window connects to (the broker's WebSocket URL's) */
  hostname: string;
  /** SHA-256 fingerprint, "AB:CD:..." */
  fingerprint256: string;
}

/**
 * Whether the window may trust a certificate no authority signed: exactly the host's own, and only
 * at the address the window connects to (Electron's setCertificateVerifyProc; every other
 * certificate keeps Chromium's own verdict). A browser asks its user instead; the app knows the
 * certificate, since it made it.
 */
export function isPinnedCertificate(hostname: string, certificatePem: string, pinned: PinnedCertificate | null): boolean {
  if (!pinned || hostname.replace(/^\[|\]$/g, '') !== pinned.hostname.replace(/^\[|\]$/g, '')) return false;
  try {
    return new X509Certificate(certificatePem).fingerprint256 === pinned.fingerprint256;
  } catch {
    return false;
  }
}
