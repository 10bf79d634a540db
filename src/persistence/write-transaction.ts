/**
 * How a service writes: `transaction(work)` runs `work` in one write transaction (OpenedDatabase's
 * writeTransaction: never interleaved with another, on one node or many) with stores bound to that
 * transaction, commits when `work` resolves and rolls back when it throws. Each service names the
 * stores it uses as `S`; the composition root hands every service the same factory, which binds all
 * of them, so a service never sees the database handle.
 */
export type WriteTransaction<S> = <T>(work: (stores: S) => Promise<T>) => Promise<T>;

/**
 * How a service reads several tables that must agree: `read(work)` runs `work` in one read transaction
 * (OpenedDatabase's readTransaction) with stores bound to it.
 */
export type ReadTransaction<S> = <T>(work: (stores: S) => Promise<T>) => Promise<T>;
