import { describe, expect, it } from 'vitest';
import { allowPermissionCheck, allowPermissionRequest, originOf } from './permissions.js';

const APP = ['app://alicia'];
const page = 'app://alicia/index.html';

describe('permission requests', () => {
  it('grants the microphone to the app main frame', () => {
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: page, mediaTypes: ['audio'] }, APP)).toBe(true);
  });

  it('refuses the camera, and a request for microphone + camera together', () => {
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: page, mediaTypes: ['video'] }, APP)).toBe(false);
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: page, mediaTypes: ['audio', 'video'] }, APP)).toBe(false);
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: page, mediaTypes: [] }, APP)).toBe(false);
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: page }, APP)).toBe(false);
  });

  it('refuses the microphone to other origins and to subframes', () => {
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: 'https://evil.example/', mediaTypes: ['audio'] }, APP)).toBe(
      false,
    );
    expect(allowPermissionRequest('media', { isMainFrame: true, requestingUrl: 'file:///etc/passwd', mediaTypes: ['audio'] }, APP)).toBe(
      false,
    );
    expect(allowPermissionRequest('media', { isMainFrame: false, requestingUrl: page, mediaTypes: ['audio'] }, APP)).toBe(false);
    expect(
      allowPermissionRequest('media', { isMainFrame: true, requestingUrl: 'app://other/index.html', mediaTypes: ['audio'] }, APP),
    ).toBe(false);
  });

  it('lets the app write (never read) the clipboard, for the copy buttons', () => {
    expect(allowPermissionRequest('clipboard-sanitized-write', { isMainFrame: true, requestingUrl: page }, APP)).toBe(true);
    expect(allowPermissionRequest('clipboard-sanitized-write', { isMainFrame: true, requestingUrl: 'https://evil.example/' }, APP)).toBe(
      false,
    );
    expect(allowPermissionCheck('clipboard-sanitized-write', 'app://alicia', { isMainFrame: true }, APP)).toBe(true);
    expect(allowPermissionCheck('clipboard-read', 'app://alicia', { isMainFrame: true }, APP)).toBe(false);
  });

  it('refuses every other permission, even to the app', () => {
    for (const p of [
      'notifications',
      'geolocation',
      'display-capture',
      'midi',
      'midiSysex',
      'openExternal',
      'clipboard-read',
      'fullscreen',
      'pointerLock',
      'fileSystem',
      'unknown',
    ]) {
      expect(allowPermissionRequest(p, { isMainFrame: true, requestingUrl: page, mediaTypes: ['audio'] }, APP), p).toBe(false);
    }
  });
});

describe('permission checks agree with requests', () => {
  it('says yes for the app microphone only', () => {
    expect(
      allowPermissionCheck('media', 'app://alicia', { isMainFrame: true, mediaType: 'audio', securityOrigin: 'app://alicia/' }, APP),
    ).toBe(true);
    expect(allowPermissionCheck('media', 'app://alicia/', { isMainFrame: true, mediaType: 'audio', requestingUrl: page }, APP)).toBe(true);
    expect(allowPermissionCheck('media', 'app://alicia', { isMainFrame: true, mediaType: 'video' }, APP)).toBe(false);
    expect(allowPermissionCheck('media', 'app://alicia', { isMainFrame: true, mediaType: 'unknown' }, APP)).toBe(false);
    expect(allowPermissionCheck('media', 'https://evil.example', { isMainFrame: true, mediaType: 'audio' }, APP)).toBe(false);
    expect(
      allowPermissionCheck('media', 'app://alicia', { isMainFrame: true, mediaType: 'audio', securityOrigin: 'https://evil.example' }, APP),
    ).toBe(false);
    expect(allowPermissionCheck('media', 'app://alicia', { isMainFrame: false, mediaType: 'audio' }, APP)).toBe(false);
    expect(allowPermissionCheck('notifications', 'app://alicia', { isMainFrame: true }, APP)).toBe(false);
  });

  it('the dev server origin is trusted only when it is in the list', () => {
    const dev = ['app://alicia', 'http://localhost:5173'];
    expect(
      allowPermissionRequest('media', { isMainFrame: true, requestingUrl: 'http://localhost:5173/', mediaTypes: ['audio'] }, dev),
    ).toBe(true);
    expect(
      allowPermissionRequest('media', { isMainFrame: true, requestingUrl: 'http://localhost:5173/', mediaTypes: ['audio'] }, APP),
    ).toBe(false);
  });
});

describe('originOf', () => {
  it('gives custom standard schemes a real origin and opaque ones none', () => {
    expect(originOf('app://alicia/index.html#/devices')).toBe('app://alicia');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('https://example.com:443/')).toBe('https://example.com');
    expect(originOf('file:///tmp/x.html')).toBeNull();
    expect(originOf('data:text/html,hi')).toBeNull();
    expect(originOf('about:blank')).toBeNull();
    expect(originOf('garbage')).toBeNull();
    expect(originOf(undefined)).toBeNull();
  });
});
