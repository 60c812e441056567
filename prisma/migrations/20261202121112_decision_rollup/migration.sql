-- CreateTable
CREATE TABLE "DecisionRollup" (
    "environmentId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "key" BYTEA NOT NULL,
    "subject" TEXT NOT NULL,
    "clientId" TEXT,
    "server" TEXT NOT NULL,
    "tool" TEXT NOT NULL,
    "inputs" JSONB,
    "calls" BIGINT NOT NULL,
    "lastSeen" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DecisionRollup_pkey" PRIMARY KEY ("environmentId","day","key")
);

-- CreateTable
CREATE TABLE "DecisionRollupCursor" (
    "chain" TEXT NOT NULL,
    "lastSeq" BIGINT NOT NULL,
    "rolledAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DecisionRollupCursor_pkey" PRIMARY KEY ("chain")
);

-- AddForeignKey
ALTER TABLE "DecisionRollup" ADD CONSTRAINT "DecisionRollup_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
