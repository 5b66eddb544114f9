import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import {
  createDeviceCredential,
  dismissIssuedCredential,
  listDeviceCredentials,
  revokeDeviceCredential,
} from '../../actions/deviceActions.js';
import { CopyButton } from '../../components/CopyButton.js';
import { brokerAddress, credentialNameProblem, dataDirOf, mosquittoPubExample } from '../../model/deviceFormCredential.js';
import type { BrokerAddressSource } from '../../model/deviceFormCredential.js';
import { useConnection } from '../../stores/connectionStore.js';
import { useDevices } from '../../stores/devicesStore.js';
import type { IssuedCredential } from '../../stores/devicesStore.js';
import { useHealth } from '../../stores/healthStore.js';
import './fields.css';
import './DeviceCredentialsPanel.css';

const SOURCE_HINT: Record<BrokerAddressSource, string> = {
  lan: 'LAN listener (TLS)',
  host: "the host's MQTT TCP listener",
  guess: 'the MQTT TCP port of config.json ports.mqtt (this host does not announce it)',
};

function AddressInput(p: { label: string; value: string; onChange: (v: string) => void; size: number }) {
  return (
    <input type="text" className="mono" value={p.value} onChange={(e) => p.onChange(e.target.value)} aria-label={p.label} size={p.size} />
  );
}

/**
 * What add_device answered, shown once (until dismissed or revoked). The host never puts the
 * password on the bus (the response topic is seen by every window and recorded), so the window
 * cannot show it: it shows the 0600 file the host wrote it to, and a command that reads it there.
 */
function Issued({ c }: { c: IssuedCredential }) {
  const lanUrl = useHealth((s) => (s.host?.lan?.enabled ? s.host.lan.url : null));
  const mqttUrl = useHealth((s) => s.host?.mqtt_url ?? null);
  const wsUrl = useConnection((s) => s.url);
  const guess = brokerAddress(lanUrl, mqttUrl, wsUrl);
  // null until the user types: the fields follow the host's record, which may arrive after this mounts
  const [host, setHost] = useState<string | null>(null);
  const [port, setPort] = useState<string | null>(null);
  const example = mosquittoPubExample({
    name: c.device,
    host: host?.trim() || guess.host,
    port: port?.trim() || guess.port,
    passwordFile: c.password_file,
    ...(guess.tls ? { caFile: `${dataDirOf(c.password_file)}/lan-cert.pem` } : {}),
  });
  return (
    <div className="issued" role="status" data-testid="cred-issued" data-device={c.device}>
      <div className="issued-head">
        <b className="ok-text">
          ✓ {c.replaced ? 'New password issued for' : 'Credential created for'} <span className="mono">{c.username}</span>
        </b>
        {c.replaced && <span className="muted small">the old password no longer works · {c.disconnected} connection(s) closed</span>}
        <button type="button" className="ghost" onClick={dismissIssuedCredential} data-testid="cred-issued-dismiss">
          Done
        </button>
      </div>
      <p className="small muted">
        The password is written once, to a file only your user can read; Alicia keeps just a hash and never sends it over the bus. Put it on
        the device, then delete the file.
      </p>
      <dl className="kv issued-kv">
        <dt>Username</dt>
        <dd>
          <code>{c.username}</code> <CopyButton text={c.username} testId="cred-copy-username" />
        </dd>
        <dt>Password file</dt>
        <dd>
          <code className="topic-path" data-testid="cred-password-file">
            {c.password_file}
          </code>{' '}
          <CopyButton text={c.password_file} label="Copy path" testId="cred-copy-file" />
        </dd>
        <dt>Topics</dt>
        <dd>
          <code>{c.device}/#</code> <span className="muted small">and its Home Assistant discovery configs</span>
        </dd>
      </dl>
      <div className="issued-try">
        <div className="dform-row small">
          <span className="muted">Try it: broker</span>
          <AddressInput label="broker host" value={host ?? guess.host} onChange={setHost} size={14} />
          <span className="muted">port</span>
          <AddressInput label="broker port" value={port ?? guess.port} onChange={setPort} size={5} />
          <span className="muted" data-testid="cred-broker-source" data-source={guess.source}>
            {SOURCE_HINT[guess.source]}
          </span>
        </div>
        <div className="example">
          <pre className="code" data-testid="cred-example">
            {example}
          </pre>
          <CopyButton text={example} testId="cred-copy-example" />
        </div>
      </div>
    </div>
  );
}

/** "add:porch" -> "device:porch was not created" (the store's busy/error labels: deviceActions.ts). */
function failedWhat(what: string): string {
  const [op, name] = what.split(':', 2);
  if (op === 'add') return `device:${name ?? ''} was not created`;
  if (op === 'remove') return `device:${name ?? ''} was not revoked`;
  return 'Could not list the credentials';
}

