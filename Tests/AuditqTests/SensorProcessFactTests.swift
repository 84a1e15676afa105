@testable import AuditQuery
import AuditRecords
@testable import AuditSensor
import AuditStore
import CBPFEvents
import Foundation
import GRDB
import XCTest

/// The sensor's process facts: the decoder turns ring-buffer records (with
/// the fork folded into a process's first exec or its exit, events.h) into
/// stored events, and `auditq tree` builds the tree from them alone, or from
/// them and audit's events with each action shown once.
///
/// Records are made as the kernel programs make them (the events.h structs)
/// and go through the real decoder and writer into a real store.
final class SensorProcessFactTests: XCTestCase {
    var dir: URL!
    var decoder = SensorEventDecoder(wallOffsetNs: 1_709_294_400_000_000_000, bootID: "b00710d0-0000-4000-8000-000000000001")

    override func setUpWithError() throws { dir = TestSupport.temporaryDirectory(name) }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    // MARK: records as the kernel writes them

    static func header(_ kind: UInt32, ms: Int64, pid: UInt32, ppid: UInt32, comm: String, size: Int) -> auditq_event_header {
        var h = auditq_event_header()
        h.kind = UInt16(kind)
        h.source = UInt8(AUDITQ_SOURCE_TRACEPOINT.rawValue)
        h.size = UInt32(size)
        h.boot_ns = UInt64(ms) * 1_000_000 + 123
        h.cgroup_id = 77
        h.pid = pid; h.tgid = pid; h.ppid = ppid
        h.uid = 1000; h.euid = 1000; h.loginuid = 1000; h.sessionid = 5
        withUnsafeMutableBytes(of: &h.comm) { c in for (i, b) in comm.utf8.prefix(15).enumerated() { c[i] = b } }
        return h
    }

    /// sched_process_exec; fork: (ms, parent) of the fork folded in.
    func exec(ms: Int64, pid: UInt32, ppid: UInt32, path: String, fork: (Int64, UInt32)? = nil) -> [AuditEvent] {
        var e = auditq_proc_exec_event()
        e.h = Self.header(AUDITQ_EV_PROC_EXEC.rawValue, ms: ms, pid: pid, ppid: ppid,
                          comm: String(path.split(separator: "/").last!), size: MemoryLayout<auditq_proc_exec_event>.size)
        e.argc = 1
        withUnsafeMutableBytes(of: &e.path) { c in for (i, b) in path.utf8.enumerated() { c[i] = b } }
        withUnsafeMutableBytes(of: &e.argv0) { c in for (i, b) in path.utf8.enumerated() { c[i] = b } }
        if let (forkMs, parent) = fork { e.fork_ns = UInt64(forkMs) * 1_000_000 + 45; e.fork_ppid = parent }
        return withUnsafeBytes(of: &e) { decoder.decode($0) }
    }

    /// sched_process_exit; fork: folded in when the process never exec'd.
    func exit(ms: Int64, pid: UInt32, ppid: UInt32, comm: String, fork: (Int64, UInt32)? = nil) -> [AuditEvent] {
        var e = auditq_proc_event()
        e.h = Self.header(AUDITQ_EV_PROC_EXIT.rawValue, ms: ms, pid: pid, ppid: ppid, comm: comm,
                          size: MemoryLayout<auditq_proc_event>.size)
        if let (forkMs, parent) = fork { e.fork_ns = UInt64(forkMs) * 1_000_000 + 45; e.fork_ppid = parent }
        return withUnsafeBytes(of: &e) { decoder.decode($0) }
    }

    // MARK: the decoder

