export { WardenClient, createWardenClient, scopesOf, type WardenClientOptions, type WardenDecision, type ConfigRefusal, type PollOutcome } from "./client";
export { verifyConfigDocument, ConfigRefusedError, REFUSAL_REASONS, type RefusalReason, type VerifiedConfig, type WardenConfig } from "./verify";
export {
  filterToolsList,
  insufficientScopeChallenge,
  unauthorizedChallenge,
  scopeChallengeFor,
  protectedResourceMetadata,
  resourceMetadataUrl,
  denialText,
  type ProtectedResourceMetadata,
} from "./enforce";
export { AuditReporter, createAuditReporter, type AuditDropReason, type AuditEvent, type AuditEventInput, type AuditReporterOptions, type AuditStats } from "./audit";
export { backoffDelay, parseRetryAfter, jittered, type BackoffOptions } from "./backoff";
export { writeFileAtomic } from "./atomic-file";
export { consoleLogger, type WardenLogger } from "./logger";
export { SDK_VERSION } from "./version";
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
} from "./approvals";
export { createTokenExchanger, TokenExchangeError, type TokenExchanger, type TokenExchangerOptions, type TokenExchangeErrorCode, type TokenForOptions, type DownstreamToken } from "./token-exchange";
