/**
 * What the migration copies and what it leaves, decided in one place for the initial listing and for
 * every change event.
 *
 * - Databases `admin`, `local` and `config` are MongoDB's own (users and roles, the oplog, sessions
 *   and sharding metadata): never copied. Users and roles are re-created by hand, as Atlas says.
 * - `system.*` collections belong to the server (`system.views`, `system.profile`, the buckets of a
 *   time-series collection, ...): skipped.
 * - Time-series collections are not migrated (Atlas skips them and its validation refuses a source
 *   that has them); the data plane skips them and reports each one.
 * - Views hold no data: their definition (`viewOn`, `pipeline`, `collation`) is created on the
 *   destination, so the destination answers the same queries.
 */
import type { CollectionInfo, Document, MongoClient } from 'mongodb';

export interface Namespace {
  readonly db: string;
  readonly coll: string;
}

export function namespaceKey(ns: Namespace): string {
  return `${ns.db}.${ns.coll}`;
}

const INTERNAL_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config']);

export function isInternalDatabase(db: string): boolean {
  return INTERNAL_DATABASES.has(db);
}

export function isSystemCollection(coll: string): boolean {
  return coll.startsWith('system.');
}

/** True when the name alone already rules the namespace out. */
export function isExcludedByName(ns: Namespace): boolean {
  return isInternalDatabase(ns.db) || isSystemCollection(ns.coll);
}

/** A collection or view of the source, with the options `listCollections` reports for it. */
export interface CollectionDefinition {
  readonly ns: Namespace;
  readonly kind: 'collection' | 'view';
  /** `listCollections`' `options`, passed to `create` as they are. */
  readonly options: Document;
  /** The collection's UUID, to tell a dropped-and-recreated collection from the one listed. */
  readonly uuid?: unknown;
}

export interface SkippedNamespace {
  readonly ns: string;
  readonly reason: string;
}

export type Classification = { readonly copy: CollectionDefinition } | { readonly skip: string };

const TIME_SERIES_REASON = 'time-series collection: not migrated (validation refuses sources that have them)';

export function classifyCollection(db: string, info: Pick<CollectionInfo, 'name' | 'type' | 'options' | 'info'>): Classification {
  const ns = { db, coll: info.name };
  if (isInternalDatabase(db)) return { skip: 'internal database of MongoDB' };
  if (isSystemCollection(info.name)) return { skip: 'system collection: the server manages it' };
  const options: Document = info.options ?? {};
  // mongod reports `type: 'timeseries'`; some servers report a collection with `timeseries` options.
  if (info.type === 'timeseries' || options['timeseries'] !== undefined) return { skip: TIME_SERIES_REASON };
  if (info.type === 'view') return { copy: { ns, kind: 'view', options } };
  if (info.type === undefined || info.type === 'collection') {
    return { copy: { ns, kind: 'collection', options, uuid: info.info?.uuid } };
  }
  return { skip: `collection of type ${String(info.type)}: not supported` };
}

export interface SourcePlan {
  /** Collections first, then views, each in (database, name) order: a stable order for resuming. */
  readonly definitions: CollectionDefinition[];
  readonly skipped: SkippedNamespace[];
}

export async function listSourceNamespaces(source: MongoClient): Promise<SourcePlan> {
  const { databases } = await source.db('admin').admin().listDatabases({ nameOnly: true });
  const collections: CollectionDefinition[] = [];
  const views: CollectionDefinition[] = [];
  const skipped: SkippedNamespace[] = [];
  for (const db of databases.map((entry) => entry.name).sort()) {
    if (isInternalDatabase(db)) continue;
    const infos = await source.db(db).listCollections({}, { nameOnly: false }).toArray();
    for (const info of infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const result = classifyCollection(db, info);
      if ('skip' in result) skipped.push({ ns: namespaceKey({ db, coll: info.name }), reason: result.skip });
      else (result.copy.kind === 'view' ? views : collections).push(result.copy);
    }
  }
  return { definitions: [...collections, ...views], skipped };
}

/** The source's current definition of one namespace, or undefined when it does not exist (now). */
export async function readSourceDefinition(source: MongoClient, ns: Namespace): Promise<Classification | undefined> {
  const [info] = await source.db(ns.db).listCollections({ name: ns.coll }, { nameOnly: false }).toArray();
  return info === undefined ? undefined : classifyCollection(ns.db, info);
}

/**
 * Which namespaces the tail applies document changes to, and which of them are capped. Names decide
 * most; a time-series collection is only recognisable from its definition, so an unknown namespace is
 * looked up once on the source and remembered until a create, drop or rename touches it.
 */
export class NamespaceCatalog {
  private readonly known = new Map<string, { readonly replicated: boolean; readonly capped: boolean }>();

  constructor(private readonly source: MongoClient) {}

  async isReplicated(ns: Namespace): Promise<boolean> {
    if (isExcludedByName(ns)) return false;
    return (await this.lookUp(ns)).replicated;
  }

  /** A capped collection keeps documents in insertion order (and drops the oldest): its writes keep their order. */
  async isCapped(ns: Namespace): Promise<boolean> {
    if (isExcludedByName(ns)) return false;
    return (await this.lookUp(ns)).capped;
  }

  remember(ns: Namespace, replicated: boolean, options: Document = {}): void {
    this.known.set(namespaceKey(ns), { replicated, capped: options['capped'] === true });
  }

  forget(ns: Namespace): void {
    this.known.delete(namespaceKey(ns));
  }

  forgetDatabase(db: string): void {
    for (const key of [...this.known.keys()]) if (key.startsWith(`${db}.`)) this.known.delete(key);
  }

  private async lookUp(ns: Namespace): Promise<{ readonly replicated: boolean; readonly capped: boolean }> {
    const key = namespaceKey(ns);
    const cached = this.known.get(key);
    if (cached !== undefined) return cached;
    const definition = await readSourceDefinition(this.source, ns);
    // A namespace gone from the source by now is treated as a collection: a later drop removes it.
    const facts = {
      replicated: definition === undefined || 'copy' in definition,
      capped: definition !== undefined && 'copy' in definition && definition.copy.options['capped'] === true,
    };
    this.known.set(key, facts);
    return facts;
  }
}
