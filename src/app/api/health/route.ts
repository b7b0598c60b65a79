import { db } from "@/server/db";

export const dynamic = "force-dynamic";

/** Liveness plus a database round trip, for start scripts and load balancers. */
export async function GET(): Promise<Response> {
  try {
    await db.$queryRawUnsafe("SELECT 1");
    return Response.json({ status: "ok" });
  } catch (err) {
    return Response.json({ status: "error", error: err instanceof Error ? err.message : String(err) }, { status: 503 });
  }
}
