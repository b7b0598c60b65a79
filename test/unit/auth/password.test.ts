import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/server/auth/password";

describe("password hashing", () => {
  it("stores scrypt parameters, salt and key in one string", async () => {
    const stored = await hashPassword("correct horse");
    const [scheme, n, r, p, salt, key] = stored.split("$");
    expect([scheme, n, r, p]).toEqual(["scrypt", "16384", "8", "1"]);
    expect(Buffer.from(salt!, "base64")).toHaveLength(16);
    expect(Buffer.from(key!, "base64")).toHaveLength(64);
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const stored = await hashPassword("correct horse");
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horse ", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("rejects malformed or hostile stored values instead of throwing", async () => {
    const stored = await hashPassword("pw");
    const parts = stored.split("$");
    for (const bad of [
      "",
      "plain",
      `bcrypt$${parts.slice(1).join("$")}`,
      ["scrypt", "16383", ...parts.slice(2)].join("$"), // N not a power of two
      ["scrypt", String(1 << 30), ...parts.slice(2)].join("$"), // N absurdly large
      [...parts.slice(0, 5), ""].join("$"), // no key
    ]) {
      expect(await verifyPassword("pw", bad)).toBe(false);
    }
  });
});
