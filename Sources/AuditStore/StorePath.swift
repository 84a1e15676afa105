import Foundation

/// Where the store lives when `--store` is not given: `AUDITQ_STORE`, else
/// /var/lib/auditq/auditq.db for root, else ./auditq.db.
public enum StorePath {
    public static func resolve(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let env = ProcessInfo.processInfo.environment["AUDITQ_STORE"], !env.isEmpty { return env }
        return geteuid() == 0 ? "/var/lib/auditq/auditq.db" : "./auditq.db"
    }

    /// The chain head sidecar, so that cutting batches off the end of the
    /// store is noticed by `auditq verify`.
    public static func headFile(for store: String) -> String { store + "-head" }
}