/** One credential row; revoking takes a second click (it closes the device's connections at once). */
function Row({ name, busy }: { name: string; busy: boolean }) {
  const [confirm, setConfirm] = useState(false);
  return (
    <tr data-testid={`cred-row-${name}`}>
      <td className="name">{name}</td>
      <td className="mono small">device:{name}</td>
      <td className="mono small">{name}/#</td>
      <td className="actions">
        {confirm ? (
          <span className="confirm">
            <span className="small">Revoke? Its connections close now.</span>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void revokeDeviceCredential(name).then(() => setConfirm(false))}
              data-testid={`cred-revoke-confirm-${name}`}
            >
              Revoke
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="danger" disabled={busy} onClick={() => setConfirm(true)} data-testid={`cred-revoke-${name}`}>
            Revoke…
          </button>
        )}
      </td>
    </tr>
  );
}

/**
 * MQTT credentials of external devices (`device:<name>`, topics `<name>/#`), managed by the host
 * over alicia/system/credentials/request: create (or re-issue), list, revoke.
 */
export function DeviceCredentialsPanel({ onClose }: { onClose: () => void }) {
  const creds = useDevices((s) => s.credentials);
  const connected = useConnection((s) => s.status === 'connected');
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [reissue, setReissue] = useState(false);
  useEffect(() => {
    if (connected) void listDeviceCredentials();
  }, [connected]);

  const trimmed = name.trim();
  const problem = credentialNameProblem(name);
  const exists = creds.names?.includes(trimmed) === true;
  const showProblem = touched && trimmed !== '' ? problem : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    if (exists && !reissue) {
      setReissue(true);
      return;
    }
    setReissue(false);
    if (await createDeviceCredential(trimmed)) {
      setName('');
      setTouched(false);
    }
  };
  const busy = creds.busy !== null;

  return (
    <section className="panel creds" aria-label="Device credentials" data-testid="device-credentials">
      <div className="panel-head">
        <h2>Device credentials</h2>
        <span className="muted small">
          external devices (Tasmota, ESPHome, Zigbee2MQTT…) log in as <code>device:&lt;name&gt;</code> and may only use{' '}
          <code>&lt;name&gt;/#</code>
        </span>
        <button type="button" className="ghost" onClick={onClose} aria-label="close device credentials">
          ✕
        </button>
      </div>
      <div className="pad creds-body">
        <form className="creds-new" onSubmit={(e) => void submit(e)} noValidate>
          <label htmlFor="cred-name">New credential for device</label>
          <input
            id="cred-name"
            type="text"
            className="mono"
            value={name}
            placeholder="porch_sensor"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setName(e.target.value);
              setReissue(false);
            }}
            onBlur={() => setTouched(true)}
            aria-invalid={showProblem ? true : undefined}
            aria-describedby={showProblem ? 'cred-name-error' : undefined}
            data-testid="cred-name"
          />
          {reissue ? (
            <>
              <span className="small warn-text">
                device:{trimmed} exists: re-issuing closes its connections and the old password stops working.
              </span>
              <button type="submit" className="danger" disabled={busy} data-testid="cred-reissue-confirm">
                Re-issue password
              </button>
              <button type="button" onClick={() => setReissue(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="submit" className="primary" disabled={busy || (touched && problem !== null)} data-testid="cred-create">
              {exists ? 'Re-issue…' : 'Create credential'}
            </button>
          )}
          {showProblem && (
            <div className="ferror" id="cred-name-error" role="alert" data-testid="cred-name-error">
              {showProblem}
            </div>
          )}
        </form>
        {creds.error && (
          <div className="error-box small" role="alert" data-testid="cred-error">
            {failedWhat(creds.error.what)} · {creds.error.code}: {creds.error.message}
          </div>
        )}
        {creds.issued && <Issued key={`${creds.issued.device}:${creds.issued.password_file}`} c={creds.issued} />}
        {creds.revoked && !creds.issued && (
          <div className="small muted" role="status" data-testid="cred-revoked">
            Revoked device:{creds.revoked.device}; {creds.revoked.disconnected} connection(s) closed.
          </div>
        )}
        <table className="grid-table creds-list" data-testid="cred-list">
          <thead>
            <tr>
              <th>Device</th>
              <th>Username</th>
              <th>May use</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {creds.names === null ? (
              <tr>
                <td colSpan={4} className="muted">
                  {creds.busy === 'list' ? 'Loading…' : 'Not listed yet.'}
                </td>
              </tr>
            ) : creds.names.length === 0 ? (
              <tr>
                <td colSpan={4} className="muted" data-testid="cred-none">
                  No device credentials yet.
                </td>
              </tr>
            ) : (
              creds.names.map((n) => <Row key={n} name={n} busy={busy} />)
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
