-- AlterTable
ALTER TABLE "Environment" ADD COLUMN     "auditRetentionDays" INTEGER;
