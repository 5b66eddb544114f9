/**
 * The services of the system and what each may do on the bus. The broker enforces this table
 * (per-client ACL), docs/security.md prints it, and the supervisor starts the services in this order.
 * `{self}` stands for the service's own name.
 */
export const SERVICE_NAMES = ['discovery', 'health-monitor', 'device-manager', 'stt', 'ai', 'tts', 'voice-router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(s: string): s is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(s);
}

export interface AclEntry {
  publish: readonly string[];
  subscribe: readonly string[];
}

/** What every service may do: its own health and discovery records, its own config, broadcasts. */
const COMMON: AclEntry = {
  publish: [
    'alicia/health/heartbeat/{self}',
    'alicia/health/status/{self}',
    'alicia/system/discovery/register',
    'alicia/system/discovery/heartbeat',
  ],
  subscribe: ['alicia/system/config/{self}', 'alicia/broadcast/+'],
};

export const SERVICE_ACL: Record<ServiceName, AclEntry> = {
  stt: {
    // voice/event: the wake word and the end of a streamed utterance
    publish: ['alicia/voice/stt/result', 'alicia/voice/stt/error', 'alicia/voice/stt/grammar', 'alicia/voice/event'],
    subscribe: ['alicia/voice/stt/request', 'alicia/device/status/+', 'alicia/voice/audio/+', 'alicia/voice/listen/+'],
  },
  ai: {
    publish: ['alicia/ai/response', 'alicia/ai/error'],
    subscribe: ['alicia/ai/request', 'alicia/device/status/+'],
  },
  tts: {
    publish: ['alicia/voice/tts/result', 'alicia/voice/tts/error'],
    subscribe: ['alicia/voice/tts/request'],
  },
  'voice-router': {
    publish: [
      'alicia/voice/stt/request',
      'alicia/ai/request',
      'alicia/voice/tts/request',
      'alicia/device/command',
      'alicia/voice/result',
      'alicia/voice/event',
    ],
    subscribe: [
      'alicia/voice/command',
      // the first chunk of a session id starts a session; a wake event (stt) starts one too
      'alicia/voice/audio/+',
      'alicia/voice/event',
      'alicia/voice/stt/result',
      'alicia/voice/stt/error',
      'alicia/ai/response',
      'alicia/ai/error',
      'alicia/voice/tts/result',
      'alicia/voice/tts/error',
      'alicia/device/response',
      'alicia/device/status/+',
    ],
  },
  'device-manager': {
    // Adopted Home Assistant devices use their own state/command topics, which can be anywhere
    // outside alicia/ and $SYS (e.g. zigbee2mqtt/lamp/set): EXTERNAL stands for "not alicia/#, not $SYS/#".
    publish: ['alicia/device/response', 'alicia/device/status/+', 'alicia/device/registry/response', 'EXTERNAL'],
    subscribe: ['alicia/device/command', 'alicia/device/registry/request', 'alicia/device/status/+', 'homeassistant/#', 'EXTERNAL'],
  },
  'health-monitor': {
    publish: ['alicia/health/status', 'alicia/health/alert'],
    subscribe: ['alicia/health/heartbeat/+', 'alicia/health/status/+', 'alicia/system/services/+'],
  },
  discovery: {
    publish: ['alicia/system/discovery/update'],
    subscribe: ['alicia/system/discovery/register', 'alicia/system/discovery/heartbeat', 'alicia/health/heartbeat/+'],
  },
};

/** The full ACL of a service, with COMMON added and {self} filled in. */
export function aclFor(service: ServiceName): AclEntry {
  const own = SERVICE_ACL[service];
  const fill = (p: string) => p.replaceAll('{self}', service);
  return {
    publish: [...COMMON.publish, ...own.publish].map(fill),
    subscribe: [...COMMON.subscribe, ...own.subscribe].map(fill),
  };
}

/**
 * The host's own parts. Beside the embedded broker they run in-process (no connection, no ACL);
 * on the user's own broker (`alicia serve --broker URL`) each connects with its own credential and
 * that broker enforces these rows like any service's. `host`: the core's records (its own
 * retained record, the services' config sections, the window sessions) and the credential and
 * window-session requests; `supervisor`: the services' states, logs and start/stop requests;
 * `recorder`: reads everything, answers history queries. The tray of the desktop app reads through
 * `host` too (alicia/system/services/+, alicia/health/status).
 */
export const HOST_PARTS = ['host', 'supervisor', 'recorder'] as const;
export type HostPart = (typeof HOST_PARTS)[number];

export function isHostPart(s: string): s is HostPart {
  return (HOST_PARTS as readonly string[]).includes(s);
}

export const HOST_PART_ACL: Record<HostPart, AclEntry> = {
  host: {
    publish: [
      'alicia/system/host',
      'alicia/system/window/sessions',
      'alicia/system/window/response',
      'alicia/system/credentials/response',
      'alicia/system/config/+',
    ],
    // the host-only records too: on a broker that cannot keep others from publishing them, the
    // host watches them and puts its own back (electron/host/external/hostRecordGuard.ts)
    subscribe: [
      'alicia/system/window/request',
      'alicia/system/credentials/request',
      'alicia/system/host',
      'alicia/system/window/sessions',
      'alicia/system/services/+',
      'alicia/health/status',
    ],
  },
  supervisor: {
    publish: ['alicia/system/services/+', 'alicia/system/supervisor/response', 'alicia/system/logs/+'],
    subscribe: ['alicia/system/supervisor/request', 'alicia/system/discovery/register', 'alicia/health/heartbeat/+'],
  },
  recorder: {
    publish: ['alicia/system/recorder/response'],
    subscribe: ['#', '$SYS/#'],
  },
};

