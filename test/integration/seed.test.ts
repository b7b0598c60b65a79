// prisma/seed.ts on a fresh database: Nova's flavors, the two logins, agent tokens and the image;
// and a second run changes nothing (npm start seeds on every start).
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "@/server/auth/password";
import { createFreshDatabase, migrateDatabase, query, seedDatabase, tempDir } from "./harness";

describe("seed", () => {
  let url: string;
  let dir: string;
  const seed = (adminPassword = "admin-pw-1") =>
    seedDatabase(url, {
      adminPassword,
      demoPassword: "demo-pw-1",
      agentHosts: ["compute-1", "compute-9"],
      agentsDir: path.join(dir, "agents"),
      credentialsFile: path.join(dir, "credentials.txt"),
    });

  beforeAll(async () => {
    url = await createFreshDatabase();
    dir = tempDir("stratus-seed-");
    await migrateDatabase(url);
    await seed();
  });

  it("creates Nova's default flavors", async () => {
    const flavors = await query(url, `SELECT id, name, vcpus, "memoryMb", "rootGb" FROM flavors ORDER BY id`);
    expect(flavors).toEqual([
      { id: "1", name: "m1.tiny", vcpus: 1, memoryMb: 512, rootGb: 1 },
      { id: "2", name: "m1.small", vcpus: 1, memoryMb: 2048, rootGb: 20 },
      { id: "3", name: "m1.medium", vcpus: 2, memoryMb: 4096, rootGb: 40 },
      { id: "4", name: "m1.large", vcpus: 4, memoryMb: 8192, rootGb: 80 },
      { id: "5", name: "m1.xlarge", vcpus: 8, memoryMb: 16384, rootGb: 160 },
    ]);
  });

  it("creates admin (admin of project admin) and demo (member of project demo)", async () => {
    const rows = await query<{ username: string; project: string; role: string; passwordHash: string }>(
      url,
      `SELECT u.username, p.name AS project, m.role, u."passwordHash" FROM memberships m
       JOIN users u ON u.id = m."userId" JOIN projects p ON p.id = m."projectId" ORDER BY u.username`,
    );
    expect(rows.map(({ username, project, role }) => ({ username, project, role }))).toEqual([
      { username: "admin", project: "admin", role: "admin" },
      { username: "demo", project: "demo", role: "member" },
    ]);
    expect(await verifyPassword("admin-pw-1", rows[0]!.passwordHash)).toBe(true);
    expect(await verifyPassword("demo-pw-1", rows[1]!.passwordHash)).toBe(true);
    expect(statSync(path.join(dir, "credentials.txt")).mode & 0o777).toBe(0o600);
  });

  it("writes one token file per agent host (mode 600) and stores only its sha256", async () => {
    const creds = await query<{ host: string; tokenHash: string }>(
      url,
      `SELECT host, "tokenHash" FROM agent_credentials ORDER BY host`,
    );
    expect(creds.map((c) => c.host)).toEqual(["compute-1", "compute-9"]);
    for (const { host, tokenHash } of creds) {
      const file = path.join(dir, "agents", host, "token");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, "utf8").trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    }
  });

  it("registers the cirros-tiny image", async () => {
    const images = await query<{ name: string; status: string; diskFormat: string; properties: string }>(
      url,
      `SELECT name, status, "diskFormat", properties FROM images`,
    );
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ name: "cirros-tiny", status: "active", diskFormat: "raw" });
    expect(JSON.parse(images[0]!.properties)).toEqual({ hw_architecture: "x86_64" });
  });

  it("is idempotent, and an env password resets the stored one", async () => {
    const snapshot = async () => ({
      counts: await query(
        url,
        `SELECT (SELECT COUNT(*) FROM flavors) AS f, (SELECT COUNT(*) FROM users) AS u,
                (SELECT COUNT(*) FROM projects) AS p, (SELECT COUNT(*) FROM memberships) AS m,
                (SELECT COUNT(*) FROM images) AS i, (SELECT COUNT(*) FROM agent_credentials) AS a`,
      ),
      tokens: await query(url, `SELECT host, "tokenHash" FROM agent_credentials ORDER BY host`),
      demo: await query(url, `SELECT "passwordHash" FROM users WHERE username = 'demo'`),
    });
    const before = await snapshot();
    await seed("admin-pw-2");
    expect(await snapshot()).toEqual(before);
    const [admin] = await query<{ passwordHash: string }>(url, `SELECT "passwordHash" FROM users WHERE username = 'admin'`);
    expect(await verifyPassword("admin-pw-2", admin!.passwordHash)).toBe(true);
  });
});
