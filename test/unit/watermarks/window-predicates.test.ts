import { hasUnfinishedSeal, hasUnsealedParts, needsSealing, type WindowState } from '@apphub/watermarks';
import { describe, expect, it } from 'vitest';

const window = (overrides: Partial<WindowState>): WindowState => ({
  windowStart: 0,
  parts: ['a', 'b'],
  manifestVersion: 1,
  sealedPartCount: 2,
  finishedVersion: 1,
  ...overrides,
});

describe('needsSealing', () => {
  it('is true while parts are unsealed or a published version is not finished, and only then', () => {
    expect(needsSealing(window({}))).toBe(false);
    expect(needsSealing(window({ manifestVersion: 0, sealedPartCount: 0, finishedVersion: 0 }))).toBe(true);
    expect(hasUnsealedParts(window({ parts: ['a', 'b', 'c'] }))).toBe(true);
    expect(needsSealing(window({ parts: ['a', 'b', 'c'] }))).toBe(true);
    expect(hasUnfinishedSeal(window({ manifestVersion: 2, finishedVersion: 1 }))).toBe(true);
    expect(needsSealing(window({ manifestVersion: 2, finishedVersion: 1 }))).toBe(true);
    expect(needsSealing(window({ manifestVersion: 2, finishedVersion: 2 }))).toBe(false);
  });
});
