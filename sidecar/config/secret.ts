import { inspect } from "node:util";

/**
 * A configured secret (password, token). Printing, logging or JSON-serializing it yields `[REDACTED]`;
 * only `reveal()` gives the value, and only the code that sends it over the wire should call that.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[REDACTED]";
  }
  toJSON(): string {
    return "[REDACTED]";
  }
  [inspect.custom](): string {
    return "[REDACTED]";
  }
}
