-- AlterTable
ALTER TABLE "Client" ADD COLUMN     "logoError" TEXT,
ADD COLUMN     "logoId" UUID;

-- CreateTable
CREATE TABLE "ClientLogo" (
    "id" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClientLogo_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ClientLogo_sha256_key" ON "ClientLogo"("sha256");

-- AddForeignKey
ALTER TABLE "Client" ADD CONSTRAINT "Client_logoId_fkey" FOREIGN KEY ("logoId") REFERENCES "ClientLogo"("id") ON DELETE SET NULL ON UPDATE CASCADE;
