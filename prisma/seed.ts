// Seeds what a new cloud needs to be usable: Nova's default flavors, the admin and demo projects
// and users, one credential per compute agent, one public image and the default network. Idempotent: every write is an
// upsert, and secrets are created only when missing, so `npm start` runs it on every start.
//
//   DATABASE_URL               the database (default file:./var/stratus.db)
//   STRATUS_ADMIN_PASSWORD     set/reset the admin password (default: random on first seed only)
//   STRATUS_DEMO_PASSWORD      same for demo
//   STRATUS_CREDENTIALS_FILE   where passwords set by this run are recorded (default var/credentials.txt)
//   STRATUS_SEED_AGENT_HOSTS   comma list of compute hosts (default compute-1,compute-2)
//   STRATUS_AGENTS_DIR         token files go to <dir>/<host>/token (default var/agents)
//   STRATUS_IMAGE_DIR          the image store, as the controller's (default var/images)
//   STRATUS_SEED_IMAGE         a raw image for cirros-tiny (default var/qemu/images/tiny.raw if built)
//   STRATUS_DEFAULT_NETWORK    the network instances get fixed IPs on, as the controller's (default private)
//   STRATUS_DEFAULT_NETWORK_CIDR  its subnet when the seed creates it (default 10.0.0.0/16)
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { db } from "../src/server/db";
import { hashPassword, verifyPassword } from "../src/server/auth/password";
import { describeImageFile, ensureImageFile, type ImageFileFacts } from "../src/server/images/image-file";
import { imageFilePath } from "../src/server/images/image-store";
import { ipv4CidrSchema } from "../src/lib/ipv4";

const root = path.resolve(import.meta.dirname, "..");
const credentialsFile = path.resolve(process.env.STRATUS_CREDENTIALS_FILE ?? path.join(root, "var/credentials.txt"));
const agentsDir = path.resolve(process.env.STRATUS_AGENTS_DIR ?? path.join(root, "var/agents"));
const imageDir = path.resolve(root, process.env.STRATUS_IMAGE_DIR ?? "var/images");
const agentHosts = (process.env.STRATUS_SEED_AGENT_HOSTS ?? "compute-1,compute-2")
  .split(",")
  .map((h) => h.trim())
  .filter(Boolean);

const networkEnv = z.object({
  STRATUS_DEFAULT_NETWORK: z.string().trim().min(1).default("private"),
  STRATUS_DEFAULT_NETWORK_CIDR: ipv4CidrSchema.prefault("10.0.0.0/16"),
});

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

/** A fixed id, so reseeding finds the same row (and agents' caches, keyed by id, stay valid). */
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

/**
 * cirros-tiny's bytes: the tiny test guest when scripts/qemu/build-guest-image.sh has built it
 * (or STRATUS_SEED_IMAGE names a raw image), else a blank 64 MiB raw disk. The first seed puts the
 * file into the image store and it is never replaced: an image's data is immutable, and agents
 * cache it by image id.
 */
async function cirrosTinyFacts(): Promise<ImageFileFacts> {
  const file = imageFilePath(CIRROS_TINY_IMAGE_ID, imageDir);
  const guest = process.env.STRATUS_SEED_IMAGE ?? path.join(root, "var/qemu/images/tiny.raw");
  await ensureImageFile(file, existsSync(guest) ? guest : null, 64 * 1024 * 1024);
  const row = await db.image.findUnique({ where: { id: CIRROS_TINY_IMAGE_ID } });
  // Already registered with this file: skip re-hashing it on every start.
  if (row?.checksum && row.size !== null && row.virtualSize !== null && Number(row.size) === statSync(file).size) {
    return { size: Number(row.size), sha256: row.checksum, virtualSize: Number(row.virtualSize) };
  }
  return describeImageFile(file, "raw");
}

async function seedImages(): Promise<void> {
  const facts = await cirrosTinyFacts();
  const data = { size: BigInt(facts.size), checksum: facts.sha256, virtualSize: BigInt(facts.virtualSize) };
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
      ...data,
    },
    update: data, // the stored file's facts; name, visibility and properties stay as an admin set them
  });
}

/**
 * The network instances get fixed IPs on. Created once: an existing network keeps its subnet, since
 * addresses may be allocated from it (change it by hand, with no instance holding an address).
 */
async function seedNetwork(): Promise<string> {
  const env = networkEnv.safeParse(process.env);
  if (!env.success) {
    throw new Error(`invalid configuration: ${env.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const { STRATUS_DEFAULT_NETWORK: name, STRATUS_DEFAULT_NETWORK_CIDR: subnet } = env.data;
  const network = await db.network.upsert({ where: { name }, create: { name, cidr: subnet.cidr }, update: {} });
  return `${network.name} ${network.cidr}`;
}

async function main(): Promise<void> {
  await seedFlavors();
  const changed = await seedLogins();
  await seedAgentCredentials();
  await seedImages();
  const network = await seedNetwork();
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
    `seed: ${FLAVORS.length} flavors, ${LOGINS.length} projects and users, agent tokens for ${agentHosts.join(", ")}, 1 image, network ${network}`,
  );
}

main()
  .catch((error: unknown) => {
    console.error("seed failed:", error);
    process.exitCode = 1;
  })
  .finally(() => db.$disconnect());
