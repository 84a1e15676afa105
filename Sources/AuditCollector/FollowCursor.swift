import AuditStore
import Crypto
import Foundation

/// Where a followed log was read up to: the file (device, inode, and a
/// fingerprint of its first bytes, so a rotated or replaced file is told
/// apart from one that reuses the inode) and the byte offset of the first
/// line not yet in a committed event. It is a `follow_cursor` ledger row,
/// committed in the same transaction as the events read before it, so a
/// restart resumes exactly there whatever ended the last run.
public struct FollowCursor: Codable, Equatable, Sendable {
    /// The name the file had when it was read (for messages; rotation renames it).
    public var file: String
    public var device: UInt64
    public var inode: UInt64
    public var offset: Int64
    /// SHA-256 (hex) of the file's first `fingerprintBytes` bytes (at most 4 KiB).
    public var fingerprint: String
    public var fingerprintBytes: Int

    public static let fingerprintLimit = 4096

    public init(file: String, device: UInt64, inode: UInt64, offset: Int64, fingerprint: String, fingerprintBytes: Int) {
        self.file = file; self.device = device; self.inode = inode; self.offset = offset
        self.fingerprint = fingerprint; self.fingerprintBytes = fingerprintBytes
    }

    /// SHA-256 in hex of `bytes`.
    static func fingerprint<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    /// The cursor as a ledger row of `source`.
    func row(source: String) -> CoverageRow {
        CoverageRow(kind: CoverageRow.followCursorKind, source: source, firstTimeMs: Clock.wallMs(),
                    count: offset, detail: Ledger.encode(self))
    }

    /// The last cursor committed for `source`, if any.
    static func last(in store: EventStore, source: String) throws -> FollowCursor? {
        try Ledger.lastRow(store, kind: CoverageRow.followCursorKind, source: source)?.decode(FollowCursor.self)
    }
}
