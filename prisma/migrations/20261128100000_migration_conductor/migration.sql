-- The controller whose conductor drives a live migration, so another can take over one it left.
ALTER TABLE "migrations" ADD COLUMN "conductorHost" TEXT;

-- Finished moves by age, for the resize confirm window's periodic pass.
CREATE INDEX "migrations_status_updatedAt_idx" ON "migrations"("status", "updatedAt");
