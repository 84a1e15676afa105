import AuditRecords
import XCTest

/// The one gap finder of every source: serials arriving a little out of
/// order are not loss; a serial still missing once higher ones have waited
/// `settleMs` is; a wrap at 2^32 continues the numbering, a reboot restarts
/// it; auditd's own records are left out; a restart's floor turns what the
/// killed run never stored into a gap.
final class SerialGapTrackerTests: XCTestCase {
    typealias Gap = SerialGapTracker.Gap

    private func add(_ t: inout SerialGapTracker, _ serial: Int64, time: Int64, now: Int64 = 0,
                     type: Int32 = 1300, node: String = "") -> [Gap] {
        t.add(node: node, serial: serial, timeMs: time, firstRecordType: type, now: now)
    }

    private func spans(_ gaps: [Gap]) -> [[Int64]] { gaps.map { [$0.firstSerial, $0.lastSerial] } }

    func testInOrderAndShuffledSerialsAreNoLoss() {
        var t = SerialGapTracker(settleMs: 2000)
        var gaps: [Gap] = []
        for s in [10, 11, 13, 12, 14, 16, 15, 17] as [Int64] { gaps += add(&t, s, time: 1000) }
        gaps += t.expire(now: 10_000)
        gaps += t.flush()
        XCTAssertEqual(gaps, [])
        XCTAssertEqual(t.floor(node: ""), 17)
    }

    func testAMissingSerialBecomesAGapOnlyAfterItSettles() {
        var t = SerialGapTracker(settleMs: 2000)
        _ = add(&t, 1, time: 1000)
        XCTAssertEqual(add(&t, 4, time: 1005, now: 10), [])
        XCTAssertEqual(t.expire(now: 1500), [], "still within the settle time")
        XCTAssertEqual(t.expire(now: 2010), [Gap(node: "", firstSerial: 2, lastSerial: 3, afterTimeMs: 1000, beforeTimeMs: 1005)])
        XCTAssertEqual(add(&t, 5, time: 1006, now: 2020), [])
        XCTAssertEqual(t.floor(node: ""), 5)
        XCTAssertFalse(t.isWaiting)
    }

    func testAFullWindowSettlesAtOnce() {
        var t = SerialGapTracker(settleMs: 60_000, window: 4)
        _ = add(&t, 1, time: 0)
        var gaps: [Gap] = []
        for s in 3...7 as ClosedRange<Int64> { gaps += add(&t, s, time: 0) }
        XCTAssertEqual(gaps.map(\.missing), [1])
        XCTAssertEqual(t.floor(node: ""), 7)
    }

    func testARestartFloorShowsWhatTheKilledRunNeverStored() {
        var t = SerialGapTracker(settleMs: 2000)
        t.setFloor(node: "", serial: 100)
        _ = add(&t, 131, time: 5000)
        XCTAssertEqual(t.flush(), [Gap(node: "", firstSerial: 101, lastSerial: 130, afterTimeMs: 0, beforeTimeMs: 5000)])
    }

    func testANewBootRestartsTheNumbering() {
        var t = SerialGapTracker(settleMs: 2000, window: 16)
        for s in 5000...5010 as ClosedRange<Int64> { _ = add(&t, s, time: 1_000) }
        XCTAssertEqual(add(&t, 3, time: 90_000), [], "a lower serial stamped much later: a reboot, not a gap")
        XCTAssertEqual(add(&t, 4, time: 90_001), [])
        XCTAssertEqual(t.floor(node: ""), 4)
        XCTAssertEqual(t.flush(), [])
    }

    func testAWrapAt2To32IsNotAGap() {
        var t = SerialGapTracker(settleMs: 2000)
        var gaps: [Gap] = []
        for s: Int64 in [4_294_967_293, 4_294_967_294, 4_294_967_295, 0, 1, 2] { gaps += add(&t, s, time: 1000 + s % 7) }
        gaps += t.flush()
        XCTAssertEqual(gaps, [], "the numbering wraps within one boot, seconds apart")
        XCTAssertEqual(t.floor(node: ""), 2)
        var w = SerialGapTracker()
        for s: Int64 in [4_294_967_294, 4_294_967_295, 1, 2] { _ = add(&w, s, time: 0) }
        XCTAssertEqual(spans(w.flush()), [[0, 0]], "serial 0 is missing across the wrap")
    }

    func testGapsPerBootAndNodeWithDaemonRecordsLeftOut() {
        var t = SerialGapTracker()
        var gaps: [Gap] = []
        for s: Int64 in [10, 11, 13, 14, 17] { gaps += add(&t, s, time: s, now: s) }
        gaps += add(&t, 16, time: 16, now: 16)   // arrives late: reordering, not a reboot
        gaps += add(&t, 9000, time: 20, now: 20, type: 1200)   // DAEMON_START: auditd's own numbering
        gaps += add(&t, 50, time: 21, now: 21, node: "other")
        gaps += add(&t, 52, time: 22, now: 22, node: "other")
        for s: Int64 in [1, 2, 4] { gaps += add(&t, s, time: 60_000 + s, now: 60_000 + s) }   // reboot
        gaps += t.flush()
        XCTAssertEqual(gaps.filter { $0.node == "" }.map { [$0.firstSerial, $0.lastSerial] }, [[12, 12], [15, 15], [3, 3]])
        XCTAssertEqual(spans(gaps.filter { $0.node == "other" }), [[51, 51]])
    }
}
