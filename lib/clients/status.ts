// The statuses live with the pure policy types (shared with the SDK); this
// module lets browser code import them without the fetcher or the database.
export { CLIENT_KINDS, CLIENT_STATUSES, type ClientKind, type ClientStatus } from "@/sdk/src/contract/policy";
