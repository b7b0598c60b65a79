-- The flavors of a move, kept with the migration so a revert can restore the old one.
ALTER TABLE "migrations" ADD COLUMN "oldFlavor" TEXT;
ALTER TABLE "migrations" ADD COLUMN "newFlavor" TEXT;
