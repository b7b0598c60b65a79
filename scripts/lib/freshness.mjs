// "Is this output older than its inputs?" checks by modification time, so `npm start` and
// `npm test` redo installs, client generation and the Next build only when something changed.
// Only node builtins: this runs before node_modules exists.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** mtime in ms, or 0 when the path does not exist. */
export function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Newest mtime of the files under each path (recursively), or 0 if there are none. */
export function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      return;
    }
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(p)) visit(path.join(p, entry));
  };
  for (const p of paths) visit(p);
  return newest;
}

/** node_modules is missing, or package-lock.json changed since npm last installed it. */
export function installIsStale(root) {
  const installed = mtime(path.join(root, "node_modules/.package-lock.json"));
  return installed === 0 || mtime(path.join(root, "package-lock.json")) > installed;
}

/** The Prisma schema of each generated client, and the file generation writes last. */
export const PRISMA_CLIENTS = {
  sqlite: { schema: "prisma/schema.prisma", output: "src/generated/sqlite/client.ts" },
  postgres: { schema: "prisma/postgres/schema.prisma", output: "src/generated/postgres/client.ts" },
};

/** The generated client is missing or older than its schema or the installed Prisma. */
export function clientIsStale(root, which) {
  const { schema, output } = PRISMA_CLIENTS[which];
  const generated = mtime(path.join(root, output));
  const inputs = [schema, "node_modules/.package-lock.json"].map((f) => mtime(path.join(root, f)));
  return generated === 0 || Math.max(...inputs) > generated;
}

/** Everything `next build` reads that can change between runs. */
export const BUILD_INPUTS = [
  "src",
  "public",
  "next.config.js",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
];

/** .next/BUILD_ID is missing or older than any build input. */
export function buildIsStale(root) {
  const built = mtime(path.join(root, ".next/BUILD_ID"));
  return built === 0 || newestMtime(BUILD_INPUTS.map((p) => path.join(root, p))) > built;
}
