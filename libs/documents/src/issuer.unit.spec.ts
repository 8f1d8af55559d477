import { describe, expect, it } from 'vitest';
import { IssuerConfigurationError, issuerFromEnv, issuerNameDefault } from './issuer.js';

describe('issuerFromEnv', () => {
  it('defaults to the demo issuer when nothing is configured', () => {
    expect(issuerFromEnv({})).toEqual({ name: issuerNameDefault, addressLines: [], paymentInstructions: [] });
    expect(issuerNameDefault).toBe('compute-ledger demo issuer');
  });

  it('reads every variable, lines separated by |, by a line break or by the two characters \\n', () => {
    const issuer = issuerFromEnv({
      LEDGER_ISSUER_NAME: '  Example Neocloud Ltd ',
      LEDGER_ISSUER_ADDRESS: '1 Datacenter Lane | London EC1A 1BB\nUnited Kingdom',
      LEDGER_ISSUER_TAX_ID: 'GB123456789',
      LEDGER_ISSUER_PAYMENT_INSTRUCTIONS: 'IBAN GB33 BUKB 2020 1555 5555 55\\nSWIFT/BIC BUKBGB22',
    });
    expect(issuer).toEqual({
      name: 'Example Neocloud Ltd',
      addressLines: ['1 Datacenter Lane', 'London EC1A 1BB', 'United Kingdom'],
      taxId: 'GB123456789',
      paymentInstructions: ['IBAN GB33 BUKB 2020 1555 5555 55', 'SWIFT/BIC BUKBGB22'],
    });
  });

  it('takes empty variables as unset', () => {
    expect(issuerFromEnv({ LEDGER_ISSUER_NAME: ' ', LEDGER_ISSUER_TAX_ID: '', LEDGER_ISSUER_ADDRESS: '|' })).toEqual({ name: issuerNameDefault, addressLines: [], paymentInstructions: [] });
  });

  it('refuses a configuration that would not fit on a document', () => {
    expect(() => issuerFromEnv({ LEDGER_ISSUER_NAME: 'x'.repeat(201) })).toThrow(IssuerConfigurationError);
    expect(() => issuerFromEnv({ LEDGER_ISSUER_ADDRESS: Array.from({ length: 11 }, () => 'line').join('|') })).toThrow('LEDGER_ISSUER_ADDRESS has 11 lines, more than 10');
    expect(() => issuerFromEnv({ LEDGER_ISSUER_PAYMENT_INSTRUCTIONS: 'y'.repeat(201) })).toThrow(IssuerConfigurationError);
    expect(() => issuerFromEnv({ LEDGER_ISSUER_TAX_ID: 'a\nb' })).toThrow('LEDGER_ISSUER_TAX_ID must be one line');
  });
});
