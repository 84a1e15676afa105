import Foundation
import GRDB
import XCTest

/// Bad input as a user meets it: a non-zero exit, exactly one line on stderr
/// that says what is wrong and where ("FILE:LINE: reason" for log input), no
/// stack trace, and a store that holds only whole committed events and still
/// verifies. Logs are generated here (SYSCALL + EOE pairs in the style of
/// laurel's shell-proc-trace.txt) with distinct serials, 20000 events so that
/// more than one import batch (8192 events) is committed before the bad spot.
final class BadInputTests: XCTestCase {
    /// LogImporter's default batch size.
    static let importBatch = 8192
    static let eventCount = 20_000
    static let firstSerial = 29_237

    // MARK: (a) truncated record

    func testTruncatedLastRecordIsRejectedWithFileAndLine() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = BadInputLog(events: Self.eventCount, firstSerial: Self.firstSerial)
        // A write cut mid-field: no closing quote, no newline.
        let full = BadInputLog.syscallLine(serial: log.nextSerial, seconds: log.nextSeconds, pid: 4242)
        let cut = String(full[..<full.range(of: "comm=\"ba")!.upperBound])
        let bytes = log.bytes + Array(cut.utf8)
        XCTAssertTrue(String(decoding: bytes.suffix(8), as: UTF8.self).hasSuffix("comm=\"ba"))

