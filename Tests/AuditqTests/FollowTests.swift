@testable import AuditCollector
import AuditRecords
import AuditStore
import Foundation
import XCTest

/// `auditqd --follow FILE` on a log written piece by piece the way a writer
/// writes it: lines and events cut across writes, a rotation while running,
/// more lines and a rotation while stopped, a clean stop and a kill -9.
/// Whatever happened, the store holds exactly the events of everything
/// written: what `ausearch --raw` prints for the same data, what a one-shot
/// import of it stores, and no event twice.
final class FollowTests: XCTestCase {
    /// A real log (auditd 3.0.9 on this kernel, RAW format).
    var sample: [UInt8] {
        Array(FileManager.default.contents(atPath: TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path)!)
    }

    /// Offsets just past each newline of `data`.
    func lineEnds(_ data: [UInt8]) -> [Int] {
        data.indices.filter { data[$0] == 0x0A }.map { $0 + 1 }
    }

    /// The stamp `msg=audit(…)` of the line ending at `end`.
    func stamp(_ data: [UInt8], lineEndingAt end: Int) -> String {
        let start = (data[..<(end - 1)].lastIndex(of: 0x0A) ?? -1) + 1
        let line = String(decoding: data[start..<end], as: UTF8.self)
        return String(line.split(separator: " ").first { $0.hasPrefix("msg=audit(") } ?? "")
    }

    /// A line boundary inside a multi-record event near `near`: the line
    /// before and the line after it carry the same stamp.
    func boundaryInsideEvent(_ data: [UInt8], near: Int) -> Int {
        let ends = lineEnds(data)
        let i = ends.firstIndex { $0 >= near }!
        for j in i..<(ends.count - 1) where stamp(data, lineEndingAt: ends[j]) == stamp(data, lineEndingAt: ends[j + 1]) {
            return ends[j]
        }
        XCTFail("no multi-record event after \(near)")
        return ends[i]
    }

    /// An offset inside a line near `near` (not at a boundary).
    func insideLine(_ data: [UInt8], near: Int) -> Int {
        var at = near
        while data[at - 1] == 0x0A || data[at] == 0x0A { at += 1 }
        return at
    }

