import type { BillingDocument, BillTo, Issuer } from './document.js';
import { documentView, type DocumentView, type LabelledValue, type LineView, type PartyView } from './view.js';

/**
 * A document as one self-contained HTML page: inline CSS, no script, no font or image to fetch,
 * so it shows the same offline, in a mail client and on paper. Every text that comes from
 * data is escaped: a tenant may well be called `<Acme & Sons>`.
 */

const escapes: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character]!);
}

const styles = `
*{box-sizing:border-box}
body{margin:0;background:#f4f4f4;color:#1a1a1a;font:13px/1.45 "Helvetica Neue",Helvetica,Arial,sans-serif}
.page{max-width:210mm;margin:24px auto;padding:40px 44px;background:#fff}
header{display:flex;justify-content:space-between;gap:32px;margin-bottom:28px}
.issuer-name{font-size:18px;font-weight:bold;margin:0 0 4px}
.title{text-align:right}
.title h1{margin:0;font-size:26px;letter-spacing:.04em;text-transform:uppercase}
.title .number{font-size:15px;margin-top:2px}
.parties{display:flex;justify-content:space-between;gap:32px;margin-bottom:28px}
.label{color:#666;font-size:11px;text-transform:uppercase;letter-spacing:.06em;margin:0 0 4px}
.bill-to .name{font-weight:bold}
.lines-block{white-space:pre-line}
dl.facts{display:grid;grid-template-columns:auto auto;gap:2px 16px;margin:0}
dl.facts dt{color:#666}
dl.facts dd{margin:0;text-align:right}
table{width:100%;border-collapse:collapse}
thead th{background:#f0f0f0;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#444;text-align:left;padding:6px}
td{padding:7px 6px;border-bottom:1px solid #e2e2e2;vertical-align:top}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.adjustment{display:block;font-size:11px;font-weight:bold;color:#8a5a00}
.kind{font-weight:bold}
.detail{display:block;color:#666;font-size:11px}
.totals{margin:16px 0 0 auto;width:320px}
.totals td{border:0;padding:3px 6px}
.totals .emphasis td{font-weight:bold;border-top:1px solid #1a1a1a}
.notes{margin-top:28px;color:#333}
.notes p{margin:0 0 6px}
footer{margin-top:36px;color:#888;font-size:11px}
@page{size:A4;margin:14mm}
@media print{body{background:#fff}.page{margin:0;max-width:none;padding:0}tr{break-inside:avoid}}
`;

function party(label: string | null, view: PartyView, nameClass: string): string {
  const heading = label === null ? '' : `<p class="label">${escapeHtml(label)}</p>`;
  const lines = view.lines.map(escapeHtml).join('\n');
  return `${heading}<div class="${nameClass}">${escapeHtml(view.name)}</div>${lines.length === 0 ? '' : `<div class="lines-block">${lines}</div>`}`;
}

function facts(items: readonly LabelledValue[]): string {
  return `<dl class="facts">${items.map((item) => `<dt>${escapeHtml(item.label)}</dt><dd>${escapeHtml(item.value)}</dd>`).join('')}</dl>`;
}

function lineRow(line: LineView): string {
  const adjustment = line.adjustment === null ? '' : `<span class="adjustment">${escapeHtml(line.adjustment)}</span>`;
  return (
    `<tr><td>${escapeHtml(line.lease)}</td><td>${escapeHtml(line.month)}</td>` +
    `<td>${adjustment}<span class="kind">${escapeHtml(line.label)}</span>${line.detail.length === 0 ? '' : `<span class="detail">${escapeHtml(line.detail)}</span>`}</td>` +
    `<td class="num">${escapeHtml(line.quantity)}</td><td class="num">${escapeHtml(line.unitPrice)}</td><td class="num">${escapeHtml(line.amount)}</td></tr>`
  );
}

/** The view as an HTML page; exported for callers that built or adjusted a view themselves. */
export function renderViewHtml(view: DocumentView): string {
  const heading = `${view.title} ${view.number}`;
  const totals = view.totals
    .map((total) => `<tr${total.emphasis ? ' class="emphasis"' : ''}><td>${escapeHtml(total.label)}</td><td class="num">${escapeHtml(total.value)}</td></tr>`)
    .join('');
  const payment =
    view.paymentInstructions.length === 0
      ? ''
      : `<p class="label">How to pay</p><div class="lines-block">${view.paymentInstructions.map(escapeHtml).join('\n')}</div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>${styles}</style>
</head>
<body>
<main class="page">
<header>
<div class="issuer">${party(null, view.issuer, 'issuer-name')}</div>
<div class="title"><h1>${escapeHtml(view.title)}</h1><div class="number">${escapeHtml(view.number)}</div></div>
</header>
<section class="parties">
<div class="bill-to">${party('Bill to', view.billTo, 'name')}</div>
<div>${facts(view.facts)}</div>
</section>
<table class="lines">
<thead><tr><th>Lease</th><th>Month</th><th>Description</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
<tbody>
${view.lines.map(lineRow).join('\n')}
</tbody>
</table>
<table class="totals"><tbody>${totals}</tbody></table>
<section class="notes">${view.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('')}${payment}</section>
<footer>${escapeHtml(`${heading} · ${view.issuer.name}`)}</footer>
</main>
</body>
</html>
`;
}

/** An invoice or credit note as a printable, self-contained HTML page. */
export function renderInvoiceHtml(document: BillingDocument, issuer: Issuer, billTo?: BillTo): string {
  return renderViewHtml(documentView(document, issuer, billTo));
}
