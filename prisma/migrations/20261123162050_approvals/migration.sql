-- AlterTable
ALTER TABLE "ApprovalRequest" ADD COLUMN     "configVersion" INTEGER,
ADD COLUMN     "requestId" TEXT;

-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "approvalRiskTier" "RiskTier",
ADD COLUMN     "approvalTtlSeconds" INTEGER NOT NULL DEFAULT 600,
ADD COLUMN     "approverRole" "AdminRole" NOT NULL DEFAULT 'ADMIN';

-- CreateIndex
CREATE INDEX "ApprovalRequest_status_expiresAt_idx" ON "ApprovalRequest"("status", "expiresAt");
