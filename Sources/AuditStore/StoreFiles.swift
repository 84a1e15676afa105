import Foundation

/// The files of a store (the database, its WAL and its head file) and who
/// else may touch them: the audit records they hold are as sensitive as
/// /var/log/audit, so they are owner and group only.
public enum StoreFiles {
    public static func paths(_ store: String) -> [String] { [store, store + "-wal", StorePath.headFile(for: store)] }

    public struct Exposure: Sendable, Equatable {
        public var path: String
        public var mode: UInt32
        /// Others may write it: anyone could have rewritten what it holds.
        public var writable: Bool { mode & 0o002 != 0 }
        public var line: String {
            "\(path) is mode \(String(mode, radix: 8)): \(writable ? "writable" : "readable") by every user"
        }
    }

    /// The store files other users may read or write.
    public static func exposed(_ store: String) -> [Exposure] {
        paths(store).compactMap { path in
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            let mode = UInt32(st.st_mode & 0o7777)
            return mode & 0o006 != 0 ? Exposure(path: path, mode: mode) : nil
        }
    }
}
