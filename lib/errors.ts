/**
 * A refusal the admin can act on: bad input the schema could not catch, a
 * rule such as "the last owner stays", or a stale write. Its message is shown
 * as is, so it must say what happened and what to do.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** Optimistic concurrency: someone else saved first. Carries the fresh values. */
export class StaleWriteError<T = unknown> extends DomainError {
  constructor(
    message: string,
    readonly current: T,
  ) {
    super(message);
    this.name = "StaleWriteError";
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super(`${what} no longer exists. It may have been deleted by someone else.`);
    this.name = "NotFoundError";
  }
}
