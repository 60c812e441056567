-- CreateIndex
CREATE INDEX "AuditEvent_environmentId_actorLabel_ts_idx" ON "AuditEvent"("environmentId", "actorLabel", "ts" DESC);
