-- CreateTable
CREATE TABLE "DownstreamApi" (
    "id" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "audience" TEXT NOT NULL,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "tokenLifetimeSeconds" INTEGER NOT NULL DEFAULT 300,
    "description" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DownstreamApi_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Delegation" (
    "id" UUID NOT NULL,
    "downstreamApiId" UUID NOT NULL,
    "serverId" UUID NOT NULL,
    "tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "scopeCeiling" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "propagation" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Delegation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TokenSigningKey" (
    "id" UUID NOT NULL,
    "kid" TEXT NOT NULL,
    "publicJwk" JSONB NOT NULL,
    "encryptedPrivateKey" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activatedAt" TIMESTAMPTZ(3),
    "retiredAt" TIMESTAMPTZ(3),

    CONSTRAINT "TokenSigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DownstreamApi_environmentId_name_key" ON "DownstreamApi"("environmentId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "DownstreamApi_environmentId_audience_key" ON "DownstreamApi"("environmentId", "audience");

-- CreateIndex
CREATE INDEX "Delegation_serverId_idx" ON "Delegation"("serverId");

-- CreateIndex
CREATE UNIQUE INDEX "Delegation_downstreamApiId_serverId_key" ON "Delegation"("downstreamApiId", "serverId");

-- CreateIndex
CREATE UNIQUE INDEX "TokenSigningKey_kid_key" ON "TokenSigningKey"("kid");

-- AddForeignKey
ALTER TABLE "DownstreamApi" ADD CONSTRAINT "DownstreamApi_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Delegation" ADD CONSTRAINT "Delegation_downstreamApiId_fkey" FOREIGN KEY ("downstreamApiId") REFERENCES "DownstreamApi"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Delegation" ADD CONSTRAINT "Delegation_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "McpServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
