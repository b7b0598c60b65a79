// The migration history applies cleanly to an empty database of each kind, leaves nothing pending,
// and matches the schema (no model change without its migration). This also keeps the workarounds
// in prisma/adapter-fixes.ts honest: `migrate diff --from-migrations` replays every migration on a
// shadow database, the path Prisma 6.19.3's offline engine gets wrong without them.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFreshDatabase, isPostgres, prisma, query, repoRoot, tempDir, testDatabaseUrl } from "./harness";

const migrationNames = (dir: string) =>
  readdirSync(path.join(repoRoot, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

const databases = [
  { kind: "SQLite", dir: "prisma", fresh: async () => `file:${path.join(tempDir("stratus-mig-"), "fresh.db")}` },
  ...(isPostgres(testDatabaseUrl() ?? "")
    ? [{ kind: "PostgreSQL", dir: "prisma/postgres", fresh: createFreshDatabase }]
    : []),
];

it("SQLite and PostgreSQL have the same migration history", () => {
  expect(migrationNames("prisma/postgres/migrations")).toEqual(migrationNames("prisma/migrations"));
});

describe.each(databases)("$kind migrations", ({ dir, fresh }) => {
  it("apply to a fresh database, after which status reports it up to date", async () => {
    const url = await fresh();
    const deploy = await prisma(url, ["migrate", "deploy"]);
    expect(deploy.stdout).toMatch(/successfully applied|No pending migrations/);

    const status = await prisma(url, ["migrate", "status"]);
    expect(status.stdout).toContain("Database schema is up to date!");

    const applied = await query<{ migration_name: string; finished_at: unknown }>(
      url,
      "SELECT migration_name, finished_at FROM _prisma_migrations",
    );
    expect(applied.map((m) => m.migration_name).sort()).toEqual(migrationNames(`${dir}/migrations`));
    expect(applied.every((m) => m.finished_at !== null)).toBe(true);

    // A second deploy is a no-op (npm start runs it on every start).
    expect((await prisma(url, ["migrate", "deploy"])).stdout).toContain("No pending migrations");
  });

  it("match the schema (every model change has its migration)", async () => {
    const url = await fresh();
    const diff = await prisma(url, [
      "migrate",
      "diff",
      "--from-migrations",
      `${dir}/migrations`,
      "--to-schema-datamodel",
      `${dir}/schema.prisma`,
      "--exit-code",
    ]);
    expect(diff.stdout).toContain("No difference detected");
  });
});
