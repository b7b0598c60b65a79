// Test databases: a fresh SQLite file, or a fresh database on the PostgreSQL cluster named by
// TEST_DATABASE_URL; migrated with the real `prisma migrate deploy` and seeded with the real seed.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { bin, quietEnv, repoRoot, tempDir } from "./paths";

const run = promisify(execFile);

export const isPostgres = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/** The database integration tests target: TEST_DATABASE_URL, or undefined for SQLite. */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** Path of a file: SQLite URL (relative paths are relative to the repository, as for the server). */
export function sqlitePath(url: string): string {
  return path.resolve(repoRoot, url.replace(/^file:/, "").replace(/\?.*$/, ""));
}

/** A new, empty database: a SQLite file in a temp dir, or `CREATE DATABASE` on the test cluster. */
export async function createFreshDatabase(): Promise<string> {
  const base = testDatabaseUrl();
  if (!base || !isPostgres(base)) return `file:${path.join(tempDir("stratus-db-"), "stratus.db")}`;
  const name = `stratus_t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs the Prisma CLI against `databaseUrl` (prisma.config.ts picks the schema from it). */
export async function prisma(databaseUrl: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(bin("prisma"), args, {
      cwd: repoRoot,
      env: { ...quietEnv(), DATABASE_URL: databaseUrl },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`prisma ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await prisma(databaseUrl, ["migrate", "deploy"]);
}

export interface SeedOptions {
  adminPassword: string;
  demoPassword: string;
  agentHosts: string[];
  agentsDir: string;
  credentialsFile: string;
}

export async function seedDatabase(databaseUrl: string, options: SeedOptions): Promise<void> {
  try {
    await run(bin("tsx"), ["prisma/seed.ts"], {
      cwd: repoRoot,
      env: {
        ...quietEnv(),
        DATABASE_URL: databaseUrl,
        STRATUS_ADMIN_PASSWORD: options.adminPassword,
        STRATUS_DEMO_PASSWORD: options.demoPassword,
        STRATUS_SEED_AGENT_HOSTS: options.agentHosts.join(","),
        STRATUS_AGENTS_DIR: options.agentsDir,
        STRATUS_CREDENTIALS_FILE: options.credentialsFile,
      },
      timeout: 120_000,
    });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`seed failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Runs one read-only SQL query on either database (raw: no generated client needed). */
export async function query<Row = Record<string, unknown>>(databaseUrl: string, sql: string): Promise<Row[]> {
  if (isPostgres(databaseUrl)) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(sqlitePath(databaseUrl), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

/**
 * Runs one writing statement against the database of a running controller (a test that stages a
 * state no API call can reach, e.g. what a controller that died mid-task left behind).
 */
export async function execute(databaseUrl: string, sql: string): Promise<void> {
  if (isPostgres(databaseUrl)) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return;
  }
  const { default: Database } = await import("better-sqlite3");
  // The controller holds the file open too: wait for its write lock rather than fail.
  const db = new Database(sqlitePath(databaseUrl), { fileMustExist: true, timeout: 10_000 });
  try {
    db.prepare(sql).run();
  } finally {
    db.close();
  }
}
