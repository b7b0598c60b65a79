// Test data through the API, not the UI: the same tRPC endpoint the CLI uses, with the page's own
// session cookie (page.request shares the browser context's cookies). Specs set up and clean up
// with these and keep the UI for what they test.
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { credentials } from "../fixtures/env";
import type { Login } from "./dashboard";

interface TrpcOk<T> {
  result: { data: { json: T } };
}

export async function trpcQuery<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${path}${qs}`);
  expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as TrpcOk<T>).result.data.json;
}

export async function trpcMutation<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as TrpcOk<T>).result.data.json;
}

/** Logs in by API (no form) and opens the Instances page with the live channel up. */
export async function logInByApi(page: Page, who: Login = "admin"): Promise<void> {
  const { username, password } = credentials[who];
  await trpcMutation(page.request, "auth.login", { username, password });
  await page.goto("/instances");
  await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "connected");
}

export async function tinyFlavorId(request: APIRequestContext): Promise<string> {
  const flavors = await trpcQuery<{ id: string; name: string }[]>(request, "flavor.list");
  const tiny = flavors.find((f) => f.name === "m1.tiny");
  if (!tiny) throw new Error("m1.tiny is not seeded");
  return tiny.id;
}

export async function activeImageId(request: APIRequestContext): Promise<string> {
  const images = await trpcQuery<{ id: string; status: string; visibility: string }[]>(request, "image.list");
  const image = images.find((i) => i.status === "active" && i.visibility === "public");
  if (!image) throw new Error("no active public image is seeded");
  return image.id;
}

export interface CreatedInstance {
  uuid: string;
  name: string;
}

/** Launches one m1.tiny instance in the session's project; returns at once (the build runs on). */
export async function createInstance(request: APIRequestContext, name: string): Promise<CreatedInstance> {
  const [flavorId, imageId] = await Promise.all([tinyFlavorId(request), activeImageId(request)]);
  const created = await trpcMutation<{ instances: CreatedInstance[] }>(request, "server.create", { name, flavorId, imageId, count: 1 });
  const instance = created.instances[0];
  if (!instance) throw new Error("server.create returned no instance");
  return instance;
}

export interface InstanceState {
  uuid: string;
  status: string;
  taskState: string | null;
  locked: boolean;
  host: string | null;
  /** Nova's addresses: network name → its fixed IPs. */
  addresses: Record<string, { address: string; macAddress: string }[]>;
}

export function getInstance(request: APIRequestContext, uuid: string): Promise<InstanceState> {
  return trpcQuery<InstanceState>(request, "server.get", { id: uuid });
}

export interface ActionRecord {
  action: string;
  requestId: string;
  finishTime: string | null;
  message: string | null;
  events: { event: string; result: string | null; details: string | null }[];
}

export function listActions(request: APIRequestContext, uuid: string): Promise<ActionRecord[]> {
  return trpcQuery<ActionRecord[]>(request, "server.actions", { id: uuid });
}

/** Deletes the instance and waits until the API no longer lists it (best effort: it may be gone). */
export async function deleteInstance(request: APIRequestContext, uuid: string): Promise<void> {
  const res = await request.post("/api/trpc/server.delete", { data: { json: { id: uuid } } });
  if (!res.ok() && res.status() !== 404) {
    // A locked instance: lift the lock (as admin or owner) and try once more.
    await request.post("/api/trpc/server.unlock", { data: { json: { id: uuid } } });
    await request.post("/api/trpc/server.delete", { data: { json: { id: uuid } } });
  }
  await expect
    .poll(async () => (await request.get(`/api/trpc/server.get?input=${encodeURIComponent(JSON.stringify({ json: { id: uuid } }))}`)).status(), {
      timeout: 45_000,
      message: `instance ${uuid} is deleted`,
    })
    .toBe(404);
}

export interface CreatedFlavor {
  id: string;
  name: string;
}

/** Creates a flavor as an admin (the page's session must be one). */
export function createFlavor(request: APIRequestContext, input: { name: string; vcpus?: number; memoryMb?: number; rootGb?: number; isPublic?: boolean }): Promise<CreatedFlavor> {
  return trpcMutation<CreatedFlavor>(request, "flavor.create", { vcpus: 1, memoryMb: 256, rootGb: 1, ...input });
}

/** Deletes a flavor if it still exists (cleanup after a test that may have deleted it itself). */
export async function deleteFlavorIfPresent(request: APIRequestContext, id: string): Promise<void> {
  const flavors = await trpcQuery<CreatedFlavor[]>(request, "flavor.adminList");
  if (flavors.some((f) => f.id === id)) await trpcMutation(request, "flavor.delete", { id });
}

/** Enables or disables a compute host's service by API, as another admin would. */
export async function setComputeService(request: APIRequestContext, host: string, enabled: boolean, reason?: string): Promise<void> {
  const target = { host, binary: "stratus-compute" };
  if (enabled) await trpcMutation(request, "service.enable", target);
  else await trpcMutation(request, "service.disable", { ...target, reason });
}
