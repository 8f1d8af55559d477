import type { z } from 'zod';
import { eventDataSchemas, type EventType, type LedgerEvent } from './events.js';

/**
 * One registry maps (event type, schema version) to the schema that validates it. Reading an
 * event of an older version runs its upcasters, one version at a time, until it has the current
 * shape: a version 2 of an event is introduced by registering the new schema as current and an
 * upcaster from 1 to 2, without rewriting a single stored event.
 */

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

interface EventTypeEntry {
  currentVersion: number;
  schema: z.ZodType;
  /** upcasters[v] turns version v into version v + 1. */
  upcasters: Map<number, Upcaster>;
}

export interface ReadOptions {
  /**
   * The data comes from the ledger's own log, where it was validated against this very schema
   * version when it was appended (and the hash chain guards it since): checking it again on every
   * replay only costs time. Older versions are still upcast and checked.
   */
  trusted?: boolean;
}

export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
}

export class EventRegistry {
  private readonly entries = new Map<string, EventTypeEntry>();

  register(type: string, schema: z.ZodType, currentVersion = 1): this {
    this.entries.set(type, { currentVersion, schema, upcasters: new Map() });
    return this;
  }

  /** Registers how to read version `fromVersion` of `type` as version `fromVersion + 1`. */
  upcast(type: string, fromVersion: number, upcaster: Upcaster): this {
    const entry = this.entryOf(type);
    if (fromVersion >= entry.currentVersion) {
      throw new Error(`${type}: an upcaster from version ${fromVersion} is not below current version ${entry.currentVersion}`);
    }
    entry.upcasters.set(fromVersion, upcaster);
    return this;
  }

  currentVersion(type: string): number {
    return this.entryOf(type).currentVersion;
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** Validates data of the current version of `type` (used before an event is appended). */
  parseCurrent(type: string, data: unknown): Record<string, unknown> {
    return this.entryOf(type).schema.parse(data) as Record<string, unknown>;
  }

  /**
   * Reads a stored event into the current version: upcasts old versions step by step, then
   * checks the result against the current schema.
   */
  read(type: string, schemaVersion: number, data: unknown, options: ReadOptions = {}): Record<string, unknown> {
    const entry = this.entryOf(type);
    if (options.trusted === true && schemaVersion === entry.currentVersion) return data as Record<string, unknown>;
    if (schemaVersion > entry.currentVersion) {
      throw new UnknownEventError(`${type} version ${schemaVersion} is newer than this ledger knows (${entry.currentVersion})`);
    }
    let current = data as Record<string, unknown>;
    for (let version = schemaVersion; version < entry.currentVersion; version += 1) {
      const upcaster = entry.upcasters.get(version);
      if (upcaster === undefined) throw new UnknownEventError(`${type}: no upcaster from version ${version}`);
      current = upcaster(current);
    }
    return entry.schema.parse(current) as Record<string, unknown>;
  }

  private entryOf(type: string): EventTypeEntry {
    const entry = this.entries.get(type);
    if (entry === undefined) throw new UnknownEventError(`unknown event type ${type}`);
    return entry;
  }
}

/** The registry of the ledger's own events, all at version 1 today. */
export function createLedgerEventRegistry(): EventRegistry {
  const registry = new EventRegistry();
  for (const [type, schema] of Object.entries(eventDataSchemas)) registry.register(type, schema, 1);
  return registry;
}

export const ledgerEventRegistry = createLedgerEventRegistry();

/** Reads a stored event (any known version) as the current, typed domain event. */
export function readLedgerEvent(type: string, schemaVersion: number, data: unknown, options: ReadOptions = {}): LedgerEvent {
  return { type: type as EventType, data: ledgerEventRegistry.read(type, schemaVersion, data, options) } as LedgerEvent;
}
