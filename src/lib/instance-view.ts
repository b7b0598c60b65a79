// The shape of an instance as the API and the live channel present it: the row with its flavor and
// image names joined, its fixed IPs, the derived status and the latest fault. One type for tRPC and
// Socket.IO, so a pushed update can replace a cached row as is.
import type { ApiStatus } from "./states";

export interface InstanceFaultView {
  code: number;
  message: string;
  details: string | null;
  createdAt: string;
}

/** One address of an instance, as Nova's `addresses` lists it (addr, version, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr). */
export interface InstanceAddress {
  address: string;
  version: 4;
  type: "fixed";
  macAddress: string;
}

/** Network name → the instance's addresses on it, lowest first: Nova's `addresses`. */
export type InstanceAddresses = Record<string, InstanceAddress[]>;

export interface InstanceView {
  uuid: string;
  name: string;
  projectId: string;
  userId: string;
  imageId: string;
  imageName: string | null;
  flavorId: string;
  flavorName: string | null;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  vmState: string;
  taskState: string | null;
  powerState: number;
  status: ApiStatus;
  /** The compute host: for admins only (Nova's OS-EXT-SRV-ATTR:host); null for members. */
  host: string | null;
  /** Nova's hostId: an opaque per-project hash of the host, so anyone can tell hosts apart. */
  hostId: string | null;
  availabilityZone: string | null;
  addresses: InstanceAddresses;
  progress: number;
  /** The current step of the running operation, as last reported ("Defining domain"). */
  step: string | null;
  locked: boolean;
  fault: InstanceFaultView | null;
  /** VERIFY_RESIZE only: when the move confirms by itself (STRATUS_RESIZE_CONFIRM_WINDOW); else null. */
  autoConfirmAt: string | null;
  taskStartedAt: string | null;
  launchedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Live channel event names (Socket.IO namespace /ui). */
export const UI_NAMESPACE = "/ui";
export const UI_EVENTS = {
  instanceChanged: "instance:changed",
  instanceRemoved: "instance:removed",
  serviceChanged: "service:changed",
  actionChanged: "action:changed",
  /** A move of the instance changed (live migration figures, status): its viewers refetch. */
  migrationChanged: "migration:changed",
  /** New lines are in the log store: a following Log Viewer reads what came after its last line. */
  logsWritten: "logs:written",
  /** Browser → server: start or stop following the log store (admins only). */
  logsFollow: "logs:follow",
  logsUnfollow: "logs:unfollow",
} as const;

export interface InstanceRemovedEvent {
  uuid: string;
  projectId: string;
}

export interface ServiceView {
  id: number;
  binary: string;
  host: string;
  zone: string;
  status: "enabled" | "disabled";
  state: "up" | "down";
  disabledReason: string | null;
  forcedDown: boolean;
  version: string;
  lastSeenAt: string | null;
  updatedAt: string;
}

export interface ActionChangedEvent {
  uuid: string;
  requestId: string;
}