    func testExecCarriesItsForkAndAnAuditShapedRawLine() throws {
        let events = exec(ms: 2_500, pid: 4300, ppid: 4242, path: "/bin/true", fork: (2_499, 4242))
        XCTAssertEqual(events.count, 1)
        let e = try XCTUnwrap(events.first)
        XCTAssertEqual(e.recordTypes, [SensorKinds.kind(named: "TP_EXEC")!.recordType])
        XCTAssertEqual(e.pid, 4300)
        XCTAssertEqual(e.exe, "/bin/true")
        XCTAssertEqual(e.argv, ["/bin/true"])
        let fields = Dictionary(e.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(fields["fork_ppid"], "4242")
        XCTAssertEqual(fields["fork_ns"], "2499000045")
        XCTAssertEqual(fields["argc"], "1", "the exec's argc, for the detectors (pwnkit's argc 0)")
        XCTAssertEqual(String(decoding: e.raw, as: UTF8.self),
                       "type=TP_EXEC msg=audit(1709294402.500:2500000123): hook=sched_process_exec source=tracepoint"
                       + " pid=4300 ppid=4242 uid=1000 euid=1000 auid=1000 ses=5 comm=\"true\" ret=0 tid=4300 cgroup=77"
                       + " boot=b00710d0-0000-4000-8000-000000000001 path=\"/bin/true\" argc=1 argv0=\"/bin/true\""
                       + " fork_ppid=4242 fork_ns=2499000045\n")
        // A later exec of the same process, or one forked before the sensor started: no fork.
        let later = try XCTUnwrap(exec(ms: 3_000, pid: 4300, ppid: 4242, path: "/bin/sh").first)
        XCTAssertFalse(later.fields.contains { $0.name.hasPrefix("fork_") })
    }

    func testQuotedTextIsEscaped() {
        XCTAssertEqual(SensorEventDecoder.quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"")
    }

    // MARK: the tree

    /// The tree, from sensor events alone:
    ///   100 bash (running before the sensor started: no fork)
    ///   ├── 200 sh (forked at 1.000, exec 1.010, exit 3.000)
    ///   │   └── 300 (forked by 200 at 1.500, never exec'd, exit 1.600)
    ///   └── 400 true (forked at 2.000, exec 2.010, exit 2.020)
    func sensorTree() -> [AuditEvent] {
        exec(ms: 500, pid: 100, ppid: 1, path: "/bin/bash")
            + exec(ms: 1_010, pid: 200, ppid: 100, path: "/bin/sh", fork: (1_000, 100))
            + exit(ms: 1_600, pid: 300, ppid: 200, comm: "sh", fork: (1_500, 200))
            + exec(ms: 2_010, pid: 400, ppid: 100, path: "/bin/true", fork: (2_000, 100))
            + exit(ms: 2_020, pid: 400, ppid: 100, comm: "true")
            + exit(ms: 3_000, pid: 200, ppid: 100, comm: "sh")
    }

    func store(_ events: [AuditEvent]) throws -> String {
        let path = dir.appendingPathComponent("s.db").path
        let writer = EventWriter(store: try EventStore(path: path, access: .write))
        XCTAssertEqual(try writer.commit(events: events, source: "sensor").inserted, events.count)
        return path
    }

    func testTreeFromSensorEventsAlone() throws {
        let path = try store(sensorTree())
        let tree = ProcessTree(try EventStore(path: path, access: .read).pool)

        guard case .found(let sh) = try tree.lookup(pid: 200) else { return XCTFail("pid 200 not found") }
        XCTAssertEqual(sh.process.fork?.pid, 100, "the fork folded into 200's exec")
        XCTAssertEqual(sh.process.program().exe, "/bin/sh")
        XCTAssertEqual(sh.process.end, .exit(timeMs: ProcessTreeTime.t0 + 3_000))
        XCTAssertEqual(sh.ancestors.compactMap { a -> Int64? in if case .process(let p) = a { return p.pid } else { return nil } }, [100])
        XCTAssertEqual(sh.children.map(\.instance.pid), [300])
        XCTAssertEqual(sh.children.first?.instance.end, .exit(timeMs: ProcessTreeTime.t0 + 1_600))

        guard case .found(let bash) = try tree.lookup(pid: 100) else { return XCTFail("pid 100 not found") }
        XCTAssertEqual(bash.children.map(\.instance.pid), [200, 400])
        XCTAssertEqual(bash.children.first?.children.map(\.instance.pid), [300])
        XCTAssertEqual(bash.children.last?.instance.program().exe, "/bin/true")

        let r = try TestSupport.auditq(["tree", "--store", path, "--format", "json", "100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("\"/bin/true\""), r.out)
    }

    /// Audit recorded 400's exec too (rules on execve): the tree shows it
    /// once, with audit's whole argv.
    func testAnExecBothRecordedIsShownOnce() throws {
        var audit = AuditEvent()
        audit.timeMs = ProcessTreeTime.t0 + 2_011
        audit.serial = 77
        audit.recordTypes = [1300, 1309]
        audit.arch = 0xC000_003E; audit.syscall = 59; audit.success = true; audit.exit = 0
        audit.pid = 400; audit.ppid = 100; audit.uid = 1000; audit.auid = 1000; audit.ses = 5
        audit.comm = "true"; audit.exe = "/usr/bin/true"; audit.argv = ["/bin/true", "--version"]
        audit.raw = Array("type=SYSCALL msg=audit(1709294402.011:77): arch=c000003e syscall=59 success=yes exit=0 ppid=100 pid=400 comm=\"true\" exe=\"/usr/bin/true\"\ntype=EXECVE msg=audit(1709294402.011:77): argc=2 a0=\"/bin/true\" a1=\"--version\"\n".utf8)
        let path = try store(sensorTree() + [audit])
        let tree = ProcessTree(try EventStore(path: path, access: .read).pool)
        guard case .found(let t) = try tree.lookup(pid: 400) else { return XCTFail("pid 400 not found") }
        XCTAssertEqual(t.process.execs.count, 1, "one exec, not audit's and the sensor's")
        XCTAssertEqual(t.process.execs.first?.source, "audit")
        XCTAssertEqual(t.process.program().argv, ["/bin/true", "--version"])
        XCTAssertEqual(t.process.fork?.pid, 100, "the fork only the sensor saw is kept")
    }
}

enum ProcessTreeTime {
    /// The wall time of boot-time 0 in these records (the decoder's offset), in ms.
    static let t0: Int64 = 1_709_294_400_000
}
