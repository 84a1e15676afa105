@testable import AuditCollector
import XCTest

/// The live gap finder: serials arriving a little out of order are not loss;
/// a serial still missing once higher ones have waited `settleMs` is; a
/// restart's floor turns what the killed run never stored into a gap.
final class LiveSerialTrackerTests: XCTestCase {
    typealias Gap = LiveSerialTracker.Gap

    func testInOrderAndShuffledSerialsAreNoLoss() {
        var t = LiveSerialTracker(settleMs: 2000)
        var gaps: [Gap] = []
        for s in [10, 11, 13, 12, 14, 16, 15, 17] as [Int64] { gaps += t.add(serial: s, timeMs: 1000, now: 0) }
        gaps += t.expire(now: 10_000)
        gaps += t.flush()
        XCTAssertEqual(gaps, [])
        XCTAssertEqual(t.floor, 17)
    }

    func testAMissingSerialBecomesAGapOnlyAfterItSettles() {
        var t = LiveSerialTracker(settleMs: 2000)
        _ = t.add(serial: 1, timeMs: 1000, now: 0)
        XCTAssertEqual(t.add(serial: 4, timeMs: 1005, now: 10), [])
        XCTAssertEqual(t.expire(now: 1500), [], "still within the settle time")
        XCTAssertEqual(t.expire(now: 2010), [Gap(firstSerial: 2, lastSerial: 3, beforeTimeMs: 1005)])
        XCTAssertEqual(t.add(serial: 5, timeMs: 1006, now: 2020), [])
        XCTAssertEqual(t.floor, 5)
        XCTAssertFalse(t.isWaiting)
    }

    func testAFullWindowSettlesAtOnce() {
        var t = LiveSerialTracker(settleMs: 60_000, window: 4)
        _ = t.add(serial: 1, timeMs: 0, now: 0)
        var gaps: [Gap] = []
        for s in 3...7 as ClosedRange<Int64> { gaps += t.add(serial: s, timeMs: 0, now: 0) }
        XCTAssertEqual(gaps.map(\.missing), [1])
        XCTAssertEqual(t.floor, 7)
    }

    func testARestartFloorShowsWhatTheKilledRunNeverStored() {
        var t = LiveSerialTracker(floor: 100, settleMs: 2000)
        _ = t.add(serial: 131, timeMs: 5000, now: 0)
        XCTAssertEqual(t.flush(), [Gap(firstSerial: 101, lastSerial: 130, beforeTimeMs: 5000)])
    }

    func testANewBootRestartsTheNumbering() {
        var t = LiveSerialTracker(settleMs: 2000, window: 16)
        for s in 5000...5010 as ClosedRange<Int64> { _ = t.add(serial: s, timeMs: 1_000, now: 0) }
        XCTAssertEqual(t.add(serial: 3, timeMs: 90_000, now: 0), [], "a far lower serial much later: a reboot, not a gap")
        XCTAssertEqual(t.add(serial: 4, timeMs: 90_001, now: 0), [])
        XCTAssertEqual(t.floor, 4)
    }
}
