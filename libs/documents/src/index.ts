export {
  billToFromTenant,
  isCreditNoteByHand,
  type BillingDocument,
  type BillTo,
  type CreditNoteDocument,
  type InvoiceDocument,
  type InvoiceDocumentLine,
  type Issuer,
  type LineKind,
  type LineSourceReference,
  type TenantWithBillingDetails,
} from './document.js';
export {
  IssuerConfigurationError,
  issuerEnvironmentVariables,
  issuerFromEnv,
  issuerNameDefault,
  type IssuerEnvironment,
} from './issuer.js';
export { currencySymbols, formatMoney, formatQuantity } from './money.js';
export { documentLinesMax, documentView, lineKindWords, type DocumentView, type LabelledValue, type LineView, type PartyView, type TotalView } from './view.js';
export { escapeHtml, renderInvoiceHtml, renderViewHtml } from './html.js';
export { renderInvoicePdf, renderViewPdf } from './pdf.js';
