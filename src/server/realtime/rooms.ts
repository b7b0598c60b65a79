// Room names of the live channels. Browsers join their project's room (admins also `admin`), and
// an instance's room while they look at it; each agent socket joins its host's room, so RPCs reach
// the agent through whichever controller replica holds its connection.
export const rooms = {
  project: (projectId: string) => `project:${projectId}`,
  instance: (uuid: string) => `instance:${uuid}`,
  admin: "admin",
  host: (host: string) => `host:${host}`,
  /** Browsers watching an instance's console log (joined through the instance room's check). */
  console: (uuid: string) => `console:${uuid}`,
  /** Admins whose Log Viewer follows the log store. */
  logs: "logs",
} as const;
