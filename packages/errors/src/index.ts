export {
  BusUnavailableError,
  ClassifiedError,
  MessageTooLargeError,
  PartialFailureError,
  PermanentError,
  RetryableError,
  WaitError,
  classifyError,
  errorMessage,
} from './errors.js';
export type { Classified, FailedDestination, FailureKind, FailureOptions, RetryOptions } from './errors.js';
