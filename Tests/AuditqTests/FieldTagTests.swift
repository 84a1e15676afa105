@testable import AuditRecords
import XCTest

/// The field names EventBuilder compares, written as packed literals, are
/// what FieldValue.tag makes of the names.
final class FieldTagTests: XCTestCase {
    func testPackedFieldNamesMatchTheirNames() {
        let tags: [(String, UInt64)] = [
            ("type", EventBuilder.tType),
            ("arch", EventBuilder.tArch),
            ("syscall", EventBuilder.tSyscall),
            ("success", EventBuilder.tSuccess),
            ("exit", EventBuilder.tExit),
            ("pid", EventBuilder.tPid),
            ("ppid", EventBuilder.tPpid),
            ("uid", EventBuilder.tUid),
            ("euid", EventBuilder.tEuid),
            ("gid", EventBuilder.tGid),
            ("auid", EventBuilder.tAuid),
            ("ses", EventBuilder.tSes),
            ("tty", EventBuilder.tTty),
            ("comm", EventBuilder.tComm),
            ("exe", EventBuilder.tExe),
            ("key", EventBuilder.tKey),
            ("item", EventBuilder.tItem),
            ("name", EventBuilder.tName),
            ("inode", EventBuilder.tInode),
            ("mode", EventBuilder.tMode),
            ("nametype", EventBuilder.tNametype),
            ("ouid", EventBuilder.tOuid),
            ("cwd", EventBuilder.tCwd),
            ("saddr", EventBuilder.tSaddr),
            ("argc", EventBuilder.tArgc),
            ("res", EventBuilder.tRes),
            ("msg", EventBuilder.tMsg),
            ("node", EventBuilder.tNode),
        ]
        XCTAssertEqual(tags.count, 28)
        for (name, tag) in tags {
            XCTAssertEqual(name.withCString { FieldValue.tag($0) }, tag, name)
        }
    }
}
