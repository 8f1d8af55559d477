import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';

export interface BenchReport {
  mode: BenchMode;
  startedAt: string;
  node: string;
  figures: Figure[];
}

/** Runs the modules one after the other (they share the machine, so never in parallel). */
export async function runBenchmarks(modules: readonly BenchmarkModule[], mode: BenchMode): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const figures: Figure[] = [];
  for (const module of modules) figures.push(...(await module.run(mode)));
  return { mode, startedAt, node: process.version, figures };
}

export function formatTable(figures: readonly Figure[]): string {
  const header = ['benchmark', 'case', 'value', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((item) => [
    item.benchmark,
    item.case,
    `${formatNumber(item.value)} ${item.unit}`,
    item.baseline ? `${formatNumber(item.baseline.value)} ${item.unit} (${item.baseline.name})` : '',
    item.ratio === undefined ? '' : item.ratio.toFixed(2),
    item.target?.text ?? '',
    item.target === undefined ? '' : item.target.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function writeReport(report: BenchReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

function formatNumber(value: number): string {
  return Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}
