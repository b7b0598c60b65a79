-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "projects" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "email" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("userId","projectId")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "services" (
    "id" SERIAL NOT NULL,
    "binary" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "topic" TEXT NOT NULL DEFAULT '',
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "disabledReason" TEXT,
    "forcedDown" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" TIMESTAMP(3),
    "reportCount" INTEGER NOT NULL DEFAULT 0,
    "version" TEXT NOT NULL DEFAULT '',
    "pid" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "services_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "compute_nodes" (
    "id" SERIAL NOT NULL,
    "serviceId" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "hypervisorHostname" TEXT NOT NULL,
    "hypervisorType" TEXT NOT NULL,
    "hypervisorVersion" INTEGER NOT NULL,
    "libvirtUri" TEXT NOT NULL DEFAULT '',
    "cpuModel" TEXT NOT NULL DEFAULT '',
    "cpuInfo" TEXT NOT NULL DEFAULT '{}',
    "vcpus" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "localGb" INTEGER NOT NULL,
    "vcpusUsed" INTEGER NOT NULL DEFAULT 0,
    "memoryMbUsed" INTEGER NOT NULL DEFAULT 0,
    "localGbUsed" INTEGER NOT NULL DEFAULT 0,
    "runningVms" INTEGER NOT NULL DEFAULT 0,
    "cpuAllocationRatio" DOUBLE PRECISION NOT NULL DEFAULT 16.0,
    "ramAllocationRatio" DOUBLE PRECISION NOT NULL DEFAULT 1.5,
    "diskAllocationRatio" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "reservedHostCpus" INTEGER NOT NULL DEFAULT 0,
    "reservedHostMemoryMb" INTEGER NOT NULL DEFAULT 512,
    "reservedHostDiskMb" INTEGER NOT NULL DEFAULT 0,
    "failedBuilds" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "compute_nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_credentials" (
    "host" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_credentials_pkey" PRIMARY KEY ("host")
);

-- CreateTable
CREATE TABLE "flavors" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "rootGb" INTEGER NOT NULL,
    "ephemeralGb" INTEGER NOT NULL DEFAULT 0,
    "swapMb" INTEGER NOT NULL DEFAULT 0,
    "rxtxFactor" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "isPublic" BOOLEAN NOT NULL DEFAULT true,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT,
    "extraSpecs" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "flavors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flavor_access" (
    "flavorId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,

    CONSTRAINT "flavor_access_pkey" PRIMARY KEY ("flavorId","projectId")
);

-- CreateTable
CREATE TABLE "images" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "diskFormat" TEXT NOT NULL,
    "containerFormat" TEXT NOT NULL DEFAULT 'bare',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "visibility" TEXT NOT NULL DEFAULT 'public',
    "ownerProjectId" TEXT,
    "size" BIGINT,
    "virtualSize" BIGINT,
    "checksum" TEXT,
    "minDiskGb" INTEGER NOT NULL DEFAULT 0,
    "minRamMb" INTEGER NOT NULL DEFAULT 0,
    "protected" BOOLEAN NOT NULL DEFAULT false,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "images_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instances" (
    "uuid" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "flavorId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "rootGb" INTEGER NOT NULL,
    "ephemeralGb" INTEGER NOT NULL DEFAULT 0,
    "swapMb" INTEGER NOT NULL DEFAULT 0,
    "vmState" TEXT NOT NULL,
    "taskState" TEXT,
    "powerState" INTEGER NOT NULL DEFAULT 0,
    "taskStartedAt" TIMESTAMP(3),
    "host" TEXT,
    "node" TEXT,
    "availabilityZone" TEXT,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "step" TEXT,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "lockedBy" TEXT,
    "lockedReason" TEXT,
    "serverGroupId" TEXT,
    "keyName" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "launchedAt" TIMESTAMP(3),
    "terminatedAt" TIMESTAMP(3),
    "deletedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("uuid")
);

-- CreateTable
CREATE TABLE "instance_faults" (
    "id" SERIAL NOT NULL,
    "instanceUuid" TEXT NOT NULL,
    "code" INTEGER NOT NULL,
    "message" TEXT NOT NULL,
    "details" TEXT,
    "host" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_faults_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_actions" (
    "id" SERIAL NOT NULL,
    "action" TEXT NOT NULL,
    "instanceUuid" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "startTime" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishTime" TIMESTAMP(3),
    "message" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instance_actions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_action_events" (
    "id" SERIAL NOT NULL,
    "actionId" INTEGER NOT NULL,
    "event" TEXT NOT NULL,
    "startTime" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishTime" TIMESTAMP(3),
    "result" TEXT,
    "traceback" TEXT,
    "details" TEXT,
    "host" TEXT,

    CONSTRAINT "instance_action_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "migrations" (
    "id" SERIAL NOT NULL,
    "instanceUuid" TEXT NOT NULL,
    "migrationType" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sourceCompute" TEXT,
    "destCompute" TEXT,
    "sourceNode" TEXT,
    "destNode" TEXT,
    "oldFlavorId" TEXT,
    "newFlavorId" TEXT,
    "memoryTotal" BIGINT,
    "memoryProcessed" BIGINT,
    "memoryRemaining" BIGINT,
    "diskTotal" BIGINT,
    "diskProcessed" BIGINT,
    "diskRemaining" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "migrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "server_groups" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "rules" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "server_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "aggregates" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "availabilityZone" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "aggregates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "aggregate_hosts" (
    "aggregateId" INTEGER NOT NULL,
    "host" TEXT NOT NULL,

    CONSTRAINT "aggregate_hosts_pkey" PRIMARY KEY ("aggregateId","host")
);

-- CreateTable
CREATE TABLE "allocations" (
    "id" SERIAL NOT NULL,
    "consumerId" TEXT NOT NULL,
    "instanceUuid" TEXT NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "diskGb" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "allocations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "log_records" (
    "id" SERIAL NOT NULL,
    "time" TIMESTAMP(3) NOT NULL,
    "level" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "binary" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "module" TEXT NOT NULL,
    "requestId" TEXT,
    "userId" TEXT,
    "projectId" TEXT,
    "instanceUuid" TEXT,
    "message" TEXT NOT NULL,
    "source" TEXT,

    CONSTRAINT "log_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "projects_name_key" ON "projects"("name");

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");

-- CreateIndex
CREATE INDEX "sessions_userId_idx" ON "sessions"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "services_binary_host_key" ON "services"("binary", "host");

-- CreateIndex
CREATE UNIQUE INDEX "compute_nodes_serviceId_key" ON "compute_nodes"("serviceId");

-- CreateIndex
CREATE UNIQUE INDEX "compute_nodes_host_key" ON "compute_nodes"("host");

-- CreateIndex
CREATE UNIQUE INDEX "flavors_name_key" ON "flavors"("name");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_createdAt_idx" ON "instances"("projectId", "deletedAt", "createdAt");

-- CreateIndex
CREATE INDEX "instances_host_idx" ON "instances"("host");

-- CreateIndex
CREATE INDEX "instances_vmState_idx" ON "instances"("vmState");

-- CreateIndex
CREATE INDEX "instance_faults_instanceUuid_createdAt_idx" ON "instance_faults"("instanceUuid", "createdAt");

-- CreateIndex
CREATE INDEX "instance_actions_instanceUuid_startTime_idx" ON "instance_actions"("instanceUuid", "startTime");

-- CreateIndex
CREATE INDEX "instance_actions_requestId_idx" ON "instance_actions"("requestId");

-- CreateIndex
CREATE INDEX "instance_action_events_actionId_idx" ON "instance_action_events"("actionId");

-- CreateIndex
CREATE INDEX "migrations_instanceUuid_idx" ON "migrations"("instanceUuid");

-- CreateIndex
CREATE UNIQUE INDEX "aggregates_name_key" ON "aggregates"("name");

-- CreateIndex
CREATE INDEX "allocations_instanceUuid_idx" ON "allocations"("instanceUuid");

-- CreateIndex
CREATE UNIQUE INDEX "allocations_consumerId_nodeId_key" ON "allocations"("consumerId", "nodeId");

-- CreateIndex
CREATE INDEX "log_records_time_idx" ON "log_records"("time");

-- CreateIndex
CREATE INDEX "log_records_requestId_idx" ON "log_records"("requestId");

-- CreateIndex
CREATE INDEX "log_records_instanceUuid_time_idx" ON "log_records"("instanceUuid", "time");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "compute_nodes" ADD CONSTRAINT "compute_nodes_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "services"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "flavor_access" ADD CONSTRAINT "flavor_access_flavorId_fkey" FOREIGN KEY ("flavorId") REFERENCES "flavors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "flavor_access" ADD CONSTRAINT "flavor_access_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_serverGroupId_fkey" FOREIGN KEY ("serverGroupId") REFERENCES "server_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_faults" ADD CONSTRAINT "instance_faults_instanceUuid_fkey" FOREIGN KEY ("instanceUuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_actions" ADD CONSTRAINT "instance_actions_instanceUuid_fkey" FOREIGN KEY ("instanceUuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_action_events" ADD CONSTRAINT "instance_action_events_actionId_fkey" FOREIGN KEY ("actionId") REFERENCES "instance_actions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_instanceUuid_fkey" FOREIGN KEY ("instanceUuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "server_groups" ADD CONSTRAINT "server_groups_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "aggregate_hosts" ADD CONSTRAINT "aggregate_hosts_aggregateId_fkey" FOREIGN KEY ("aggregateId") REFERENCES "aggregates"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "compute_nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_instanceUuid_fkey" FOREIGN KEY ("instanceUuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

