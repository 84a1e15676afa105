import CSQLiteConfig
import Foundation
import GRDB

/// Opens an auditq store: SQLite in WAL through GRDB, synchronous=NORMAL,
/// schema migrated from the carried migrations, identified by its
/// application_id so that a foreign database is refused, never altered.
public final class EventStore {
    /// 'AUDQ'
    public static let applicationID: Int32 = 0x4155_4451

    public let path: String
    public let pool: DatabasePool
    /// Set when the chain does not reach the head file beside the store
    /// (batches lost from its end): readers see what is left and say so;
    /// a writer refuses to open (StoreError.behindHead), so nothing is
    /// written over the loss.
    public private(set) var headProblem: String?

    public enum Access { case write, read }

    /// Process-wide SQLite settings, made once before the first connection
    /// opens (SQLite refuses them afterwards).
    private static let configureSQLite: Void = {
        _ = auditq_sqlite_disable_memstatus()
    }()

    /// `cacheKiB`: SQLite's page cache per connection, the largest part of
    /// a bulk import's memory. 32 MiB imports as fast as 128 MiB did (the
    /// indexes are appended to near their ends; other pages come from the
    /// kernel's page cache) and keeps a 1 GB import's peak RSS bounded; a
    /// collector takes less.
    public init(path: String, access: Access, cacheKiB: Int = 32_768) throws {
        self.path = path
        Self.configureSQLite
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if access == .read && !exists { throw StoreError.missing(path: path) }
        if access == .write && !exists {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty && !fm.fileExists(atPath: dir) {
                do {
                    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                           attributes: [.posixPermissions: 0o750])
                } catch {
                    throw StoreError.cannotCreate(path: path, reason: (error as NSError).localizedDescription)
                }
            }
            // The store holds everything the audit log holds: owner and group only.
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw StoreError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            Glibc.close(fd)
        }
        // Read access opens nothing for writing: the header check is enough
        // here, and migrate() checks the application_id through SQLite before
        // anything is read (one connection less for every query).
        if exists && access == .write { try Self.checkForeign(path) }
        if exists && access == .read { _ = try Self.headerApplicationID(path) }

        var config = Configuration()
        config.readonly = access == .read
        config.foreignKeysEnabled = false
        config.busyMode = .timeout(10)
        config.label = "auditq"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The index pages being appended to stay in memory.
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            // Checkpoint the WAL in larger steps during bulk writes.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrate(pool, path: path, access: access)
            // A store made just now has no chain yet: a head file left there
            // belonged to a store removed before it.
            if exists { headProblem = try pool.read { db in try ChainHead.problem(db, store: path) } }
        } catch let error as DatabaseError {
            throw Self.translate(error, path: path)
        }
        if access == .write, let headProblem { throw StoreError.behindHead(path: path, problem: headProblem) }
    }

    /// Copies the committed pages of the WAL into the store file, without
    /// waiting for readers (a passive checkpoint: what a reader still needs
    /// stays in the WAL). Writers call it when they are done: SQLite does the
    /// same when the last connection closes, but the pool closes only when
    /// its last reference goes, and a writer thread that still holds one at
    /// process exit would leave every page in the -wal file (consistent, but
    /// the store file alone would be empty).
    public func checkpointWAL() {
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// A file that exists must be an auditq store (or empty) of a schema this
    /// auditq knows before a pool is opened on it: opening one switches the
    /// file to WAL, and a foreign or newer database must be left exactly as
    /// it was.
    private static func checkForeign(_ path: String) throws {
        guard try headerApplicationID(path) != nil else { return }
        var config = Configuration()
        config.readonly = true
        do {
            // Read through SQLite, not the file header: in WAL mode the
            // latest page 1 (with our application_id) may be in the -wal file.
            let queue = try DatabaseQueue(path: path, configuration: config)
            let (appID, tables, applied) = try queue.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0,
                 try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : [])
            }
            try queue.close()
            if appID != applicationID && tables > 0 {
                throw StoreError.notAStore(path: path, reason: "a database with other tables and no auditq application_id")
            }
            // A newer auditq's store is refused before a writer opens it
            // (opening one for writing may already touch the file).
            if let unknown = unknownMigration(applied) { throw StoreError.newerSchema(path: path, migration: unknown) }
        } catch let error as DatabaseError {
            throw translate(error, path: path)
        }
    }

    /// The header's application_id, nil for an empty file; throws for a file
    /// that is not SQLite or belongs to another application.
    private static func headerApplicationID(_ path: String) throws -> Int32? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if errno == EACCES { throw StoreError.noAccess(path: path) }
            throw StoreError.sqlite(path: path, message: "cannot open for reading: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 100)) ?? Data()
        if head.isEmpty { return nil }  // created empty: becomes a new store
        let magic = Data("SQLite format 3\0".utf8)
        guard head.count >= 72, head.prefix(16) == magic else {
            throw StoreError.notAStore(path: path, reason: "not an SQLite database")
        }
        let appID = head[68..<72].reduce(Int32(0)) { $0 << 8 | Int32($1) }
        if appID != 0 && appID != applicationID {
            throw StoreError.notAStore(path: path, reason: String(format: "application_id 0x%08x", appID))
        }
        return appID
    }

    /// The first applied migration this auditq does not carry: a newer auditq's store.
    private static func unknownMigration<S: Sequence<String>>(_ applied: S) -> String? {
        Set(applied).subtracting(SchemaMigrations.all.map(\.name)).sorted().first
    }

    private static func migrate(_ pool: DatabasePool, path: String, access: Access) throws {
        var migrator = DatabaseMigrator()
        for migration in SchemaMigrations.all {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        let state = try pool.read { db -> (appID: Int32, tables: Int, applied: Set<String>) in
            let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            let applied = try db.tableExists("grdb_migrations") ? try migrator.appliedIdentifiers(db) : []
            return (appID, tables, applied)
        }
        if state.appID != applicationID && state.tables > 0 {
            throw StoreError.notAStore(path: path, reason: "a database with other tables and no auditq application_id")
        }
        if let unknown = unknownMigration(state.applied) { throw StoreError.newerSchema(path: path, migration: unknown) }
        if access == .read {
            if state.appID != applicationID { throw StoreError.notAStore(path: path, reason: "empty database") }
            return
        }
        try pool.barrierWriteWithoutTransaction { db in
            if state.appID != applicationID {
                try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            }
        }
        try migrator.migrate(pool)
    }

    static func translate(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_NOTADB: return .notAStore(path: path, reason: "not an SQLite database")
        case .SQLITE_READONLY: return .readOnly(path: path)
        case .SQLITE_CANTOPEN: return .sqlite(path: path, message: "cannot open: \(error.message ?? "unknown error")")
        default: return .sqlite(path: path, message: error.message ?? "\(error.resultCode)")
        }
    }
}
