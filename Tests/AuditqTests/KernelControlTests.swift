import AuditKernel
import Foundation
import XCTest

/// The one kernel audit control (AuditKernel), which `auditq status`, the
/// rule loader and the collector share: what it reads and sets is what
/// auditctl reads, on the real kernel audit socket.
final class KernelControlTests: XCTestCase {
    func testStatusAndSettingsAreAuditctls() throws {
        try KernelAudit.exclusive {
            let control = try KernelAuditControl()
            let ours = try control.status()
            let theirs = try KernelAudit.status()
            XCTAssertEqual(Int(ours.enabled), theirs.int("enabled"))
            XCTAssertEqual(Int(ours.failure), theirs.int("failure"))
            XCTAssertEqual(Int(ours.pid), theirs.int("pid"))
            XCTAssertEqual(Int(ours.backlogLimit), theirs.int("backlog_limit"))
            XCTAssertEqual(Int(ours.backlogWaitTime), theirs.int("backlog_wait_time"))
            // A setting made through the control is what auditctl then reads
            // (KernelAudit.exclusive puts the found values back).
            let limit: UInt32 = ours.backlogLimit == 8191 ? 8192 : 8191
            try control.set(.backlogLimit(limit))
            XCTAssertEqual(try KernelAudit.status().int("backlog_limit"), Int(limit))
            XCTAssertEqual(try control.status().backlogLimit, limit, "a second request reads its own answer")
        }
    }
}
