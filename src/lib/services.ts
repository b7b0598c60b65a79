// Service names shared by the server and the dashboard.

/** The compute agent's binary: the services the scheduler places instances on. */
export const COMPUTE_BINARY = "stratus-compute";
