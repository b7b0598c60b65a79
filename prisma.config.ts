import path from "node:path";
import { defineConfig } from "prisma/config";
import { postgresMigrationAdapter, sqliteMigrationAdapter } from "./prisma/adapter-fixes";

// One schema per provider (Prisma fixes the provider per schema); prisma/postgres/ is generated from
// prisma/schema.prisma by scripts/prisma-schemas.mjs. DATABASE_URL picks which one the CLI works on.
const url = process.env.DATABASE_URL ?? "file:./var/stratus.db";
const postgres = /^postgres(ql)?:\/\//.test(url);
const dir = postgres ? path.join("prisma", "postgres") : "prisma";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(dir, "schema.prisma"),
  migrations: { path: path.join(dir, "migrations") },
  adapter: async () => (postgres ? postgresMigrationAdapter(url) : sqliteMigrationAdapter(url)),
});
