-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_flavors" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "rootGb" INTEGER NOT NULL,
    "ephemeralGb" INTEGER NOT NULL DEFAULT 0,
    "swapMb" INTEGER NOT NULL DEFAULT 0,
    "rxtxFactor" REAL NOT NULL DEFAULT 1.0,
    "isPublic" BOOLEAN NOT NULL DEFAULT true,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT,
    "extraSpecs" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted" TEXT NOT NULL DEFAULT '',
    "deletedAt" DATETIME
);
INSERT INTO "new_flavors" ("createdAt", "description", "disabled", "ephemeralGb", "extraSpecs", "id", "isPublic", "memoryMb", "name", "rootGb", "rxtxFactor", "swapMb", "vcpus") SELECT "createdAt", "description", "disabled", "ephemeralGb", "extraSpecs", "id", "isPublic", "memoryMb", "name", "rootGb", "rxtxFactor", "swapMb", "vcpus" FROM "flavors";
DROP TABLE "flavors";
ALTER TABLE "new_flavors" RENAME TO "flavors";
CREATE UNIQUE INDEX "flavors_name_deleted_key" ON "flavors"("name", "deleted");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

