// Derives prisma/postgres/schema.prisma from prisma/schema.prisma (the one edited by hand).
// `--check` exits 1 when the derived file is stale, so CI catches a forgotten regeneration.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";

const source = readFileSync("prisma/schema.prisma", "utf8");
const derived =
  "// GENERATED from prisma/schema.prisma by scripts/prisma-schemas.mjs; do not edit.\n" +
  source
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('output     = "../src/generated/sqlite"', 'output     = "../../src/generated/postgres"')
    .replace(/url\s+= "file:[^"]*"/, 'url      = "postgresql://localhost/stratus"');
const target = "prisma/postgres/schema.prisma";
if (process.argv.includes("--check")) {
  const current = existsSync(target) ? readFileSync(target, "utf8") : "";
  if (current !== derived) {
    console.error(`${target} is stale: run node scripts/prisma-schemas.mjs`);
    process.exit(1);
  }
} else {
  mkdirSync("prisma/postgres", { recursive: true });
  writeFileSync(target, derived);
}