    func append(_ bytes: ArraySlice<UInt8>, to path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw TestSupport.missing("cannot open \(path)") }
        defer { close(fd) }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        XCTAssertEqual(n, bytes.count)
    }

    func rename(_ from: String, _ to: String) {
        XCTAssertEqual(Glibc.rename(from, to), 0, "mv \(from) \(to)")
    }

    func eventCount(_ store: String) -> Int {
        guard FileManager.default.fileExists(atPath: store),
              let out = try? TestSupport.auditq(["search", "--store", store, "--format", "json"]) else { return 0 }
        return out.out.split(separator: "\n").count
    }

    /// Appends while the follower runs and waits until it has stored
    /// something of what was appended (at most `timeout`: a piece that
    /// ends no event adds nothing).
    func appendAndWait(_ bytes: ArraySlice<UInt8>, to path: String, store: String, timeout: TimeInterval = 3) throws {
        let before = eventCount(store)
        try append(bytes, to: path)
        TestSupport.wait(timeout: timeout) { eventCount(store) > before }
    }

    /// Waits until the store holds `count` events (or `timeout` passes).
    func waitForEvents(_ store: String, atLeast count: Int, timeout: TimeInterval = 20) {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && eventCount(store) < count { usleep(100_000) }
    }

    func ledger(_ store: String, _ kinds: [Ledger.Kind]) throws -> [Ledger.Row] {
        let s = try EventStore(path: store, access: .read)
        return try s.pool.read { try Ledger.rows($0, kinds: kinds) }
    }

    /// The store holds exactly the events of `data`: ausearch's raw output,
    /// and event for event what an import of the same bytes stores.
    func assertStoreHoldsExactly(_ data: [UInt8], store: String, dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let all = dir.appendingPathComponent("all-written.log")
        try Data(data).write(to: all)
        let ours = try TestSupport.auditq(["search", "--store", store, "--raw"])
        XCTAssertEqual(ours.status, 0, ours.stderr, file: file, line: line)
        if let ausearch = TestSupport.which("ausearch") {
            let theirs = try TestSupport.run(ausearch, ["--raw", "-if", all.path])
            assertSameLines(ours.out, theirs.out, "auditq search --raw = ausearch --raw over everything written", file: file, line: line)
        }
        let reference = dir.appendingPathComponent("reference.db").path
        let imported = try TestSupport.auditq(["import", "--store", reference, all.path])
        XCTAssertEqual(imported.status, 0, imported.stderr, file: file, line: line)
        let expected = try TestSupport.auditq(["search", "--store", reference, "--format", "json"]).out
        let got = try TestSupport.auditq(["search", "--store", store, "--format", "json"]).out
        let expectedEvents = expected.split(separator: "\n"), gotEvents = got.split(separator: "\n")
        XCTAssertEqual(gotEvents.count, expectedEvents.count, "events: no piece, no duplicate, none lost", file: file, line: line)
        assertSameLines(got, expected, "the same events, in the same order, as an import of the same bytes", file: file, line: line)
        let verify = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(verify.status, 0, verify.out + verify.stderr, file: file, line: line)
    }

    /// Equal texts, or the first line that differs (not megabytes of both).
    func assertSameLines(_ got: String, _ expected: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard got != expected else { return }
        let a = got.split(separator: "\n", omittingEmptySubsequences: false)
        let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        XCTFail("\(what): \(a.count) vs \(b.count) lines, first difference at line \(i + 1):\n  got:      \(i < a.count ? a[i].prefix(300) : "<end>")\n  expected: \(i < b.count ? b[i].prefix(300) : "<end>")", file: file, line: line)
    }

    func testFollowAcrossRotationsAndRestart() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path
        let store = dir.appendingPathComponent("s.db").path
        let data = sample
        let n = data.count
        // Cut points: a line cut across writes, an event cut across writes, a
        // rotation inside an event, more of both while running and while stopped.
        let a1 = insideLine(data, near: n / 10)
        let a2 = boundaryInsideEvent(data, near: n / 6)
        let b1 = insideLine(data, near: n / 4)
        let b2 = boundaryInsideEvent(data, near: n / 3)
        let rot1 = boundaryInsideEvent(data, near: 2 * n / 5)
        let c1 = insideLine(data, near: n / 2)
        let d1 = insideLine(data, near: 3 * n / 5)           // written while stopped, then rotated
        let e1 = boundaryInsideEvent(data, near: 7 * n / 10) // the new log while stopped (rotations fall between lines)
        let f1 = insideLine(data, near: 4 * n / 5)
        XCTAssertTrue([0, a1, a2, b1, b2, rot1, c1, d1, e1, f1, n] == [0, a1, a2, b1, b2, rot1, c1, d1, e1, f1, n].sorted())

        try append(data[0..<a1], to: log)
        try append(data[a1..<a2], to: log)
        let first = try AuditqdProcess(["--follow", log, "--store", store])
        XCTAssertTrue(first.waitFor("following \(log)"), first.stderr)
        try appendAndWait(data[a2..<b1], to: log, store: store)
        try appendAndWait(data[b1..<b2], to: log, store: store)
        try appendAndWait(data[b2..<rot1], to: log, store: store)
        rename(log, log + ".1")                 // auditd's rotation: the old log keeps its inode
        try appendAndWait(data[rot1..<c1], to: log, store: store)    // the new log
        try appendAndWait(data[c1..<d1], to: log, store: store)
        XCTAssertEqual(first.stop(), 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("stopped by signal SIGTERM"), first.stderr)
        XCTAssertTrue(first.stderr.contains("reading on in \(log)"), "the rotation was followed: \(first.stderr)")
        XCTAssertGreaterThan(eventCount(store), 0)

        // While stopped: more lines, then another rotation and a new log.
        try append(data[d1..<e1], to: log)
        rename(log + ".1", log + ".2")
        rename(log, log + ".1")
        try append(data[e1..<f1], to: log)

        let second = try AuditqdProcess(["--follow", log, "--store", store])
        XCTAssertTrue(second.waitFor("following \(log)"), second.stderr)
        XCTAssertTrue(second.stderr.contains("resuming \(log).1 at byte"), "resumes in the rotated file: \(second.stderr)")
        try append(data[f1..<n], to: log)
        let expected = try expectedEventCount(data, dir: dir)
        waitForEvents(store, atLeast: expected)
        XCTAssertEqual(second.stop(), 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("did not stop cleanly"), second.stderr)

        try assertStoreHoldsExactly(data, store: store, dir: dir)
        let source = "follow:\(log)"
        let rows = try ledger(store, [.followCursor, .collectorStart, .collectorStop,
                                      .uncleanStop, .skippedLine, .followGap])
        XCTAssertTrue(rows.allSatisfy { $0.source == source }, "\(rows.map { $0.source ?? "" })")
        XCTAssertEqual(rows.filter { $0.kind == .collectorStart }.count, 2)
        XCTAssertEqual(rows.filter { $0.kind == .collectorStop }.count, 2)
        let expectedKinds: [Ledger.Kind] = [.followCursor, .collectorStart, .collectorStop]
        XCTAssertEqual(rows.filter { !expectedKinds.contains($0.kind) }.map { $0.kind }, [], "no unclean stop, no line passed over, no gap")
        let cursors = rows.filter { $0.kind == .followCursor }.compactMap { $0.decode(Cursor.self) }
        XCTAssertGreaterThanOrEqual(cursors.count, 3)
        // The last cursor: the live log, read to its end.
        var st = stat()
        XCTAssertEqual(stat(log, &st), 0)
        XCTAssertEqual(cursors.last?.inode, UInt64(st.st_ino))
        XCTAssertEqual(cursors.last?.offset, Int64(st.st_size))
        XCTAssertEqual(cursors.last?.fingerprint.count, 64, "SHA-256 of the file's first bytes")
    }

    /// kill -9 while lines arrive, more lines while it is down, a restart:
    /// the cursor it had committed is where the next run starts; what was
    /// read after it is read again and the store adds it once.
    func testKillNineMidStreamLosesAndDuplicatesNothing() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path
        let store = dir.appendingPathComponent("s.db").path
        let data = sample
        // 20 writes cut at arbitrary bytes (mid-line, mid-event).
        var cuts = (1..<20).map { insideLine(data, near: $0 * data.count / 20 + 37) }
        cuts = [0] + cuts + [data.count]
        try append(data[cuts[0]..<cuts[1]], to: log)
        let first = try AuditqdProcess(["--follow", log, "--store", store, "--batch-events", "16"])
        XCTAssertTrue(first.waitFor("following \(log)"), first.stderr)
        for i in 1..<9 {
            try appendAndWait(data[cuts[i]..<cuts[i + 1]], to: log, store: store)
        }
        waitForEvents(store, atLeast: 100)
        let before = eventCount(store)
        XCTAssertGreaterThanOrEqual(before, 100)
        first.kill9()
        for i in 9..<13 { try append(data[cuts[i]..<cuts[i + 1]], to: log) }

        let second = try AuditqdProcess(["--follow", log, "--store", store, "--batch-events", "16"])
        XCTAssertTrue(second.waitFor("following \(log)"), second.stderr)
        XCTAssertTrue(second.stderr.contains("did not stop cleanly"), second.stderr)
        XCTAssertTrue(second.stderr.contains("resuming \(log) at byte"), second.stderr)
        for i in 13..<20 {
            try appendAndWait(data[cuts[i]..<cuts[i + 1]], to: log, store: store)
        }
        waitForEvents(store, atLeast: try expectedEventCount(data, dir: dir))
        XCTAssertEqual(second.stop(), 0, second.stderr)

        try assertStoreHoldsExactly(data, store: store, dir: dir)
        let rows = try ledger(store, [.uncleanStop, .followCursor])
        XCTAssertEqual(rows.filter { $0.kind == .uncleanStop }.count, 1, "the kill is in the ledger")
        XCTAssertGreaterThanOrEqual(rows.filter { $0.kind == .followCursor }.count, 2)
    }

    /// The cursor's promise at the parser: input cut anywhere (at a line
    /// boundary, as the follower hands it on), then read again from the
    /// settled offset, gives every event of one whole read, none in pieces.
    func testResumingAtTheSettledOffsetGivesTheSameEvents() throws {
        let data = sample
        struct Identity: Hashable { var node: String; var timeMs: Int64; var serial: Int64; var types: [Int32] }
        func parse(_ bytes: ArraySlice<UInt8>, finish: Bool) throws -> (events: [Identity], settled: Int64) {
            var events: [Identity] = []
            let parser = try AuditLogParser(source: "test") { e in
                events.append(Identity(node: e.node, timeMs: e.timeMs, serial: e.serial, types: e.recordTypes))
            }
            try bytes.withUnsafeBytes { try parser.consume($0) }
            let settled = parser.settledOffset()
            if finish { try parser.finish() }
            return (events, settled)
        }
        let whole = try parse(data[...], finish: true).events
        XCTAssertEqual(whole.count, 410)
        var resumedInside = 0
        for cut in stride(from: 200, to: data.count, by: 1499) {
            let lineCut = data[..<cut].lastIndex(of: 0x0A)! + 1
            let (first, settled) = try parse(data[..<lineCut], finish: false)
            XCTAssertLessThanOrEqual(settled, Int64(lineCut))
            XCTAssertTrue(settled == 0 || data[Int(settled) - 1] == 0x0A, "settled at a line start")
            if settled < Int64(lineCut) { resumedInside += 1 }
            let (second, _) = try parse(data[Int(settled)...], finish: true)
            let union = Set(first).union(second)
            XCTAssertEqual(union, Set(whole), "cut at \(lineCut), resumed at \(settled)")
            XCTAssertEqual(union.count, whole.count, "no event in pieces")
        }
        XCTAssertGreaterThan(resumedInside, 10, "most cuts fall inside an event auparse still holds")
    }

    /// Lines cut across reads come out whole, at their offsets; bad lines
    /// (not a record, over 64 KiB) are passed over and reported, however the
    /// input is cut.
    func testLineAssemblerCutsAnyWayTheSame() throws {
        let log = sample
        let ends = lineEnds(log)
        let garbage = Array("not an audit record at all\n".utf8)
        let long = Array("type=SYSCALL msg=audit(1795933424.009:1): a0=".utf8) + Array(repeating: UInt8(ascii: "x"), count: 70_000) + [0x0A]
        let data = Array(log[..<ends[10]]) + garbage + Array(log[ends[10]..<ends[20]]) + long + Array(log[ends[20]...])
        let good = Array(log)
        for size in [1, 2, 7, 300, 4096, 65_537, 1 << 20] {
            var assembler = LineAssembler()
            var out: [UInt8] = []
            var skipped: [Int64] = []
            var at = 0
            func emit(_ bytes: UnsafeRawBufferPointer, _ offset: Int64) {
                XCTAssertEqual(Array(bytes), Array(data[Int(offset)..<Int(offset) + bytes.count]), "offset of emitted lines")
                XCTAssertEqual(bytes.last, 0x0A)
                out += bytes
            }
            while at < data.count {
                let end = min(data.count, at + size)
                try data[at..<end].withUnsafeBytes { try assembler.add($0, at: Int64(at), emit: emit, skip: { skipped.append($0.offset) }) }
                at = end
            }
            try assembler.finishInput(at: Int64(data.count), emit: emit, skip: { skipped.append($0.offset) })
            XCTAssertEqual(out, good, "chunks of \(size)")
            XCTAssertEqual(skipped, [Int64(ends[10]), Int64(ends[20] + garbage.count)], "chunks of \(size)")
        }
    }

    /// A follower needs only read access to the log: no root, no audit socket.
    func testFollowWithoutRootAndBadLines() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path
        let store = dir.appendingPathComponent("s.db").path
        let data = sample
        let cut = boundaryInsideEvent(data, near: data.count / 2)
        let ends = lineEnds(data)
        let eventStart = ends.last { $0 < cut && stamp(data, lineEndingAt: $0) != stamp(data, lineEndingAt: cut) }!
        // A line that is not an audit record between two events: passed over, in the ledger.
        let garbage = Array("this is not an audit record\n".utf8)
        try append(data[0..<eventStart], to: log)
        try append(garbage[...], to: log)
        try append(data[eventStart...], to: log)
        // As root, it runs as nobody: the directory and the log are readable, the store's directory writable.
        var nobody = false
        if geteuid() == 0 {
            guard TestSupport.which("setpriv") != nil else { throw TestSupport.missing("setpriv is not installed") }
            chmod(dir.path, 0o755)
            XCTAssertEqual(chown(dir.path, 65534, 65534), 0)
            XCTAssertEqual(chmod(log, 0o644), 0)
            nobody = true
        }
        let process = try AsUser(nobody: nobody, [AuditqdProcess.executable, "--follow", log, "--store", store], stderr: dir.appendingPathComponent("auditqd.err"))
        XCTAssertTrue(process.waitFor("following \(log)"), process.stderr)
        waitForEvents(store, atLeast: try expectedEventCount(data, dir: dir))
        XCTAssertEqual(process.stop(), 0, process.stderr)
        XCTAssertTrue(process.stderr.contains("not an audit record"), process.stderr)
        try assertStoreHoldsExactly(data, store: store, dir: dir)
        let skipped = try ledger(store, [.skippedLine])
        XCTAssertEqual(skipped.count, 1)
        XCTAssertEqual(skipped.first?.count, Int64(garbage.count))
        XCTAssertTrue(skipped.first?.detail?.contains("byte \(eventStart)") ?? false, skipped.first?.detail ?? "")
    }

    func testFollowRejectsKernelOptions() throws {
        for args in [["--follow", "x.log", "--mode", "passive"], ["--follow", "x.log", "--rules", "r"], ["--follow", "x.log", "--plugin"]] {
            let result = try TestSupport.run(AuditqdProcess.executable, args)
            XCTAssertEqual(result.status, 64, "\(args): \(result.stderr)")
        }
        let missing = try TestSupport.run(AuditqdProcess.executable, ["--follow", "/nonexistent-dir/audit.log", "--store", "/tmp/x.db"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("/nonexistent-dir"), missing.stderr)
    }

    /// The store's folder renamed under a running follower: it stops within
    /// seconds with one line and exit 69, and the moved store holds every
    /// batch it committed and its stop row.
    func testStoreMovedUnderTheCollectorStopsIt() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path
        let folder = dir.appendingPathComponent("store"), moved = dir.appendingPathComponent("moved")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = folder.appendingPathComponent("s.db").path
        let data = sample
        let half = boundaryInsideEvent(data, near: data.count / 2)
        try append(data[0..<half], to: log)
        let daemon = try AuditqdProcess(["--follow", log, "--store", store])
        XCTAssertTrue(daemon.waitFor("following \(log)"), daemon.stderr)
        waitForEvents(store, atLeast: 100)
        try FileManager.default.moveItem(at: folder, to: moved)
        try append(data[half...], to: log)
        XCTAssertTrue(TestSupport.wait { !daemon.process.isRunning }, "it stops")
        XCTAssertEqual(daemon.stop(), 69, daemon.stderr)
        XCTAssertTrue(daemon.stderr.contains("auditqd: the store \(store) was removed or renamed under auditqd"), daemon.stderr)

        let movedStore = moved.appendingPathComponent("s.db").path
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", movedStore]).status, 0)
        let status = try TestSupport.auditq(["status", "--store", movedStore]).out
        XCTAssertTrue(status.contains("collector  stopped at") && status.contains("was removed or renamed"), status)
        XCTAssertGreaterThanOrEqual(eventCount(movedStore), 100)
    }

    /// auditqd started directly (as nobody through setpriv, which execs it:
    /// the pid is auditqd's), stderr to a file.
    final class AsUser {
        let process = Process()
        let errPath: URL
        init(nobody: Bool, _ command: [String], stderr: URL) throws {
            errPath = stderr
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: nobody ? TestSupport.which("setpriv")! : command[0])
            process.arguments = nobody ? ["--reuid=65534", "--regid=65534", "--clear-groups", "--"] + command : Array(command.dropFirst())
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: stderr)
            try process.run()
        }
        var stderr: String { (try? String(contentsOf: errPath, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String, timeout: TimeInterval = 20) -> Bool {
            let end = Date().addingTimeInterval(timeout)
            while Date() < end {
                if stderr.contains(text) { return true }
                if !process.isRunning { return stderr.contains(text) }
                usleep(20_000)
            }
            return false
        }
        func stop() -> Int32 {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let end = Date().addingTimeInterval(30)
            while process.isRunning && Date() < end { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
    }

    struct Cursor: Decodable {
        var inode: UInt64
        var offset: Int64
        var fingerprint: String
    }

    /// Events in `data` as a one-shot import stores them.
    func expectedEventCount(_ data: [UInt8], dir: URL) throws -> Int {
        let path = dir.appendingPathComponent("count.log")
        try Data(data).write(to: path)
        let store = dir.appendingPathComponent("count.db").path
        defer { try? FileManager.default.removeItem(atPath: store); try? FileManager.default.removeItem(at: path) }
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, path.path]).status, 0)
        return eventCount(store)
    }
}
