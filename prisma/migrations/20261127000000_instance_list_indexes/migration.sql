-- The Instances list: one index per sort key, led by the project scope, ending in the uuid tiebreak.
-- DropIndex
DROP INDEX "instances_projectId_deletedAt_createdAt_idx";

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_createdAt_uuid_idx" ON "instances"("projectId", "deletedAt", "createdAt", "uuid");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_updatedAt_uuid_idx" ON "instances"("projectId", "deletedAt", "updatedAt", "uuid");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_displayName_uuid_idx" ON "instances"("projectId", "deletedAt", "displayName", "uuid");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_vmState_taskState_uuid_idx" ON "instances"("projectId", "deletedAt", "vmState", "taskState", "uuid");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_host_uuid_idx" ON "instances"("projectId", "deletedAt", "host", "uuid");

-- CreateIndex
CREATE INDEX "instances_projectId_deletedAt_availabilityZone_uuid_idx" ON "instances"("projectId", "deletedAt", "availabilityZone", "uuid");

-- CreateIndex
CREATE INDEX "instances_project_flavor_size_idx" ON "instances"("projectId", "deletedAt", "memoryMb", "vcpus", "rootGb", "flavorId", "uuid");

