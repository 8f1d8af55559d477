import { describe, expect, it } from 'vitest';
import { ConfigError, defaultCheckpointEventsMin, defaultCheckpointIntervalSeconds, readConfig } from './config.js';

describe('configuration of the periodic model checkpoint', () => {
  it('defaults to every 5 minutes when 50,000 events have come in', () => {
    const config = readConfig({});
    expect(config.checkpointIntervalSeconds).toBe(defaultCheckpointIntervalSeconds);
    expect(defaultCheckpointIntervalSeconds).toBe(300);
    expect(config.checkpointEventsMin).toBe(defaultCheckpointEventsMin);
  });

  it('takes whole numbers in range, 0 seconds turning the periodic checkpoint off', () => {
    expect(readConfig({ LEDGER_CHECKPOINT_INTERVAL_SECONDS: '0', LEDGER_CHECKPOINT_EVENTS_MIN: '1' })).toMatchObject({ checkpointIntervalSeconds: 0, checkpointEventsMin: 1 });
    expect(readConfig({ LEDGER_CHECKPOINT_INTERVAL_SECONDS: ' 60 ' }).checkpointIntervalSeconds).toBe(60);
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['-1', '1.5', '5m', '86401', '1e3']) {
      expect(() => readConfig({ LEDGER_CHECKPOINT_INTERVAL_SECONDS: value })).toThrow(ConfigError);
      expect(() => readConfig({ LEDGER_CHECKPOINT_INTERVAL_SECONDS: value })).toThrow(/LEDGER_CHECKPOINT_INTERVAL_SECONDS/);
    }
    expect(() => readConfig({ LEDGER_CHECKPOINT_EVENTS_MIN: '0' })).toThrow(/LEDGER_CHECKPOINT_EVENTS_MIN/);
  });

  it('reads LEDGER_WEBHOOK_ALLOW as host and host:port entries, and refuses a URL there, naming the variable', () => {
    expect(readConfig({}).webhookAllow).toEqual([]);
    expect(readConfig({ LEDGER_WEBHOOK_ALLOW: 'erp.internal,127.0.0.1:8080' }).webhookAllow).toEqual([
      { host: 'erp.internal', port: null },
      { host: '127.0.0.1', port: '8080' },
    ]);
    expect(() => readConfig({ LEDGER_WEBHOOK_ALLOW: 'https://erp.internal' })).toThrow(ConfigError);
    expect(() => readConfig({ LEDGER_WEBHOOK_ALLOW: 'https://erp.internal' })).toThrow(/LEDGER_WEBHOOK_ALLOW/);
  });
});

describe('configuration of four-eyes approval', () => {
  it('is off when unset, and takes an amount in the currency, written with its minor digits', () => {
    expect(readConfig({}).approvalAbove).toBeUndefined();
    expect(readConfig({ LEDGER_APPROVAL_ABOVE: '1000000' }).approvalAbove).toBe('1000000.00');
    expect(readConfig({ LEDGER_APPROVAL_ABOVE: ' 2500.5 ' }).approvalAbove).toBe('2500.50');
    expect(readConfig({ LEDGER_APPROVAL_ABOVE: '0' }).approvalAbove).toBe('0.00');
    expect(readConfig({ LEDGER_APPROVAL_ABOVE: '1000000', LEDGER_CURRENCY: 'JPY' }).approvalAbove).toBe('1000000');
  });

  it('refuses anything else at start, naming the variable', () => {
    for (const value of ['-5', 'a lot', '1e6', '1,000,000', '100.001']) {
      expect(() => readConfig({ LEDGER_APPROVAL_ABOVE: value }), value).toThrow(ConfigError);
      expect(() => readConfig({ LEDGER_APPROVAL_ABOVE: value }), value).toThrow(/^LEDGER_APPROVAL_ABOVE /);
    }
    // Yen have no minor unit: 1000.50 is finer than the currency allows.
    expect(() => readConfig({ LEDGER_APPROVAL_ABOVE: '1000.50', LEDGER_CURRENCY: 'JPY' })).toThrow(/at most 0 fractional digits/);
  });
});
