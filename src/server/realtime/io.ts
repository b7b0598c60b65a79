// The process's Socket.IO server, shared through globalThis because Next's route bundles and the
// tsx-loaded server.ts are separate module graphs in one process.
import type { Server } from "socket.io";

const holder = globalThis as unknown as { stratusIo?: Server };

export function setIo(io: Server): void {
  holder.stratusIo = io;
}

/** The Socket.IO server, or undefined in processes without one (scripts, unit tests). */
export function getIo(): Server | undefined {
  return holder.stratusIo;
}