        let path = try write(bytes, dir, "audit.log")
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, path])
        XCTAssertEqual(r.status, 65, "truncated record: expected EX_DATAERR; stderr: \(r.stderr)")
        assertOneLine(r, naming: "\(path):\(log.lineCount + 1):", also: "truncated")
        try assertOnlyWholeEvents(store, of: log, committedAtLeast: committedBatches(before: log.events))
    }

    /// The last event's first record is whole but its second is cut: that
    /// half-built event must not reach the store.
    func testTruncatedEventIsNotStoredHalfBuilt() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = BadInputLog(events: 1000, firstSerial: Self.firstSerial)
        let half = log.nextSerial
        var text = BadInputLog.syscallLine(serial: half, seconds: log.nextSeconds, pid: 4242, items: 1)
        text += "type=PATH msg=audit(\(log.nextSeconds).000:\(half)): item=0 name=\"/etc/sha"
        let path = try write(log.bytes + Array(text.utf8), dir, "audit.log")
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, path])
        XCTAssertEqual(r.status, 65, "stderr: \(r.stderr)")
        assertOneLine(r, naming: "\(path):\(log.lineCount + 2):", also: "truncated")
        let serials = try storedSerials(store)
        XCTAssertFalse(serials.contains(half), "the event whose last record was cut was stored half-built")
        try assertOnlyWholeEvents(store, of: log, committedAtLeast: 0)
    }

    // MARK: (b) binary garbage

    func testBinaryGarbageAfterValidEventsIsRejected() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = BadInputLog(events: Self.eventCount, firstSerial: Self.firstSerial)
        let path = try write(log.bytes + Self.garbage(4096), dir, "audit.log")
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, path])
        XCTAssertEqual(r.status, 65, "binary garbage: expected EX_DATAERR; stderr: \(r.stderr)")
        assertOneLine(r, naming: "\(path):\(log.lineCount + 1):", also: nil)
        try assertOnlyWholeEvents(store, of: log, committedAtLeast: committedBatches(before: log.events))
    }

    // MARK: (c) a line longer than 64 KiB

    func testLineLongerThan64KiBIsRejected() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = BadInputLog(events: Self.eventCount, firstSerial: Self.firstSerial)
        // A well-formed record whose EXECVE argument makes the line 70000+ bytes,
        // followed by more valid events that must not be imported past the error.
        let s = log.nextSerial
        var long = BadInputLog.syscallLine(serial: s, seconds: log.nextSeconds, pid: 4242)
        long += "type=EXECVE msg=audit(\(log.nextSeconds).000:\(s)): argc=1 a0=\"" + String(repeating: "x", count: 70_000) + "\"\n"
        long += "type=EOE msg=audit(\(log.nextSeconds).000:\(s)): \n"
        let after = BadInputLog(events: 100, firstSerial: s + 1, firstSeconds: log.nextSeconds + 1)
        let path = try write(log.bytes + Array(long.utf8) + after.bytes, dir, "audit.log")
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, path])
        XCTAssertEqual(r.status, 65, "overlong line: expected EX_DATAERR; stderr: \(r.stderr)")
        assertOneLine(r, naming: "\(path):\(log.lineCount + 2):", also: "64 KiB")
        try assertOnlyWholeEvents(store, of: log, committedAtLeast: committedBatches(before: log.events))
    }

    // MARK: every whole event before the bad line

    /// `auditq import --help`: "On malformed input auditq names the file and
    /// line, keeps every whole event read before it". An event ended by its
    /// EOE record is whole, so every event before the bad line is kept.
    func testEveryWholeEventBeforeTheBadLineIsKept() throws {
        let log = BadInputLog(events: 3000, firstSerial: Self.firstSerial)
        let badTails: [(String, [UInt8])] = [
            ("truncated", Array("type=SYSCALL msg=audit(\(log.nextSeconds).000:\(log.nextSerial)): arch=c000003e syscall=56 comm=\"ba".utf8)),
            ("garbage", Self.garbage(512)),
            ("not a record", Array("root:x:0:0:root:/root:/bin/bash\n".utf8)),
        ]
        for (name, tail) in badTails {
            let dir = TestSupport.temporaryDirectory(name)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = try write(log.bytes + tail, dir, "audit.log")
            let store = dir.appendingPathComponent("s.db").path
            let r = try TestSupport.auditq(["import", "--store", store, path])
            XCTAssertEqual(r.status, 65, "\(name): \(r.stderr)")
            let serials = try storedSerials(store)
            XCTAssertEqual(serials.count, log.events,
                           "\(name): \(log.events) whole events (each ended by its EOE record) precede the bad line, \(serials.count) were kept; missing serials \(Set(log.serials).subtracting(serials).sorted().prefix(5))")
        }
    }

    // MARK: (d) not an audit log

    func testTextFileThatIsNotAnAuditLogIsRejected() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let good = BadInputLog(events: 100, firstSerial: Self.firstSerial)
        let goodPath = try write(good.bytes, dir, "good.log")
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, goodPath]).status, 0)

        let passwd = """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            bin:x:2:2:bin:/bin:/usr/sbin/nologin
            sys:x:3:3:sys:/dev:/usr/sbin/nologin

            """
        let path = try write(Array(passwd.utf8), dir, "passwd")
        let r = try TestSupport.auditq(["import", "--store", store, path])
        XCTAssertEqual(r.status, 65, "stderr: \(r.stderr)")
        assertOneLine(r, naming: "\(path):1:", also: "not an audit record")
        try assertOnlyWholeEvents(store, of: good, committedAtLeast: good.events)

        // Into a new store: nothing stored, and what exists verifies.
        let fresh = dir.appendingPathComponent("fresh.db").path
        let r2 = try TestSupport.auditq(["import", "--store", fresh, path])
        XCTAssertEqual(r2.status, 65, "stderr: \(r2.stderr)")
        assertOneLine(r2, naming: "\(path):1:", also: nil)
        if FileManager.default.fileExists(atPath: fresh) {
            XCTAssertEqual(try storedSerials(fresh), [])
            try assertVerifies(fresh)
        }
    }

    func testBinaryFileThatIsNotAnAuditLogIsRejected() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let good = BadInputLog(events: 100, firstSerial: Self.firstSerial)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, try write(good.bytes, dir, "good.log")]).status, 0)

        // "Empty-looking": a sparse file of NUL bytes (wc -l says 0, cat prints nothing),
        // and the start of an ELF binary.
        let zeros = [UInt8](repeating: 0, count: 8192)
        var elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00]
        elf += [UInt8](repeating: 0, count: 8) + [0x03, 0x00, 0x3E, 0x00] + Self.garbage(2048)
        for (name, bytes) in [("zeros.bin", zeros), ("program.elf", elf)] {
            let path = try write(bytes, dir, name)
            let r = try TestSupport.auditq(["import", "--store", store, path])
            XCTAssertEqual(r.status, 65, "\(name): stderr: \(r.stderr)")
            assertOneLine(r, naming: "\(path):1:", also: nil)
            try assertOnlyWholeEvents(store, of: good, committedAtLeast: good.events)
        }
    }

    // MARK: (e) bad flags

    func testBadSearchFlagsGiveOneClearLine() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let good = BadInputLog(events: 10, firstSerial: Self.firstSerial)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, try write(good.bytes, dir, "good.log")]).status, 0)

        let cases: [(args: [String], mentions: String)] = [
            (["--format", "xml"], "xml"),
            (["-sv", "maybe"], "-sv"),
            (["-ts", "notadate"], "notadate"),
        ]
        for c in cases {
            let r = try TestSupport.auditq(["search", "--store", store] + c.args)
            XCTAssertEqual(r.status, 64, "\(c.args): expected EX_USAGE (a usage error must not look like 'no matches')")
            XCTAssertTrue(r.stdout.isEmpty, "\(c.args): printed results: \(r.out.prefix(200))")
            assertNoStackTrace(r, c.args.joined(separator: " "))
            assertOneLine(r, naming: c.mentions, also: nil, context: c.args.joined(separator: " "))
        }
    }

    func testImportWithoutFilesGivesOneClearLine() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store])
        XCTAssertEqual(r.status, 64, "expected EX_USAGE")
        assertNoStackTrace(r, "import")
        assertOneLine(r, naming: "file", also: nil, context: "import with no files")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "import with no files created the store")
    }

    // MARK: (f) a store that is not ours

    func testPlainTextFileAsStoreIsRefusedAndLeftUnchanged() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let foreign = try write(Array("root:x:0:0:root:/root:/bin/bash\nnotes: do not delete\n".utf8), dir, "notes.txt")
        let log = try write(BadInputLog(events: 10, firstSerial: Self.firstSerial).bytes, dir, "audit.log")
        try assertForeignStoreRefused(foreign, dir: dir, log: log)
    }

    func testForeignSQLiteDatabaseAsStoreIsRefusedAndLeftUnchanged() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let foreign = dir.appendingPathComponent("inventory.db").path
        try Self.makeForeignDatabase(foreign)
        let log = try write(BadInputLog(events: 10, firstSerial: Self.firstSerial).bytes, dir, "audit.log")
        try assertForeignStoreRefused(foreign, dir: dir, log: log)
    }

    // MARK: (g) a store path that does not exist

    func testMissingStoreIsReportedAndNotCreated() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stores = [dir.appendingPathComponent("nowhere.db").path,
                      dir.appendingPathComponent("no-such-dir/auditq.db").path]
        for store in stores {
            for command in [["search", "-k", "x"], ["search"], ["summary"], ["verify"]] {
                let r = try TestSupport.auditq(command + ["--store", store])
                XCTAssertEqual(r.status, 66, "\(command): expected EX_NOINPUT; stderr: \(r.stderr)")
                assertOneLine(r, naming: store, also: nil, context: command.joined(separator: " "))
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [],
                               "\(command) on a missing store created files")
            }
        }
    }

    // MARK: (h) a missing input file

    func testMissingInputFileIsReportedAndStoreUnchanged() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let good = BadInputLog(events: 100, firstSerial: Self.firstSerial)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, try write(good.bytes, dir, "good.log")]).status, 0)
        let missing = dir.appendingPathComponent("audit.log.7").path
        let r = try TestSupport.auditq(["import", "--store", store, missing])
        XCTAssertEqual(r.status, 66, "expected EX_NOINPUT; stderr: \(r.stderr)")
        assertOneLine(r, naming: missing, also: "No such file")
        try assertOnlyWholeEvents(store, of: good, committedAtLeast: good.events)
    }

    /// `auditq import audit.log.1 audit.log` where one of them is gone: the
    /// readable file is imported, the missing one named in one line.
    func testMissingSecondInputFileStopsTheImportBeforeItStarts() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let good = BadInputLog(events: 100, firstSerial: Self.firstSerial)
        let goodPath = try write(good.bytes, dir, "audit.log.1")
        let missing = dir.appendingPathComponent("audit.log").path
        let r = try TestSupport.auditq(["import", "--store", store, goodPath, missing])
        XCTAssertEqual(r.status, 66, "expected EX_NOINPUT; stderr: \(r.stderr)")
        assertOneLine(r, naming: missing, also: nil)
        // Every input is checked before anything is imported: no half-done list, no store.
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "a store was created for an import that could not start")
    }

    // MARK: helpers

    /// Events committed in whole import batches before `events` events were read.
    func committedBatches(before events: Int) -> Int { events / Self.importBatch * Self.importBatch }

    func write(_ bytes: [UInt8], _ dir: URL, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Deterministic bytes that include NUL and control bytes; the first line
    /// (up to the first newline) is at least 64 bytes and holds a NUL.
    static func garbage(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var b = UInt8(truncatingIfNeeded: state >> 33)
            if i < 64 && b == 0x0A { b = 0x0B }
            out.append(b)
        }
        out[0] = 0x89
        out[5] = 0x00
        return out
    }

    static func makeForeignDatabase(_ path: String) throws {
        let sql = "CREATE TABLE host (name TEXT PRIMARY KEY, owner TEXT); INSERT INTO host VALUES ('db1', 'ops'), ('web2', 'dev');"
        if let sqlite3 = TestSupport.which("sqlite3") {
            let r = try TestSupport.run(sqlite3, [path, sql])
            XCTAssertEqual(r.status, 0, r.stderr)
        } else {
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: sql) }
            try queue.close()
        }
    }

    /// Each command runs on the foreign file as it was made, so a failure
    /// names the command that altered it.
    func assertForeignStoreRefused(_ foreign: String, dir: URL, log: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let url = URL(fileURLWithPath: foreign)
        let before = try Data(contentsOf: url)
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        for command in [["import", log], ["search"], ["search", "-k", "x"], ["summary"], ["verify"]] {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where !listing.contains(name) {
                try FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
            try before.write(to: url)
            let r = try TestSupport.auditq([command[0], "--store", foreign] + command.dropFirst())
            let what = command.joined(separator: " ")
            XCTAssertEqual(r.status, 65, "\(what) on a foreign store: expected EX_DATAERR; stderr: \(r.stderr)", file: file, line: line)
            assertOneLine(r, naming: foreign, also: "not an auditq store", context: what, file: file, line: line)
            let after = try Data(contentsOf: url)
            XCTAssertTrue(before == after, "\(what) changed the foreign file \(foreign) (\(before.count) -> \(after.count) bytes\(Self.firstDifference(before, after)))", file: file, line: line)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), listing,
                           "\(what) left files beside the foreign store", file: file, line: line)
        }
    }

    static func firstDifference(_ a: Data, _ b: Data) -> String {
        let n = min(a.count, b.count)
        var offsets: [Int] = []
        for i in 0..<n where a[a.startIndex + i] != b[b.startIndex + i] {
            offsets.append(i)
            if offsets.count == 4 { break }
        }
        return offsets.isEmpty ? "" : ", first differing byte offsets \(offsets)"
    }

    func stderrLines(_ r: TestSupport.Result) -> [String] {
        r.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Exactly one line on stderr; it names `naming` (FILE:LINE: for log input)
    /// and, when given, says `also`.
    func assertOneLine(_ r: TestSupport.Result, naming: String, also: String?, context: String = "",
                       file: StaticString = #filePath, line: UInt = #line) {
        let lines = stderrLines(r)
        XCTAssertEqual(lines.count, 1, "\(context): expected exactly one line on stderr, got \(lines.count):\n\(r.stderr)", file: file, line: line)
        guard let first = lines.first(where: { $0.contains(naming) }) ?? lines.first else {
            XCTFail("\(context): nothing on stderr", file: file, line: line)
            return
        }
        XCTAssertTrue(first.contains(naming), "\(context): stderr does not name '\(naming)':\n\(r.stderr)", file: file, line: line)
        if let also {
            XCTAssertTrue(first.contains(also), "\(context): stderr does not say '\(also)':\n\(r.stderr)", file: file, line: line)
        }
        XCTAssertTrue(first.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F || $0 == "\t" },
                      "\(context): the error line carries control bytes: \(first.debugDescription)", file: file, line: line)
    }

    func assertNoStackTrace(_ r: TestSupport.Result, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        for marker in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Swift runtime failure", "Please submit a bug report"] {
            XCTAssertFalse(r.stderr.contains(marker), "\(context): stack trace on stderr:\n\(r.stderr)", file: file, line: line)
        }
        XCTAssertLessThan(r.status, 128, "\(context): killed by a signal", file: file, line: line)
    }

    /// Serials of every stored event, in store order (csv column 4).
    func storedSerials(_ store: String) throws -> [Int] {
        let r = try TestSupport.auditq(["search", "--store", store, "--format", "csv"])
        if r.status == 1 && r.stderr.contains("<no matches>") { return [] }
        XCTAssertEqual(r.status, 0, "search failed: \(r.stderr)")
        return r.out.split(separator: "\n").dropFirst().compactMap { row in
            let columns = row.split(separator: ",", omittingEmptySubsequences: false)
            return columns.count > 3 ? Int(columns[3]) : nil
        }
    }

    func assertVerifies(_ store: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(v.status, 0, "verify after bad input: \(v.stderr)", file: file, line: line)
        XCTAssertTrue(v.out.contains("chain ok"), "verify: \(v.out)", file: file, line: line)
    }

    /// The store holds a prefix of the log's events, at least `committedAtLeast`
    /// of them, each one whole (its records byte for byte), nothing else, and
    /// `auditq verify` passes.
    func assertOnlyWholeEvents(_ store: String, of log: BadInputLog, committedAtLeast: Int,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let serials = try storedSerials(store)
        XCTAssertGreaterThanOrEqual(serials.count, committedAtLeast,
                                    "events committed before the bad spot are gone", file: file, line: line)
        XCTAssertLessThanOrEqual(serials.count, log.events, "more events than the log holds before the bad spot", file: file, line: line)
        XCTAssertEqual(serials, Array(log.serials.prefix(serials.count)),
                       "stored events are not the leading events of the log", file: file, line: line)
        let raw = try TestSupport.auditq(["search", "--store", store, "--raw"])
        if serials.isEmpty {
            XCTAssertEqual(raw.status, 1, file: file, line: line)
        } else {
            XCTAssertEqual(raw.status, 0, raw.stderr, file: file, line: line)
            XCTAssertTrue(Array(raw.stdout) == log.prefixBytes(events: serials.count),
                          "stored records are not the whole records of the first \(serials.count) events", file: file, line: line)
        }
        try assertVerifies(store, file: file, line: line)
    }
}

