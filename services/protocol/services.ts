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
  publish: ['alicia/health/heartbeat/{self}', 'alicia/health/status/{self}', 'alicia/system/discovery/register', 'alicia/system/discovery/heartbeat'],
  subscribe: ['alicia/system/config/{self}', 'alicia/broadcast/+'],
};

export const SERVICE_ACL: Record<ServiceName, AclEntry> = {
  stt: {
    publish: ['alicia/voice/stt/result', 'alicia/voice/stt/error'],
    subscribe: ['alicia/voice/stt/request', 'alicia/device/status/+'],
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
    publish: ['alicia/voice/stt/request', 'alicia/ai/request', 'alicia/voice/tts/request', 'alicia/device/command', 'alicia/voice/result', 'alicia/voice/event'],
    subscribe: [
      'alicia/voice/command',
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

/** Non-service principals. operator: people and tools (full access). window: the control center UI. */
export const PRINCIPALS = ['operator', 'window'] as const;
export type Principal = ServiceName | (typeof PRINCIPALS)[number];
