-- Fixed IPs: networks (one IPv4 subnet each) and the addresses instances hold on them.
-- CreateTable
CREATE TABLE "networks" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cidr" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "networks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fixed_ips" (
    "id" SERIAL NOT NULL,
    "networkId" TEXT NOT NULL,
    "address" BIGINT NOT NULL,
    "macAddress" TEXT NOT NULL,
    "instanceUuid" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fixed_ips_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "networks_name_key" ON "networks"("name");

-- CreateIndex
CREATE UNIQUE INDEX "fixed_ips_macAddress_key" ON "fixed_ips"("macAddress");

-- CreateIndex
CREATE INDEX "fixed_ips_address_idx" ON "fixed_ips"("address");

-- CreateIndex
CREATE INDEX "fixed_ips_instanceUuid_address_idx" ON "fixed_ips"("instanceUuid", "address");

-- CreateIndex
CREATE UNIQUE INDEX "fixed_ips_networkId_address_key" ON "fixed_ips"("networkId", "address");

-- AddForeignKey
ALTER TABLE "fixed_ips" ADD CONSTRAINT "fixed_ips_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "networks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fixed_ips" ADD CONSTRAINT "fixed_ips_instanceUuid_fkey" FOREIGN KEY ("instanceUuid") REFERENCES "instances"("uuid") ON DELETE CASCADE ON UPDATE CASCADE;

