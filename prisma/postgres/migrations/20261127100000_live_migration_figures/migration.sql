-- Live migration figures: transfer rate, time left, the guest's downtime, and whether it was forced.
ALTER TABLE "migrations" ADD COLUMN "bytesPerSecond" BIGINT;
ALTER TABLE "migrations" ADD COLUMN "etaSeconds" INTEGER;
ALTER TABLE "migrations" ADD COLUMN "downtimeMs" INTEGER;
ALTER TABLE "migrations" ADD COLUMN "forced" BOOLEAN NOT NULL DEFAULT false;
