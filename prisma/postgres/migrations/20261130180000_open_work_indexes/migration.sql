-- The queue's two indexes hold open work only (PENDING or RETRYING: nextAttemptAt set). A finished
-- delivery then leaves them instead of staying forever, so they stay the size of the queue, and
-- the update that finishes a delivery writes two index entries fewer. Every query that reads them
-- compares nextAttemptAt (<= now, or IS NOT NULL), which both databases take as implying the
-- index's condition.

-- DropIndex
DROP INDEX "Delivery_nextAttemptAt_id_idx";

-- DropIndex
DROP INDEX "Delivery_webhookId_nextAttemptAt_id_idx";

-- CreateIndex
CREATE INDEX "Delivery_nextAttemptAt_id_idx" ON "Delivery"("nextAttemptAt", "id") WHERE "nextAttemptAt" IS NOT NULL;

-- CreateIndex
CREATE INDEX "Delivery_webhookId_nextAttemptAt_id_idx" ON "Delivery"("webhookId", "nextAttemptAt", "id") WHERE "nextAttemptAt" IS NOT NULL;
