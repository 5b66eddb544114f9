import { describe, expect, it } from 'vitest';
import { contentTypeOf } from './contentType.js';

describe('contentTypeOf', () => {
  it('names content types the renderer needs', () => {
    expect(contentTypeOf('index.html')).toMatch(/^text\/html/);
    expect(contentTypeOf('a.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeOf('x.wasm')).toBe('application/wasm');
    expect(contentTypeOf('noext')).toBe('application/octet-stream');
  });
});
