import AuditStore
import Crypto
import Foundation

/// Where a followed log was read up to: the `follow_cursor` ledger payload.
public typealias FollowCursor = Ledger.FollowCursor

extension Ledger.FollowCursor {
    /// SHA-256 in hex of `bytes`.
    static func fingerprint<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    /// The cursor as a ledger row of `source`.
    func row(source: String) -> CoverageRow {
        CoverageRow(self, source: source, firstTimeMs: Clock.wallMs(), count: offset)
    }

    /// The last cursor committed for `source`, if any.
    static func last(in store: EventStore, source: String) throws -> FollowCursor? {
        try Ledger.last(FollowCursor.self, in: store, source: source)
    }
}
