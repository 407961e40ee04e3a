-- Indexes for the panel's big tables (issue 17): the containers table's sort columns, the operations table
-- of every tenant by time, the audit table by actor and action.

-- CreateIndex
CREATE INDEX "Container_ctId_idx" ON "Container"("ctId");

-- CreateIndex
CREATE INDEX "Container_hostname_idx" ON "Container"("hostname");

-- CreateIndex
CREATE INDEX "Container_state_idx" ON "Container"("state");

-- CreateIndex
CREATE INDEX "Container_createdAt_idx" ON "Container"("createdAt");

-- CreateIndex
CREATE INDEX "Operation_createdAt_idx" ON "Operation"("createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_actor_idx" ON "AuditLog"("actor");

-- CreateIndex
CREATE INDEX "AuditLog_action_idx" ON "AuditLog"("action");
