import Foundation
import XCTest

/// A store on a filesystem that fills up mid-import: one clear line, a
/// non-zero exit, and every batch committed before stays and verifies.
final class FullDiskTests: XCTestCase {
    /// A tmpfs of `size` at dir/small, unmounted by the returned closure.
    func smallDisk(_ dir: URL, size: String) throws -> (URL, () -> Void) {
        guard geteuid() == 0, let mount = TestSupport.which("mount"), let umount = TestSupport.which("umount") else {
            throw TestSupport.missing("needs root to mount a small tmpfs")
        }
        let small = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        guard try TestSupport.run(mount, ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", small.path]).status == 0 else {
            throw TestSupport.missing("cannot mount tmpfs here")
        }
        return (small, { _ = try? TestSupport.run(umount, [small.path]) })
    }

    /// `count` exec events with distinct argv (~500 bytes each, hardly compressible).
    static func execLog(_ count: Int) -> String {
        var text = ""
        text.reserveCapacity(count * 520)
        for i in 0..<count {
            let stamp = "\(1_700_000_000 + i / 100).\(String(format: "%03d", i % 100 * 10)):\(1000 + i)"
            text += "type=SYSCALL msg=audit(\(stamp)): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=\(2000 + i) auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=7 comm=\"prog\(i)\" exe=\"/usr/bin/prog\(i)\" key=\"exec\"\n"
            text += "type=EXECVE msg=audit(\(stamp)): argc=2 a0=\"prog\(i)\" a1=\"--unique-argument-\(i)-\(UUID().uuidString)\"\n"
            text += "type=PATH msg=audit(\(stamp)): item=0 name=\"/usr/bin/prog\(i)\" inode=\(100_000 + i) dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n"
            text += "type=EOE msg=audit(\(stamp)): \n"
        }
        return text
    }

    func testImportOntoAFullDiskKeepsCommittedBatches() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (small, unmount) = try smallDisk(dir, size: "16m")
        defer { unmount() }

        // 60 000 exec events with distinct argv: far more than 16 MiB of store.
        let log = dir.appendingPathComponent("audit.log")
        try Self.execLog(60_000).write(to: log, atomically: false, encoding: .utf8)
        let store = small.appendingPathComponent("s.db").path

        let result = try TestSupport.auditq(["import", "--store", store, log.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("disk full"), result.stderr)

        // What was committed is whole and verifies (the head file may not fit: verify says so).
        let verify = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        let csv = try TestSupport.auditq(["search", "--store", store, "--format", "csv"])
        let stored = csv.out.split(separator: "\n").count - 1
        XCTAssertGreaterThan(stored, 0, "at least one batch should fit in 16 MiB")
        XCTAssertLessThan(stored, 60_000)
        XCTAssertEqual(stored % 8192, 0, "only whole batches are kept")
    }

    /// A collector whose disk fills up waits for space (one log line), goes
    /// on when there is room again, and loses nothing: the ledger holds a
    /// store_full row for the time it waited.
    func testCollectorWaitsForSpaceThenGoesOn() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (small, unmount) = try smallDisk(dir, size: "1m")
        defer { unmount() }
        let log = dir.appendingPathComponent("audit.log").path
        try Self.execLog(8000).write(toFile: log, atomically: false, encoding: .utf8)
        let store = small.appendingPathComponent("s.db").path
        let daemon = try AuditqdProcess(["--follow", log, "--store", store])
        XCTAssertTrue(daemon.waitFor("disk full writing \(store): waiting for space"), daemon.stderr)
        XCTAssertTrue(daemon.process.isRunning, "it waits instead of exiting")
        XCTAssertEqual(try TestSupport.run(TestSupport.which("mount")!, ["-o", "remount,size=64m", small.path]).status, 0)
        XCTAssertTrue(daemon.waitFor("space again in \(store)"), daemon.stderr)
        XCTAssertTrue(TestSupport.wait(timeout: 60) { TestSupport.storedCount(store) >= 8000 }, "every event stored")
        XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
        XCTAssertEqual(daemon.stderr.components(separatedBy: "disk full").count - 1, 1, "one line: \(daemon.stderr)")

        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        XCTAssertEqual(TestSupport.storedCount(store), 8000)
        struct Status: Decodable { var gaps: [Gap]; struct Gap: Decodable { var kind: String } }
        let status = try TestSupport.auditq(["status", "--store", store, "--format", "json"])
        XCTAssertEqual(try JSONDecoder().decode(Status.self, from: status.stdout).gaps.map(\.kind), ["store_full"], status.out)
    }
}
