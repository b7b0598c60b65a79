-- DropIndex
DROP INDEX "flavors_name_key";

-- AlterTable
ALTER TABLE "flavors" ADD COLUMN     "deleted" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "deletedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "flavors_name_deleted_key" ON "flavors"("name", "deleted");
