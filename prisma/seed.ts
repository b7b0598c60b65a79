// Seeds what a new cloud needs to be usable: Nova's default flavors, the admin and demo projects
// and users, one credential per compute agent, and one public image. Idempotent: every write is an
// upsert, and secrets are created only when missing, so `npm start` runs it on every start.
//
//   DATABASE_URL               the database (default file:./var/stratus.db)
//   STRATUS_ADMIN_PASSWORD     set/reset the admin password (default: random on first seed only)
//   STRATUS_DEMO_PASSWORD      same for demo
//   STRATUS_CREDENTIALS_FILE   where passwords set by this run are recorded (default var/credentials.txt)
//   STRATUS_SEED_AGENT_HOSTS   comma list of compute hosts (default compute-1,compute-2)
//   STRATUS_AGENTS_DIR         token files go to <dir>/<host>/token (default var/agents)
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { db } from "../src/server/db";
import { hashPassword, verifyPassword } from "../src/server/auth/password";

const root = path.resolve(import.meta.dirname, "..");
const credentialsFile = path.resolve(process.env.STRATUS_CREDENTIALS_FILE ?? path.join(root, "var/credentials.txt"));
const agentsDir = path.resolve(process.env.STRATUS_AGENTS_DIR ?? path.join(root, "var/agents"));
const agentHosts = (process.env.STRATUS_SEED_AGENT_HOSTS ?? "compute-1,compute-2")
  .split(",")
  .map((h) => h.trim())
  .filter(Boolean);

/** Nova's default flavors (nova-manage's historical m1.* set), value for value. */
const FLAVORS = [
  { id: "1", name: "m1.tiny", vcpus: 1, memoryMb: 512, rootGb: 1 },
  { id: "2", name: "m1.small", vcpus: 1, memoryMb: 2048, rootGb: 20 },
  { id: "3", name: "m1.medium", vcpus: 2, memoryMb: 4096, rootGb: 40 },
  { id: "4", name: "m1.large", vcpus: 4, memoryMb: 8192, rootGb: 80 },
  { id: "5", name: "m1.xlarge", vcpus: 8, memoryMb: 16384, rootGb: 160 },
];

const LOGINS = [
  { username: "admin", project: "admin", role: "admin", envPassword: "STRATUS_ADMIN_PASSWORD" },
  { username: "demo", project: "demo", role: "member", envPassword: "STRATUS_DEMO_PASSWORD" },
] as const;

/** A fixed id, so reseeding finds the same row; its bytes are uploaded separately. */
const CIRROS_TINY_IMAGE_ID = "5e0c2b4e-7a1d-4c3b-9f1e-0c1a2b3c4d5e";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function writeSecret(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync's mode applies only when it creates the file
}

/** username → password, as recorded by earlier seeds. */
function readCredentials(): Map<string, string> {
  const known = new Map<string, string>();
  if (!existsSync(credentialsFile)) return known;
  for (const line of readFileSync(credentialsFile, "utf8").split("\n")) {
    const match = /^([A-Za-z0-9_.-]+)\s+(\S+)$/.exec(line.trim());
    if (match && !line.startsWith("#")) known.set(match[1]!, match[2]!);
  }
  return known;
}

function writeCredentials(known: Map<string, string>): void {
  const lines = ["# Stratus dashboard logins, recorded by prisma/seed.ts when it set them: <username> <password>"];
  for (const [username, password] of known) lines.push(`${username} ${password}`);
  writeSecret(credentialsFile, `${lines.join("\n")}\n`);
}

async function seedFlavors(): Promise<void> {
  for (const { id, ...spec } of FLAVORS) {
    await db.flavor.upsert({ where: { id }, create: { id, ...spec }, update: spec });
  }
}

/** Returns the passwords this run set (new users, or an env override that differed). */
async function seedLogins(): Promise<Map<string, string>> {
  const changed = new Map<string, string>();
  for (const login of LOGINS) {
    const project = await db.project.upsert({
      where: { name: login.project },
      create: { name: login.project, description: `The ${login.project} project` },
      update: {},
    });
    const wanted = process.env[login.envPassword] || undefined;
    const existing = await db.user.findUnique({ where: { username: login.username } });
    let userId = existing?.id;
    if (!existing) {
      const password = wanted ?? randomBytes(12).toString("base64url");
      const user = await db.user.create({
        data: { username: login.username, passwordHash: await hashPassword(password) },
      });
      userId = user.id;
      changed.set(login.username, password);
    } else if (wanted && !(await verifyPassword(wanted, existing.passwordHash))) {
      await db.user.update({ where: { id: existing.id }, data: { passwordHash: await hashPassword(wanted) } });
      changed.set(login.username, wanted);
    }
    await db.membership.upsert({
      where: { userId_projectId: { userId: userId!, projectId: project.id } },
      create: { userId: userId!, projectId: project.id, role: login.role },
      update: { role: login.role },
    });
  }
  return changed;
}

/** A token file per host (created once, mode 600) and the matching credential row. */
async function seedAgentCredentials(): Promise<void> {
  for (const host of agentHosts) {
    const tokenFile = path.join(agentsDir, host, "token");
    if (!existsSync(tokenFile)) writeSecret(tokenFile, `${randomBytes(32).toString("hex")}\n`);
    const tokenHash = sha256(readFileSync(tokenFile, "utf8").trim());
    await db.agentCredential.upsert({ where: { host }, create: { host, tokenHash }, update: { tokenHash } });
  }
}

async function seedImages(): Promise<void> {
  await db.image.upsert({
    where: { id: CIRROS_TINY_IMAGE_ID },
    create: {
      id: CIRROS_TINY_IMAGE_ID,
      name: "cirros-tiny",
      status: "active",
      diskFormat: "raw",
      containerFormat: "bare",
      visibility: "public",
      properties: JSON.stringify({ hw_architecture: "x86_64" }),
    },
    update: {}, // later uploads set size and checksum; reseeding must not undo them
  });
}

async function main(): Promise<void> {
  await seedFlavors();
  const changed = await seedLogins();
  await seedAgentCredentials();
  await seedImages();
  if (changed.size > 0) {
    const known = readCredentials();
    for (const [username, password] of changed) {
      known.set(username, password);
      console.log(`seed: login ${username} / ${password}`);
    }
    writeCredentials(known);
    console.log(`seed: logins recorded in ${credentialsFile}`);
  }
  console.log(
    `seed: ${FLAVORS.length} flavors, ${LOGINS.length} projects and users, agent tokens for ${agentHosts.join(", ")}, 1 image`,
  );
}

main()
  .catch((error: unknown) => {
    console.error("seed failed:", error);
    process.exitCode = 1;
  })
  .finally(() => db.$disconnect());
