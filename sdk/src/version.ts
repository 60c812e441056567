/** Sent as X-SDK-Version on every poll; kept equal to package.json by a test. */
export const SDK_VERSION = "0.2.1";
