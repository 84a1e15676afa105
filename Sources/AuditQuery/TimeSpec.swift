import Foundation

/// ausearch's `-ts`/`-te` values: a keyword (now, recent, this-hour, boot,
/// today, yesterday, this-week, week-ago, this-month, this-year) or a date
/// (MM/DD/YYYY, MM/DD/YY, YYYY-MM-DD), optionally followed by a time
/// (HH:MM:SS or HH:MM); `@SECONDS` is accepted too. Local time, like ausearch.
public enum TimeSpec {
    public enum Edge { case start, end }

    public struct Invalid: Error, CustomStringConvertible {
        public let value: String
        public var description: String {
            "cannot read '\(value)' as a time: use now, recent, this-hour, boot, today, yesterday, this-week, week-ago, this-month, this-year, MM/DD/YYYY, YYYY-MM-DD or @SECONDS, optionally followed by HH:MM[:SS]"
        }
    }

    /// Milliseconds since the epoch for the given words (one or two).
    public static func resolve(_ words: [String], edge: Edge, now: Date = Date(), calendar: Calendar = .current) throws -> Int64 {
        guard !words.isEmpty, words.count <= 2 else { throw Invalid(value: words.joined(separator: " ")) }
        var cal = calendar
        cal.firstWeekday = 1
        let startOfToday = cal.startOfDay(for: now)
        var day: Date?
        var instant: Date?
        var timeOfDay: (h: Int, m: Int, s: Int)?
        for word in words {
            if let t = parseTime(word) { timeOfDay = t; continue }
            switch word {
            case "now": instant = now
            case "recent": instant = now.addingTimeInterval(-600)
            case "this-hour": instant = cal.dateInterval(of: .hour, for: now)?.start
            case "boot": instant = bootTime() ?? now
            case "today": day = startOfToday
            case "yesterday": day = cal.date(byAdding: .day, value: -1, to: startOfToday)
            case "this-week": day = cal.dateInterval(of: .weekOfYear, for: now)?.start
            case "week-ago": day = cal.date(byAdding: .day, value: -7, to: startOfToday)
            case "this-month": day = cal.dateInterval(of: .month, for: now)?.start
            case "this-year": day = cal.dateInterval(of: .year, for: now)?.start
            default:
                if word.hasPrefix("@"), let secs = Double(word.dropFirst()) {
                    instant = Date(timeIntervalSince1970: secs)
                } else if let d = parseDate(word, calendar: cal) {
                    day = d
                } else {
                    throw Invalid(value: word)
                }
            }
        }
        if let instant {
            if timeOfDay != nil || day != nil { throw Invalid(value: words.joined(separator: " ")) }
            return Int64((instant.timeIntervalSince1970 * 1000).rounded(.down))
        }
        let base = day ?? startOfToday
        var result: Date
        if let t = timeOfDay {
            guard let d = cal.date(bySettingHour: t.h, minute: t.m, second: t.s, of: base) else {
                throw Invalid(value: words.joined(separator: " "))
            }
            result = d
            if edge == .end { result = result.addingTimeInterval(0.999) }
        } else if edge == .end {
            // A day as an end: the whole of that day, but never past now for today.
            let endOfDay = cal.date(byAdding: .day, value: 1, to: base)!.addingTimeInterval(-0.001)
            result = endOfDay
        } else {
            result = base
        }
        return Int64((result.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func parseTime(_ s: String) -> (h: Int, m: Int, s: Int)? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let nums = parts.compactMap { Int($0) }
        guard nums.count == parts.count, (0...23).contains(nums[0]), (0...59).contains(nums[1]) else { return nil }
        let sec = nums.count == 3 ? nums[2] : 0
        guard (0...60).contains(sec) else { return nil }
        return (nums[0], nums[1], sec)
    }

    static func parseDate(_ s: String, calendar: Calendar) -> Date? {
        var y = 0, m = 0, d = 0
        if s.contains("/") {
            let p = s.split(separator: "/").compactMap { Int($0) }
            guard p.count == 3 else { return nil }
            (m, d, y) = (p[0], p[1], p[2] < 100 ? 2000 + p[2] : p[2])
        } else if s.contains("-") {
            let p = s.split(separator: "-").compactMap { Int($0) }
            guard p.count == 3 else { return nil }
            (y, m, d) = (p[0], p[1], p[2])
        } else { return nil }
        guard (1...12).contains(m), (1...31).contains(d), y >= 1970 else { return nil }
        let date = calendar.date(from: DateComponents(year: y, month: m, day: d))
        guard let date, calendar.component(.day, from: date) == d else { return nil }
        return date
    }

    static func bootTime() -> Date? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            if let secs = Double(line.dropFirst(6)) { return Date(timeIntervalSince1970: secs) }
        }
        return nil
    }
}
