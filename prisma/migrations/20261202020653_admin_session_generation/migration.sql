-- AlterTable
ALTER TABLE "Admin" ADD COLUMN     "endedSessions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "sessionGeneration" INTEGER NOT NULL DEFAULT 0;
