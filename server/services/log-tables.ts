/**
 * The operations and audit tables (operations.table, audit.table): one page, sorted by a whitelisted column,
 * searched, with the total. Scoped by the caller's visible tenants (`tenantWhere`, as their lists are).
 */
import type { Db } from "../db/client.js";
import { loggedFor, type Who } from "./scope.js";
import { contains, pageOf, type TableArgs, type TablePage } from "./tables.js";

export const OPERATION_SORTS = ["createdAt", "kind", "status"] as const;
export type OperationSort = (typeof OPERATION_SORTS)[number];

const opSelect = {
  id: true,
  type: true,
  status: true,
  progress: true,
  actor: true,
  error: true,
  message: true,
  createdAt: true,
  tenantId: true,
  container: { select: { id: true, ctid: true, hostname: true } },
} as const;

/** Operations, searched by kind, status, actor or the container's hostname or ctid. */
export async function operationTable(db: Db, who: Who, input: TableArgs<OperationSort> & { containerId?: string }) {
  const q = input.q.trim().toLowerCase();
  const text = contains(db, q);
  const search = q
    ? {
        OR: [
          { type: { startsWith: q } },
          { status: { startsWith: q } },
          { actor: text },
          { container: { hostname: text } },
          ...(/^\d{1,9}$/.test(q) ? [{ container: { ctid: Number(q) } }] : []),
        ],
      }
    : {};
  const where = {
    AND: [loggedFor(who), input.containerId ? { containerId: input.containerId } : {}, search],
  };
  const d = input.dir;
  const column = { createdAt: "createdAt", kind: "type", status: "status" }[input.sort];
  const orderBy = [{ [column]: d }, ...(input.sort === "createdAt" ? [] : [{ createdAt: "desc" as const }]), { id: d }];
  const [rows, total] = await Promise.all([
    db.operation.findMany({ where, orderBy, ...pageOf(input), select: opSelect }),
    db.operation.count({ where }),
  ]);
  return { rows, total, page: input.page, pageSize: input.pageSize };
}

export const AUDIT_SORTS = ["time", "actor", "action"] as const;
export type AuditSort = (typeof AUDIT_SORTS)[number];

type AuditRow = Awaited<ReturnType<Db["auditLog"]["findMany"]>>[number];

/** Audit entries, searched by action or actor (a part of either), sorted by time (the id), actor or action. */
export async function auditTable(
  db: Db,
  who: Who,
  input: TableArgs<AuditSort> & { userId?: string },
): Promise<TablePage<AuditRow>> {
  const q = input.q.trim();
  const search = q ? { OR: [{ action: contains(db, q) }, { actor: contains(db, q) }] } : {};
  const where = { AND: [loggedFor(who), input.userId ? { userId: input.userId } : {}, search] };
  const d = input.dir;
  const orderBy = input.sort === "time" ? [{ id: d }] : [{ [input.sort]: d }, { id: "desc" as const }];
  const [rows, total] = await Promise.all([
    db.auditLog.findMany({ where, orderBy, ...pageOf(input) }),
    db.auditLog.count({ where }),
  ]);
  return { rows, total, page: input.page, pageSize: input.pageSize };
}
