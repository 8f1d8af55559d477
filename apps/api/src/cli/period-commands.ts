import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestMonth } from '@compute-ledger/contracts';
import { z } from 'zod';
import { auditPackManifestFile, buildAuditPack, checkAuditPack, manifestBytes, type AuditPackManifest } from '../shared/audit-pack.js';
import { cliActor, parseOptions, withLedger, type CliContext } from './context.js';
import { CliRefusedError, CliUsageError, exitOk, exitRefused, messageOf } from './errors.js';
import { renderJson } from './format.js';

/** `ledger close --month YYYY-MM`: closes a period as `POST /v1/periods/{month}/close` does. */
export async function closeCommand(context: CliContext, options: { month: string }): Promise<number> {
  const { month } = parseOptions(z.strictObject({ month: RequestMonth }), { month: options.month }, { month: '--month' });
  return withLedger(context, async (ledger) => {
    const result = await ledger.periods.close(month, cliActor('close'));
    context.io.stdout.write(context.json ? renderJson(result) : `Closed ${result.month} at ${result.closedAt}; seal ${result.seal.position}:${result.seal.hash}\n`);
    return exitOk;
  });
}

/** `ledger audit pack --month YYYY-MM --out DIR`: the evidence of a closed month, the same bytes every time. */
export async function auditPackCommand(context: CliContext, options: { month: string; out: string }, ledgerVersion: string): Promise<number> {
  const { month } = parseOptions(z.strictObject({ month: RequestMonth }), { month: options.month }, { month: '--month' });
  if (options.out.trim() === '') throw new CliUsageError('--out must name a directory');
  return withLedger(context, async (ledger) => {
    const { manifest, files } = await buildAuditPack(ledger, month, ledgerVersion);
    await mkdir(options.out, { recursive: true });
    for (const file of files) await writeFile(join(options.out, file.name), file.bytes);
    await writeFile(join(options.out, auditPackManifestFile), manifestBytes(manifest));
    const out = context.io.stdout;
    if (context.json) out.write(renderJson({ out: options.out, ...manifest }));
    else {
      out.write(`Audit pack of ${month} (sealed at ${manifest.seal.position}:${manifest.seal.hash}) written to ${options.out}:\n`);
      for (const file of manifest.files) out.write(`  ${file.name.padEnd(30)} ${String(file.rows).padStart(8)} rows  sha256 ${file.sha256}\n`);
    }
    return exitOk;
  }, false, true);
}

/** `ledger audit check DIR`: makes the pack again and compares it file by file; checks the seal is still in the chain. */
export async function auditCheckCommand(context: CliContext, directory: string, ledgerVersion: string): Promise<number> {
  let manifest: AuditPackManifest;
  try {
    manifest = JSON.parse(await readFile(join(directory, auditPackManifestFile), 'utf8')) as AuditPackManifest;
  } catch (error) {
    throw new CliRefusedError(`${join(directory, auditPackManifestFile)} cannot be read as a pack's manifest: ${messageOf(error)}`);
  }
  if (typeof manifest.month !== 'string' || typeof manifest.seal?.position !== 'number' || !Array.isArray(manifest.files)) throw new CliRefusedError(`${join(directory, auditPackManifestFile)} is not a pack's manifest`);
  const read = async (name: string): Promise<Buffer | null> => {
    try {
      return await readFile(join(directory, name));
    } catch {
      return null;
    }
  };
  return withLedger(context, async (ledger) => {
    const result = await checkAuditPack(ledger, manifest, read, ledgerVersion);
    const out = context.io.stdout;
    if (context.json) out.write(renderJson(result));
    else if (result.ok) out.write(`Audit pack of ${result.month} holds: every file re-derived the same, and the seal ${result.seal.position}:${result.seal.hash} is in the chain.\n`);
    else {
      out.write(`Audit pack of ${result.month} does NOT hold:\n`);
      for (const problem of result.problems) out.write(`  ${problem.file}${problem.row === undefined ? '' : ` row ${problem.row}`}: ${problem.message}\n`);
    }
    return result.ok ? exitOk : exitRefused;
  }, false, true);
}
