export type WardenLogger = {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
};

export const consoleLogger: WardenLogger = {
  info: (message, details) => console.info(`[warden-sdk] ${message}`, details ?? ""),
  warn: (message, details) => console.warn(`[warden-sdk] ${message}`, details ?? ""),
  error: (message, details) => console.error(`[warden-sdk] ${message}`, details ?? ""),
};
