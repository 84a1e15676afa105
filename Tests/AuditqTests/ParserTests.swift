import AuditRecords
import Foundation
import XCTest

/// The parser on its own: chunked feeds, laurel's tricky records.
final class ParserTests: XCTestCase {
    func parse(_ data: [UInt8], chunk: Int? = nil) throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        let parser = try AuditLogParser(source: "test") { events.append($0) }
        if let chunk {
            var i = 0
            while i < data.count {
                let end = min(data.count, i + chunk)
                try data[i..<end].withUnsafeBytes { try parser.consume($0) }
                i = end
            }
        } else {
            try data.withUnsafeBytes { try parser.consume($0) }
        }
        try parser.finish()
        return events
    }

    func corpus(_ path: String) throws -> [UInt8] {
        let url = TestSupport.corpus.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw TestSupport.missing("no corpus file \(path)") }
        return Array(data)
    }

    /// As auparse's own test does: 3-byte chunks give the same events as the
    /// whole buffer (auparse may complete them in another order).
    func testChunkedFeedGivesTheSameEvents() throws {
        func sorted(_ events: [AuditEvent]) -> [AuditEvent] {
            events.sorted { ($0.timeMs, $0.serial, $0.raw.count) < ($1.timeMs, $1.serial, $1.raw.count) }
        }
        let files = try TestSupport.corpusLogs()
        for file in files {
            let data = Array(try Data(contentsOf: file))
            let whole = sorted(try parse(data))
            XCTAssertFalse(whole.isEmpty, file.lastPathComponent)
            XCTAssertTrue(sorted(try parse(data, chunk: 3)) == whole, file.lastPathComponent)
            XCTAssertTrue(sorted(try parse(data, chunk: 4096)) == whole, file.lastPathComponent)
        }
        XCTAssertGreaterThan(files.count, 20, "corpus files fed in chunks")
    }

    func testLongExecveSplitAcrossRecordsIsReassembled() throws {
        let events = try parse(try corpus("laurel/record-execve-long.txt"))
        XCTAssertEqual(events.count, 1)
        let argv = try XCTUnwrap(events[0].argv)
        XCTAssertEqual(argv.count, 2)
        XCTAssertEqual(argv[0], "/bin/echo")
        // a1[0], a1[1], a1[2] carry 16384 hex digits: 8192 bytes, "baaa…".
        XCTAssertEqual(argv[1].utf8.count, 8192)
        XCTAssertTrue(argv[1].hasPrefix("baaaa"))
        XCTAssertEqual(events[0].recordTypes.filter { $0 == 1309 }.count, 3, "three EXECVE records")
    }

    func testHexArgvIsDecoded() throws {
        let events = try parse(try corpus("laurel/record-perl-reverse-shell.txt"))
        let argv = try XCTUnwrap(events.first?.argv)
        XCTAssertEqual(Array(argv.prefix(2)), ["perl", "-e"])
        XCTAssertTrue(argv[2].hasPrefix("use Socket;$i=\"10.0.0.1\";$p=1234;"), argv[2])
    }

    func testReorderedShellTraceGroupsLikeTheOrderedOne() throws {
        func shape(_ events: [AuditEvent]) -> [String] {
            events.map { "\($0.serial) \($0.recordTypes.sorted()) \($0.argv ?? [])" }.sorted()
        }
        let ordered = try parse(try corpus("laurel/shell-proc-trace.txt"))
        let reordered = try parse(try corpus("laurel/shell-proc-trace-reordered.txt"))
        XCTAssertFalse(ordered.isEmpty)
        XCTAssertEqual(shape(reordered), shape(ordered))
    }

    func testSockaddrConnectAndBigEndianBind() throws {
        let connect = try parse(try corpus("laurel/record-connect.txt"))
        let addr = try XCTUnwrap(connect.compactMap(\.sockaddr).first)
        XCTAssertTrue([2, 10].contains(addr.family))
        XCTAssertNotNil(addr.port)
        let bind = try parse(try corpus("laurel/record-bind-ipv4-bigendian.txt"))
        XCTAssertEqual(bind.first?.sockaddr, SocketAddress(family: 2, address: "0.0.0.0", port: 55555))
    }

    func testIdsAreNotMistakenForHex() throws {
        let events = try parse(try corpus("laurel/record-login.txt"))
        let login = try XCTUnwrap(events.first { $0.recordTypes == [1006] })
        XCTAssertEqual(login.fields.first { $0.name == "old-auid" }?.value, "4294967295")
    }
}
