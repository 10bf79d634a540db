import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/**
 * A request's logger that becomes a real pino child (with the request id bound) only when the request
 * logs something. Fastify makes a child for every request, and a pino child with redaction was a few
 * per cent of a status request in profiles; most requests never log a line.
 */
export class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The factory Fastify's `childLoggerFactory` option takes. */
  static factory(this: void, parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
    return new LazyRequestLogger(parent, bindings, options);
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().fatal(object, message, ...rest);
  }

  error(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().error(object, message, ...rest);
  }

  warn(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().warn(object, message, ...rest);
  }

  info(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().info(object, message, ...rest);
  }

  debug(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().debug(object, message, ...rest);
  }

  trace(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().trace(object, message, ...rest);
  }

  silent(object: unknown, message?: string, ...rest: unknown[]): void {
    this.#real().silent(object, message, ...rest);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}
