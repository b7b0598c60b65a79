-- A cold move's vm_state before it (Nova's old_vm_state): a revert starts the guest again only if it ran.
ALTER TABLE "migrations" ADD COLUMN "oldVmState" TEXT;
