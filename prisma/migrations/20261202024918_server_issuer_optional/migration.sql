-- AlterTable
ALTER TABLE "McpServer" ALTER COLUMN "authorizationServer" DROP NOT NULL;
