-- The queue reads due work in (nextAttemptAt, id) order: with the time alone, every claim sorted
-- all the deliveries due at the same millisecond (a burst, a fan-out) to take the first few. The
-- claim looks past webhooks at their cap webhook by webhook: (webhookId, nextAttemptAt, id).

-- DropIndex
DROP INDEX "Delivery_nextAttemptAt_idx";

-- CreateIndex
CREATE INDEX "Delivery_nextAttemptAt_id_idx" ON "Delivery"("nextAttemptAt", "id");

-- CreateIndex
CREATE INDEX "Delivery_webhookId_nextAttemptAt_id_idx" ON "Delivery"("webhookId", "nextAttemptAt", "id");
