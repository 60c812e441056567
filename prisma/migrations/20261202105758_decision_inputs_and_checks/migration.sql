-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "inputs" JSONB;

-- CreateTable
CREATE TABLE "DecisionMismatch" (
    "eventId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "detectedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "configVersion" INTEGER NOT NULL,
    "reportedDecision" "AuditDecision" NOT NULL,
    "expectedDecision" "AuditDecision" NOT NULL,
    "expectedReason" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "replayed" BOOLEAN NOT NULL,

    CONSTRAINT "DecisionMismatch_pkey" PRIMARY KEY ("eventId")
);

-- CreateTable
CREATE TABLE "DecisionCheckCursor" (
    "chain" TEXT NOT NULL,
    "lastSeq" BIGINT NOT NULL,
    "checkedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DecisionCheckCursor_pkey" PRIMARY KEY ("chain")
);

-- CreateIndex
CREATE INDEX "DecisionMismatch_environmentId_ts_idx" ON "DecisionMismatch"("environmentId", "ts" DESC);

-- AddForeignKey
ALTER TABLE "DecisionMismatch" ADD CONSTRAINT "DecisionMismatch_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "AuditEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
