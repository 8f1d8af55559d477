import { describe, expect, it } from 'vitest';
import { UsageBatchRefusedError } from '../domain/errors.js';
import { countOf } from './wording.js';

describe('counts in messages', () => {
  it('agree with their noun', () => {
    expect(countOf(1, 'batch', 'batches')).toBe('1 batch');
    expect(countOf(2, 'batch', 'batches')).toBe('2 batches');
    expect(countOf(0, 'reading')).toBe('0 readings');
    expect(countOf(10000, 'record')).toBe('10000 records'); // digits as a script reading the output expects them
  });

  it('in the refusal of a usage batch', () => {
    const one = [{ index: 0, readingId: 'R-1', message: 'gpuHours must be positive', kind: 'rule' as const }];
    expect(new UsageBatchRefusedError(one).message).toBe("1 of the batch's records was refused; nothing was recorded");
    expect(new UsageBatchRefusedError([...one, { ...one[0]!, index: 1, readingId: 'R-2' }]).message).toBe("2 of the batch's records were refused; nothing was recorded");
  });
});
