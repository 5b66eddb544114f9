import { describe, expect, it } from 'vitest';
import { externalUrlToOpen, isAllowedNavigation } from './navigation.js';

describe('navigation rules', () => {
  const app = ['app://alicia'];
  it('allows the app to reload itself and refuses every other destination', () => {
    expect(isAllowedNavigation('app://alicia/index.html', app)).toBe(true);
    expect(isAllowedNavigation('app://alicia/index.html#/traces', app)).toBe(true);
    expect(isAllowedNavigation('https://example.com/', app)).toBe(false);
    expect(isAllowedNavigation('file:///home/user/.ssh/id_rsa', app)).toBe(false);
    expect(isAllowedNavigation('app://alicia.evil/index.html', app)).toBe(false);
    expect(isAllowedNavigation('http://127.0.0.1:8080/', app)).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)', app)).toBe(false);
    expect(isAllowedNavigation('data:text/html,<script>1</script>', app)).toBe(false);
  });

  it('opens only plain https links in the system browser', () => {
    expect(externalUrlToOpen('https://github.com/alicia/docs')).toBe('https://github.com/alicia/docs');
    expect(externalUrlToOpen('http://example.com/')).toBeNull();
    expect(externalUrlToOpen('file:///etc/passwd')).toBeNull();
    expect(externalUrlToOpen('smb://server/share')).toBeNull();
    expect(externalUrlToOpen('ms-settings:privacy')).toBeNull();
    expect(externalUrlToOpen('https://user:pass@example.com/')).toBeNull();
    expect(externalUrlToOpen('app://alicia/index.html')).toBeNull();
    expect(externalUrlToOpen('')).toBeNull();
  });
});
