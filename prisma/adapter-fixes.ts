// Workarounds for Prisma 6.19.3's offline (wasm, `engine: "js"`) schema engine, used only by the
// Prisma CLI through prisma.config.ts. Each names its upstream bug so it can be deleted once fixed;
// test/integration/migrations.test.ts runs `migrate deploy` on both databases to keep them honest.
import pg from "pg";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

/** SQLite: the wasm engine replays migrations on the shadow DB with executeRaw(), which runs a
 *  single statement; route parameterless scripts to executeScript(). */
export function sqliteMigrationAdapter(url: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url });
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connectToShadowDb = async () => {
    const db = await connectToShadowDb();
    const executeRaw = db.executeRaw.bind(db);
    db.executeRaw = async (q) => (q.args.length === 0 ? (await db.executeScript(q.sql), 0) : executeRaw(q));
    return db;
  };
  return factory;
}

interface PgFieldLike {
  dataTypeID: number;
}
interface PgResultPrototype {
  addFields(fields: PgFieldLike[]): void;
}

let pgPatched = false;

/** PostgreSQL: three fixes, see each comment. */
export function postgresMigrationAdapter(databaseUrl: string): PrismaPg {
  const url = new URL(databaseUrl);
  // Discrete fields, not connectionString: PrismaPg builds the shadow pool as {...config, database}.
  const cfg = {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    allowExitOnIdle: true,
  };
  if (!pgPatched) {
    pgPatched = true;
    // 1. adapter-pg 6.19.3 cannot map catalog types "char" (18) and name (19) (prisma/orm#27403).
    const proto = (pg as unknown as { Result: { prototype: PgResultPrototype } }).Result.prototype;
    const addFields = proto.addFields;
    proto.addFields = function (this: PgResultPrototype, fields: PgFieldLike[]) {
      for (const f of fields) if (f.dataTypeID === 18 || f.dataTypeID === 19) f.dataTypeID = 25;
      return addFields.call(this, fields);
    };
    // 2. The wasm engine arms 10 s / 60 s timers it never clears; they must not keep the CLI alive.
    const setTimeoutOriginal = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t = setTimeoutOriginal(fn, ms, ...args);
      if ((ms ?? 0) >= 10_000) t.unref();
      return t;
    }) as typeof setTimeout;
  }
  const factory = new PrismaPg(cfg);
  // 3. connectToShadowDb() drops the shadow DB while its own pool is still connected.
  factory.connectToShadowDb = async () => {
    const main = await factory.connect();
    const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = await new PrismaPg({ ...cfg, database: name }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      await main.dispose();
    };
    return shadow;
  };
  return factory;
}
