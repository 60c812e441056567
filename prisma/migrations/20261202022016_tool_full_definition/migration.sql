-- AlterTable
ALTER TABLE "Tool" ADD COLUMN     "approvedDefinition" JSONB,
ADD COLUMN     "execution" JSONB,
ADD COLUMN     "icons" JSONB,
ADD COLUMN     "meta" JSONB,
ADD COLUMN     "outputSchema" JSONB;