/// A generated audit.log: `events` fork events (SYSCALL + EOE), distinct serials,
/// ten events per second.
struct BadInputLog {
    let events: Int
    let firstSerial: Int
    let firstSeconds: Int
    let bytes: [UInt8]
    /// Byte offset where each event starts, plus the end.
    private let offsets: [Int]
    static let linesPerEvent = 2

    init(events: Int, firstSerial: Int, firstSeconds: Int = 1_682_609_045) {
        self.events = events
        self.firstSerial = firstSerial
        self.firstSeconds = firstSeconds
        var text = ""
        var offsets: [Int] = [0]
        text.reserveCapacity(events * 420)
        for i in 0..<events {
            let serial = firstSerial + i
            let seconds = firstSeconds + i / 10
            let stamp = "\(seconds).\(String(format: "%03d", (i % 10) * 100)):\(serial)"
            text += Self.syscallLine(stamp: stamp, pid: 70_000 + i % 20_000)
            text += "type=EOE msg=audit(\(stamp)): \n"
            offsets.append(text.utf8.count)
        }
        self.bytes = Array(text.utf8)
        self.offsets = offsets
    }

    var serials: [Int] { Array(firstSerial..<(firstSerial + events)) }
    var lineCount: Int { events * Self.linesPerEvent }
    var nextSerial: Int { firstSerial + events }
    var nextSeconds: Int { firstSeconds + events / 10 + 1 }
    func prefixBytes(events n: Int) -> [UInt8] { Array(bytes[0..<offsets[n]]) }

    static func syscallLine(serial: Int, seconds: Int, pid: Int, items: Int = 0) -> String {
        syscallLine(stamp: "\(seconds).000:\(serial)", pid: pid, items: items)
    }

    static func syscallLine(stamp: String, pid: Int, items: Int = 0) -> String {
        "type=SYSCALL msg=audit(\(stamp)): arch=c000003e syscall=56 success=yes exit=\(pid + 1) a0=1200011 a1=0 a2=0 a3=7fb30981aa10 items=\(items) ppid=3505 pid=\(pid) auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts7 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" subj=unconfined key=\"fork\"\n"
    }
}
