// The audit log's record shape: building events and reading them back from the store's log.
import type { RegistryStore } from './stores/types.js';
import type { AuditEvent } from './types.js';

/** The store log that holds the audit trail (`logs/audit.jsonl` in the local store). */
export const AUDIT_LOG = 'audit';

/** An event stamped now, with `by` defaulting to the registry's user; undefined fields dropped. */
export function makeAuditEvent(
  event: Omit<AuditEvent, 'time'>,
  user: string | undefined,
): AuditEvent {
  const out: AuditEvent = {
    time: new Date().toISOString(),
    action: event.action,
    details: event.details ?? {},
  };
  if (event.model !== undefined) out.model = event.model;
  if (event.version !== undefined) out.version = event.version;
  const by = event.by ?? user;
  if (by !== undefined) out.by = by;
  return out;
}

/** The audit events in append order; records that are not audit events are left out. */
export async function readAuditLog(store: RegistryStore): Promise<AuditEvent[]> {
  const records = await store.readLog(AUDIT_LOG);
  return records.filter(isAuditEvent);
}

function isAuditEvent(value: unknown): value is AuditEvent {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.time === 'string' &&
    typeof record.action === 'string' &&
    typeof record.details === 'object' &&
    record.details !== null
  );
}