/**
 * The window role's one stored credential, for the user's own broker: that broker cannot be given
 * a user per window session, so the host's window proxy connects upstream with this one (each
 * browser still signs in with its own session credential at the proxy), and with `--broker-ws` the
 * browser is handed it directly (docs/security.md, "On your own broker").
 */
export const SHARED_WINDOW = 'window-shared';
export type SharedWindowPrincipal = typeof SHARED_WINDOW;

/**
 * Non-service principals (ACL roles). operator: people and tools (full access). window: the control
 * center UI. Nobody connects as the bare `window`: each window session (a browser sign-in, the desktop
 * app's window) has its own credential, principal `window:<session id>`, with the window role's rules.
 * bridge: the host's bridges to the user's own brokers (config broker.bridges), BRIDGE_ACL.
 */
export const PRINCIPALS = ['operator', 'window', 'bridge', 'node'] as const;

/**
 * What a bridge (electron/host/bridge/) may do on Alicia's broker: bring Home Assistant discovery
 * configs and device topics in, carry device topics out, and publish its own state. Never alicia/
 * topics in either direction: an upstream broker must not be able to speak for Alicia's services,
 * nor read what they say. EXTERNAL as in SERVICE_ACL.
 */
export const BRIDGE_ACL: AclEntry = {
  publish: ['alicia/system/bridge/+', 'homeassistant/#', 'EXTERNAL'],
  subscribe: ['EXTERNAL'],
};

/**
 * A service node's supervisor (`alicia node` on another machine, electron/host/node/): it runs some
 * services there with their own credentials, copied to it (`alicia credentials export`), and needs
 * only what a supervisor needs for them: readiness (registrations, heartbeats), start/stop requests,
 * its own retained record (the states of the services it runs) and their logs. Not the host's
 * service states (alicia/system/services/+): a node cannot make the host's services look running or
 * stopped. Every node shares this one principal (a node's name is in its record, not its credential).
 * alicia/system/probe/+: the message it sends itself at start to learn whether the broker has shared
 * subscriptions.
 */
export const NODE_ACL: AclEntry = {
  publish: ['alicia/system/nodes/+', 'alicia/system/supervisor/response', 'alicia/system/logs/+', 'alicia/system/probe/+'],
  subscribe: ['alicia/system/supervisor/request', 'alicia/system/discovery/register', 'alicia/health/heartbeat/+', 'alicia/system/probe/+'],
};

/**
 * An external device (Tasmota/ESPHome/Zigbee2MQTT-style client) with its own credential (
 * per-device credentials for LAN access). Username `device:<name>`; created and removed by the
 * operator/window over alicia/system/credentials/request.
 */
export type DevicePrincipal = `device:${string}`;
/**
 * One window session (electron/host/windowSessions.ts): issued when a browser signs in with the
 * host's login token, or for the desktop app's window; kept in memory only and revoked when the
 * session ends. Username `window:<session id>` (the session's public id, never its cookie).
 */
export type WindowPrincipal = `window:${string}`;
/** The principals that always exist (the ACL's roles): every service, operator, window, the host's parts. */
export type Principal = ServiceName | (typeof PRINCIPALS)[number] | HostPart;
/** The principals with a password in credentials.json: every service, the operator, the host's parts, the shared window. */
export type StoredPrincipal = Exclude<Principal, 'window'> | SharedWindowPrincipal;
/** Anyone who may hold a broker connection: the stored principals, window sessions and external devices. */
export type AnyPrincipal = Principal | DevicePrincipal | WindowPrincipal | SharedWindowPrincipal;

/** A window session's public id: random base64url, never the browser's cookie. */
export const WINDOW_SESSION_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

export function isWindowPrincipal(s: string): s is WindowPrincipal {
  return s.startsWith('window:') && WINDOW_SESSION_ID_RE.test(s.slice(7));
}

/** The role whose rules a principal gets: a window session and the shared window credential have exactly the window's. */
export function aclRoleOf(p: AnyPrincipal): Principal | DevicePrincipal {
  return p === SHARED_WINDOW || isWindowPrincipal(p) ? 'window' : p;
}

/** Device names: one MQTT topic level a device owns (`<name>/#`). */
export const DEVICE_NAME_RE = /^[a-z0-9_-]{1,40}$/;
/** Roots a device may never own: the system's namespace and the discovery prefix. */
const RESERVED_DEVICE_NAMES = new Set(['alicia', 'homeassistant']);

export function isDeviceName(s: string): boolean {
  return DEVICE_NAME_RE.test(s) && !RESERVED_DEVICE_NAMES.has(s);
}

export function isDevicePrincipal(s: string): s is DevicePrincipal {
  return s.startsWith('device:') && isDeviceName(s.slice(7));
}

/**
 * The ACL of one external device: its own topic tree (Tasmota `<name>/...`-style state, command
 * and availability topics) and its own Home Assistant discovery configs, nothing else: not
 * alicia/, not $SYS, not another device's prefix ("external devices ... cannot write
 * outside their own topics"). It may also read the Home Assistant birth message
 * `homeassistant/status`, which ESPHome and Tasmota watch to re-send their discovery configs
 * (esphome.io/components/mqtt, "birth_message"; read-only, carries nothing private).
 */
export function deviceAclFor(name: string): AclEntry {
  return {
    publish: [`${name}/#`, `homeassistant/+/${name}/+/config`, `homeassistant/+/${name}/config`],
    subscribe: [`${name}/#`, 'homeassistant/status'],
  };
}
