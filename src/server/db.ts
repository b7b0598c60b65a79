// The one Prisma client of a controller process. SQLite (better-sqlite3) is the embedded default;
// a postgresql:// DATABASE_URL switches to the pg adapter and the client generated from
// prisma/postgres/schema.prisma. Both clients come from the same model, so their types agree.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/generated/sqlite/client";
import { PrismaClient as PostgresClient } from "@/generated/postgres/client";

export type Db = PrismaClient;
export type {
  Prisma,
  ComputeNode,
  Flavor,
  Image,
  Instance,
  InstanceAction,
  InstanceActionEvent,
  Migration,
  Service,
} from "@/generated/sqlite/client";

/** A unique index refused the write (Prisma's P2002, from either adapter). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? "file:./var/stratus.db";
}

export function isPostgres(url = databaseUrl()): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Interactive transactions (claims, releases) wait up to 30 s for a connection and may run as long,
 * as SQLAlchemy's pool_timeout does for Nova's services. Prisma's 2 s default failed claims
 * outright in a burst: every claim on one host queues on that host's row, so a hundred at once
 * kept the pool busy past it on a loaded machine ("Unable to start a transaction in the given time").
 */
const transactionOptions = { maxWait: 30_000, timeout: 30_000 };

function createClient(url: string): Db {
  if (isPostgres(url)) {
    // Same models, other provider: the generated types are identical in shape.
    return new PostgresClient({ adapter: new PrismaPg({ connectionString: url }), transactionOptions }) as unknown as Db;
  }
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }), transactionOptions });
}

// Next's route bundles and the tsx-loaded server are separate module graphs in one process:
// the client lives on globalThis so both use the same connection pool.
const globalForDb = globalThis as unknown as { stratusDb?: Db };

export const db: Db = (globalForDb.stratusDb ??= createClient(databaseUrl()));
