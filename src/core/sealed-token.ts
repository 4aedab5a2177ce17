/**
 * A token, sealed (the token being rotated in, the one being retired). It
 * prints as `***` wherever it ends up by accident — a template string, JSON,
 * util.inspect — so the one way to the value is `reveal()`, called only where
 * the value is sent to AWS or GitHub or compared with what a store holds.
 */
export class SealedToken {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  equals(other: string | undefined): boolean {
    return other === this.#value
  }

  toString(): string {
    return '***'
  }

  toJSON(): string {
    return '***'
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SealedToken(***)'
  }
}
