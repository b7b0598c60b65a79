// Compute agents authenticate with their host's token, on the /agent socket and on HTTP (image
// downloads). The database keeps only the token's sha256; comparison is constant-time.
import { createHash, timingSafeEqual } from "node:crypto";
import { db } from "@/server/db";

export function hashAgentToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** True when `token` is the credential of compute host `host`. */
export async function verifyAgentToken(host: string, token: string): Promise<boolean> {
  if (!host || host.length > 255 || !token || token.length > 256) return false;
  const credential = await db.agentCredential.findUnique({ where: { host } });
  if (!credential) return false;
  const expected = Buffer.from(credential.tokenHash, "hex");
  const actual = Buffer.from(hashAgentToken(token), "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
