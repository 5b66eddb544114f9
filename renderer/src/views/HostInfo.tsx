import { formatTime } from '../model/format.js';
import type { HostInfo as HostRecord } from '../stores/healthStore.js';

/**
 * The host's record (alicia/system/host, published by the host only): version, start time, and
 * when LAN access is on its mqtts:// url and the SHA-256 fingerprint of the self-signed LAN
 * certificate, which the user pins on devices; with TLS for the window (HTTPS, WSS) the same
 * fingerprint, to compare with what the browser shows.
 */
export function HostInfo({ host }: { host: HostRecord | null }) {
  return (
    <dl className="kv" data-testid="host-info">
      <dt>Host</dt>
      <dd>{host ? `version ${host.version} · started ${formatTime(host.started_at)}` : 'no host record yet (alicia/system/host)'}</dd>
      <dt>LAN MQTT (devices)</dt>
      <dd data-testid="lan-access">{host ? (host.lan?.enabled ? host.lan.url : 'off (no MQTT listener for devices)') : 'unknown'}</dd>
      {host?.tls && (
        <>
          <dt>Window TLS (SHA-256)</dt>
          <dd className="mono small topic-path" data-testid="window-tls-fingerprint">
            {host.tls.fingerprint256}
          </dd>
        </>
      )}
      {host?.lan?.enabled && (
        <>
          <dt>TLS fingerprint (SHA-256)</dt>
          <dd className="mono small topic-path" data-testid="lan-fingerprint">
            {host.lan.fingerprint256}
          </dd>
        </>
      )}
    </dl>
  );
}
