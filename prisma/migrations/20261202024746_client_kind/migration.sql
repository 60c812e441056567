-- CreateEnum
CREATE TYPE "ClientKind" AS ENUM ('CIMD', 'PRE_REGISTERED');

-- AlterTable
ALTER TABLE "Client" ADD COLUMN     "description" TEXT,
ADD COLUMN     "displayName" TEXT,
ADD COLUMN     "kind" "ClientKind" NOT NULL DEFAULT 'CIMD',
ADD COLUMN     "owner" TEXT,
ADD COLUMN     "redirectUris" TEXT[] DEFAULT ARRAY[]::TEXT[];
