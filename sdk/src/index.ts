export { WardenClient, createWardenClient, scopesOf, type WardenClientOptions, type WardenDecision, type ConfigRefusal, type PollOutcome } from "./client.ts";
export { verifyConfigDocument, ConfigRefusedError, REFUSAL_REASONS, type RefusalReason, type VerifiedConfig, type WardenConfig } from "./verify.ts";
export {
  filterToolsList,
  insufficientScopeChallenge,
  unauthorizedChallenge,
  scopeChallengeFor,
  protectedResourceMetadata,
  resourceMetadataUrl,
  denialText,
  type ProtectedResourceMetadata,
} from "./enforce.ts";
export { AuditReporter, createAuditReporter, type AuditDropReason, type AuditEvent, type AuditEventInput, type AuditReporterOptions, type AuditStats } from "./audit.ts";
export { backoffDelay, parseRetryAfter, jittered, type BackoffOptions } from "./backoff.ts";
export { writeFileAtomic } from "./atomic-file.ts";
export { consoleLogger, type WardenLogger } from "./logger.ts";
export { SDK_VERSION } from "./version.ts";
export {
  ApprovalClient,
  ApprovalError,
  argumentsDigest,
  argumentsPreview,
  createApprovalClient,
  type Approval,
  type ApprovalClientOptions,
  type ApprovalOutcome,
  type ApprovalRefusalCode,
  type ApprovalRequestInput,
  type ApprovalStatus,
} from "./approval-client.ts";
export { createTokenExchanger, TokenExchangeError, type TokenExchanger, type TokenExchangerOptions, type TokenExchangeErrorCode, type TokenForOptions, type DownstreamToken } from "./token-exchange.ts";
