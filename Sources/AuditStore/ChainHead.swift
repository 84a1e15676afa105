import Foundation
import GRDB

/// The head file beside a store (`STORE-head`): the last batch the writer
/// committed and its hash. The store's chain must reach it: a chain that
/// ends earlier lost batches at its end (a truncated file, a corrupted or
/// deleted WAL), which the chain alone cannot show.
public struct ChainHead: Equatable, Sendable {
    public var batch: Int64
    public var hash: String

    /// nil when there is no head file; `unreadable` when it is not one.
    public static func read(store: String) -> Result<ChainHead, Unreadable>? {
        guard let text = try? String(contentsOfFile: StorePath.headFile(for: store), encoding: .utf8) else { return nil }
        var batch: Int64?, hash: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 && parts[0] == "batch" { batch = Int64(parts[1]) }
            if parts.count == 2 && parts[0] == "hash" { hash = String(parts[1]) }
        }
        guard let batch, let hash else { return .failure(Unreadable()) }
        return .success(ChainHead(batch: batch, hash: hash))
    }

    public struct Unreadable: Error, Equatable {}

    static func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined() }

    /// What is wrong between the store's chain and its head file, in one
    /// phrase; nil when the chain reaches the head (or there is no head
    /// file to compare with).
    public static func problem(_ db: Database, store: String) throws -> String? {
        guard let read = read(store: store) else { return nil }
        guard case .success(let head) = read else { return "head file \(StorePath.headFile(for: store)) is unreadable" }
        let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM batch") ?? 0
        if head.batch > last {
            return "chain truncated: the store ends at batch \(last), but its head file records batch \(head.batch) (lost from the end: a truncated file or a damaged WAL)"
        }
        if let hash = try Data.fetchOne(db, sql: "SELECT hash FROM batch WHERE id = ?", arguments: [head.batch]),
           hex(hash) != head.hash {
            return "chain head differs from the head file: batch \(head.batch) was rewritten"
        }
        return nil
    }
}
