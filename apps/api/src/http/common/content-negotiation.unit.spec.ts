import { describe, expect, it } from 'vitest';
import { matchesIfNoneMatch, preferredMediaType } from './content-negotiation.js';

const offered = ['application/pdf', 'text/html'] as const;

describe('content negotiation', () => {
  it('answers the first offered type without a preference', () => {
    expect(preferredMediaType(undefined, offered)).toBe('application/pdf');
    expect(preferredMediaType('', offered)).toBe('application/pdf');
    expect(preferredMediaType('*/*', offered)).toBe('application/pdf');
  });

  it('follows the client’s q-values, the most specific range deciding', () => {
    expect(preferredMediaType('text/html', offered)).toBe('text/html');
    expect(preferredMediaType('application/pdf;q=0.5, text/*;q=0.8', offered)).toBe('text/html');
    expect(preferredMediaType('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', offered)).toBe('text/html');
    expect(preferredMediaType('*/*, application/pdf;q=0', offered)).toBe('text/html');
  });

  it('answers null when every offered type is ruled out, and skips malformed ranges', () => {
    expect(preferredMediaType('application/json', offered)).toBeNull();
    expect(preferredMediaType('text/html;q=2, nonsense', offered)).toBeNull();
  });

  it('matches If-None-Match weakly, in a list, and for *', () => {
    expect(matchesIfNoneMatch('"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('W/"abc", "def"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"abd"', '"abc"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"abc"')).toBe(false);
  });
});
