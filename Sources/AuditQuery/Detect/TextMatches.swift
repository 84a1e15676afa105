import AuditStore
import Foundation
import GRDB

/// The text ids a detector step's prefilter matches (record type lists
/// holding a type, keys, values matching a glob), kept from run to run: the
/// text table only grows, so each run reads only the texts added since the
/// last, and auditqd's pass after a batch does not scan the whole table.
final class TextMatches {
    private let store: EventStore
    private var cache: [String: (ids: [Int64], through: Int64)] = [:]

    init(store: EventStore) { self.store = store }

    func ids(types: [String]) throws -> [Int64] {
        try ids("t:" + types.joined(separator: "\u{1}"),
                types.map { _ in "instr(' ' || value || ' ', ?) > 0" }.joined(separator: " OR "),
                types.map { " \($0) " })
    }

    /// Whole keys; a multi-key rule's text holds them separated by \x01.
    func ids(keys: [String]) throws -> [Int64] {
        try ids("k:" + keys.joined(separator: "\u{1}"),
                keys.map { _ in "instr(char(1) || value || char(1), char(1) || ? || char(1)) > 0" }.joined(separator: " OR "),
                keys)
    }

    func ids(globs: [String]) throws -> [Int64] {
        try ids("g:" + globs.joined(separator: "\u{1}"), globs.map { _ in "value GLOB ?" }.joined(separator: " OR "), globs)
    }

    private func ids(_ key: String, _ predicate: String, _ args: [String]) throws -> [Int64] {
        let known = cache[key] ?? ([], 0)
        let (found, top) = try store.pool.read { db -> ([Int64], Int64) in
            let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM text") ?? 0
            guard top > known.through else { return ([], known.through) }
            let found = try Int64.fetchAll(db, sql: "SELECT id FROM text WHERE id > ? AND id <= ? AND (\(predicate))",
                                           arguments: StatementArguments([known.through, top] + args.map { $0 as DatabaseValueConvertible }))
            return (found, top)
        }
        let all = known.ids + found
        cache[key] = (all, top)
        return all
    }
}
