import { describe, expect, it } from 'vitest';
import { StoryClock } from './story-clock.js';

describe('the story clock of the demo seed', () => {
  const nowMs = Date.parse('2026-12-01T12:00:00Z');
  const base = () => new Date(nowMs);

  it('answers the base clock, the story instant while held, and the base clock again once released', () => {
    const story = new StoryClock(base);
    expect(story.clock().getTime()).toBe(nowMs);
    story.moveTo(Date.parse('2025-12-03T10:00:00Z'));
    expect(story.clock().toISOString()).toBe('2025-12-03T10:00:00.000Z');
    story.release();
    expect(story.clock().getTime()).toBe(nowMs);
    expect(story.nowMs()).toBe(nowMs);
  });

  it('is held in the past only, and only moves forward', () => {
    const story = new StoryClock(base);
    expect(() => story.moveTo(nowMs + 1)).toThrow(/in the past only/);
    story.moveTo(Date.parse('2025-12-01T06:00:00Z'));
    expect(() => story.moveTo(Date.parse('2025-12-01T06:00:00Z'))).toThrow(/only moves forward/);
    expect(() => story.moveTo(Date.parse('2025-12-01T00:00:00Z'))).toThrow(/only moves forward/);
  });
});
