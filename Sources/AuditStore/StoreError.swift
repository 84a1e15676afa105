/// What can go wrong with a store, each with one line a person can act on.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case notAStore(path: String, reason: String)
    case newerSchema(path: String, migration: String)
    case missing(path: String)
    case cannotCreate(path: String, reason: String)
    case diskFull(path: String)
    case readOnly(path: String)
    case sqlite(path: String, message: String)
    case corruptBlock(block: Int64, reason: String)
    case behindHead(path: String, problem: String)
    case noAccess(path: String)

    public var description: String {
        switch self {
        case .notAStore(let path, let reason): return "\(path) is not an auditq store (\(reason))"
        case .newerSchema(let path, let migration):
            return "\(path) was written by a newer auditq (unknown migration \(migration))"
        case .missing(let path): return "no store at \(path) (import or collect events first, or pass --store)"
        case .cannotCreate(let path, let reason): return "cannot create store \(path): \(reason)"
        case .diskFull(let path): return "disk full while writing \(path); the last batch was rolled back, earlier batches are intact"
        case .readOnly(let path): return "\(path) is read-only for this user"
        case .sqlite(let path, let message): return "\(path): \(message)"
        case .corruptBlock(let block, let reason): return "raw block \(block) cannot be read: \(reason)"
        case .noAccess(let path): return "\(path): permission denied (the store is its owner's and group's: run as root or as a member of its group)"
        case .behindHead(let path, let problem):
            return "\(path): \(problem); nothing written (keep the files as they are and run auditq verify)"
        }
    }
}
